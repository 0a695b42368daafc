"""Helpers for the demo market tests: a simulated clock and event filters."""

from __future__ import annotations

from collections.abc import Iterable

from app.engine.domain.market import Bar, QuoteTick, TradeTick

# Mid-minute on purpose: the market must not assume it starts on a minute boundary.
T0 = 1_700_000_017_250_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
DEMO_SYMBOLS = ("BTC/USD", "ETH/USD", "LTC/USD", "SPY", "AAPL", "INTC")


class SimClock:
    """A clock the test moves by hand (epoch ns)."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> int:
        self.now += round(seconds * SECOND)
        return self.now


def trades(events: Iterable[object], symbol: str | None = None) -> list[TradeTick]:
    return [e for e in events if isinstance(e, TradeTick) and symbol in (None, e.symbol)]


def quotes(events: Iterable[object], symbol: str | None = None) -> list[QuoteTick]:
    return [e for e in events if isinstance(e, QuoteTick) and symbol in (None, e.symbol)]


def closed_bars(events: Iterable[object], symbol: str | None = None) -> list[Bar]:
    return [e for e in events if isinstance(e, Bar) and e.closed and symbol in (None, e.symbol)]


def forming_bars(events: Iterable[object], symbol: str | None = None) -> list[Bar]:
    return [e for e in events if isinstance(e, Bar) and not e.closed and symbol in (None, e.symbol)]
