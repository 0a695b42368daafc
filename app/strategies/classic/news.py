"""News + technicals: a momentum signal that needs the headlines to agree."""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.series import Candle
from app.strategies.base import Strategy, require
from app.strategies.indicators import ATR, EMA, RSI
from app.strategies.params import Param, ParamValue


class NewsTechnicals(Strategy):
    id = "news_technicals"
    name = "News + technicals"
    default_timeframe = "1h"
    summary = (
        "Combines a momentum signal with headline sentiment and trades only when both agree. "
        "Technical signal (long): the close is above the `ema_period` EMA and RSI is rising "
        "between `rsi_entry` and `rsi_exit`. Entry: that signal plus a news sentiment score "
        "(from the configured news source, in [-1, 1]) of at least `min_sentiment`; when "
        "there is no sentiment at all, `require_news` decides (true: no news, no entry). "
        "The entry carries a stop `stop_atr` ATRs below the close. Exits: a close below the "
        "EMA, RSI reaching `rsi_exit`, sentiment falling to `exit_sentiment` or below, or "
        "the stop. Indicator lengths: `rsi_period`, `atr_period`."
    )
    params = (
        Param("ema_period", int, 50, 10, 200, 10, help="EMA the close must be above"),
        Param("rsi_period", int, 14, 5, 30, 1, help="RSI length"),
        Param("rsi_entry", float, 50.0, 40.0, 70.0, 5.0, help="RSI at or above this is momentum"),
        Param("rsi_exit", float, 75.0, 60.0, 90.0, 5.0, help="RSI at or above this takes profit"),
        Param("min_sentiment", float, 0.2, 0.0, 1.0, 0.05, help="sentiment needed to enter"),
        Param("exit_sentiment", float, -0.2, -1.0, 0.0, 0.05, help="sentiment that forces an exit"),
        Param("require_news", bool, True, help="no sentiment available: true = no entries"),
        Param("atr_period", int, 14, 5, 30, 1, help="ATR length for the stop"),
        Param("stop_atr", float, 2.0, 0.5, 5.0, 0.5, help="stop distance in ATRs"),
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        require(
            float(values["rsi_entry"]) < float(values["rsi_exit"]),
            "rsi_entry",
            "must be below rsi_exit",
            values["rsi_entry"],
        )

    def on_start(self) -> None:
        p = self.p
        self.ema = self.indicator(EMA(p.ema_period))
        self.rsi = self.indicator(RSI(p.rsi_period))
        self.atr = self.indicator(ATR(p.atr_period))
        self._prev_rsi: float | None = None

    def _news_allows_entry(self) -> bool:
        news = self.ctx.sentiment()
        if news is None:
            return not bool(self.p.require_news)
        return news.score >= float(self.p.min_sentiment)

    def on_bar(self, bar: Candle) -> None:
        ema, rsi, atr = self.ema.value, self.rsi.value, self.atr.value
        if ema is None or rsi is None or atr is None:
            return
        p = self.p
        prev_rsi, self._prev_rsi = self._prev_rsi, rsi
        if prev_rsi is None or self.ctx.pending():
            return
        if self.flat:
            signal = bar.close > ema and p.rsi_entry <= rsi < p.rsi_exit and rsi > prev_rsi
            if signal and self._news_allows_entry():
                news = self.ctx.sentiment()
                mood = "no news" if news is None else f"sentiment {news.score:+.2f}"
                self.log(f"entry: momentum (RSI {rsi:.1f}) with {mood}")
                self.buy(stop_loss=bar.close - p.stop_atr * atr, tag="momentum_with_news")
            return
        if self.position <= 0:
            return
        news = self.ctx.sentiment()
        if bar.close < ema:
            self.close(tag="technical_exit")
        elif rsi >= p.rsi_exit:
            self.close(tag="overbought_exit")
        elif news is not None and news.score <= p.exit_sentiment:
            self.log(f"exit: sentiment turned negative ({news.score:+.2f})")
            self.close(tag="news_turned_negative")
