"""The chart's bar data: float64 numpy columns (Decimal stays at the domain boundary) and the
live aggregation of one-minute bars into the shown timeframe on UTC-aligned buckets.

No Qt here, so the data rules are tested without a widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.engine.domain.market import Bar

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
NS = 1_000_000_000


class BarSeries:
    """Columns ``ts`` (bar open, UTC epoch ns), ``open``/``high``/``low``/``close``/``volume``.

    Appends grow the arrays geometrically so a closed bar costs O(1) amortised; the public
    columns are views of the used part.
    """

    def __init__(self, span_ns: int) -> None:
        self.span_ns = span_ns
        self._n = 0
        self._ts = np.empty(0, dtype=np.int64)
        self._cols = np.empty((5, 0), dtype=np.float64)

    # --- reading --------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @property
    def ts(self) -> I64:
        return self._ts[: self._n]

    @property
    def x(self) -> F64:
        """Bar open times in epoch seconds: the chart's x coordinate."""
        return self.ts.astype(np.float64) / NS

    def x_from(self, start: int) -> F64:
        """``x[start:]`` without converting the whole column (the live candle needs one)."""
        return self.ts[start:].astype(np.float64) / NS

    @property
    def open(self) -> F64:
        return self._cols[0, : self._n]

    @property
    def high(self) -> F64:
        return self._cols[1, : self._n]

    @property
    def low(self) -> F64:
        return self._cols[2, : self._n]

    @property
    def close(self) -> F64:
        return self._cols[3, : self._n]

    @property
    def volume(self) -> F64:
        return self._cols[4, : self._n]

    def row(self, i: int) -> tuple[int, float, float, float, float, float]:
        c = self._cols[:, i]
        return int(self._ts[i]), float(c[0]), float(c[1]), float(c[2]), float(c[3]), float(c[4])

    def index_at(self, x_seconds: float) -> int | None:
        """The bar whose [open, open + span) contains ``x_seconds``, if any."""
        t = int(x_seconds * NS)
        i = int(np.searchsorted(self.ts, t, side="right")) - 1
        if i < 0 or t >= int(self._ts[i]) + self.span_ns:
            return None
        return i

    # --- writing --------------------------------------------------------------------------
    def replace(self, ts: I64, ohlcv: F64) -> None:
        """Replace everything: ``ohlcv`` has shape (5, n)."""
        self._ts = np.ascontiguousarray(ts, dtype=np.int64)
        self._cols = np.ascontiguousarray(ohlcv, dtype=np.float64)
        self._n = len(ts)

    def prepend(self, ts: I64, ohlcv: F64) -> int:
        """Put older bars in front (those not older than the first bar are dropped)."""
        if self._n:
            keep = ts < self._ts[0]
            ts, ohlcv = ts[keep], ohlcv[:, keep]
        if len(ts):
            self.replace(np.concatenate((ts, self.ts)), np.concatenate((ohlcv, self._used()), 1))
        return len(ts)

    def append(self, ts: int, o: float, h: float, lo: float, c: float, v: float) -> None:
        if self._n == len(self._ts):
            cap = max(64, self._n * 2)
            grown_ts = np.empty(cap, dtype=np.int64)
            grown = np.empty((5, cap), dtype=np.float64)
            grown_ts[: self._n] = self.ts
            grown[:, : self._n] = self._used()
            self._ts, self._cols = grown_ts, grown
        self._ts[self._n] = ts
        self._cols[:, self._n] = (o, h, lo, c, v)
        self._n += 1

    def set_last(self, o: float, h: float, lo: float, c: float, v: float) -> None:
        self._cols[:, self._n - 1] = (o, h, lo, c, v)

    def _used(self) -> F64:
        return self._cols[:, : self._n]


def bars_to_arrays(bars: Sequence[Bar]) -> tuple[I64, F64]:
    """Domain bars (Decimal) to (ts, ohlcv[5, n]) float64: the one place prices become floats."""
    ts = np.fromiter((b.ts for b in bars), dtype=np.int64, count=len(bars))
    cols = np.array(
        [
            [float(b.open), float(b.high), float(b.low), float(b.close), float(b.volume)]
            for b in bars
        ],
        dtype=np.float64,
    ).reshape(len(bars), 5)
    return ts, np.ascontiguousarray(cols.T)


def aggregate(ts: I64, ohlcv: F64, span_ns: int) -> tuple[I64, F64]:
    """Bars to ``span_ns`` buckets aligned to UTC epoch multiples (input sorted by ts)."""
    if len(ts) == 0:
        return ts.copy(), ohlcv.copy()
    bucket = ts - ts % span_ns
    starts = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
    ends = np.concatenate((starts[1:], [len(ts)])) - 1
    out = np.empty((5, len(starts)), dtype=np.float64)
    out[0] = ohlcv[0, starts]
    out[1] = np.maximum.reduceat(ohlcv[1], starts)
    out[2] = np.minimum.reduceat(ohlcv[2], starts)
    out[3] = ohlcv[3, ends]
    out[4] = np.add.reduceat(ohlcv[4], starts)
    return bucket[starts], out


@dataclass(slots=True)
class _Acc:
    ts: int
    o: float
    h: float
    lo: float
    c: float
    v: float

    def merged(self, o: float, h: float, lo: float, c: float, v: float) -> _Acc:
        return _Acc(self.ts, self.o, max(self.h, h), min(self.lo, lo), c, self.v + v)


class LiveAggregator:
    """Folds one-minute bars (forming and closed) into the series' last bucket.

    ``base`` holds the closed minutes of the forming bucket; the forming minute is combined
    with it on every update, so repeated updates of one minute are never double counted.
    Minutes older than what the series already holds are ignored (history wins).
    """

    def __init__(self, series: BarSeries) -> None:
        self.series = series
        self._base: _Acc | None = None  # closed minutes of the forming bucket
        self._last_closed_minute = -1
        self._forming = False  # is the series' last bar the live bucket?

    def seed(self, minutes: Sequence[Bar]) -> None:
        """Start the forming bucket from the closed minutes history already has for it."""
        for bar in minutes:
            self.apply(bar)

    def apply(self, bar: Bar) -> str | None:
        """Fold one M1 bar in. Returns "update" (last candle changed), "append" (a new candle)
        or None (ignored)."""
        s = self.series
        span = s.span_ns
        bucket = bar.ts - bar.ts % span
        if bar.closed and bar.ts <= self._last_closed_minute:
            return None
        last_ts = int(s.ts[-1]) if len(s) else -1
        if bucket < last_ts or (bucket == last_ts and not self._forming):
            return None  # history already has this bucket, closed
        o, h, lo, c, v = (
            float(bar.open),
            float(bar.high),
            float(bar.low),
            float(bar.close),
            float(bar.volume),
        )
        result = "update"
        if bucket > last_ts:
            self._base = None
            self._forming = True
            s.append(bucket, o, h, lo, c, v)
            result = "append"
        acc = self._base.merged(o, h, lo, c, v) if self._base else _Acc(bucket, o, h, lo, c, v)
        s.set_last(acc.o, acc.h, acc.lo, acc.c, acc.v)
        if bar.closed:
            self._base = acc
            self._last_closed_minute = bar.ts
        return result
