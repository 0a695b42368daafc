"""Loading the bundled candle files.

A candle file is CSV with the header ``timestamp_ms,open,high,low,close,volume`` (any column
order; extra columns are ignored); the timestamp is the bar's OPEN time in UTC epoch
milliseconds, strictly ascending. Real files have gaps in time: they are kept as they are, a
missing bar is never invented.

Anything malformed raises ``ValidationError`` whose field reads ``file:line:column`` (line 1
is the header), so a broken file can be fixed without guessing: an unparsable or non-finite
number, a price <= 0, a negative volume, a high below the low, a row with the wrong number of
cells, a missing column, a timestamp that does not increase.

One repair is made, because real vendor files contain it (two SPY rows from Yahoo): an open or
close outside [low, high] widens the bar to include it. The count is kept in ``repaired``.

The arrays stay numpy float64/int64 for speed; Decimal values are made only when the feed
turns a bar into a domain event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

import numpy as np
import numpy.typing as npt

from app.engine.domain.errors import ValidationError

COLUMNS = ("timestamp_ms", "open", "high", "low", "close", "volume")
RESOURCE_PACKAGE = "resources"
RESOURCE_DIR = "demo"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Candles:
    """One parsed candle file: parallel read-only arrays, one entry per bar."""

    name: str
    ts_ms: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    repaired: int = 0

    def __len__(self) -> int:
        return int(self.ts_ms.shape[0])


def demo_resource(name: str) -> Traversable:
    """A file in ``resources/demo`` found through importlib.resources (works when frozen)."""
    return resources.files(RESOURCE_PACKAGE) / RESOURCE_DIR / name


@lru_cache(maxsize=32)
def load_demo_candles(file_name: str) -> Candles:
    """Parse a bundled file once per process (the arrays are read-only, so sharing is safe)."""
    resource = demo_resource(file_name)
    if not resource.is_file():
        raise ValidationError(file_name, "demo candle file is not bundled in resources/demo")
    return parse_candles(resource.read_text(encoding="utf-8"), file_name)


def parse_candles(text: str, name: str) -> Candles:
    """Parse CSV text into ``Candles``; ``name`` is used in error messages."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].strip():
        raise ValidationError(f"{name}:1", "empty file: expected the header " + ",".join(COLUMNS))
    header = [cell.strip().lower() for cell in lines[0].split(",")]
    positions: list[int] = []
    for column in COLUMNS:
        if column not in header:
            raise ValidationError(
                f"{name}:1:{column}", "missing column; header must hold " + ",".join(COLUMNS)
            )
        positions.append(header.index(column))
    width = len(header)
    fast = _parse_clean(lines, positions, width)
    if fast is not None:
        return _candles(name, *fast)

    ts: list[int] = []
    rows: list[tuple[float, float, float, float, float]] = []
    previous_ts: int | None = None
    for line_no, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue  # trailing blank lines are harmless; a blank cell is not (checked below)
        cells = line.split(",")
        if len(cells) != width:
            raise ValidationError(
                f"{name}:{line_no}", f"expected {width} cells, got {len(cells)}", line
            )
        stamp = _parse_timestamp(cells[positions[0]], name, line_no)
        if previous_ts is not None and stamp <= previous_ts:
            raise ValidationError(
                f"{name}:{line_no}:timestamp_ms",
                f"timestamps must increase (previous row is {previous_ts})",
                stamp,
            )
        previous_ts = stamp
        o, h, low, c, v = (
            _parse_number(cells[pos], name, line_no, column)
            for pos, column in zip(positions[1:], COLUMNS[1:], strict=True)
        )
        for value, column in ((o, "open"), (h, "high"), (low, "low"), (c, "close")):
            if value <= 0:
                raise ValidationError(f"{name}:{line_no}:{column}", "must be greater than 0", value)
        if v < 0:
            raise ValidationError(f"{name}:{line_no}:volume", "must not be negative", v)
        if h < low:
            raise ValidationError(f"{name}:{line_no}:high", f"is below the low {low}", h)
        ts.append(stamp)
        rows.append((o, h, low, c, v))

    if len(rows) < 2:
        raise ValidationError(name, "needs at least 2 bars to replay", len(rows))
    return _candles(name, np.array(ts, dtype=np.int64), np.array(rows, dtype=np.float64))


def _parse_clean(
    lines: list[str], positions: list[int], width: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None:
    """The whole file at once, for the usual case of a clean file (the bundled ones are):
    None at the first sign of trouble, and the row-by-row parser then finds and names the
    cell at fault. Six bundled files parse at every launch, so this is start-up time."""
    cells = [line.split(",") for line in lines[1:] if line.strip()]
    if len(cells) < 2 or any(len(row) != width for row in cells):
        return None
    first, rest = positions[0], positions[1:]
    try:
        ts = np.array([int(row[first]) for row in cells], dtype=np.int64)
        data = np.array([[row[p] for p in rest] for row in cells], dtype=np.float64)
    except (ValueError, OverflowError):
        return None
    ok = (
        bool((ts >= 0).all())
        and bool((np.diff(ts) > 0).all())
        and bool(np.isfinite(data).all())
        and bool((data[:, :4] > 0).all())
        and bool((data[:, 4] >= 0).all())
        and bool((data[:, 1] >= data[:, 2]).all())
    )
    return (ts, data) if ok else None


def _candles(name: str, ts: npt.NDArray[np.int64], data: npt.NDArray[np.float64]) -> Candles:
    o_arr, h_arr, l_arr, c_arr, v_arr = (np.ascontiguousarray(data[:, i]) for i in range(5))
    # Widen bars whose open/close lie outside [low, high] (vendor glitches): counted, not hidden.
    widened_high = np.maximum(h_arr, np.maximum(o_arr, c_arr))
    widened_low = np.minimum(l_arr, np.minimum(o_arr, c_arr))
    repaired = int(np.count_nonzero((widened_high != h_arr) | (widened_low != l_arr)))
    arrays = (ts, o_arr, widened_high, widened_low, c_arr, v_arr)
    for array in arrays:
        array.setflags(write=False)
    return Candles(name, *arrays, repaired=repaired)


def _parse_timestamp(cell: str, name: str, line_no: int) -> int:
    text = cell.strip()
    try:
        value = int(text)
    except ValueError:
        raise ValidationError(
            f"{name}:{line_no}:timestamp_ms", "must be an integer (epoch milliseconds)", cell
        ) from None
    if value < 0:
        raise ValidationError(f"{name}:{line_no}:timestamp_ms", "must not be negative", value)
    return value


def _parse_number(cell: str, name: str, line_no: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise ValidationError(f"{name}:{line_no}:{column}", "must be a number", cell) from None
    if not math.isfinite(value):
        raise ValidationError(f"{name}:{line_no}:{column}", "must be a finite number", cell)
    return value
