"""The indicator contract and the shared machinery behind it.

Every indicator is a small state machine fed one bar at a time (``update``/``update_candle``,
O(1) per bar) plus a vectorised ``batch`` over a whole ``BarSeries`` whose element ``i``
equals what the incremental path returns after bars ``0..i``. This module holds the base
classes, parameter checks, the O(1) rolling primitives (ring-buffer sums, monotonic deques,
seeded exponential smoothers) and their numpy counterparts.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence
from typing import Generic, NamedTuple, TypeVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from app.engine.domain.errors import ValidationError
from app.engine.series import BarSeries, Candle, FloatArray

V = TypeVar("V")
Arrays = FloatArray | tuple[FloatArray, ...]


class MACDValue(NamedTuple):
    macd: float
    signal: float
    hist: float


class Bands(NamedTuple):
    upper: float
    middle: float
    lower: float


class ADXValue(NamedTuple):
    adx: float
    plus_di: float
    minus_di: float


class StochValue(NamedTuple):
    k: float
    d: float


class SuperTrendValue(NamedTuple):
    value: float
    direction: float  # +1.0 up trend (line below price), -1.0 down trend (line above)


# -- parameter checks ---------------------------------------------------------------------


def check_period(field: str, value: object, minimum: int = 1) -> int:
    # bool is an int subclass; True as a period is always a caller bug
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValidationError(field, f"must be an integer >= {minimum}", value)
    return int(value)


def check_positive(field: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
        or float(value) <= 0
    ):
        raise ValidationError(field, "must be a finite number > 0", value)
    return float(value)


# -- base classes ---------------------------------------------------------------------------


class Indicator(ABC, Generic[V]):
    """Incremental indicator. ``value`` is None until ``warmup`` bars have been fed."""

    value: V | None
    warmup: int

    @abstractmethod
    def update_candle(self, c: Candle) -> V | None:
        """Feed one bar (the uniform entry point for strategy runtimes)."""

    @abstractmethod
    def batch_arrays(self, s: BarSeries) -> Arrays:
        """Raw numpy output over the whole series, NaN while warming up.

        Pure: it neither reads nor changes the incremental state."""

    @abstractmethod
    def reset(self) -> None:
        """Forget every bar fed so far."""

    @abstractmethod
    def _pack(self, row: Sequence[float]) -> V:
        """Turn one row of ``batch_arrays`` output into a value."""

    @property
    def ready(self) -> bool:
        return self.value is not None

    def batch(self, s: BarSeries) -> list[V | None]:
        arrays = self.batch_arrays(s)
        cols = arrays if isinstance(arrays, tuple) else (arrays,)
        stacked = np.column_stack(cols) if cols else np.empty((0, 0))
        warming: list[bool] = np.asarray(np.isnan(stacked).any(axis=1), dtype=bool).tolist()
        pack = self._pack
        return [
            None if cold else pack(row) for row, cold in zip(stacked.tolist(), warming, strict=True)
        ]

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict[str, object]:
        return {}


class ScalarIndicator(Indicator[float]):
    def _pack(self, row: Sequence[float]) -> float:
        return row[0]

    def batch(self, s: BarSeries) -> list[float | None]:
        arr = self.batch_arrays(s)
        assert not isinstance(arr, tuple)
        return [None if v != v else v for v in arr.tolist()]  # v != v: NaN


# -- O(1) rolling primitives ---------------------------------------------------------------


class RollingSum:
    """The last ``n`` values in a ring with their running sum.

    The running sum is recomputed exactly (math.fsum) each time the ring wraps, which costs
    O(n) every n pushes, so add/subtract rounding never accumulates past one window."""

    __slots__ = ("buf", "count", "i", "n", "total")

    def __init__(self, n: int) -> None:
        self.n = n
        self.buf = [0.0] * n
        self.i = 0
        self.count = 0
        self.total = 0.0

    def push(self, x: float) -> float:
        """Add ``x``; return the value that fell out (0.0 while the ring is filling)."""
        i = self.i
        buf = self.buf
        old = buf[i]
        buf[i] = x
        self.total += x - old
        i += 1
        if i == self.n:
            i = 0
            self.total = math.fsum(buf)
        self.i = i
        if self.count < self.n:
            self.count += 1
        return old

    @property
    def full(self) -> bool:
        return self.count >= self.n

    def oldest_first(self) -> list[float]:
        return self.buf[self.i :] + self.buf[: self.i]


class RollingExtreme:
    """Rolling max (or min) over the last ``n`` pushes via a monotonic deque: amortised O(1)."""

    __slots__ = ("dq", "n", "sign", "t")

    def __init__(self, n: int, *, maximum: bool) -> None:
        self.n = n
        self.sign = 1.0 if maximum else -1.0
        self.dq: deque[tuple[int, float]] = deque()
        self.t = 0

    def push(self, x: float) -> float:
        dq = self.dq
        t = self.t
        key = self.sign * x
        while dq and dq[-1][1] <= key:
            dq.pop()
        dq.append((t, key))
        if dq[0][0] <= t - self.n:
            dq.popleft()
        self.t = t + 1
        return self.sign * dq[0][1]


class RollingRange:
    """Highest high and lowest low of the last ``n`` bars; ``push`` answers None until
    ``n`` bars have been seen (the channel behind Stochastic, %R and Donchian)."""

    __slots__ = ("hi", "lo", "n", "seen")

    def __init__(self, n: int) -> None:
        self.n = n
        self.hi = RollingExtreme(n, maximum=True)
        self.lo = RollingExtreme(n, maximum=False)
        self.seen = 0

    def push(self, high: float, low: float) -> tuple[float, float] | None:
        hh = self.hi.push(high)
        ll = self.lo.push(low)
        self.seen += 1
        return None if self.seen < self.n else (hh, ll)


class ExpSmoother:
    """y = decay*y + alpha*x, seeded with the simple mean of the first ``period`` inputs
    (the TA-Lib / Wilder convention). alpha=2/(n+1) is an EMA, alpha=1/n Wilder's RMA."""

    __slots__ = ("acc", "alpha", "count", "decay", "period", "value")

    def __init__(self, period: int, alpha: float) -> None:
        self.period = period
        self.alpha = alpha
        self.decay = 1.0 - alpha
        self.count = 0
        self.acc = 0.0
        self.value: float | None = None

    def update(self, x: float) -> float | None:
        v = self.value
        if v is None:
            self.count += 1
            self.acc += x
            if self.count == self.period:
                self.value = self.acc / self.period
            return self.value
        v = self.decay * v + self.alpha * x
        self.value = v
        return v


