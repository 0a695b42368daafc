"""Trend: ADX (with +DI/-DI) and SuperTrend."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.engine.series import BarSeries, Candle, FloatArray
from app.strategies.indicators.base import (
    ADXValue,
    ExpSmoother,
    Indicator,
    SuperTrendValue,
    check_period,
    check_positive,
    seeded_smooth,
)
from app.strategies.indicators.volatility import ATR


def _dx(pdi: float, mdi: float) -> float:
    total = pdi + mdi
    return 0.0 if total == 0.0 else 100.0 * abs(pdi - mdi) / total


class ADX(Indicator[ADXValue]):
    """Wilder's average directional index with +DI and -DI.

    True range and directional movement start at bar 1; their Wilder averages are seeded
    with the mean of the first ``period`` values (bar ``period``), and ADX is the Wilder
    average of DX seeded the same way, so the first value is at bar ``2*period - 1``.
    This is ``ta``'s ADXIndicator recipe and agrees with it from the first value, except
    on the final bar, which ta's loops never smooth (it reports 0 there); ta also shows
    +DI/-DI one bar later and zeros instead of None while warming up."""

    def __init__(self, period: int = 14) -> None:
        self.period = check_period("period", period)
        self.warmup = 2 * self.period
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period}

    def reset(self) -> None:
        a = 1.0 / self.period
        self._tr = ExpSmoother(self.period, a)
        self._pdm = ExpSmoother(self.period, a)
        self._mdm = ExpSmoother(self.period, a)
        self._adx = ExpSmoother(self.period, a)
        self._prev: tuple[float, float, float] | None = None
        self.value = None

    def _pack(self, row: Sequence[float]) -> ADXValue:
        return ADXValue(*row)

    def update(self, high: float, low: float, close: float) -> ADXValue | None:
        prev = self._prev
        self._prev = (high, low, close)
        if prev is None:
            return None
        ph, pl, pc = prev
        tr = max(high - low, abs(high - pc), abs(low - pc))
        up = high - ph
        down = pl - low
        str_ = self._tr.update(tr)
        spdm = self._pdm.update(up if up > down and up > 0.0 else 0.0)
        smdm = self._mdm.update(down if down > up and down > 0.0 else 0.0)
        if str_ is None or spdm is None or smdm is None:
            return None
        if str_ == 0.0:
            pdi = mdi = 0.0
        else:
            pdi = 100.0 * spdm / str_
            mdi = 100.0 * smdm / str_
        adx = self._adx.update(_dx(pdi, mdi))
        if adx is None:
            return None
        self.value = ADXValue(adx, pdi, mdi)
        return self.value

    def update_candle(self, c: Candle) -> ADXValue | None:
        return self.update(c.high, c.low, c.close)

    def batch_arrays(self, s: BarSeries) -> tuple[FloatArray, FloatArray, FloatArray]:
        n = self.period
        a = 1.0 / n
        h, lo, c = s.high, s.low, s.close
        size = len(c)
        tr = np.zeros(size)
        pdm = np.zeros(size)
        mdm = np.zeros(size)
        if size > 1:
            tr[1:] = np.maximum(
                h[1:] - lo[1:], np.maximum(np.abs(h[1:] - c[:-1]), np.abs(lo[1:] - c[:-1]))
            )
            up = h[1:] - h[:-1]
            down = lo[:-1] - lo[1:]
            pdm[1:] = np.where((up > down) & (up > 0.0), up, 0.0)
            mdm[1:] = np.where((down > up) & (down > 0.0), down, 0.0)
        str_ = seeded_smooth(tr, n, a, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            pdi = np.where(str_ == 0.0, 0.0, 100.0 * seeded_smooth(pdm, n, a, 1) / str_)
            mdi = np.where(str_ == 0.0, 0.0, 100.0 * seeded_smooth(mdm, n, a, 1) / str_)
            total = pdi + mdi
            dx = np.where(total == 0.0, 0.0, 100.0 * np.abs(pdi - mdi) / total)
        adx = seeded_smooth(np.nan_to_num(dx), n, a, n)
        return adx, pdi, mdi


class SuperTrend(Indicator[SuperTrendValue]):
    """SuperTrend (TradingView's ``ta.supertrend``; ``ta`` has none).

    Bands are hl2 ± multiplier * ATR(period) (Wilder ATR as ``ATR``). The upper band only
    moves down (and the lower only up) unless the previous close broke through it. In an up
    trend (+1) the line is the lower band and the trend flips to -1 when the close falls
    below it; in a down trend (-1) the line is the upper band and it flips up when the
    close rises above it. The first bar with an ATR starts in a down trend, as
    TradingView does. The batch form computes the ATR with numpy but must walk the bands
    bar by bar: each band depends on the previous one through a comparison, which has no
    vectorised form."""

    def __init__(self, period: int = 10, multiplier: float = 3.0) -> None:
        self.period = check_period("period", period)
        self.multiplier = check_positive("multiplier", multiplier)
        self.warmup = self.period
        self.reset()

    def _params(self) -> dict[str, object]:
        return {"period": self.period, "multiplier": self.multiplier}

    def reset(self) -> None:
        self._atr = ATR(self.period)
        self._upper = 0.0
        self._lower = 0.0
        self._dir = 0.0
        self._prev_close = 0.0
        self.value = None

    def _pack(self, row: Sequence[float]) -> SuperTrendValue:
        return SuperTrendValue(*row)

    def update(self, high: float, low: float, close: float) -> SuperTrendValue | None:
        atr = self._atr.update(high, low, close)
        if atr is None:
            self._prev_close = close
            return None
        self.value = self._step(high, low, close, atr)
        return self.value

    def _step(self, high: float, low: float, close: float, atr: float) -> SuperTrendValue:
        hl2 = (high + low) / 2.0
        upper = hl2 + self.multiplier * atr
        lower = hl2 - self.multiplier * atr
        pc = self._prev_close
        if self._dir == 0.0:
            direction = -1.0
        else:
            pu, pl = self._upper, self._lower
            if not (upper < pu or pc > pu):
                upper = pu
            if not (lower > pl or pc < pl):
                lower = pl
            if self._dir < 0.0:
                direction = 1.0 if close > upper else -1.0
            else:
                direction = -1.0 if close < lower else 1.0
        self._upper, self._lower, self._dir, self._prev_close = upper, lower, direction, close
        return SuperTrendValue(lower if direction > 0.0 else upper, direction)

    def update_candle(self, c: Candle) -> SuperTrendValue | None:
        return self.update(c.high, c.low, c.close)

    def batch_arrays(self, s: BarSeries) -> tuple[FloatArray, FloatArray]:
        atr = self._atr.batch_arrays(s)
        size = len(atr)
        line = np.full(size, np.nan)
        direction = np.full(size, np.nan)
        first = self.period - 1
        if size <= first:
            return line, direction
        hl2 = (s.high + s.low) / 2.0
        width = self.multiplier * atr
        # the same rules as _step, inlined: a loop of method calls and NamedTuples
        # costs ~10x more than this over plain lists
        rows = zip(
            (hl2 + width)[first:].tolist(),
            (hl2 - width)[first:].tolist(),
            s.close[first:].tolist(),
            strict=True,
        )
        lines: list[float] = []
        dirs: list[float] = []
        pu = pl = pc = d = 0.0
        for upper, lower, close in rows:
            if d == 0.0:
                d = -1.0
            else:
                if not (upper < pu or pc > pu):
                    upper = pu
                if not (lower > pl or pc < pl):
                    lower = pl
                if d < 0.0 and close > upper:
                    d = 1.0
                elif d > 0.0 and close < lower:
                    d = -1.0
            lines.append(lower if d > 0.0 else upper)
            dirs.append(d)
            pu, pl, pc = upper, lower, close
        line[first:] = lines
        direction[first:] = dirs
        return line, direction
