"""A small scripted venue at the ExecutionClient port, for behaviour the paper exchange cannot
show: a venue whose "not found" lags its matching engine, orders placed on its website,
balances that change while we are disconnected, streams that drop and come back.

It stands in for a real exchange (outside the machine): it keeps its own books (orders,
fills, balances) and answers the port's calls from them; the test scripts what happens at
the venue (fills, web orders, deposits, disconnects). Nothing here is the code under test.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from app.engine.clock import SimClock
from app.engine.domain.events import (
    ConnectionChanged,
    ExecutionReport,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    VenueStatus,
)
from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import TradeTick
from app.engine.domain.orders import Order, OrderSide, OrderStatus, OrderType
from app.engine.engine import TradingEngine
from app.engine.ports import (
    Capabilities,
    OrderNotFound,
    OutcomeUnknown,
    ReportSink,
    StatusSink,
    VenueOrderState,
    VenueUnavailable,
)
from app.engine.store import Journal
from tests.engine.harness import INSTRUMENTS, START_NS
from tests.support.waiting import eventually

__all__ = ["ScriptedSession", "ScriptedVenue", "VenueSideOrder", "eventually"]

VENUE = "scripted"


@dataclass
class VenueSideOrder:
    client_id: str
    venue_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    quantity: Decimal
    price: Decimal | None
    status: OrderStatus = OrderStatus.ACCEPTED
    fills: list[Fill] = field(default_factory=list)

    @property
    def filled(self) -> Decimal:
        return sum((f.quantity for f in self.fills), Decimal(0))

    def state(self) -> VenueOrderState:
        return VenueOrderState(
            self.client_id,
            self.venue_order_id,
            self.status,
            self.filled,
            tuple(self.fills),
            "",
            self.symbol,
            self.side,
            self.type,
            self.quantity,
            self.price,
        )


class ScriptedVenue:
    venue = VENUE

    def __init__(self, clock: SimClock, balances: dict[str, Decimal]) -> None:
        self.capabilities = Capabilities(not_found_is_final=False)
        self.clock = clock
        self.balance = dict(balances)
        self.orders: dict[str, VenueSideOrder] = {}
        self.submits: list[str] = []
        self.queries: list[str] = []
        self.canceled: list[str] = []
        #: what the next submit does: "accept", "lose" (never arrives, reply times out) or
        #: "late" (arrives, but the reply times out and lookups miss it for a while)
        self.next_submit = "accept"
        self.hidden: dict[str, int] = {}  # client id -> lookups still answered "not found"
        self.failing_reads = 0  # next reads that fail (venue unavailable)
        self.read_gate: asyncio.Event | None = None  # when set, open_orders waits for it
        self.submit_gate: asyncio.Event | None = None  # when set, submit's reply waits for it
        self.user_stream_up = True
        self._sink: ReportSink | None = None
        self._status: StatusSink | None = None
        self._ids = itertools.count(1)

    # --- the port -------------------------------------------------------------------------
    def set_report_sink(self, sink: ReportSink) -> None:
        self._sink = sink

    def set_status_sink(self, sink: StatusSink) -> None:
        self._status = sink

    async def submit(self, order: Order) -> None:
        self.submits.append(order.client_id)
        mode, self.next_submit = self.next_submit, "accept"
        if mode == "lose":
            raise OutcomeUnknown("timed out", venue=VENUE, operation="submit")
        if self.submit_gate is not None:  # the request is on its way (slow network)
            await self.submit_gate.wait()
        self._book(order.client_id, order.symbol, order.side, order.type, order.quantity)
        self.orders[order.client_id].price = order.price
        if mode == "late":
            self.hidden[order.client_id] = 2
            raise OutcomeUnknown("timed out", venue=VENUE, operation="submit")
        self._report(OrderAccepted(order.client_id, self.orders[order.client_id].venue_order_id, 0))

    async def cancel(self, order: Order) -> None:
        venue_order = self._find(order.client_id)
        if venue_order.status not in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED):
            raise OrderNotFound("order is closed", venue=VENUE, operation="cancel")
        venue_order.status = OrderStatus.CANCELED
        self.canceled.append(order.client_id)
        self._report(OrderCanceled(order.client_id, self.clock.now_ns()))

    async def modify(
        self,
        order: Order,
        *,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        quantity: Decimal | None = None,
    ) -> None:
        venue_order = self._find(order.client_id)
        venue_order.price = price or venue_order.price
        venue_order.quantity = quantity or venue_order.quantity
        self._report(OrderModified(order.client_id, self.clock.now_ns(), price, None, quantity))

    async def query_order(self, client_id: str, symbol: str | None = None) -> VenueOrderState:
        self.queries.append(client_id)
        self._read()
        return self._find(client_id).state()

    async def open_orders(self) -> Sequence[VenueOrderState]:
        if self.read_gate is not None:
            await self.read_gate.wait()
        self._read()
        return [
            o.state()
            for o in self.orders.values()
            if o.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)
        ]

    async def balances(self) -> dict[str, Decimal]:
        self._read()
        return {asset: amount for asset, amount in self.balance.items() if amount != 0}

    async def recent_fills(self, symbols: Sequence[str], since_ns: int) -> Sequence[Fill]:
        self._read()
        return [
            f
            for o in self.orders.values()
            for f in o.fills
            if f.symbol in symbols and f.ts >= since_ns
        ]

    # --- what happens at the venue (the test's script) ------------------------------------
    def fill(self, client_id: str, quantity: str, price: str) -> Fill:
        """The venue matches ``quantity`` of the order at ``price`` (fee 0.1% in quote)."""
        o = self.orders[client_id]
        qty, px = Decimal(quantity), Decimal(price)
        inst = next(i for i in INSTRUMENTS if i.symbol == o.symbol)
        fee = (qty * px * Decimal("0.001")).quantize(Decimal("0.00000001"))
        self.clock.advance(1_000_000)
        fill = Fill(
            VENUE,
            f"T{next(self._ids)}",
            client_id,
            o.venue_order_id,
            o.symbol,
            o.side,
            qty,
            px,
            fee,
            inst.quote,
            Liquidity.MAKER,
            self.clock.now_ns(),
        )
        o.fills.append(fill)
        o.status = OrderStatus.FILLED if o.filled == o.quantity else OrderStatus.PARTIALLY_FILLED
        sign = 1 if o.side is OrderSide.BUY else -1
        self.balance[inst.base] = self.balance.get(inst.base, Decimal(0)) + sign * qty
        self.balance[inst.quote] = self.balance.get(inst.quote, Decimal(0)) - sign * qty * px - fee
        self._report(OrderFilled(fill))
        return fill

    def place_web_order(self, symbol: str, side: OrderSide, quantity: str, price: str) -> str:
        """Someone places an order on the venue's website: we never hear of it directly."""
        client_id = f"web-{next(self._ids)}"
        self._book(client_id, symbol, side, OrderType.LIMIT, Decimal(quantity))
        self.orders[client_id].price = Decimal(price)
        return client_id

    def disconnect(self, stream: str = "user") -> None:
        if stream == "user":
            self.user_stream_up = False
        self._say(ConnectionChanged(VENUE, stream, False, "socket closed", self.clock.now_ns()))

    def reconnect(self, stream: str = "user") -> None:
        if stream == "user":
            self.user_stream_up = True
        self._say(ConnectionChanged(VENUE, stream, True, "", self.clock.now_ns()))

    # --- internals ------------------------------------------------------------------------
    def _book(
        self, client_id: str, symbol: str, side: OrderSide, otype: OrderType, qty: Decimal
    ) -> None:
        self.orders[client_id] = VenueSideOrder(
            client_id, f"V{next(self._ids)}", symbol, side, otype, qty, None
        )

    def _find(self, client_id: str) -> VenueSideOrder:
        left = self.hidden.get(client_id, 0)
        if left > 0:
            self.hidden[client_id] = left - 1
            raise OrderNotFound("Order does not exist.", venue=VENUE, operation="query")
        venue_order = self.orders.get(client_id)
        if venue_order is None:
            raise OrderNotFound("Order does not exist.", venue=VENUE, operation="query")
        return venue_order

    def _read(self) -> None:
        if self.failing_reads > 0:
            self.failing_reads -= 1
            raise VenueUnavailable("502 Bad Gateway", venue=VENUE, operation="read")

    def _report(self, report: ExecutionReport) -> None:
        if self._sink is not None and self.user_stream_up:  # a dropped stream loses reports
            self._sink(report)

    def _say(self, status: VenueStatus) -> None:
        assert self._status is not None, "attach_status was not called"
        self._status(status)


