"""Oscillators: RSI, MACD, Stochastic, Stochastic RSI, CCI and Williams %R."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from app.engine.domain.errors import ValidationError
from app.engine.series import BarSeries, Candle, FloatArray
from app.strategies.indicators.base import (
    ExpSmoother,
    Indicator,
    MACDValue,
    RollingRange,
    RollingSum,
    ScalarIndicator,
    StochValue,
    check_period,
    rolling_max,
    rolling_mean,
    rolling_min,
    seeded_smooth,
    typical_price,
)


def _rsi_from(gain: float, loss: float) -> float:
    if loss == 0.0:
        return 50.0 if gain == 0.0 else 100.0
    return 100.0 - 100.0 / (1.0 + gain / loss)


def _rsi_array(gain: FloatArray, loss: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        rsi = 100.0 - 100.0 / (1.0 + gain / loss)
    flat = loss == 0.0
    return np.where(flat, np.where(gain == 0.0, 50.0, 100.0), rsi)


def _smooth_k_d(k_win: RollingSum, d_win: RollingSum, raw: float) -> StochValue | None:
    """%K = SMA of the raw stochastic over ``k_win``, %D = SMA of %K over ``d_win``; None
    until both windows are full."""
    k_win.push(raw)
    if not k_win.full:
        return None
    k = k_win.total / k_win.n
    d_win.push(k)
    if not d_win.full:
        return None
    return StochValue(k, d_win.total / d_win.n)


#: a channel narrower than this share of its level is rounding noise, i.e. flat: a flat RSI
#: computed two ways (running and vectorised) differs in its last bits, and dividing by
#: that noise would turn it into 0 or 100 on one path and 50 on the other
_FLAT = 1e-9


def _stoch_pct(x: float, lo: float, hi: float) -> float:
    rng = hi - lo
    if rng <= _FLAT * max(abs(hi), abs(lo), 1.0):
        return 50.0
    return 100.0 * (x - lo) / rng


def _stoch_pct_array(x: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
    rng = hi - lo
    flat = rng <= _FLAT * np.maximum(np.maximum(np.abs(hi), np.abs(lo)), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * (x - lo) / rng
    return np.where(flat, 50.0, pct)


class RSI(ScalarIndicator):
    """Wilder's RSI. Average gain/loss are seeded with the simple mean of the first
    ``period`` changes, then smoothed with alpha = 1/period; the first value comes after
    ``period + 1`` closes. ``ta`` instead starts its ewm at the first change (with a zero
    change for bar 0) and reports from bar ``period-1``; the two converge as the seed
    decays. A window with no movement at all reads 50 (ta gives NaN)."""

    def __init__(self, period: int = 14) -> None:
        self.period = check_period("period", period)
        self.warmup = self.period + 1
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period}

    def reset(self) -> None:
        alpha = 1.0 / self.period
        self._gain = ExpSmoother(self.period, alpha)
        self._loss = ExpSmoother(self.period, alpha)
        self._prev: float | None = None
        self.value = None

    def update(self, close: float) -> float | None:
        prev = self._prev
        self._prev = close
        if prev is None:
            return None
        d = close - prev
        g = self._gain.update(d if d > 0.0 else 0.0)
        lo = self._loss.update(-d if d < 0.0 else 0.0)
        if g is None or lo is None:
            return None
        self.value = _rsi_from(g, lo)
        return self.value

    def update_candle(self, c: Candle) -> float | None:
        return self.update(c.close)

    def batch_arrays(self, s: BarSeries) -> FloatArray:
        return self.batch_values(s.close)

    def batch_values(self, close: FloatArray) -> FloatArray:
        close = np.asarray(close, dtype=np.float64)
        d = np.zeros(len(close))
        d[1:] = np.diff(close)
        alpha = 1.0 / self.period
        gain = seeded_smooth(np.where(d > 0.0, d, 0.0), self.period, alpha, start=1)
        loss = seeded_smooth(np.where(d < 0.0, -d, 0.0), self.period, alpha, start=1)
        out = _rsi_array(gain, loss)
        out[np.isnan(gain)] = np.nan
        return out


class MACD(Indicator[MACDValue]):
    """MACD = EMA(fast) - EMA(slow) of close, signal = EMA(signal) of MACD, hist = the
    difference. EMAs are SMA-seeded (see ``EMA``), so values converge to ``ta``'s after a
    few slow periods. The value is None until the signal line exists
    (``slow + signal - 1`` bars); ``batch_arrays`` gives the MACD line from bar slow-1."""

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        self.fast = check_period("fast", fast)
        self.slow = check_period("slow", slow)
        self.signal = check_period("signal", signal)
        if self.fast >= self.slow:
            raise ValidationError("fast", f"must be < slow ({self.slow})", fast)
        self.warmup = self.slow + self.signal - 1
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"fast": self.fast, "slow": self.slow, "signal": self.signal}

    def reset(self) -> None:
        self._fast = ExpSmoother(self.fast, 2.0 / (self.fast + 1))
        self._slow = ExpSmoother(self.slow, 2.0 / (self.slow + 1))
        self._sig = ExpSmoother(self.signal, 2.0 / (self.signal + 1))
        self.value = None

    def _pack(self, row: Sequence[float]) -> MACDValue:
        return MACDValue(*row)

    def update(self, close: float) -> MACDValue | None:
        f = self._fast.update(close)
        s = self._slow.update(close)
        if f is None or s is None:
            return None
        m = f - s
        sig = self._sig.update(m)
        if sig is None:
            return None
        self.value = MACDValue(m, sig, m - sig)
        return self.value

    def update_candle(self, c: Candle) -> MACDValue | None:
        return self.update(c.close)

    def batch_arrays(self, s: BarSeries) -> tuple[FloatArray, FloatArray, FloatArray]:
        close = s.close
        m = seeded_smooth(close, self.fast, 2.0 / (self.fast + 1)) - seeded_smooth(
            close, self.slow, 2.0 / (self.slow + 1)
        )
        sig = seeded_smooth(np.nan_to_num(m), self.signal, 2.0 / (self.signal + 1), self.slow - 1)
        return m, sig, m - sig


class Stochastic(Indicator[StochValue]):
    """Stochastic oscillator, 0..100. Raw %K = 100*(close - LL)/(HH - LL) over
    ``k_period`` bars (50 when HH == LL; ta gives NaN), %K = SMA(raw, ``smooth``)
    (smooth=1 is the fast stochastic, as ``ta``'s stoch), %D = SMA(%K, ``d_period``).
    None until %D exists."""

    def __init__(self, k_period: int = 14, d_period: int = 3, smooth: int = 1) -> None:
        self.k_period = check_period("k_period", k_period)
        self.d_period = check_period("d_period", d_period)
        self.smooth = check_period("smooth", smooth)
        self.warmup = self.k_period + self.smooth + self.d_period - 2
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"k_period": self.k_period, "d_period": self.d_period, "smooth": self.smooth}

    def reset(self) -> None:
        self._range = RollingRange(self.k_period)
        self._k = RollingSum(self.smooth)
        self._d = RollingSum(self.d_period)
        self.value = None

    def _pack(self, row: Sequence[float]) -> StochValue:
        return StochValue(*row)

    def update(self, high: float, low: float, close: float) -> StochValue | None:
        channel = self._range.push(high, low)
        if channel is None:
            return None
        hh, ll = channel
        value = _smooth_k_d(self._k, self._d, _stoch_pct(close, ll, hh))
        if value is not None:
            self.value = value
        return value

    def update_candle(self, c: Candle) -> StochValue | None:
        return self.update(c.high, c.low, c.close)

    def batch_arrays(self, s: BarSeries) -> tuple[FloatArray, FloatArray]:
        n = self.k_period
        raw = _stoch_pct_array(s.close, rolling_min(s.low, n), rolling_max(s.high, n))
        k = rolling_mean(raw, self.smooth, n - 1)
        d = rolling_mean(k, self.d_period, n + self.smooth - 2)
        return k, d


class StochRSI(Indicator[StochValue]):
    """Stochastic of Wilder's RSI, scaled 0..100 (``ta``'s StochRSIIndicator is 0..1 and
    its RSI is seeded differently; see ``RSI``). raw = 100*(RSI - min)/(max - min) over
    ``stoch_period`` RSI values (50 when flat), %K = SMA(raw, k), %D = SMA(%K, d)."""

    def __init__(
        self, rsi_period: int = 14, stoch_period: int = 14, k: int = 3, d: int = 3
    ) -> None:
        self.rsi_period = check_period("rsi_period", rsi_period)
        self.stoch_period = check_period("stoch_period", stoch_period)
        self.k = check_period("k", k)
        self.d = check_period("d", d)
        self.warmup = self.rsi_period + self.stoch_period + self.k + self.d - 2
        self.reset()

    def _params(self) -> dict[str, object]:
        return {
            "rsi_period": self.rsi_period,
            "stoch_period": self.stoch_period,
            "k": self.k,
            "d": self.d,
        }

    def reset(self) -> None:
        self._rsi = RSI(self.rsi_period)
        self._range = RollingRange(self.stoch_period)
        self._k = RollingSum(self.k)
        self._d = RollingSum(self.d)
        self.value = None

    def _pack(self, row: Sequence[float]) -> StochValue:
        return StochValue(*row)

    def update(self, close: float) -> StochValue | None:
        r = self._rsi.update(close)
        if r is None:
            return None
        channel = self._range.push(r, r)
        if channel is None:
            return None
        hh, ll = channel
        value = _smooth_k_d(self._k, self._d, _stoch_pct(r, ll, hh))
        if value is not None:
            self.value = value
        return value

    def update_candle(self, c: Candle) -> StochValue | None:
        return self.update(c.close)

    def batch_arrays(self, s: BarSeries) -> tuple[FloatArray, FloatArray]:
        rsi = self._rsi.batch_values(s.close)
        start = self.rsi_period  # first RSI index
        n = self.stoch_period
        raw = _stoch_pct_array(rsi, rolling_min(rsi, n, start), rolling_max(rsi, n, start))
        k = rolling_mean(raw, self.k, start + n - 1)
        d = rolling_mean(k, self.d, start + n + self.k - 2)
        return k, d


class CCI(ScalarIndicator):
    """Commodity Channel Index: (TP - SMA(TP)) / (0.015 * mean absolute deviation), TP =
    (high+low+close)/3, as ``ta``. The mean deviation around the current mean has no
    running form, so each update scans the window: O(period) per bar (not per history).
    A window whose deviation is only rounding noise reads 0 (ta gives NaN or noise)."""

    CONSTANT = 0.015

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period)
        self.warmup = self.period
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period}

    def reset(self) -> None:
        self._win = RollingSum(self.period)
        self.value = None

    def update(self, high: float, low: float, close: float) -> float | None:
        tp = (high + low + close) / 3.0
        win = self._win
        win.push(tp)
        if win.count < self.period:
            return None
        buf = win.buf
        n = self.period
        mean = math.fsum(buf) / n
        md = math.fsum([abs(v - mean) for v in buf]) / n
        self.value = 0.0 if md <= abs(mean) * 1e-12 else (tp - mean) / (self.CONSTANT * md)
        return self.value

    def update_candle(self, c: Candle) -> float | None:
        return self.update(c.high, c.low, c.close)

    def batch_arrays(self, s: BarSeries) -> FloatArray:
        tp = typical_price(s)
        n = self.period
        out = np.full(len(tp), np.nan)
        if len(tp) < n:
            return out
        w = sliding_window_view(tp, n)
        mean = w.mean(axis=1)
        md = np.abs(w - mean[:, None]).mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            cci = (tp[n - 1 :] - mean) / (self.CONSTANT * md)
        out[n - 1 :] = np.where(md <= np.abs(mean) * 1e-12, 0.0, cci)
        return out


class WilliamsR(ScalarIndicator):
    """Williams %R, -100..0: -100*(HH - close)/(HH - LL) over ``period`` bars, as ``ta``
    (-50 when HH == LL; ta gives NaN)."""

    def __init__(self, period: int = 14) -> None:
        self.period = check_period("period", period)
        self.warmup = self.period
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period}

    def reset(self) -> None:
        self._range = RollingRange(self.period)
        self.value = None

    def update(self, high: float, low: float, close: float) -> float | None:
        channel = self._range.push(high, low)
        if channel is None:
            return None
        hh, ll = channel
        rng = hh - ll
        # clamped: (hh - close) / rng can round a hair past 1 when the close is the low
        self.value = -50.0 if rng == 0.0 else min(0.0, max(-100.0, -100.0 * (hh - close) / rng))
        return self.value

    def update_candle(self, c: Candle) -> float | None:
        return self.update(c.high, c.low, c.close)

    def batch_arrays(self, s: BarSeries) -> FloatArray:
        hh = rolling_max(s.high, self.period)
        ll = rolling_min(s.low, self.period)
        rng = hh - ll
        with np.errstate(divide="ignore", invalid="ignore"):
            wr = -100.0 * (hh - s.close) / rng
        return np.where(rng == 0.0, -50.0, np.clip(wr, -100.0, 0.0))
