"""A real engine on a real SQLite journal and the real paper exchange, driven by hand-made
quotes and trades, with a clock the test moves."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from app.brokers.paper import PaperConfig, PaperExchange
from app.engine.bus import Priority
from app.engine.clock import SimClock
from app.engine.domain.instruments import AssetClass, Instrument
from app.engine.domain.market import QuoteTick, TradeTick
from app.engine.engine import TradingEngine
from app.engine.store import Journal

BTC = Instrument(
    "BTC/USD",
    "paper",
    "BTC",
    "USD",
    Decimal("0.01"),
    Decimal("0.0001"),
    Decimal("0.0001"),
    Decimal("10"),
)
ETH = Instrument(
    "ETH/USD",
    "paper",
    "ETH",
    "USD",
    Decimal("0.01"),
    Decimal("0.001"),
    Decimal("0.001"),
    Decimal("10"),
)
SPY = Instrument(
    "SPY",
    "paper",
    "SPY",
    "USD",
    Decimal("0.01"),
    Decimal("1"),
    Decimal("1"),
    Decimal("1"),
    asset_class=AssetClass.EQUITY,
    maker_fee=Decimal(0),
    taker_fee=Decimal(0),
)
INSTRUMENTS = [BTC, ETH, SPY]
START_NS = 1_763_800_000_000_000_000  # 2025-11-22, mid-day UTC
CASH = Decimal("100000")


class Harness:
    def __init__(
        self,
        data_dir: Path,
        *,
        venue_cls: type[PaperExchange] = PaperExchange,
        shorting: bool = False,
        clock: SimClock | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.clock = clock or SimClock(START_NS)
        self.journal = Journal.open(data_dir)
        self.venue = venue_cls(
            "paper",
            INSTRUMENTS,
            PaperConfig(initial_balances={"USD": CASH}, shorting=shorting),
            self.journal,
            self.clock.now_ns,
        )
        self.engine = TradingEngine(
            journal=self.journal,
            client=self.venue,
            instruments={i.symbol: i for i in INSTRUMENTS},
            clock=self.clock,
            breaker_interval_s=3600,
        )
        self.engine.bus.subscribe(QuoteTick, self.venue.on_quote, priority=Priority.VENUE)
        self.engine.bus.subscribe(TradeTick, self.venue.on_trade, priority=Priority.VENUE)

    async def start(self) -> list[str]:
        return await self.engine.start(initial_deposit={"USD": CASH})

    def market(self, symbol: str, price: str, spread: str = "0.02", size: str = "1000") -> None:
        """A quote around ``price`` and a trade at it."""
        self.clock.advance(1_000_000)
        p = Decimal(price)
        half = Decimal(spread) / 2
        now = self.clock.now_ns()
        self.engine.on_market(
            QuoteTick(symbol, p - half, p + half, Decimal(size), Decimal(size), now)
        )
        self.engine.on_market(TradeTick(symbol, p, Decimal("0.5"), now))

    async def settle(self) -> None:
        await self.engine.tasks.idle()
        await self.engine.journal_flush()

    async def close(self) -> None:
        await self.engine.stop()
        self.journal.close()