class ScriptedSession:
    """A real engine on a real SQLite journal, trading at the scripted venue."""

    def __init__(
        self,
        data_dir: Path,
        venue: ScriptedVenue | None = None,
        *,
        clock: SimClock | None = None,
        reconcile_every_s: float | None = None,
        unknown_backoff_s: Sequence[float] = (0.01,),
    ) -> None:
        self.clock = clock or (venue.clock if venue is not None else SimClock(START_NS))
        self.venue = venue or ScriptedVenue(self.clock, {"USD": Decimal("100000")})
        self.journal = Journal.open(data_dir)
        instruments: dict[str, Instrument] = {i.symbol: i for i in INSTRUMENTS}
        self.engine = TradingEngine(
            journal=self.journal,
            client=self.venue,
            instruments=instruments,
            clock=self.clock,
            breaker_interval_s=3600,
            reconcile_every_s=reconcile_every_s,
            unknown_backoff_s=unknown_backoff_s,
            reconnect_retry_s=(0.01,),
        )
        self.engine.attach_status(self.venue)

    async def start(self) -> list[str]:
        findings = await self.engine.start()
        for symbol, price in (("BTC/USD", "100"), ("ETH/USD", "50"), ("SPY", "200")):
            self.engine.on_market(
                TradeTick(symbol, Decimal(price), Decimal("1"), self.clock.now_ns())
            )
        return findings

    async def settle(self) -> None:
        await self.engine.tasks.idle()
        await self.engine.journal_flush()

    async def close(self) -> None:
        await self.engine.stop()
        self.journal.close()
