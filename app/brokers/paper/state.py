"""The paper venue's books: orders, fills, balances and holds, changed only by records.

``PaperState.apply`` is the single way state changes, live and on replay. It trusts the record:
deciding whether a change is allowed (filters, balances, matching) happens before a record is
written, in the exchange.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from app.brokers.paper.balances import Balances, hold_for
from app.brokers.paper.book import SymbolBook
from app.brokers.paper.fees import FeeSchedule
from app.brokers.paper.records import (
    Accepted,
    Canceled,
    Deposited,
    Expired,
    Filled,
    Modified,
    PaperStateError,
    Record,
    Rejected,
    Triggered,
)
from app.engine.domain.events import (
    ExecutionReport,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
)
from app.engine.domain.fills import Fill
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import OrderSide, OrderStatus, OrderType, TimeInForce
from app.engine.domain.values import ZERO
from app.engine.ports import VenueOrderState

_OPEN = frozenset({OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})

# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every fill.
_BUY = OrderSide.BUY
_FILLED = OrderStatus.FILLED
_PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED
_MARKET = OrderType.MARKET
_STOP_MARKET = OrderType.STOP_MARKET


@dataclass(slots=True)
class VenueOrder:
    """The venue's own record of an order (the engine's ``Order`` is never touched here)."""

    client_id: str
    venue_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    quantity: Decimal
    price: Decimal | None
    trigger_price: Decimal | None
    tif: TimeInForce
    reduce_only: bool
    hold_price: Decimal | None
    accepted_ns: int
    number: int  # acceptance order at this venue (1, 2, ...)
    seq: int  # time priority: a trigger, a new price or a larger quantity sends it to the back
    status: OrderStatus = OrderStatus.ACCEPTED
    filled_qty: Decimal = ZERO
    triggered: bool = False
    fills: list[Fill] = field(default_factory=list)
    reason: str = ""
    closed_ns: int = 0

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_qty

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN

    @property
    def stop_pending(self) -> bool:
        """A stop that has not triggered yet: it waits for a trade, not for liquidity."""
        return self.type.has_trigger and not self.triggered

    @property
    def acts_as_market(self) -> bool:
        return self.type is _MARKET or (self.type is _STOP_MARKET and self.triggered)

    def snapshot(self) -> VenueOrderState:
        return VenueOrderState(
            client_id=self.client_id,
            venue_order_id=self.venue_order_id,
            status=self.status,
            filled_qty=self.filled_qty,
            fills=tuple(self.fills),
            reason=self.reason,
        )


class PaperState:
    def __init__(
        self,
        venue: str,
        instruments: Mapping[str, Instrument],
        fees: FeeSchedule,
        shorting: bool,
    ) -> None:
        self.venue = venue
        self.instruments = instruments
        self.fees = fees
        self.shorting = shorting
        self.balances = Balances()
        self.orders: dict[str, VenueOrder] = {}
        self.rejected: dict[str, Rejected] = {}
        self.order_count = 0
        self.trade_count = 0
        self._seq = 0
        self._books: dict[str, SymbolBook] = {}  # open orders only, per symbol

    # --- reading -------------------------------------------------------------------------
    def open_orders(self) -> Iterator[VenueOrder]:
        for book in self._books.values():
            yield from book.orders.values()

    def book(self, symbol: str) -> SymbolBook | None:
        """The open orders of ``symbol``, or None when it has none."""
        return self._books.get(symbol)

    def instrument_of(self, order: VenueOrder) -> Instrument:
        return self.instruments[order.symbol]

    # --- the one way to change state ----------------------------------------------------
    def apply(self, record: Record) -> ExecutionReport | None:
        """Apply one record; return the execution report it stands for (None for internal
        changes: deposits and stop triggers)."""
        if type(record) is Filled:  # the hot case first: one check instead of five patterns
            return OrderFilled(self._fill(record))
        match record:
            case Deposited():
                self.balances.add(record.asset, record.amount)
                return None
            case Accepted():
                return self._accept(record)
            case Rejected():
                self.rejected[record.client_id] = record
                return OrderRejected(record.client_id, record.reason, record.ts)
            case Triggered():
                order = self._open_order(record.client_id, "triggered")
                # the hold stays at the trigger price: a fill above it is bounded by the cash
                # available (see balances.max_affordable_buy), never by an over-reservation
                order.triggered = True
                # it reaches the book now, behind what already rests there
                self._seq += 1
                order.seq = self._seq
                self._books[order.symbol].place(order)
                return None
            case Filled():
                return OrderFilled(self._fill(record))
            case Modified():
                return self._modify(record)
            case Canceled():
                self._close(record.client_id, OrderStatus.CANCELED, record.reason, record.ts)
                return OrderCanceled(record.client_id, record.ts, record.reason)
            case Expired():
                self._close(record.client_id, OrderStatus.EXPIRED, record.reason, record.ts)
                return OrderExpired(record.client_id, record.ts, record.reason)
        raise PaperStateError(f"unhandled record {record!r}")  # pragma: no cover

    def _accept(self, r: Accepted) -> OrderAccepted:
        if r.client_id in self.orders:
            raise PaperStateError(f"order {r.client_id} accepted twice")
        if r.symbol not in self.instruments:
            # balances and holds need the instrument (assets, fee rates): refuse to guess
            raise PaperStateError(
                f"order {r.client_id} is for {r.symbol}, which is not among this venue's "
                "instruments; pass its Instrument to PaperExchange"
            )
        self._seq += 1
        self.order_count += 1
        order = VenueOrder(
            client_id=r.client_id,
            venue_order_id=r.venue_order_id,
            symbol=r.symbol,
            side=r.side,
            type=r.type,
            quantity=r.quantity,
            price=r.price,
            trigger_price=r.trigger_price,
            tif=r.tif,
            reduce_only=r.reduce_only,
            hold_price=r.hold_price,
            accepted_ns=r.ts,
            number=self.order_count,
            seq=self._seq,
        )
        self.orders[r.client_id] = order
        self._books.setdefault(r.symbol, SymbolBook()).place(order)
        self._rehold(order)
        return OrderAccepted(r.client_id, r.venue_order_id, r.ts)

    def _fill(self, r: Filled) -> Fill:
        order = self._open_order(r.client_id, "fill")
        quantity = r.quantity
        remaining = order.quantity - order.filled_qty
        if quantity <= 0 or quantity > remaining:
            raise PaperStateError(f"fill {r.trade_id} of {quantity} overfills {r.client_id}")
        instrument = self.instruments[order.symbol]
        notional = quantity * r.price
        add = self.balances.add
        if order.side is _BUY:
            add(instrument.quote, -notional)
            add(instrument.base, quantity)
        else:
            add(instrument.base, -quantity)
            add(instrument.quote, notional)
        add(r.fee_currency, -r.fee)
        self.trade_count += 1
        fill = Fill(
            self.venue,
            r.trade_id,
            r.client_id,
            order.venue_order_id,
            order.symbol,
            order.side,
            quantity,
            r.price,
            r.fee,
            r.fee_currency,
            r.liquidity,
            r.ts,
        )
        order.fills.append(fill)
        order.filled_qty += quantity
        if order.quantity - order.filled_qty == 0:
            self._close_order(order, _FILLED, "", r.ts)
        else:
            order.status = _PARTIALLY_FILLED
            self._rehold(order)
        return fill

    def _modify(self, r: Modified) -> OrderModified:
        order = self._open_order(r.client_id, "modify")
        loses_priority = False
        if r.price is not None:
            loses_priority = loses_priority or r.price != order.price
            order.price = r.price
            order.hold_price = r.price
        if r.trigger_price is not None:
            order.trigger_price = r.trigger_price
            if order.type is OrderType.STOP_MARKET:
                order.hold_price = r.trigger_price
        if r.quantity is not None:
            if r.quantity <= order.filled_qty:
                raise PaperStateError(f"modify of {r.client_id} to {r.quantity} <= filled")
            loses_priority = loses_priority or r.quantity > order.quantity
            order.quantity = r.quantity
        if loses_priority:
            # like a real book: repricing or growing an order queues it behind the others
            self._seq += 1
            order.seq = self._seq
        self._books[order.symbol].place(order)
        self._rehold(order)
        return OrderModified(r.client_id, r.ts, r.price, r.trigger_price, r.quantity)

    def _close(self, client_id: str, status: OrderStatus, reason: str, ts: int) -> None:
        self._close_order(self._open_order(client_id, status.value), status, reason, ts)

    def _close_order(self, order: VenueOrder, status: OrderStatus, reason: str, ts: int) -> None:
        """Close an order the caller found open."""
        client_id = order.client_id
        order.status = status
        order.reason = reason
        order.closed_ns = ts
        self.balances.set_hold(client_id, None)
        book = self._books[order.symbol]
        book.remove(client_id)
        if not book:
            del self._books[order.symbol]

    def _open_order(self, client_id: str, what: str) -> VenueOrder:
        order = self.orders.get(client_id)
        if order is None or not order.is_open:
            raise PaperStateError(f"{what} record for an order that is not open: {client_id}")
        return order

    def _rehold(self, order: VenueOrder) -> None:
        hold = hold_for(
            self.instrument_of(order),
            order.side,
            order.remaining,
            order.hold_price,
            self.fees,
            self.shorting,
        )
        self.balances.set_hold(order.client_id, hold)
