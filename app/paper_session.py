"""The offline paper session: a paper account (the paper exchange) trading on the bundled demo
market. The CLI's headless ``demo`` command, the desktop window's demo account and most tests
open it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.bots.config import StrategyResolver
from app.bots.manager import BotManager
from app.brokers.demo import DemoMarket
from app.brokers.paper import PaperConfig, PaperExchange
from app.engine.bus import Priority
from app.engine.clock import FuncClock
from app.engine.domain.market import QuoteTick, TradeTick
from app.engine.engine import TradingEngine
from app.engine.store import Journal
from app.news.service import NewsService
from app.session_services import start_services
from app.settings import Settings

PAPER_VENUE = "paper"


@dataclass(slots=True)
class PaperSession:
    settings: Settings
    journal: Journal
    market: DemoMarket
    venue: PaperExchange
    engine: TradingEngine
    findings: list[str]
    bots: BotManager
    news: NewsService

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        speed: float | None = None,
        clock: Callable[[], int] = time.time_ns,
        strategies: StrategyResolver | None = None,
        tune: bool = True,
    ) -> PaperSession:
        """Open the journal, build the venue and engine, restore and reconcile, then bring
        back the bots (``strategies`` resolves their strategy ids; default: the registry)."""
        journal = Journal.open(settings.data_dir)
        try:
            market = DemoMarket(
                seed=settings.demo_seed,
                speed=speed if speed is not None else settings.demo_speed,
                ticks_per_second=settings.ticks_per_second,
                clock=clock,
            )
            instruments = market.instruments()
            cash = {settings.currency: settings.paper_cash}
            venue = PaperExchange(
                PAPER_VENUE,
                instruments,
                PaperConfig(
                    initial_balances=cash,
                    slippage_bps=settings.slippage_bps,
                    seed=settings.demo_seed,
                ),
                journal,
                clock,
            )
            engine = TradingEngine(
                journal=journal,
                client=venue,
                instruments={i.symbol: i for i in instruments},
                clock=FuncClock(clock),
                currency=settings.currency,
            )
            # the venue matches against the tape after the engine has marked it
            engine.bus.subscribe(QuoteTick, venue.on_quote, priority=Priority.VENUE)
            engine.bus.subscribe(TradeTick, venue.on_trade, priority=Priority.VENUE)
            market.set_market_sink(engine.on_market)
            # the engine restores its orders before the venue sees a single price: a resting
            # order left from the last session may fill on the first quote
            findings = await engine.start(initial_deposit=cash)
            for inst in instruments:  # seed prices so the first order has a reference
                engine.on_market(market.last_quote(inst.symbol))
                engine.on_market(market.last_trade(inst.symbol))
            await market.subscribe([i.symbol for i in instruments])
            # bots restart only now: the engine has restored orders, positions and prices
            news, bots, restored = await start_services(
                engine,
                settings,
                [i.symbol for i in instruments],
                lambda s, tf, n: market.history_sync(s, tf, limit=n),
                strategies,
                tune=tune,
            )
            findings.extend(restored)
        except BaseException:
            journal.close()
            raise
        return cls(settings, journal, market, venue, engine, findings, bots, news)

    @property
    def data(self) -> DemoMarket:
        return self.market

    @property
    def candle_file(self) -> Callable[[str], Path | None]:
        return self.market.source_file

    @property
    def title(self) -> str:
        return "Paper · demo market"

    async def close(self) -> None:
        try:
            self.news.close()
            await self.bots.close()  # bots end before the engine they trade through
            await self.engine.stop()
        finally:
            self.journal.close()
