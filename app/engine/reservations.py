"""What working orders hold at the venue: quote cash for buys, base quantity for sells.

Kept incrementally (each order's share is remembered and replaced when the order changes),
so the risk gate's balance check costs the same with 1 or 10,000 working orders. Orders held
engine-side (emulated stops) reserve nothing: the venue does not know them yet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import Order, OrderSide, OrderStatus
from app.engine.domain.values import ONE, ZERO

_WORKING = frozenset(s for s in OrderStatus if s.is_working)

# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every fill.
_BUY = OrderSide.BUY


class Reservations:
    def __init__(
        self, instruments: Mapping[str, Instrument], last_price: Callable[[str], Decimal | None]
    ) -> None:
        self.instruments = instruments
        self.last_price = last_price
        # client id -> (the total it is counted in, that total's key, amount)
        self._share: dict[str, tuple[dict[str, Decimal], str, Decimal]] = {}
        self._quote: dict[str, Decimal] = {}  # quote asset -> reserved by buys
        self._base: dict[str, Decimal] = {}  # symbol -> reserved by sells

    def update(self, order: Order, *, held_at_venue: bool) -> None:
        old = self._share.pop(order.client_id, None)
        if old is not None:
            book, name, amount = old
            book[name] = book.get(name, ZERO) - amount
        if not (held_at_venue and order.status in _WORKING):
            return
        inst = self.instruments.get(order.symbol)
        if inst is None:
            return
        remaining = order.quantity - order.filled_qty  # order.remaining, without the call
        if order.side is _BUY:
            ref = order.price or order.trigger_price or self.last_price(order.symbol) or ZERO
            book, name = self._quote, inst.quote
            amount = remaining * ref * (ONE + inst.taker_fee)
        else:
            book, name, amount = self._base, order.symbol, remaining
        self._share[order.client_id] = (book, name, amount)
        book[name] = book.get(name, ZERO) + amount

    def reserved(self, inst: Instrument) -> tuple[Decimal, Decimal]:
        """(quote reserved by working buys in ``inst.quote``, base reserved by sells of it)."""
        return self._quote.get(inst.quote, ZERO), self._base.get(inst.symbol, ZERO)
