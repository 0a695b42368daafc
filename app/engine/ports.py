"""The protocols venue adapters implement. The engine depends on these, never on a broker.

A venue adapter delivers everything that happens at the venue through the ``ReportSink`` it
is given: execution reports in the order the venue produced them. ``submit`` returns once the
request is handed over; its outcome arrives as a report. A request that may or may not have
reached the venue raises ``OutcomeUnknown``: the engine marks the order UNKNOWN and never
resends it; ``query_order`` later settles it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from app.engine.domain.events import ExecutionReport
from app.engine.domain.fills import Fill
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick
from app.engine.domain.orders import Order, OrderStatus

ReportSink = Callable[[ExecutionReport], None]
MarketSink = Callable[[TradeTick | QuoteTick | Bar], None]


class VenueError(Exception):
    """A venue refused or failed a request. ``retryable`` reads may be tried again."""

    retryable = False


class OrderRefused(VenueError):
    """The venue said no to an order (filters, balance): it definitely does not exist there."""


class OutcomeUnknown(VenueError):
    """The request may have reached the venue (timeout, 5xx, connection lost mid-request)."""


class OrderNotFound(VenueError):
    """The venue does not know this order (yet, or any more)."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    stop_orders: bool = True
    stop_limit_orders: bool = True
    modify: bool = True
    shorting: bool = False  # a spot account cannot sell what it does not hold
    native_oco: bool = False


@dataclass(frozen=True, slots=True)
class VenueOrderState:
    """The venue's view of one order, for reconciliation."""

    client_id: str
    venue_order_id: str | None
    status: OrderStatus
    filled_qty: Decimal
    fills: Sequence[Fill]
    reason: str = ""


@runtime_checkable
class ExecutionClient(Protocol):
    venue: str
    capabilities: Capabilities

    def set_report_sink(self, sink: ReportSink) -> None: ...

    async def submit(self, order: Order) -> None: ...

    async def cancel(self, order: Order) -> None: ...

    async def modify(
        self,
        order: Order,
        *,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        quantity: Decimal | None = None,
    ) -> None: ...

    async def query_order(self, client_id: str) -> VenueOrderState: ...

    async def open_orders(self) -> Sequence[VenueOrderState]: ...

    async def balances(self) -> dict[str, Decimal]: ...


@runtime_checkable
class DataClient(Protocol):
    venue: str

    def instruments(self) -> Sequence[Instrument]: ...

    def set_market_sink(self, sink: MarketSink) -> None: ...

    async def subscribe(self, symbols: Sequence[str]) -> None: ...

    async def history(
        self, symbol: str, timeframe: Timeframe, *, end_ns: int | None = None, limit: int = 500
    ) -> list[Bar]: ...

    async def run(self) -> None:
        """Stream until cancelled."""
        ...


class VenueStateStore(Protocol):
    """Durable, append-only record log for a simulated venue (the paper exchange), so its books
    survive a restart the way a real exchange's do. The venue rebuilds itself by replaying its
    records in order. Implemented by the journal; injected by bootstrap. Appends are queued
    to the journal's writer in call order and never block the loop."""

    def append_venue_record(self, venue: str, record: dict[str, object]) -> None: ...

    def load_venue_records(self, venue: str) -> list[dict[str, object]]: ...
