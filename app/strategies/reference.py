"""The two exact-rule reference strategies the backtester is checked against.

Their rules are deliberately plain and fully stated in ``summary``: a test recomputes every
trade from the closes with nothing but Python loops, so any difference between the runtime
(indicator feeding, warm-up, fills) and the textbook rule shows up trade by trade. Keep the
rules exactly as written; a "better" variant belongs in another module.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.series import Candle
from app.strategies.base import Strategy, require_less
from app.strategies.indicators import RSI, SMA
from app.strategies.params import Param, ParamValue


class SmaCross(Strategy):
    id = "sma_cross"
    name = "SMA crossover (reference)"
    summary = (
        "Reference trend follower on two simple moving averages of the close. It enters long "
        "at the close of the bar where the fast SMA crosses above the slow SMA, meaning the "
        "previous bar had fast <= slow and this bar has fast > slow, and exits the whole "
        "position at the close of the bar where the fast SMA crosses below the slow SMA "
        "(previous fast >= slow, now fast < slow). A cross needs both averages on the previous "
        "bar too, so the first bar on which both exist never trades. It sets no stop or target "
        "of its own and only trades while flat (entries) or long (exits). Parameters: `fast` "
        "(default 10) and `slow` (default 30) SMA periods in bars, with fast < slow."
    )
    params = (
        Param("fast", int, 10, 2, 100, 2, help="fast SMA period (bars)"),
        Param("slow", int, 30, 5, 400, 5, help="slow SMA period (bars); must exceed fast"),
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        require_less(values, "fast", "slow")

    def on_start(self) -> None:
        self.fast_sma = self.indicator(SMA(int(self.p.fast)))
        self.slow_sma = self.indicator(SMA(int(self.p.slow)))
        self._prev: tuple[float, float] | None = None

    def on_bar(self, bar: Candle) -> None:
        fast, slow = self.fast_sma.value, self.slow_sma.value
        if fast is None or slow is None:
            return
        prev, self._prev = self._prev, (fast, slow)
        if prev is None or self.ctx.pending():
            return
        pf, ps = prev
        position = self.position
        if position == 0 and pf <= ps and fast > slow:
            self.buy(tag="sma_cross_up")
        elif position > 0 and pf >= ps and fast < slow:
            self.close(tag="sma_cross_down")


class RsiThreshold(Strategy):
    id = "rsi_threshold"
    name = "RSI threshold (reference)"
    summary = (
        "Reference mean-reversion rule on Wilder's RSI of the close (average gain and loss "
        "seeded with the simple mean of the first `period` changes, then smoothed with "
        "alpha = 1/period; the first value needs period + 1 closes). While flat it enters long "
        "at the close of any bar whose RSI is strictly below `lower`; while long it exits the "
        "whole position at the close of any bar whose RSI is strictly above `upper`. It sets no "
        "stop or target of its own. Parameters: `period` (default 14 bars), `lower` (default "
        "30) and `upper` (default 70), with lower < upper."
    )
    params = (
        Param("period", int, 14, 2, 50, 1, help="RSI period (bars)"),
        Param("lower", float, 30.0, 5.0, 50.0, 5.0, help="buy while flat when RSI is below this"),
        Param("upper", float, 70.0, 50.0, 95.0, 5.0, help="sell while long when RSI is above this"),
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        require_less(values, "lower", "upper")

    def on_start(self) -> None:
        self.rsi = self.indicator(RSI(int(self.p.period)))

    def on_bar(self, bar: Candle) -> None:
        rsi = self.rsi.value
        if rsi is None or self.ctx.pending():
            return
        position = self.position
        if position == 0 and rsi < self.p.lower:
            self.buy(tag="rsi_below_lower")
        elif position > 0 and rsi > self.p.upper:
            self.close(tag="rsi_above_upper")


STRATEGIES = (SmaCross, RsiThreshold)