# -- numpy counterparts ------------------------------------------------------------------------

_BLOCK = 64


def linear_recurrence(u: FloatArray, a: float, y0: float) -> FloatArray:
    """y[t] = a*y[t-1] + u[t] with y[-1] = y0, vectorised.

    numpy has no IIR filter (and scipy is not a dependency), so the series is cut into
    blocks of 64: a lower-triangular matrix of powers of ``a`` gives each block's response
    from a zero start in one matrix product, and the block-to-block carry is the same kind
    of recurrence with factor a**64 on a 64x shorter series, solved recursively. No
    negative powers are formed, so nothing overflows however small ``a`` is."""
    n = len(u)
    if n == 0:
        return np.empty(0)
    if n <= _BLOCK:
        out = np.empty(n)
        y = y0
        for t, ut in enumerate(u.tolist()):
            y = a * y + ut
            out[t] = y
        return out
    m = -(-n // _BLOCK)
    padded = np.zeros(m * _BLOCK)
    padded[:n] = u
    blocks = padded.reshape(m, _BLOCK)
    k = np.arange(_BLOCK)
    lag = k[:, None] - k[None, :]
    powers = np.where(lag >= 0, a ** np.maximum(lag, 0).astype(np.float64), 0.0)
    local = blocks @ powers.T  # local[j, t] = sum_{k<=t} a^(t-k) u[j, k]
    # state entering block j: carry[j] = a^B * carry[j-1] + local[j-1, B-1]
    ends = linear_recurrence(local[:, -1].copy(), a**_BLOCK, y0)
    carry = np.empty(m)
    carry[0] = y0
    carry[1:] = ends[:-1]
    out_blocks = local + carry[:, None] * (a ** (k + 1).astype(np.float64))[None, :]
    return out_blocks.reshape(-1)[:n]


def seeded_smooth(x: FloatArray, period: int, alpha: float, start: int = 0) -> FloatArray:
    """Numpy twin of ExpSmoother over x[start:] (values before ``start`` are ignored)."""
    out = np.full(len(x), np.nan)
    first = start + period - 1
    if first >= len(x):
        return out
    seed = float(np.sum(x[start : first + 1])) / period
    out[first] = seed
    out[first + 1 :] = linear_recurrence(alpha * x[first + 1 :], 1.0 - alpha, seed)
    return out


def _windows(x: FloatArray, n: int, start: int) -> tuple[FloatArray, np.ndarray] | None:
    out = np.full(len(x), np.nan)
    if len(x) - start < n:
        return None
    return out, sliding_window_view(x[start:], n)


def rolling_sum(x: FloatArray, n: int, start: int = 0) -> FloatArray:
    # summing each window (not differencing a cumsum) keeps every value exact to rounding
    got = _windows(x, n, start)
    if got is None:
        return np.full(len(x), np.nan)
    out, w = got
    out[start + n - 1 :] = w.sum(axis=1)
    return out


def rolling_mean(x: FloatArray, n: int, start: int = 0) -> FloatArray:
    return rolling_sum(x, n, start) / n


def rolling_max(x: FloatArray, n: int, start: int = 0) -> FloatArray:
    got = _windows(x, n, start)
    if got is None:
        return np.full(len(x), np.nan)
    out, w = got
    out[start + n - 1 :] = w.max(axis=1)
    return out


def rolling_min(x: FloatArray, n: int, start: int = 0) -> FloatArray:
    got = _windows(x, n, start)
    if got is None:
        return np.full(len(x), np.nan)
    out, w = got
    out[start + n - 1 :] = w.min(axis=1)
    return out


def true_range(s: BarSeries) -> FloatArray:
    """True range; bar 0 has no previous close so its range is high - low."""
    tr = s.high - s.low
    if len(tr) > 1:
        pc = s.close[:-1]
        tr[1:] = np.maximum(tr[1:], np.maximum(np.abs(s.high[1:] - pc), np.abs(s.low[1:] - pc)))
    return tr


def typical_price(s: BarSeries) -> FloatArray:
    return (s.high + s.low + s.close) / 3.0
