"""Strategies for the bot tests, defined here so the tests do not depend on the shipped ones."""

from __future__ import annotations

from app.engine.domain.errors import ValidationError
from app.engine.series import Candle
from app.strategies.base import Strategy, StrategyFill
from app.strategies.params import Param


class Driven(Strategy):
    """Trades only when a test calls its own ``buy``/``sell``/``close``; records what it sees."""

    id = "driven"
    name = "Driven (tests)"
    summary = "Does nothing by itself; the test acts through the strategy API."
    params = (Param("warm", int, 0, 0, 500, help="bars of warm-up it asks for"),)

    def on_start(self) -> None:
        self.bars: list[Candle] = []
        self.fills: list[StrategyFill] = []

    @property
    def warmup(self) -> int:
        return int(self.p.warm)

    def on_bar(self, bar: Candle) -> None:
        self.bars.append(bar)

    def on_fill(self, fill: StrategyFill) -> None:
        self.fills.append(fill)


class EveryN(Strategy):
    """Buys when flat, closes after holding ``hold`` bars: trades all the time."""

    id = "every_n"
    name = "Every N (tests)"
    summary = "Buys whenever flat and closes after `hold` bars."
    params = (
        Param("hold", int, 2, 1, 1_000_000),
        Param("warm", int, 3, 0, 100),
    )

    def on_start(self) -> None:
        self.held = 0
        self.intents = 0

    @property
    def warmup(self) -> int:
        return int(self.p.warm)

    def on_bar(self, bar: Candle) -> None:
        if self.ctx.pending():
            return
        if self.flat:
            self.intents += 1
            self.buy(tag="in")
            self.held = 0
        else:
            self.held += 1
            if self.held >= self.p.hold:
                self.intents += 1
                self.close(tag="out")


class Raiser(Strategy):
    """Raises from ``on_bar`` on its ``after``-th live bar."""

    id = "raiser"
    name = "Raiser (tests)"
    summary = "Raises RuntimeError after `after` bars."
    params = (Param("after", int, 2, 1, 1000),)

    def on_start(self) -> None:
        self.count = 0

    def on_bar(self, bar: Candle) -> None:
        self.count += 1
        if self.count >= self.p.after:
            raise RuntimeError("boom in strategy code")


class LimitBid(Strategy):
    """Rests one limit buy ``offset_pct`` below the close, once."""

    id = "limit_bid"
    name = "Limit bid (tests)"
    summary = "One resting limit buy below the market."
    params = (Param("offset_pct", float, 2.0, 0.1, 4.0),)

    def on_start(self) -> None:
        self.sent = False

    def on_bar(self, bar: Candle) -> None:
        if not self.sent:
            self.sent = True
            self.buy(limit=bar.close * (1 - self.p.offset_pct / 100), qty=1.0)


class Ticker(Strategy):
    """Counts trade prints; raises on its first fill or on a given bar when told to."""

    id = "ticker"
    name = "Ticker (tests)"
    summary = "Counts ticks; optionally raises on its first fill."
    params = (
        Param("raise_on_fill", bool, False),
        Param("raise_at_bar", int, 0, 0, 1000, help="raise on this live bar (0: never)"),
    )

    def on_start(self) -> None:
        self.ticks: list[float] = []
        self.bars = 0

    def on_tick(self, price: float, size: float, ts: int) -> None:
        self.ticks.append(price)

    def on_bar(self, bar: Candle) -> None:
        self.bars += 1
        if self.bars == self.p.raise_at_bar:
            raise KeyError("missing state")

    def on_fill(self, fill: StrategyFill) -> None:
        if self.p.raise_on_fill:
            raise ValueError("cannot handle fills")


ALL: dict[str, type[Strategy]] = {cls.id: cls for cls in (Driven, EveryN, Raiser, LimitBid, Ticker)}


def resolve(strategy_id: str) -> type[Strategy]:  # the registry's get_strategy, for tests
    try:
        return ALL[strategy_id]
    except KeyError:
        raise ValidationError("strategy", f"unknown strategy (known: {', '.join(ALL)})") from None
