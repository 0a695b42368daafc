"""Volatile coins: buy an oversold flush when RSI, MACD and the Bollinger band agree."""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.series import Candle
from app.strategies.base import Strategy, require
from app.strategies.classic._common import BarsSince
from app.strategies.indicators import ATR, MACD, RSI, BollingerBands
from app.strategies.params import Param, ParamValue


class VolatileCoins(Strategy):
    id = "volatile_coins"
    name = "Volatile coins"
    default_timeframe = "1h"
    summary = (
        "Mean reversion for volatile markets, trading only when three indicators agree. "
        "Entry (long): within the last `setup_bars` bars RSI was below `rsi_oversold` and "
        "the low touched the lower Bollinger band, and on this bar RSI turns up and the MACD "
        "histogram rises. The entry carries a stop `atr_stop` ATRs below the close. Exits: "
        "the close reaches the `target` band (middle or upper), or the opposite confluence "
        "(RSI above `rsi_overbought` and falling while the MACD histogram falls), or the "
        "ATR stop. Indicator lengths: `rsi_period`, MACD `macd_fast`/`macd_slow`/`macd_signal`, "
        "Bollinger `bb_period` and `bb_width` (standard deviations), `atr_period`."
    )
    params = (
        Param("rsi_period", int, 14, 5, 30, 1, help="RSI length"),
        Param("rsi_oversold", float, 30.0, 10.0, 45.0, 5.0, help="RSI below this is oversold"),
        Param("rsi_overbought", float, 70.0, 55.0, 90.0, 5.0, help="RSI above this is overbought"),
        Param("macd_fast", int, 12, 5, 20, 1, help="MACD fast EMA"),
        Param("macd_slow", int, 26, 15, 50, 1, help="MACD slow EMA"),
        Param("macd_signal", int, 9, 3, 15, 1, help="MACD signal EMA"),
        Param("bb_period", int, 20, 10, 50, 5, help="Bollinger length"),
        Param(
            "bb_width", float, 2.0, 1.0, 3.0, 0.25, help="Bollinger width in standard deviations"
        ),
        Param(
            "setup_bars",
            int,
            3,
            0,
            10,
            1,
            help="bars an oversold reading or band touch stays valid",
        ),
        Param("atr_period", int, 14, 5, 30, 1, help="ATR length for the stop"),
        Param("atr_stop", float, 2.0, 0.5, 5.0, 0.5, help="stop distance in ATRs"),
        Param("target", str, "middle", choices=("middle", "upper"), help="band that takes profit"),
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        # rsi_oversold < rsi_overbought needs no rule: their ranges do not overlap
        require(
            int(values["macd_fast"]) < int(values["macd_slow"]),
            "macd_fast",
            "must be below macd_slow",
            values["macd_fast"],
        )

    def on_start(self) -> None:
        p = self.p
        self.rsi = self.indicator(RSI(p.rsi_period))
        self.macd = self.indicator(MACD(p.macd_fast, p.macd_slow, p.macd_signal))
        self.bb = self.indicator(BollingerBands(p.bb_period, p.bb_width))
        self.atr = self.indicator(ATR(p.atr_period))
        self._oversold = BarsSince()
        self._touched = BarsSince()
        self._prev_rsi: float | None = None
        self._prev_hist: float | None = None

    def on_bar(self, bar: Candle) -> None:
        rsi, macd, bb, atr = self.rsi.value, self.macd.value, self.bb.value, self.atr.value
        if rsi is None or macd is None or bb is None or atr is None:
            return
        p = self.p
        self._oversold.update(rsi < p.rsi_oversold)
        self._touched.update(bar.low <= bb.lower)
        prev_rsi, prev_hist = self._prev_rsi, self._prev_hist
        self._prev_rsi, self._prev_hist = rsi, macd.hist
        if prev_rsi is None or prev_hist is None or self.ctx.pending():
            return
        rsi_up, hist_up = rsi > prev_rsi, macd.hist > prev_hist
        if self.flat:
            setup = self._oversold.within(p.setup_bars) and self._touched.within(p.setup_bars)
            # still below the middle band, or the target would be hit on the next bar
            if setup and rsi_up and hist_up and bar.close < bb.middle:
                self.buy(stop_loss=bar.close - p.atr_stop * atr, tag="oversold_confluence")
        elif self.position > 0:
            target = bb.middle if p.target == "middle" else bb.upper
            if bar.close >= target:
                self.close(tag=f"{p.target}_band_target")
            elif rsi > p.rsi_overbought and not rsi_up and not hist_up:
                self.close(tag="overbought_confluence")
