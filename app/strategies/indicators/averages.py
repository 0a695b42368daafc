"""Moving averages: SMA, EMA, RMA (Wilder) and WMA."""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from app.engine.domain.errors import ValidationError
from app.engine.series import BarSeries, Candle, FloatArray
from app.strategies.indicators.base import (
    ExpSmoother,
    RollingSum,
    ScalarIndicator,
    check_period,
    rolling_mean,
    seeded_smooth,
)

_BAR_FIELDS = ("open", "high", "low", "close", "volume")


class SMA(ScalarIndicator):
    """Simple moving average of the last ``period`` values of a bar field (``source``:
    close by default, or open/high/low/volume), or of values given to ``update``."""

    def __init__(self, period: int = 20, source: str = "close") -> None:
        self.period = check_period("period", period)
        if source not in _BAR_FIELDS:
            raise ValidationError("source", f"must be one of {', '.join(_BAR_FIELDS)}", source)
        self.source = source
        self.warmup = self.period
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period, "source": self.source}

    def reset(self) -> None:
        self._win = RollingSum(self.period)
        self.value = None

    def update(self, x: float) -> float | None:
        win = self._win
        win.push(x)
        if win.count >= self.period:
            self.value = win.total / self.period
        return self.value

    def update_candle(self, c: Candle) -> float | None:
        return self.update(getattr(c, self.source))

    def batch_arrays(self, s: BarSeries) -> FloatArray:
        return self.batch_values(getattr(s, self.source))

    def batch_values(self, x: FloatArray) -> FloatArray:
        return rolling_mean(np.asarray(x, dtype=np.float64), self.period)


class _Smoothed(ScalarIndicator):
    """Exponential smoothing seeded with the SMA of the first ``period`` values."""

    def __init__(self, period: int, alpha: float) -> None:
        self.period = period
        self.alpha = alpha
        self.warmup = period
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period}

    def reset(self) -> None:
        self._sm = ExpSmoother(self.period, self.alpha)
        self.value = None

    def update(self, x: float) -> float | None:
        self.value = self._sm.update(x)
        return self.value

    def update_candle(self, c: Candle) -> float | None:
        return self.update(c.close)

    def batch_arrays(self, s: BarSeries) -> FloatArray:
        return self.batch_values(s.close)

    def batch_values(self, x: FloatArray) -> FloatArray:
        return seeded_smooth(np.asarray(x, dtype=np.float64), self.period, self.alpha)


class EMA(_Smoothed):
    """Exponential moving average, alpha = 2/(period+1).

    Differs from ``ta``'s EMAIndicator (pandas ewm, adjust=False) only in the seed: ta
    starts the recurrence at the first value, we start it at the SMA of the first
    ``period`` values (TA-Lib's convention). Both report from bar ``period-1`` and the
    difference decays by (1-alpha) per bar."""

    def __init__(self, period: int = 20) -> None:
        p = check_period("period", period)
        super().__init__(p, 2.0 / (p + 1))


class RMA(_Smoothed):
    """Wilder's moving average (alpha = 1/period), SMA-seeded; the smoothing inside RSI,
    ATR and ADX."""

    def __init__(self, period: int = 14) -> None:
        p = check_period("period", period)
        super().__init__(p, 1.0 / p)


class WMA(ScalarIndicator):
    """Linearly weighted moving average: weights 1..period, newest heaviest (as ``ta``).

    O(1): the weighted numerator moves by ``period*x - previous window sum``; it is
    recomputed exactly whenever the ring wraps so rounding cannot build up."""

    def __init__(self, period: int = 20) -> None:
        self.period = check_period("period", period)
        self.warmup = self.period
        self._denom = self.period * (self.period + 1) / 2.0
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period}

    def reset(self) -> None:
        self._win = RollingSum(self.period)
        self._num = 0.0
        self.value = None

    def update(self, x: float) -> float | None:
        win = self._win
        n = self.period
        # zeros pre-fill the ring, so the same update is right while it is filling
        self._num += n * x - win.total
        win.push(x)
        if win.i == 0:
            self._num = math.fsum((j + 1) * v for j, v in enumerate(win.buf))
        if win.count >= n:
            self.value = self._num / self._denom
        return self.value

    def update_candle(self, c: Candle) -> float | None:
        return self.update(c.close)

    def batch_arrays(self, s: BarSeries) -> FloatArray:
        return self.batch_values(s.close)

    def batch_values(self, x: FloatArray) -> FloatArray:
        x = np.asarray(x, dtype=np.float64)
        out = np.full(len(x), np.nan)
        n = self.period
        if len(x) >= n:
            weights = np.arange(1, n + 1, dtype=np.float64)
            out[n - 1 :] = sliding_window_view(x, n) @ weights / self._denom
        return out
