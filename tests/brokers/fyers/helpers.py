"""Shared helpers for the Fyers end-to-end tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.brokers.fyers.venue import FyersVenue
from app.brokers.retry import Backoff
from app.engine.domain.events import ExecutionReport, VenueStatus
from app.engine.domain.market import Bar, QuoteTick, TradeTick
from app.engine.domain.orders import Order, OrderSide, OrderType, TimeInForce
from tests.emulators.fyers.fixtures import Clock, emu_config
from tests.emulators.fyers.server import FyersEmulator
from tests.emulators.fyers.sockets import FakeSocketFactory

FAST = Backoff(base=0.01, cap=0.02, attempts=3)


class Recorder:
    def __init__(self) -> None:
        self.reports: list[ExecutionReport] = []
        self.status: list[VenueStatus] = []
        self.market: list[TradeTick | QuoteTick | Bar] = []

    async def wait_for(self, what: Callable[[], Any], timeout_s: float = 3.0) -> Any:
        """Poll ``what()`` until it is truthy: events arrive from SDK threads, by way of
        the loop, with nothing to wait on but the loop turning."""
        async with asyncio.timeout(timeout_s):
            found = what()
            while not found:
                await asyncio.sleep(0.005)
                found = what()
        return found

    def of(self, kind: type) -> list[Any]:
        return [r for r in (*self.reports, *self.status, *self.market) if isinstance(r, kind)]


@asynccontextmanager
async def open_venue(
    emu: FyersEmulator,
    sockets: FakeSocketFactory,
    log_dir: Path,
    clock: Clock,
    **overrides: Any,
) -> AsyncIterator[tuple[FyersVenue, Recorder]]:
    venue = await FyersVenue.open(
        emu_config(emu, log_dir, **overrides),
        socket_factory=sockets,
        backoff=FAST,
        read_backoff=FAST,
        wall_ns=clock,
    )
    rec = Recorder()
    venue.execution.set_report_sink(rec.reports.append)
    venue.execution.set_status_sink(rec.status.append)
    venue.data.set_status_sink(rec.status.append)
    venue.data.set_market_sink(rec.market.append)
    try:
        yield venue, rec
    finally:
        await venue.close()


_ids = iter(range(1, 1_000_000))


def order(
    symbol: str = "NSE:SBIN-EQ",
    side: OrderSide = OrderSide.BUY,
    type: OrderType = OrderType.LIMIT,
    quantity: str = "10",
    price: str | None = "600.00",
    trigger: str | None = None,
    tif: TimeInForce = TimeInForce.GTC,
    client_id: str | None = None,
) -> Order:
    return Order(
        client_id=client_id or f"tdm-mj3k2a1b-ab12-{next(_ids)}",
        venue="fyers",
        symbol=symbol,
        side=side,
        type=type,
        quantity=Decimal(quantity),
        price=Decimal(price) if price is not None else None,
        trigger_price=Decimal(trigger) if trigger is not None else None,
        tif=tif,
        reduce_only=False,
        source="manual",
        created_ns=0,
    )
