"""Trend-following scalpers: EMA crossover, MACD momentum and SuperTrend."""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.series import Candle
from app.strategies.base import require_less
from app.strategies.indicators import ADX, EMA, MACD, SuperTrend
from app.strategies.params import Param, ParamValue
from app.strategies.scalping.common import ScalpStrategy, crossed_above, crossed_below, risk_params


class EmaCross(ScalpStrategy):
    id = "ema_cross"
    name = "EMA crossover"
    summary = (
        "Rides short bursts of trend with two exponential moving averages of the close. Entry: "
        "long at the close of the bar where the fast EMA crosses above the slow EMA (previous "
        "bar fast <= slow, this bar fast > slow). Exits: the fast EMA crossing back below the "
        "slow one, a stop-loss `stop_atr` ATRs below the entry and, unless `target_atr` is 0, a "
        "take-profit `target_atr` ATRs above it. Parameters: `fast` (9) and `slow` (21) EMA "
        "periods with fast < slow, `atr_period` (14), `stop_atr` (1.5), `target_atr` (3)."
    )
    params = (
        Param("fast", int, 9, 2, 50, 1, help="fast EMA period (bars)"),
        Param("slow", int, 21, 5, 201, 4, help="slow EMA period (bars); must exceed fast"),
        *risk_params(stop=1.5, target=3.0),
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        require_less(values, "fast", "slow")

    def setup(self) -> None:
        self.fast_ema = self.indicator(EMA(int(self.p.fast)))
        self.slow_ema = self.indicator(EMA(int(self.p.slow)))
        self._prev: tuple[float, float] | None = None
        self._up = self._down = False

    def observe(self, bar: Candle) -> bool:
        fast, slow = self.fast_ema.value, self.slow_ema.value
        if fast is None or slow is None:
            return False
        prev, self._prev = self._prev, (fast, slow)
        if prev is None:
            return False
        self._up = crossed_above(prev[0], prev[1], fast, slow)
        self._down = crossed_below(prev[0], prev[1], fast, slow)
        return True

    def entry(self, bar: Candle) -> str | None:
        return "ema_cross_up" if self._up else None

    def exit_reason(self, bar: Candle) -> str | None:
        return "ema_cross_down" if self._down else None


class MacdMomentum(ScalpStrategy):
    id = "macd_momentum"
    name = "MACD momentum"
    summary = (
        "Buys a fresh upturn in momentum inside an up trend. Entry: long at the close of the "
        "bar where the MACD histogram (MACD line minus its signal line) turns from <= 0 to "
        "> 0 while the close is above the `trend` EMA. Exits: the histogram turning negative "
        "again, a stop-loss `stop_atr` ATRs below the entry and, unless `target_atr` is 0, a "
        "take-profit `target_atr` ATRs above it. Parameters: MACD `fast` (12), `slow` (26, "
        "more than fast) and `signal` (9) periods, `trend` (50, the EMA filter), "
        "`atr_period` (14), `stop_atr` (1.5), `target_atr` (2.5)."
    )
    params = (
        Param("fast", int, 12, 2, 50, 1, help="MACD fast EMA period (bars)"),
        Param("slow", int, 26, 5, 100, 1, help="MACD slow EMA period (bars); must exceed fast"),
        Param("signal", int, 9, 2, 50, 1, help="signal line EMA period (bars)"),
        Param("trend", int, 50, 10, 400, 10, help="trend filter EMA period (bars)"),
        *risk_params(stop=1.5, target=2.5),
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        require_less(values, "fast", "slow")

    def setup(self) -> None:
        self.macd = self.indicator(MACD(int(self.p.fast), int(self.p.slow), int(self.p.signal)))
        self.trend = self.indicator(EMA(int(self.p.trend)))
        self._prev_hist: float | None = None
        self._turned_up = False
        self._hist = 0.0

    def observe(self, bar: Candle) -> bool:
        macd, trend = self.macd.value, self.trend.value
        if macd is None or trend is None:
            return False
        prev, self._prev_hist = self._prev_hist, macd.hist
        self._hist = macd.hist
        if prev is None:
            return False
        self._turned_up = prev <= 0.0 < macd.hist and bar.close > trend
        return True

    def entry(self, bar: Candle) -> str | None:
        return "macd_hist_up" if self._turned_up else None

    def exit_reason(self, bar: Candle) -> str | None:
        return "macd_hist_down" if self._hist < 0.0 else None


class SuperTrendFollow(ScalpStrategy):
    id = "supertrend"
    name = "SuperTrend"
    summary = (
        "Trend following on the SuperTrend line (hl2 ± `multiplier` × ATR bands that only "
        "ratchet in the trend's favour). Entry: long at the close of the first bar of an up "
        "trend (direction +1) on which the ADX is at least `adx_min`, at most once per up "
        "trend; `adx_min` 0 takes every flip. The stop-loss is the SuperTrend line at entry. "
        "Exits: the trend flipping down (the close falls below the line), the stop, and, "
        "unless `target_atr` is 0, a take-profit `target_atr` ATRs above the entry. "
        "Parameters: `period` (10) and `multiplier` (3) of the SuperTrend, `adx_period` (14), "
        "`adx_min` (20), `atr_period` (14), `target_atr` (0: ride the trend)."
    )
    params = (
        Param("period", int, 10, 3, 50, 1, help="SuperTrend ATR period (bars)"),
        Param("multiplier", float, 3.0, 1.0, 6.0, 0.25, help="SuperTrend band width, ATRs"),
        Param("adx_period", int, 14, 5, 50, 1, help="ADX period (bars)"),
        Param("adx_min", float, 20.0, 0.0, 50.0, 5.0, help="minimum ADX to enter (0: off)"),
        *risk_params(stop=None, target=0.0),
    )

    def setup(self) -> None:
        self.st = self.indicator(SuperTrend(int(self.p.period), float(self.p.multiplier)))
        self.adx = self.indicator(ADX(int(self.p.adx_period)))
        self._direction = 0.0
        self._line = 0.0
        self._leg_traded = True  # a trend already running at start is not a fresh flip
        self._adx = 0.0

    def observe(self, bar: Candle) -> bool:
        st, adx = self.st.value, self.adx.value
        if st is None or adx is None:
            return False
        if st.direction > 0 >= self._direction and self._direction != 0.0:
            self._leg_traded = False
        self._direction, self._line, self._adx = st.direction, st.value, adx.adx
        return True

    def entry(self, bar: Candle) -> str | None:
        if self._direction > 0 and not self._leg_traded and self._adx >= self.p.adx_min:
            self._leg_traded = True
            return "supertrend_up"
        return None

    def exit_reason(self, bar: Candle) -> str | None:
        if self._direction < 0:
            return "supertrend_down"
        self._leg_traded = True  # already long in this leg (e.g. after a restart)
        return None

    def stop_price(self, bar: Candle, atr: float) -> float | None:
        return self._line
