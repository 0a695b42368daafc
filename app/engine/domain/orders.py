"""Orders and their state table.

An order is created from an OrderRequest and then only changes by ``apply(event)``: the pair
(current status, event kind) is looked up in TRANSITIONS, and a pair that is not there raises
InvalidTransition. The engine logs and skips such events; it never crashes on them.

    INITIALIZED -> SUBMITTED -> ACCEPTED -> PARTIALLY_FILLED -> FILLED
    plus CANCELED, REJECTED, EXPIRED (terminal) and UNKNOWN: a request whose outcome we do not
    know (timeout, 5xx, lost reply). UNKNOWN is settled by reconciliation, never by resending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from app.engine.domain.errors import InvalidTransition
from app.engine.domain.fastinit import fast_frozen_init
from app.engine.domain.values import ZERO


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is OrderSide.BUY else -1

    @property
    def opposite(self) -> OrderSide:
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP_MARKET = "stop_market"
    STOP_LIMIT = "stop_limit"

    @property
    def has_price(self) -> bool:
        return self in _PRICED

    @property
    def has_trigger(self) -> bool:
        return self in _TRIGGERED


# Sets of members built once: on Python 3.11 each ``OrderType.LIMIT`` in a method body goes
# through ``EnumType.__getattr__``'s slow lookup hook, and these are asked on every fill.
_PRICED = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT})
_TRIGGERED = frozenset({OrderType.STOP_MARKET, OrderType.STOP_LIMIT})


class TimeInForce(StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


class OrderStatus(StrEnum):
    INITIALIZED = "initialized"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_working(self) -> bool:
        """Resting at the venue (or possibly so): cancel-all must reach it."""
        return self in _WORKING


_TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
_WORKING = frozenset(
    {OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.UNKNOWN}
)


class OrderEventKind(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    MODIFIED = "modified"


S, E = OrderStatus, OrderEventKind
# (status, event) -> next status. FILLED is resolved to PARTIALLY_FILLED/FILLED by quantity.
TRANSITIONS: dict[tuple[OrderStatus, OrderEventKind], OrderStatus] = {
    (S.INITIALIZED, E.SUBMITTED): S.SUBMITTED,
    (S.INITIALIZED, E.REJECTED): S.REJECTED,
    (S.INITIALIZED, E.CANCELED): S.CANCELED,
    (S.SUBMITTED, E.ACCEPTED): S.ACCEPTED,
    (S.SUBMITTED, E.REJECTED): S.REJECTED,
    (S.SUBMITTED, E.FILLED): S.FILLED,
    (S.SUBMITTED, E.CANCELED): S.CANCELED,
    (S.SUBMITTED, E.EXPIRED): S.EXPIRED,
    (S.SUBMITTED, E.UNKNOWN): S.UNKNOWN,
    (S.ACCEPTED, E.FILLED): S.FILLED,
    (S.ACCEPTED, E.CANCELED): S.CANCELED,
    (S.ACCEPTED, E.EXPIRED): S.EXPIRED,
    (S.ACCEPTED, E.MODIFIED): S.ACCEPTED,
    (S.ACCEPTED, E.UNKNOWN): S.UNKNOWN,
    # an engine-side (emulated) stop is ACCEPTED locally; the venue may still refuse it when
    # the trigger releases it
    (S.ACCEPTED, E.REJECTED): S.REJECTED,
    (S.PARTIALLY_FILLED, E.FILLED): S.FILLED,
    (S.PARTIALLY_FILLED, E.CANCELED): S.CANCELED,
    (S.PARTIALLY_FILLED, E.EXPIRED): S.EXPIRED,
    (S.PARTIALLY_FILLED, E.MODIFIED): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, E.UNKNOWN): S.UNKNOWN,
    (S.UNKNOWN, E.ACCEPTED): S.ACCEPTED,
    (S.UNKNOWN, E.REJECTED): S.REJECTED,
    (S.UNKNOWN, E.FILLED): S.FILLED,
    (S.UNKNOWN, E.CANCELED): S.CANCELED,
    (S.UNKNOWN, E.EXPIRED): S.EXPIRED,
}
del S, E
# members used by Order.apply, as module constants (see _PRICED above for why)
_EV_FILLED = OrderEventKind.FILLED
_EV_MODIFIED = OrderEventKind.MODIFIED
_FILLED = OrderStatus.FILLED
_PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED


@dataclass(frozen=True, slots=True)
class BracketSpec:
    """Stop-loss / take-profit attached to an entry, as absolute prices or % from the fill.

    ``trailing_pct`` makes the stop follow the best price since entry by that distance.
    """

    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    trailing_pct: Decimal | None = None

    @property
    def empty(self) -> bool:
        return all(
            v is None
            for v in (
                self.stop_loss,
                self.take_profit,
                self.stop_loss_pct,
                self.take_profit_pct,
                self.trailing_pct,
            )
        )


@fast_frozen_init  # one per order, from bots and backtests alike (see fastinit)
@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a trader or a bot asks for, before validation. Values may be strings or Decimals.

    ``price`` is the limit price (LIMIT, STOP_LIMIT); ``trigger_price`` the stop trigger
    (STOP_MARKET, STOP_LIMIT). ``confirmed`` acknowledges the duplicate-order guard.
    """

    symbol: str
    side: OrderSide
    type: OrderType
    quantity: object
    price: object = None
    trigger_price: object = None
    tif: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    source: str = "manual"
    bracket: BracketSpec | None = None
    confirmed: bool = False
    parent_id: str | None = None
    role: str | None = None  # "entry", "stop_loss", "take_profit", "flatten", "close"


