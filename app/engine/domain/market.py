"""Market data: trades, top of book and bars. Prices and sizes are Decimal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.engine.domain.fastinit import fast_frozen_init


class Timeframe(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"

    @property
    def seconds(self) -> int:
        return _TF_SECONDS[self]

    @property
    def nanos(self) -> int:
        return _TF_SECONDS[self] * 1_000_000_000


_TF_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400}


@fast_frozen_init  # built for every tick of a feed (see fastinit)
@dataclass(frozen=True, slots=True)
class TradeTick:
    """A trade printed on the venue. ``ts`` is UTC epoch nanoseconds."""

    symbol: str
    price: Decimal
    size: Decimal
    ts: int


@fast_frozen_init  # built for every tick of a feed (see fastinit)
@dataclass(frozen=True, slots=True)
class QuoteTick:
    """Best bid and ask."""

    symbol: str
    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal
    ts: int

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class Bar:
    """OHLCV bar; ``ts`` is the bar's OPEN time in UTC epoch nanoseconds."""

    symbol: str
    timeframe: Timeframe
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    ts: int
    closed: bool = True
