"""What the scanner measures for one symbol, computed with numpy over its bars.

Every metric reads the LAST bar of the series against the bars before it:

* ``price``        last close.
* ``change_pct``   close now vs ``change_lookback`` bars ago, in percent.
* ``atr_pct``      Wilder ATR(``atr_period``) of the last bar over the last close, in percent.
* ``volatility``   realized volatility: sample stdev of the last ``volatility_window`` log
                   returns, annualised by the bar spacing (the median gap between bars), in
                   percent. On the demo market every source bar plays as one minute, so it
                   is annualised as minute data: large, but comparable across symbols.
* ``volume_surge`` last bar's volume over the mean volume of the ``volume_window`` bars
                   before it (None when those bars traded nothing).
* ``rsi``          Wilder RSI(``rsi_period``) of the last close.
* ``breakout_up`` / ``breakout_down``  last close above the highest high / below the lowest
                   low of the ``breakout_window`` bars before it.

A symbol with fewer bars than the longest window gets a row that says so (``status``) and
no numbers, never numbers from a half-filled window. Indicators come from
``app.strategies.indicators`` (their vectorised batch forms), so the scanner's RSI is the
RSI a strategy or the chart computes.

Pure functions on plain data: the scanner runs them in worker processes for large
universes, so everything here pickles.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import StrEnum

import numpy as np

from app.engine.domain.errors import ValidationError
from app.engine.series import BarSeries
from app.strategies.indicators import ATR, RSI

YEAR_NS = 365.25 * 86_400 * 1_000_000_000


class RowStatus(StrEnum):
    OK = "ok"
    STALE = "stale"  # computed, but its last bar is older than the rest of the universe's
    INSUFFICIENT = "insufficient"  # too few bars for the longest window
    INVALID = "invalid"  # non-finite or non-positive prices in the window
    ERROR = "error"  # the history could not be fetched


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    change_lookback: int = 20
    atr_period: int = 14
    rsi_period: int = 14
    volatility_window: int = 50
    volume_window: int = 20
    breakout_window: int = 20

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            minimum = 2 if f.name in ("volatility_window", "rsi_period") else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValidationError(f.name, f"must be a whole number >= {minimum}", value)

    @property
    def min_bars(self) -> int:
        """Bars needed for every metric: each window plus the bar it is compared with."""
        return max(
            self.change_lookback + 1,
            self.atr_period + 1,  # the ATR seed plus one smoothed bar
            self.rsi_period + 1,
            self.volatility_window + 1,
            self.volume_window + 1,
            self.breakout_window + 1,
        )


@dataclass(frozen=True, slots=True)
class ScanRow:
    """One symbol's line in a scan. Numbers are None when ``status`` says they could not be
    computed; ``note`` explains a status other than OK in words."""

    symbol: str
    status: RowStatus
    bars: int
    last_ts: int | None = None  # open time of the last bar, UTC epoch ns
    price: float | None = None
    change_pct: float | None = None
    atr_pct: float | None = None
    volatility: float | None = None
    volume_surge: float | None = None
    rsi: float | None = None
    breakout_up: bool | None = None
    breakout_down: bool | None = None
    note: str = ""

    @property
    def has_metrics(self) -> bool:
        return self.status in (RowStatus.OK, RowStatus.STALE)

    def value(self, name: str) -> float | bool | str | int | None:
        """A field by name (filters and sorting address fields by their names)."""
        return getattr(self, name)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class FieldInfo:
    name: str
    kind: type[float] | type[bool] | type[str] | type[int]
    help: str


#: the fields a filter or a sort may name, in the order a table shows them
FIELDS: dict[str, FieldInfo] = {
    f.name: f
    for f in (
        FieldInfo("symbol", str, "the instrument"),
        FieldInfo("price", float, "last close"),
        FieldInfo("change_pct", float, "change over the lookback, %"),
        FieldInfo("atr_pct", float, "ATR / close, %"),
        FieldInfo("volatility", float, "realized volatility, annualised %"),
        FieldInfo("volume_surge", float, "last volume / average volume"),
        FieldInfo("rsi", float, "RSI, 0-100"),
        FieldInfo("breakout_up", bool, "close above the prior N-bar high"),
        FieldInfo("breakout_down", bool, "close below the prior N-bar low"),
        FieldInfo("bars", int, "bars of history used"),
    )
}


def bar_spacing_ns(ts: np.ndarray) -> float | None:
    """Typical gap between bars: the median, so a weekend or a halt does not skew it."""
    if len(ts) < 2:
        return None
    gaps = [g for g in np.diff(ts.astype(np.int64)).tolist() if g > 0]
    # a window of tens of gaps: the standard library's median beats numpy's set-up cost
    return float(statistics.median(gaps)) if gaps else None


def realized_volatility(close: np.ndarray, ts: np.ndarray, window: int) -> float | None:
    """Annualised sample stdev of the last ``window`` log returns, in percent."""
    if len(close) < window + 1:
        return None
    spacing = bar_spacing_ns(ts[-(window + 1) :])
    if spacing is None:
        return None
    returns = np.diff(np.log(close[-(window + 1) :]))
    return float(np.std(returns, ddof=1) * math.sqrt(YEAR_NS / spacing) * 100.0)


def compute_row(series: BarSeries, config: MetricsConfig, symbol: str | None = None) -> ScanRow:
    """The scan row of one symbol (see the module docstring for each metric)."""
    name = symbol if symbol is not None else series.symbol
    n = len(series)
    need = config.min_bars
    if n < need:
        return ScanRow(
            name,
            RowStatus.INSUFFICIENT,
            n,
            int(series.ts[-1]) if n else None,
            note=f"insufficient history: {n} of {need} bars",
        )
    close, high, low, volume = series.close, series.high, series.low, series.volume
    # the smoothed indicators carry every bar forward, so one bad bar anywhere poisons them
    prices = np.concatenate((close, high, low))
    if not np.all(np.isfinite(prices)) or np.any(prices <= 0) or not np.all(np.isfinite(volume)):
        return ScanRow(
            name,
            RowStatus.INVALID,
            n,
            int(series.ts[-1]),
            note="invalid data: non-finite or non-positive prices or volumes",
        )
    last = float(close[-1])
    k = config.change_lookback
    change_pct = (last / float(close[-1 - k]) - 1.0) * 100.0
    atr = float(ATR(config.atr_period).batch_arrays(series)[-1])
    rsi = float(RSI(config.rsi_period).batch_values(close)[-1])
    vw = config.volume_window
    base_volume = float(np.mean(volume[-1 - vw : -1]))
    surge = float(volume[-1]) / base_volume if base_volume > 0 else None
    bw = config.breakout_window
    prior_high = float(np.max(high[-1 - bw : -1]))
    prior_low = float(np.min(low[-1 - bw : -1]))
    return ScanRow(
        name,
        RowStatus.OK,
        n,
        int(series.ts[-1]),
        price=last,
        change_pct=change_pct,
        atr_pct=atr / last * 100.0,
        volatility=realized_volatility(close, series.ts, config.volatility_window),
        volume_surge=surge,
        rsi=rsi,
        breakout_up=last > prior_high,
        breakout_down=last < prior_low,
    )


def compute_rows(items: Sequence[BarSeries], config: MetricsConfig) -> list[ScanRow]:
    """Rows for a chunk of symbols (one worker task). A series that breaks the computation
    gives an ERROR row naming the fault, not a lost chunk."""
    out = []
    for series in items:
        try:
            out.append(compute_row(series, config))
        except Exception as exc:  # reported in the row; one bad symbol never sinks a scan
            out.append(ScanRow(series.symbol, RowStatus.ERROR, len(series), note=f"error: {exc}"))
    return out


def mark_stale(rows: Sequence[ScanRow], span_ns: int, stale_bars: int) -> list[ScanRow]:
    """Rows whose last bar is more than ``stale_bars`` bars behind the freshest row of the
    same scan become STALE: a halted market or a feed that stopped. Measured against the
    universe rather than the wall clock, because a replayed or simulated market keeps its
    own time."""
    stamps = [r.last_ts for r in rows if r.has_metrics and r.last_ts is not None]
    if not stamps or stale_bars <= 0:
        return list(rows)
    newest = max(stamps)
    limit = stale_bars * span_ns
    out = []
    for r in rows:
        if r.status is RowStatus.OK and r.last_ts is not None and newest - r.last_ts > limit:
            behind = (newest - r.last_ts) // span_ns
            r = _replace_status(r, RowStatus.STALE, f"stale: last bar {behind} bars behind")
        out.append(r)
    return out


def _replace_status(row: ScanRow, status: RowStatus, note: str) -> ScanRow:
    values = {f.name: getattr(row, f.name) for f in fields(row)}
    values.update(status=status, note=note)
    return ScanRow(**values)
