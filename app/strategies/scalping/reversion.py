"""Mean-reversion scalpers: RSI reversal, Bollinger bounce, VWAP reversion, Stochastic
crossover. Each buys a stretched move down once it shows a first sign of turning, and exits
on the return to the mean, a stop below the entry, or a time stop."""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.series import Candle
from app.strategies.base import require_less
from app.strategies.indicators import RSI, VWAP, BollingerBands, Stochastic
from app.strategies.params import Param, ParamValue
from app.strategies.scalping.common import ScalpStrategy, crossed_above, crossed_below, risk_params


class RsiReversal(ScalpStrategy):
    id = "rsi_reversal"
    name = "RSI reversal"
    summary = (
        "Buys the turn out of an oversold dip rather than the dip itself. Entry: long at the "
        "close of the bar where Wilder's RSI crosses back up through `oversold`: the previous "
        "RSI below it, this one at or above it. Exits: RSI reaching `exit_level`, a stop-loss "
        "`stop_atr` ATRs below the entry, a take-profit `target_atr` ATRs above it unless 0, "
        "and a time stop after `max_hold` bars unless 0. Parameters: `period` (7), `oversold` "
        "(25) below `exit_level` (55), `atr_period` (14), `stop_atr` (2), `target_atr` (0), "
        "`max_hold` (30)."
    )
    params = (
        Param("period", int, 7, 2, 50, 1, help="RSI period (bars)"),
        Param("oversold", float, 25.0, 5.0, 45.0, 5.0, help="RSI level to recover through"),
        Param("exit_level", float, 55.0, 40.0, 95.0, 5.0, help="sell when RSI reaches this"),
        *risk_params(stop=2.0, target=0.0, hold=30),
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        require_less(values, "oversold", "exit_level")

    def setup(self) -> None:
        self.rsi = self.indicator(RSI(int(self.p.period)))
        self._prev: float | None = None
        self._rsi = 50.0
        self._turned = False

    def observe(self, bar: Candle) -> bool:
        rsi = self.rsi.value
        if rsi is None:
            return False
        prev, self._prev, self._rsi = self._prev, rsi, rsi
        if prev is None:
            return False
        self._turned = prev < self.p.oversold <= rsi
        return True

    def entry(self, bar: Candle) -> str | None:
        return "rsi_turn_up" if self._turned else None

    def exit_reason(self, bar: Candle) -> str | None:
        return "rsi_recovered" if self._rsi >= self.p.exit_level else None


class BollingerBounce(ScalpStrategy):
    id = "bb_bounce"
    name = "Bollinger band bounce"
    summary = (
        "Fades a close outside the lower Bollinger band once price snaps back inside. Entry: "
        "long at the close of a bar that closes back above the lower band after the previous "
        "bar closed below its own lower band. Exits: the close reaching the middle band (or the "
        "upper band when `exit_at` is upper), a stop-loss `stop_atr` ATRs below the entry, a "
        "take-profit `target_atr` ATRs above it unless 0, and a time stop after `max_hold` bars "
        "unless 0. Parameters: `period` (20) and `k` (2 standard deviations) of the bands, "
        "`exit_at` (middle), `atr_period` (14), `stop_atr` (2), `target_atr` (0), `max_hold` "
        "(40)."
    )
    params = (
        Param("period", int, 20, 5, 100, 5, help="Bollinger period (bars)"),
        Param("k", float, 2.0, 1.0, 4.0, 0.25, help="band width, standard deviations"),
        Param("exit_at", str, "middle", choices=("middle", "upper"), help="band that takes profit"),
        *risk_params(stop=2.0, target=0.0, hold=40),
    )

    def setup(self) -> None:
        self.bb = self.indicator(BollingerBands(int(self.p.period), float(self.p.k)))
        self._prev_below: bool | None = None
        self._bounce = False
        self._exit_band = 0.0

    def observe(self, bar: Candle) -> bool:
        bands = self.bb.value
        if bands is None:
            return False
        prev_below, self._prev_below = self._prev_below, bar.close < bands.lower
        self._exit_band = bands.middle if self.p.exit_at == "middle" else bands.upper
        if prev_below is None:
            return False
        self._bounce = prev_below and bar.close > bands.lower
        return True

    def entry(self, bar: Candle) -> str | None:
        return "bb_bounce" if self._bounce else None

    def exit_reason(self, bar: Candle) -> str | None:
        return f"bb_{self.p.exit_at}" if bar.close >= self._exit_band else None


class VwapReversion(ScalpStrategy):
    id = "vwap_reversion"
    name = "VWAP reversion"
    summary = (
        "Buys a bullish bar that closes far below the volume-weighted average price, betting "
        "on the pull back to it. Entry: long at the close of a bar with close > open whose "
        "close is at least `entry_atr` ATRs below the VWAP. Exits: the close reaching the VWAP, "
        "a stop-loss `stop_atr` ATRs below the entry, a take-profit `target_atr` ATRs above it "
        "unless 0, and a time stop after `max_hold` bars unless 0. Parameters: `anchor` "
        "(rolling over `vwap_period` bars, or session: since each UTC midnight), `vwap_period` "
        "(50), `entry_atr` (1.5), `atr_period` (14), `stop_atr` (2), `target_atr` (0), "
        "`max_hold` (30)."
    )
    params = (
        Param("anchor", str, "rolling", choices=("rolling", "session"), help="VWAP window"),
        Param("vwap_period", int, 50, 5, 500, 5, help="rolling VWAP window (bars)"),
        Param("entry_atr", float, 1.5, 0.25, 5.0, 0.25, help="distance below VWAP to buy, ATRs"),
        *risk_params(stop=2.0, target=0.0, hold=30),
    )

    def setup(self) -> None:
        self.vwap = self.indicator(VWAP(int(self.p.vwap_period), str(self.p.anchor)))
        self._vwap = 0.0

    def observe(self, bar: Candle) -> bool:
        vwap = self.vwap.value
        if vwap is None:
            return False
        self._vwap = vwap
        return True

    def entry(self, bar: Candle) -> str | None:
        atr = self.atr.value
        assert atr is not None  # the skeleton only asks once the ATR is warm
        stretched = bar.close <= self._vwap - float(self.p.entry_atr) * atr
        return "vwap_stretch" if stretched and bar.close > bar.open else None

    def exit_reason(self, bar: Candle) -> str | None:
        return "vwap_reached" if bar.close >= self._vwap else None


class StochCross(ScalpStrategy):
    id = "stoch_cross"
    name = "Stochastic crossover"
    summary = (
        "Trades the Stochastic oscillator's turns at its extremes. Entry: long at the close of "
        "the bar where %K crosses above %D while the previous %K was below `oversold`. Exits: "
        "%K crossing below %D while the previous %K was above `overbought`, a stop-loss "
        "`stop_atr` ATRs below the entry, a take-profit `target_atr` ATRs above it unless 0, "
        "and a time stop after `max_hold` bars unless 0. Parameters: `k_period` (14), "
        "`smooth` (3, the slow stochastic's %K smoothing), `d_period` (3), `oversold` (20), "
        "`overbought` (80), `atr_period` (14), `stop_atr` (2), `target_atr` (2), "
        "`max_hold` (40)."
    )
    params = (
        Param("k_period", int, 14, 5, 50, 1, help="%K look-back (bars)"),
        Param("smooth", int, 3, 1, 10, 1, help="%K smoothing (1: fast stochastic)"),
        Param("d_period", int, 3, 1, 10, 1, help="%D period (bars)"),
        Param("oversold", float, 20.0, 5.0, 40.0, 5.0, help="%K below this arms an entry"),
        Param("overbought", float, 80.0, 60.0, 95.0, 5.0, help="%K above this arms an exit"),
        *risk_params(stop=2.0, target=2.0, hold=40),
    )

    def setup(self) -> None:
        self.stoch = self.indicator(
            Stochastic(int(self.p.k_period), int(self.p.d_period), int(self.p.smooth))
        )
        self._prev: tuple[float, float] | None = None
        self._up = self._down = False

    def observe(self, bar: Candle) -> bool:
        st = self.stoch.value
        if st is None:
            return False
        prev, self._prev = self._prev, (st.k, st.d)
        if prev is None:
            return False
        pk, pd = prev
        self._up = pk < self.p.oversold and crossed_above(pk, pd, st.k, st.d)
        self._down = pk > self.p.overbought and crossed_below(pk, pd, st.k, st.d)
        return True

    def entry(self, bar: Candle) -> str | None:
        return "stoch_turn_up" if self._up else None

    def exit_reason(self, bar: Candle) -> str | None:
        return "stoch_turn_down" if self._down else None