@dataclass(slots=True)
class Order:
    """A validated order and its lifecycle. Mutated only through ``apply``."""

    client_id: str
    venue: str
    symbol: str
    side: OrderSide
    type: OrderType
    quantity: Decimal
    price: Decimal | None
    trigger_price: Decimal | None
    tif: TimeInForce
    reduce_only: bool
    source: str
    created_ns: int
    status: OrderStatus = OrderStatus.INITIALIZED
    venue_order_id: str | None = None
    filled_qty: Decimal = ZERO
    avg_fill_price: Decimal | None = None
    fees: Decimal = ZERO
    parent_id: str | None = None
    role: str | None = None
    reason: str | None = None
    updated_ns: int = 0
    history: list[tuple[int, OrderStatus, str]] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_qty

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def is_working(self) -> bool:
        return self.status.is_working

    def can_apply(self, kind: OrderEventKind) -> bool:
        return (self.status, kind) in TRANSITIONS

    def apply(
        self,
        kind: OrderEventKind,
        ts: int,
        *,
        venue_order_id: str | None = None,
        fill_qty: Decimal | None = None,
        fill_price: Decimal | None = None,
        fee: Decimal | None = None,
        reason: str | None = None,
        new_price: Decimal | None = None,
        new_trigger: Decimal | None = None,
        new_qty: Decimal | None = None,
    ) -> OrderStatus:
        """Apply an event; return the new status or raise InvalidTransition."""
        target = TRANSITIONS.get((self.status, kind))
        if target is None:
            raise InvalidTransition(self.client_id, self.status.value, kind.value)
        if venue_order_id:
            self.venue_order_id = venue_order_id
        if kind is _EV_FILLED:
            if fill_qty is None or fill_price is None or fill_qty <= 0:
                raise InvalidTransition(self.client_id, self.status.value, "fill without quantity")
            if fill_qty > self.remaining:
                raise InvalidTransition(
                    self.client_id, self.status.value, f"overfill {fill_qty} > {self.remaining}"
                )
            paid = (self.avg_fill_price or ZERO) * self.filled_qty + fill_price * fill_qty
            self.filled_qty += fill_qty
            self.avg_fill_price = paid / self.filled_qty
            self.fees += fee or ZERO
            target = _FILLED if self.quantity == self.filled_qty else _PARTIALLY_FILLED
        elif kind is _EV_MODIFIED:
            if new_qty is not None:
                if new_qty <= self.filled_qty:
                    raise InvalidTransition(
                        self.client_id, self.status.value, "new quantity not above filled"
                    )
                self.quantity = new_qty
            if new_price is not None:
                self.price = new_price
            if new_trigger is not None:
                self.trigger_price = new_trigger
        if reason:
            self.reason = reason
        self.status = target
        self.updated_ns = ts
        name = kind._value_  # ``.value`` is a Python-level property on 3.11; same string
        self.history.append((ts, target, name if not reason else f"{name}: {reason}"))
        return target
