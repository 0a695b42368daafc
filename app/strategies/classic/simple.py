"""Simple profitable: buy pullbacks in an established up trend with a fixed R target."""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.series import Candle
from app.strategies.base import Strategy, require
from app.strategies.classic._common import BarsSince
from app.strategies.indicators import ATR, EMA, RSI
from app.strategies.params import Param, ParamValue


class SimpleProfitable(Strategy):
    id = "simple_profitable"
    name = "Simple profitable"
    default_timeframe = "1h"
    summary = (
        "A conservative trend follower: it buys only pullbacks inside an up trend and knows "
        "its risk and reward before it enters. Trend filter: the close and the fast EMA "
        "(`fast_period`) are both above the slow trend EMA (`trend_period`). Pullback: "
        "within the last `pullback_bars` bars the low touched the fast EMA or RSI dipped "
        "below `pullback_rsi`. Entry (long): the trend holds and this bar resumes upward "
        "(it closes above its open and above the previous close). The stop sits `stop_atr` "
        "ATRs below the entry and the take-profit `reward_r` times that distance above it "
        "(a fixed R multiple). Exits: the stop, the target, or a close below the trend EMA. "
        "Indicator lengths: `rsi_period`, `atr_period`."
    )
    params = (
        Param("trend_period", int, 200, 50, 400, 25, help="slow EMA that defines the trend"),
        Param("fast_period", int, 20, 5, 60, 5, help="fast EMA the pullback returns to"),
        Param("rsi_period", int, 14, 5, 30, 1, help="RSI length"),
        Param("pullback_rsi", float, 45.0, 25.0, 60.0, 5.0, help="RSI below this is a pullback"),
        Param("pullback_bars", int, 3, 1, 10, 1, help="bars a pullback stays valid"),
        Param("atr_period", int, 14, 5, 30, 1, help="ATR length for the stop"),
        Param("stop_atr", float, 1.5, 0.5, 4.0, 0.25, help="stop distance in ATRs (1 R)"),
        Param("reward_r", float, 2.0, 0.5, 5.0, 0.5, help="take-profit distance in R"),
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        require(
            int(values["fast_period"]) < int(values["trend_period"]),
            "fast_period",
            "must be below trend_period",
            values["fast_period"],
        )

    def on_start(self) -> None:
        p = self.p
        self.trend = self.indicator(EMA(p.trend_period))
        self.fast = self.indicator(EMA(p.fast_period))
        self.rsi = self.indicator(RSI(p.rsi_period))
        self.atr = self.indicator(ATR(p.atr_period))
        self._pullback = BarsSince()
        self._prev_close: float | None = None

    def on_bar(self, bar: Candle) -> None:
        trend, fast, rsi, atr = self.trend.value, self.fast.value, self.rsi.value, self.atr.value
        if trend is None or fast is None or rsi is None or atr is None:
            return
        p = self.p
        self._pullback.update(bar.low <= fast or rsi < p.pullback_rsi)
        prev_close, self._prev_close = self._prev_close, bar.close
        if prev_close is None or self.ctx.pending():
            return
        if self.flat:
            uptrend = bar.close > trend and fast > trend
            resumes = bar.close > bar.open and bar.close > prev_close
            if uptrend and resumes and self._pullback.within(p.pullback_bars) and atr > 0:
                risk = p.stop_atr * atr
                self.buy(
                    stop_loss=bar.close - risk,
                    take_profit=bar.close + p.reward_r * risk,
                    tag="trend_pullback",
                )
        elif self.position > 0 and bar.close < trend:
            self.close(tag="trend_break")
