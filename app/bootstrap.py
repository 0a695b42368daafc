"""The only module that wires everything: settings, journal, venue, market data and engine.

A ``PaperSession`` is a paper account (the paper exchange) trading on the offline demo
market. The CLI's headless commands use it today; the desktop window will use the same one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.brokers.demo import DemoMarket
from app.brokers.paper import PaperConfig, PaperExchange
from app.engine.bus import Priority
from app.engine.domain.market import QuoteTick, TradeTick
from app.engine.engine import TradingEngine
from app.engine.store import Journal
from app.engine.trade_export import write_trades_csv
from app.settings import Settings

log = logging.getLogger(__name__)
PAPER_VENUE = "paper"


def load_settings(data_dir: Path | None) -> Settings:
    return Settings.load(data_dir)


@dataclass(slots=True)
class PaperSession:
    settings: Settings
    journal: Journal
    market: DemoMarket
    venue: PaperExchange
    engine: TradingEngine
    findings: list[str]

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        speed: float | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> PaperSession:
        """Open the journal, build the venue and engine, restore and reconcile."""
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
                clock=_FuncClock(clock),
                currency=settings.currency,
            )
            # the venue matches against the tape after the engine has marked it
            engine.bus.subscribe(QuoteTick, venue.on_quote, priority=Priority.VENUE)
            engine.bus.subscribe(TradeTick, venue.on_trade, priority=Priority.VENUE)
            market.set_market_sink(engine.on_market)
            for inst in instruments:  # seed prices so the first order has a reference
                last = market.last_trade(inst.symbol)
                engine.on_market(market.last_quote(inst.symbol))
                engine.on_market(last)
            findings = await engine.start(initial_deposit=cash)
            await market.subscribe([i.symbol for i in instruments])
        except BaseException:
            journal.close()
            raise
        return cls(settings, journal, market, venue, engine, findings)

    async def close(self) -> None:
        try:
            await self.engine.stop()
        finally:
            self.journal.close()


class _FuncClock:
    def __init__(self, fn: Callable[[], int]) -> None:
        self.now_ns = fn


def _ns(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1_000_000_000)


def export_trades(
    settings: Settings,
    *,
    out: Path,
    since: datetime | None = None,
    until: datetime | None = None,
    source: str | None = None,
    symbol: str | None = None,
) -> int:
    """CLI: write fills to CSV. Prints how many rows were written."""
    with Journal.open(settings.data_dir) as journal:
        fills = journal.load_fills(
            since_ns=_ns(since), until_ns=_ns(until), source=source, symbol=symbol
        )
    count = write_trades_csv(fills, out)
    print(f"wrote {count} trades to {out}")
    return 0


async def run_demo_session(
    settings: Settings,
    *,
    seconds: float,
    demo_orders: bool = False,
    speed: float | None = None,
    interval: float = 1.0,
    order_interval: float = 2.0,
) -> int:
    """CLI: a headless paper session on the demo market, printing a live summary."""
    from app.headless import DemoOrderFlow, SummaryPrinter

    session = await PaperSession.open(settings, speed=speed)
    printer = SummaryPrinter(session.engine)
    printer.attach()
    print(f"Tradedesk paper session on the demo market; data in {settings.data_dir}")
    for finding in session.findings:
        print(f"  reconciled: {finding}")
    feed = session.engine.tasks.spawn(session.market.run(), "demo-feed", service=True)
    flow = None
    if demo_orders:
        flow = session.engine.tasks.spawn(
            DemoOrderFlow(session.engine, order_interval).run(), "demo-orders", service=True
        )
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            printer.print_summary()
    finally:
        for task in (flow, feed):
            if task is not None:
                task.cancel()
        await session.close()
    printer.print_summary(final=True)
    return 0
