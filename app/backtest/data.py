"""Bars from a CSV file, validated cell by cell: all or nothing.

Columns (by header name, case-insensitive, any order, extra columns ignored): ``timestamp``
(ISO-8601, naive meaning UTC, or integer epoch milliseconds) or ``timestamp_ms`` (integer
epoch milliseconds), then ``open``, ``high``, ``low``, ``close``, ``volume``. A bad cell raises
ValidationError naming the file's line ("row") and the column; nothing is returned half
loaded. Timestamps must be strictly ascending (no duplicates).
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from app.engine.domain.errors import ValidationError
from app.engine.series import BarSeries

PRICE_COLUMNS = ("open", "high", "low", "close")
TIMEFRAMES = {60: "1m", 300: "5m", 900: "15m", 3600: "1h", 14400: "4h", 86400: "1d"}
_MS = 1_000_000


def _where(line: int, column: str) -> str:
    return f"row {line}, column {column}"


def _parse_ts(text: str, line: int, column: str, iso_allowed: bool) -> int:
    raw = text.strip()
    try:
        if raw.lstrip("-").isdigit():
            ms = int(raw)
        else:
            number = float(raw)  # "1498906800000.0" from spreadsheet exports
            if not number.is_integer():
                raise ValueError(raw)
            ms = int(number)
    except ValueError:
        if not iso_allowed:
            raise ValidationError(
                _where(line, column), "must be integer epoch milliseconds", text
            ) from None
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                _where(line, column),
                "must be an ISO-8601 time (2024-01-31T10:00:00Z) or epoch milliseconds",
                text,
            ) from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        whole = int(moment.replace(microsecond=0).timestamp())
        return whole * 1_000_000_000 + moment.microsecond * 1_000
    # epoch ns in 64 bits covers 1970 .. 2262
    if not 0 <= ms < 9_200_000_000_000:
        raise ValidationError(
            _where(line, column), "epoch milliseconds out of range (1970..2261)", text
        )
    return ms * _MS


def _parse_float(text: str, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(_where(line, column), "must be a number", text) from None
    if not math.isfinite(value):
        raise ValidationError(_where(line, column), "must be a finite number (not NaN/inf)", text)
    return value


def _columns(header: list[str], path: Path) -> tuple[int, str, list[int]]:
    names = [name.strip().lower() for name in header]
    if "timestamp" in names:
        ts_col = "timestamp"
    elif "timestamp_ms" in names:
        ts_col = "timestamp_ms"
    else:
        raise ValidationError(
            f"{path.name}: header", "needs a timestamp or timestamp_ms column", ",".join(header)
        )
    missing = [c for c in (*PRICE_COLUMNS, "volume") if c not in names]
    if missing:
        raise ValidationError(
            f"{path.name}: header", f"missing column(s) {', '.join(missing)}", ",".join(header)
        )
    wanted = [names.index(c) for c in (*PRICE_COLUMNS, "volume")]
    return names.index(ts_col), ts_col, wanted


def load_bars_csv(path: Path | str, symbol: str = "") -> BarSeries:
    """The file's bars as a BarSeries (timeframe guessed from the median spacing)."""
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ValidationError("data", f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ValidationError(f"{path.name}", "is empty (no header, no rows)")
        ts_index, ts_col, value_index = _columns(header, path)
        names = (*PRICE_COLUMNS, "volume")
        iso = ts_col == "timestamp"
        width = max(ts_index, *value_index) + 1
        stamps: list[int] = []
        rows: list[list[float]] = []
        lines: list[int] = []  # each bar's line in the file, to name a row the checks fail
        for line, record in enumerate(reader, start=2):
            if not record or not any(cell.strip() for cell in record):
                continue  # a blank line (often the last) is not a bar
            if len(record) < width:
                raise ValidationError(
                    f"row {line}", f"has {len(record)} cells, the header has {len(header)}"
                )
            stamps.append(_parse_ts(record[ts_index], line, ts_col, iso))
            rows.append(
                [
                    _parse_float(record[i], line, name)
                    for i, name in zip(value_index, names, strict=True)
                ]
            )
            lines.append(line)
        if not rows:
            raise ValidationError(f"{path.name}", "has a header but no rows")
    ts = np.asarray(stamps, dtype=np.int64)
    table = np.asarray(rows, dtype=np.float64)
    _check(ts, table, lines, ts_col)
    series = BarSeries(
        ts,
        np.ascontiguousarray(table[:, 0]),
        np.ascontiguousarray(table[:, 1]),
        np.ascontiguousarray(table[:, 2]),
        np.ascontiguousarray(table[:, 3]),
        np.ascontiguousarray(table[:, 4]),
        symbol,
        guess_timeframe(ts),
    )
    return series


def _check(ts: np.ndarray, table: np.ndarray, lines: list[int], ts_col: str) -> None:
    def fail(index: int, column: str, rule: str, value: object) -> None:
        raise ValidationError(_where(lines[index], column), rule, value)

    prices = table[:, :4]
    bad = np.flatnonzero((prices <= 0).any(axis=1))
    if bad.size:
        i = int(bad[0])
        j = int(np.flatnonzero(prices[i] <= 0)[0])
        fail(i, PRICE_COLUMNS[j], "must be greater than 0", float(prices[i, j]))
    bad = np.flatnonzero(table[:, 4] < 0)
    if bad.size:
        fail(int(bad[0]), "volume", "must not be negative", float(table[bad[0], 4]))
    high, low = table[:, 1], table[:, 2]
    bad = np.flatnonzero(high < low)
    if bad.size:
        i = int(bad[0])
        fail(i, "high", f"is below low {low[i]:g}", float(high[i]))
    if len(ts) > 1:
        steps = np.diff(ts)
        bad = np.flatnonzero(steps <= 0)
        if bad.size:
            i = int(bad[0]) + 1
            rule = (
                "duplicates the previous row's time"
                if steps[i - 1] == 0
                else ("is earlier than the previous row's (timestamps must ascend)")
            )
            fail(i, ts_col, rule, None)


def guess_timeframe(ts: np.ndarray) -> str:
    if len(ts) < 2:
        return ""
    seconds = int(np.median(np.diff(ts))) // 1_000_000_000
    return TIMEFRAMES.get(seconds, "")
