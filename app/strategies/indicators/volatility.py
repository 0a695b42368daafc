"""Volatility: Bollinger Bands, ATR, Keltner and Donchian channels."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from app.engine.series import BarSeries, Candle, FloatArray
from app.strategies.indicators.base import (
    Bands,
    ExpSmoother,
    Indicator,
    RollingRange,
    ScalarIndicator,
    check_period,
    check_positive,
    rolling_max,
    rolling_min,
    seeded_smooth,
    true_range,
)


class BollingerBands(Indicator[Bands]):
    """SMA(period) ± k population standard deviations (ddof=0, as ``ta``).

    Mean and variance move with a rolling Welford update (no sum-of-squares cancellation)
    and are recomputed exactly each time the ring wraps, so error never outlives a window."""

    def __init__(self, period: int = 20, k: float = 2.0) -> None:
        self.period = check_period("period", period)
        self.k = check_positive("k", k)
        self.warmup = self.period
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period, "k": self.k}

    def reset(self) -> None:
        self._buf = [0.0] * self.period
        self._i = 0
        self._n = 0
        self._mean = 0.0
        self._m2 = 0.0
        self.value = None

    def _pack(self, row: Sequence[float]) -> Bands:
        return Bands(*row)

    def update(self, close: float) -> Bands | None:
        p = self.period
        buf = self._buf
        i = self._i
        old = buf[i]
        buf[i] = close
        mean = self._mean
        if self._n < p:
            self._n += 1
            d = close - mean
            mean += d / self._n
            self._m2 += d * (close - mean)
        else:
            new_mean = mean + (close - old) / p
            self._m2 += (close - old) * (close - new_mean + old - mean)
            mean = new_mean
        i += 1
        if i == p:
            i = 0
            mean = math.fsum(buf) / p
            self._m2 = math.fsum([(v - mean) * (v - mean) for v in buf])
        self._i = i
        self._mean = mean
        if self._n < p:
            return None
        width = self.k * math.sqrt(max(self._m2, 0.0) / p)
        self.value = Bands(mean + width, mean, mean - width)
        return self.value

    def update_candle(self, c: Candle) -> Bands | None:
        return self.update(c.close)

    def batch_arrays(self, s: BarSeries) -> tuple[FloatArray, FloatArray, FloatArray]:
        x = s.close
        p = self.period
        mid = np.full(len(x), np.nan)
        sd = np.full(len(x), np.nan)
        if len(x) >= p:
            w = sliding_window_view(x, p)
            mid[p - 1 :] = w.mean(axis=1)
            sd[p - 1 :] = w.std(axis=1)
        width = self.k * sd
        return mid + width, mid, mid - width


class ATR(ScalarIndicator):
    """Average true range, Wilder-smoothed (alpha = 1/period) and seeded with the mean of
    the first ``period`` true ranges, bar 0's being high - low. This is exactly ``ta``'s
    AverageTrueRange from bar period-1 on (ta shows 0.0 before that, we show None);
    TA-Lib instead skips bar 0 and starts one bar later."""

    def __init__(self, period: int = 14) -> None:
        self.period = check_period("period", period)
        self.warmup = self.period
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period}

    def reset(self) -> None:
        self._sm = ExpSmoother(self.period, 1.0 / self.period)
        self._prev_close: float | None = None
        self.value = None

    def update(self, high: float, low: float, close: float) -> float | None:
        pc = self._prev_close
        self._prev_close = close
        tr = high - low
        if pc is not None:
            tr = max(tr, abs(high - pc), abs(low - pc))
        self.value = self._sm.update(tr)
        return self.value

    def update_candle(self, c: Candle) -> float | None:
        return self.update(c.high, c.low, c.close)

    def batch_arrays(self, s: BarSeries) -> FloatArray:
        return seeded_smooth(true_range(s), self.period, 1.0 / self.period)


class Keltner(Indicator[Bands]):
    """Keltner channel: EMA(close, period) ± multiplier * ATR(atr_period).

    This is ``ta``'s KeltnerChannel with original_version=False, except that our EMA is
    SMA-seeded (see ``EMA``); ta's default original_version=True is a different, older
    SMA-of-typical-price channel."""

    def __init__(self, period: int = 20, atr_period: int = 10, multiplier: float = 2.0) -> None:
        self.period = check_period("period", period)
        self.atr_period = check_period("atr_period", atr_period)
        self.multiplier = check_positive("multiplier", multiplier)
        self.warmup = max(self.period, self.atr_period)
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period, "atr_period": self.atr_period, "multiplier": self.multiplier}

    def reset(self) -> None:
        self._ema = ExpSmoother(self.period, 2.0 / (self.period + 1))
        self._atr = ATR(self.atr_period)
        self.value = None

    def _pack(self, row: Sequence[float]) -> Bands:
        return Bands(*row)

    def update(self, high: float, low: float, close: float) -> Bands | None:
        mid = self._ema.update(close)
        atr = self._atr.update(high, low, close)
        if mid is None or atr is None:
            return None
        width = self.multiplier * atr
        self.value = Bands(mid + width, mid, mid - width)
        return self.value

    def update_candle(self, c: Candle) -> Bands | None:
        return self.update(c.high, c.low, c.close)

    def batch_arrays(self, s: BarSeries) -> tuple[FloatArray, FloatArray, FloatArray]:
        mid = seeded_smooth(s.close, self.period, 2.0 / (self.period + 1))
        width = self.multiplier * self._atr.batch_arrays(s)
        return mid + width, mid, mid - width


class Donchian(Indicator[Bands]):
    """Donchian channel: highest high / lowest low of the last ``period`` bars and their
    midpoint, as ``ta``'s DonchianChannel (offset 0). Monotonic deques keep it O(1)."""

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period)
        self.warmup = self.period
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period}

    def reset(self) -> None:
        self._range = RollingRange(self.period)
        self.value = None

    def _pack(self, row: Sequence[float]) -> Bands:
        return Bands(*row)

    def update(self, high: float, low: float) -> Bands | None:
        channel = self._range.push(high, low)
        if channel is None:
            return None
        hh, ll = channel
        self.value = Bands(hh, (hh + ll) / 2.0, ll)
        return self.value

    def update_candle(self, c: Candle) -> Bands | None:
        return self.update(c.high, c.low)

    def batch_arrays(self, s: BarSeries) -> tuple[FloatArray, FloatArray, FloatArray]:
        hh = rolling_max(s.high, self.period)
        ll = rolling_min(s.low, self.period)
        return hh, (hh + ll) / 2.0, ll
