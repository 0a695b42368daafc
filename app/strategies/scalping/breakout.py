"""Breakout scalpers: Bollinger squeeze, Donchian, Keltner, volume spike and ATR trailing
breakout. Each buys price leaving a range and gets out when the move fails (back inside a
channel, below a trailing level) or on its stop, target or time stop."""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.series import Candle
from app.strategies.base import require
from app.strategies.indicators import EMA, SMA, BollingerBands, Donchian, Keltner
from app.strategies.params import Param, ParamValue
from app.strategies.scalping.common import ScalpStrategy, risk_params


class BollingerSqueeze(ScalpStrategy):
    id = "bb_squeeze"
    name = "Bollinger squeeze breakout"
    summary = (
        "Waits for volatility to compress, then buys the expansion upward. The squeeze is on "
        "while the Bollinger bands lie inside the Keltner channel (upper band below the "
        "channel's upper line and lower band above its lower line). Entry: long at the close "
        "of a bar that closes above the upper Bollinger band 1 to `memory` bars after the "
        "squeeze was last on. Exits: the close falling below the middle band, a stop-loss "
        "`stop_atr` ATRs below the entry, and a take-profit `target_atr` ATRs above it unless "
        "0. Parameters: `period` (20) of both bands and channel, `k` (2) Bollinger standard "
        "deviations, `kc_mult` (1.5) Keltner ATR multiple, `memory` (10), `atr_period` (14), "
        "`stop_atr` (1.5), `target_atr` (3)."
    )
    params = (
        Param("period", int, 20, 5, 100, 5, help="Bollinger and Keltner period (bars)"),
        Param("k", float, 2.0, 1.0, 4.0, 0.25, help="Bollinger width, standard deviations"),
        Param("kc_mult", float, 1.5, 0.5, 4.0, 0.25, help="Keltner width, ATRs"),
        Param("memory", int, 10, 1, 50, 1, help="bars after a squeeze a breakout still counts"),
        *risk_params(stop=1.5, target=3.0),
    )

    def setup(self) -> None:
        period = int(self.p.period)
        self.bb = self.indicator(BollingerBands(period, float(self.p.k)))
        self.kc = self.indicator(Keltner(period, period, float(self.p.kc_mult)))
        self._since: int | None = None  # bars since the squeeze was last on
        self._breakout = False
        self._middle = 0.0

    def observe(self, bar: Candle) -> bool:
        bb, kc = self.bb.value, self.kc.value
        if bb is None or kc is None:
            return False
        if bb.upper < kc.upper and bb.lower > kc.lower:
            self._since = 0
        elif self._since is not None:
            self._since += 1
        since = self._since
        self._breakout = since is not None and 1 <= since <= self.p.memory and bar.close > bb.upper
        self._middle = bb.middle
        return True

    def entry(self, bar: Candle) -> str | None:
        return "squeeze_breakout" if self._breakout else None

    def exit_reason(self, bar: Candle) -> str | None:
        return "below_middle" if bar.close < self._middle else None


