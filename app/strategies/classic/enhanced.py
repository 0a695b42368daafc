"""Enhanced: detect the market regime, trade it the way that regime pays, size by ATR."""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.series import Candle
from app.strategies.base import Strategy, require
from app.strategies.classic._common import risk_qty
from app.strategies.indicators import ADX, ATR, EMA, RSI, BollingerBands, Donchian
from app.strategies.params import Param, ParamValue

TREND, RANGE, VOLATILE = "trend", "range", "volatile"


class Enhanced(Strategy):
    id = "enhanced"
    name = "Enhanced (regime switching)"
    default_timeframe = "1h"
    summary = (
        "Detects the market regime every bar and trades it the way that regime pays. Regime: "
        "ATR above `max_atr_pct` % of price is 'volatile' (no new entries); otherwise ADX at "
        "or above `adx_trend` is a 'trend', ADX at or below `adx_range` a 'range', and in "
        "between the previous regime holds (hysteresis, so it does not flicker). In a trend "
        "with +DI above -DI it buys a breakout above the prior `breakout_period`-bar high or "
        "a pullback to the fast EMA while it is above the slow EMA; in a range it "
        "buys a close at or below the lower Bollinger band with RSI under `rsi_low`. Every "
        "entry carries a stop `stop_atr` ATRs below the close and a quantity that loses "
        "`risk_pct` % of equity if that stop is hit (equity x risk / (ATR x stop multiple)), "
        "capped at `max_exposure` of equity and the cash available. Exits: the stop; trend "
        "trades on a close below the slow EMA or when -DI takes over with ADX in trend "
        "territory; range trades at the middle band or when the range breaks down into a "
        "down trend. Indicator lengths: `adx_period`, `atr_period`, `ema_fast` and "
        "`ema_slow`, `bb_period` and `bb_width` (standard deviations), `rsi_period`."
    )
    params = (
        Param("adx_period", int, 14, 7, 30, 1, help="ADX / DI length"),
        Param("adx_trend", float, 25.0, 15.0, 40.0, 2.5, help="ADX at or above: trending"),
        Param("adx_range", float, 20.0, 10.0, 30.0, 2.5, help="ADX at or below: ranging"),
        Param("atr_period", int, 14, 5, 30, 1, help="ATR length (volatility, stop, size)"),
        Param(
            "max_atr_pct",
            float,
            8.0,
            1.0,
            20.0,
            1.0,
            help="ATR % of price above which to stand aside",
        ),
        Param("ema_fast", int, 20, 5, 50, 5, help="fast EMA (trend pullbacks)"),
        Param("ema_slow", int, 50, 20, 200, 10, help="slow EMA (trend exit)"),
        Param("breakout_period", int, 20, 5, 60, 5, help="bars of the breakout high"),
        Param("bb_period", int, 20, 10, 50, 5, help="Bollinger length (range trades)"),
        Param(
            "bb_width", float, 2.0, 1.0, 3.0, 0.25, help="Bollinger width in standard deviations"
        ),
        Param("rsi_period", int, 14, 5, 30, 1, help="RSI length (range trades)"),
        Param("rsi_low", float, 35.0, 15.0, 50.0, 5.0, help="RSI below this confirms a range low"),
        Param("risk_pct", float, 1.0, 0.1, 5.0, 0.1, help="% of equity lost if the stop is hit"),
        Param("stop_atr", float, 2.0, 0.5, 5.0, 0.5, help="stop distance in ATRs"),
        Param(
            "max_exposure",
            float,
            1.0,
            0.1,
            1.0,
            0.1,
            help="largest position as a fraction of equity",
        ),
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        require(
            float(values["adx_range"]) <= float(values["adx_trend"]),
            "adx_range",
            "must not exceed adx_trend",
            values["adx_range"],
        )
        require(
            int(values["ema_fast"]) < int(values["ema_slow"]),
            "ema_fast",
            "must be below ema_slow",
            values["ema_fast"],
        )

    def on_start(self) -> None:
        p = self.p
        self.adx = self.indicator(ADX(p.adx_period))
        self.atr = self.indicator(ATR(p.atr_period))
        self.ema_fast = self.indicator(EMA(p.ema_fast))
        self.ema_slow = self.indicator(EMA(p.ema_slow))
        self.donchian = self.indicator(Donchian(p.breakout_period))
        self.bb = self.indicator(BollingerBands(p.bb_period, p.bb_width))
        self.rsi = self.indicator(RSI(p.rsi_period))
        self.regime: str | None = None
        self._mode: str | None = None  # regime the open trade was entered in
        self._prior_high: float | None = None

    def _detect(self, adx: float, atr_pct: float) -> str:
        p = self.p
        if atr_pct > p.max_atr_pct:
            return VOLATILE
        if adx >= p.adx_trend:
            return TREND
        if adx <= p.adx_range:
            return RANGE
        # between the thresholds: keep the last verdict (a volatile spell calming down
        # without a clear ADX reading counts as a range)
        return RANGE if self.regime in (None, VOLATILE) else self.regime

    def on_bar(self, bar: Candle) -> None:
        adx, atr, bb, rsi = self.adx.value, self.atr.value, self.bb.value, self.rsi.value
        fast, slow, channel = self.ema_fast.value, self.ema_slow.value, self.donchian.value
        if adx is None or atr is None or bb is None or rsi is None:
            return
        if fast is None or slow is None or channel is None:
            return
        prior_high, self._prior_high = self._prior_high, channel.upper
        if bar.close <= 0 or atr <= 0:
            return
        atr_pct = 100.0 * atr / bar.close
        regime = self._detect(adx.adx, atr_pct)
        if regime != self.regime:
            self.log(
                f"regime {self.regime or 'none'} -> {regime} "
                f"(ADX {adx.adx:.1f}, ATR {atr_pct:.2f}% of price)"
            )
            self.regime = regime
        if self.ctx.pending():
            return
        if self.position > 0:
            self._manage(bar, regime, adx.plus_di < adx.minus_di, slow, bb.middle)
            return
        if not self.flat:
            return
        tag = ""
        if regime == TREND and adx.plus_di > adx.minus_di:
            if prior_high is not None and bar.close > prior_high:
                tag = "trend_breakout"
            elif fast > slow and bar.low <= fast < bar.close and bar.close > bar.open:
                tag = "trend_pullback"
        elif regime == RANGE and bar.close <= bb.lower and rsi < self.p.rsi_low:
            tag = "range_reversion"
        if tag:
            self._enter(bar, atr, tag)

    def _enter(self, bar: Candle, atr: float, tag: str) -> None:
        p = self.p
        distance = atr * p.stop_atr
        qty = risk_qty(self.equity, self.cash, bar.close, p.risk_pct, distance, p.max_exposure)
        if qty <= 0:
            return
        self._mode = TREND if tag.startswith(TREND) else RANGE
        self.buy(qty=qty, stop_loss=bar.close - distance, tag=tag)

    def _manage(self, bar: Candle, regime: str, bearish: bool, slow: float, middle: float) -> None:
        if self._mode == RANGE:
            if bar.close >= middle:
                self.close(tag="range_target")
            elif regime == TREND and bearish:
                self.close(tag="range_breakdown")
        elif bar.close < slow:
            self.close(tag="trend_exit")
        elif regime == TREND and bearish:
            self.close(tag="trend_reversal")