class DonchianBreakout(ScalpStrategy):
    id = "donchian_breakout"
    name = "Donchian breakout"
    summary = (
        "Turtle-style channel breakout. Entry: long at the close of a bar that closes above "
        "the highest high of the previous `entry_period` bars. Exits: a close below the lowest "
        "low of the previous `exit_period` bars, a stop-loss `stop_atr` ATRs below the entry, "
        "and a take-profit `target_atr` ATRs above it unless 0. Parameters: `entry_period` "
        "(20), `exit_period` (10, at most entry_period), `atr_period` (14), `stop_atr` (2), "
        "`target_atr` (0: let the exit channel decide)."
    )
    params = (
        Param("entry_period", int, 20, 5, 200, 5, help="breakout channel length (bars)"),
        Param("exit_period", int, 10, 2, 200, 2, help="exit channel length (bars)"),
        *risk_params(stop=2.0, target=0.0),
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        top = values["entry_period"]
        require(
            float(values["exit_period"]) <= float(top),
            "exit_period",
            f"must not exceed entry_period ({top})",
            values["exit_period"],
        )

    def setup(self) -> None:
        self.entry_ch = self.indicator(Donchian(int(self.p.entry_period)))
        self.exit_ch = self.indicator(Donchian(int(self.p.exit_period)))
        # the channels include the current bar, so the levels to beat are last bar's
        self._levels: tuple[float, float] | None = None
        self._up = self._down = False

    def observe(self, bar: Candle) -> bool:
        entry_ch, exit_ch = self.entry_ch.value, self.exit_ch.value
        if entry_ch is None or exit_ch is None:
            return False
        prev, self._levels = self._levels, (entry_ch.upper, exit_ch.lower)
        if prev is None:
            return False
        self._up = bar.close > prev[0]
        self._down = bar.close < prev[1]
        return True

    def entry(self, bar: Candle) -> str | None:
        return "donchian_high" if self._up else None

    def exit_reason(self, bar: Candle) -> str | None:
        return "donchian_low" if self._down else None


class KeltnerBreakout(ScalpStrategy):
    id = "keltner_breakout"
    name = "Keltner channel breakout"
    summary = (
        "Buys a close that breaks out of the Keltner channel (EMA of the close ± `multiplier` "
        "× ATR). Entry: long at the close of the bar where the close crosses above the upper "
        "line (previous close at or below the previous upper line, this close above the "
        "current one). Exits: the close falling back below the middle EMA, a stop-loss "
        "`stop_atr` ATRs below the entry, and a take-profit `target_atr` ATRs above it unless "
        "0. Parameters: `period` (20) of the EMA, `multiplier` (2), `atr_period` (14, for the "
        "channel and the stop), `stop_atr` (1.5), `target_atr` (3)."
    )
    params = (
        Param("period", int, 20, 5, 100, 5, help="channel EMA period (bars)"),
        Param("multiplier", float, 2.0, 0.5, 4.0, 0.25, help="channel half-width, ATRs"),
        *risk_params(stop=1.5, target=3.0),
    )

    def setup(self) -> None:
        self.kc = self.indicator(
            Keltner(int(self.p.period), int(self.p.atr_period), float(self.p.multiplier))
        )
        self._prev: tuple[float, float] | None = None
        self._up = False
        self._middle = 0.0

    def observe(self, bar: Candle) -> bool:
        kc = self.kc.value
        if kc is None:
            return False
        prev, self._prev = self._prev, (bar.close, kc.upper)
        self._middle = kc.middle
        if prev is None:
            return False
        self._up = prev[0] <= prev[1] and bar.close > kc.upper
        return True

    def entry(self, bar: Candle) -> str | None:
        return "keltner_breakout" if self._up else None

    def exit_reason(self, bar: Candle) -> str | None:
        return "below_keltner_middle" if bar.close < self._middle else None


class VolumeSpike(ScalpStrategy):
    id = "volume_spike"
    name = "Volume spike momentum"
    summary = (
        "Follows a burst of buying: a strong up bar on unusually heavy volume in an up trend. "
        "Entry: long at the close of a bar whose volume is at least `spike` times the average "
        "volume of the previous `volume_period` bars, that closes above its open with a body "
        "of at least `min_body` of its high-low range, and whose close is above the `trend` "
        "EMA. The stop-loss is the spike bar's low. Exits: the close falling below the trend "
        "EMA, the stop, a take-profit `target_atr` ATRs above the entry unless 0, and a time "
        "stop after `max_hold` bars unless 0. Parameters: `volume_period` (20), `spike` (2.5), "
        "`min_body` (0.5), `trend` (50), `atr_period` (14), `target_atr` (2), `max_hold` (10)."
    )
    params = (
        Param("volume_period", int, 20, 5, 200, 5, help="volume average length (bars)"),
        Param("spike", float, 2.5, 1.25, 10.0, 0.25, help="volume multiple of the average"),
        Param("min_body", float, 0.5, 0.0, 1.0, 0.1, help="minimum body / range of the bar"),
        Param("trend", int, 50, 5, 400, 5, help="trend filter EMA period (bars)"),
        *risk_params(stop=None, target=2.0, hold=10),
    )

    def setup(self) -> None:
        self.volume_avg = self.indicator(SMA(int(self.p.volume_period), source="volume"))
        self.trend = self.indicator(EMA(int(self.p.trend)))
        self._prev_avg: float | None = None
        self._spike = False
        self._trend = 0.0

    def observe(self, bar: Candle) -> bool:
        avg, trend = self.volume_avg.value, self.trend.value
        if avg is None or trend is None:
            return False
        prev_avg, self._prev_avg = self._prev_avg, avg
        self._trend = trend
        if prev_avg is None:
            return False
        rng = bar.high - bar.low
        body = bar.close - bar.open
        self._spike = (
            prev_avg > 0.0
            and bar.volume >= float(self.p.spike) * prev_avg
            and body > 0.0
            and body >= float(self.p.min_body) * rng
            and bar.close > trend
        )
        return True

    def entry(self, bar: Candle) -> str | None:
        return "volume_spike" if self._spike else None

    def exit_reason(self, bar: Candle) -> str | None:
        return "below_trend" if bar.close < self._trend else None

    def stop_price(self, bar: Candle, atr: float) -> float | None:
        return bar.low


class AtrTrailingBreakout(ScalpStrategy):
    id = "atr_trailing_breakout"
    name = "ATR trailing breakout"
    summary = (
        "Volatility breakout with a ratcheting ATR trailing stop. Entry: long at the close of "
        "a bar that closes more than `breakout_atr` ATRs (the previous bar's ATR) above the "
        "previous close. The trailing level starts `trail_atr` ATRs below the entry (also sent "
        "as the stop-loss) and after each bar rises to close - `trail_atr` × ATR when that is "
        "higher; it never falls. Exits: a close below the trailing level, the stop, and a "
        "take-profit `target_atr` ATRs above the entry unless 0. Parameters: `atr_period` "
        "(14), `breakout_atr` (1), `trail_atr` (2.5), `target_atr` (0: let the trail decide)."
    )
    params = (
        Param("breakout_atr", float, 1.0, 0.25, 4.0, 0.25, help="bar-to-bar jump to buy, ATRs"),
        Param("trail_atr", float, 2.5, 0.5, 8.0, 0.25, help="trailing stop distance, ATRs"),
        *risk_params(stop=None, target=0.0),
    )

    def setup(self) -> None:
        self._prev: tuple[float, float] | None = None  # last bar's close and ATR
        self._jump = False
        self._trail: float | None = None

    def observe(self, bar: Candle) -> bool:
        atr = self.atr.value
        if atr is None:
            return False
        prev, self._prev = self._prev, (bar.close, atr)
        if prev is None:
            return False
        self._jump = bar.close > prev[0] + float(self.p.breakout_atr) * prev[1]
        return True

    def entry(self, bar: Candle) -> str | None:
        return "atr_breakout" if self._jump else None

    def stop_price(self, bar: Candle, atr: float) -> float | None:
        # the trail starts where the stop-loss is; on_flat forgets it if no fill comes
        self._trail = bar.close - float(self.p.trail_atr) * atr
        return self._trail

    def exit_reason(self, bar: Candle) -> str | None:
        atr = self.atr.value
        assert atr is not None  # the skeleton only asks once the ATR is warm
        level = bar.close - float(self.p.trail_atr) * atr
        if self._trail is None:
            # long without an entry of ours (a restart): start from the position's entry
            entry = self.entry_price
            self._trail = (entry if entry is not None else bar.close) - float(
                self.p.trail_atr
            ) * atr
        if bar.close < self._trail:
            return "atr_trail"
        self._trail = max(self._trail, level)
        return None

    def on_flat(self) -> None:
        self._trail = None
