"""What working orders hold at the venue: quote cash for buys, base quantity for sells.

Kept incrementally (each order's share is remembered and replaced when the order changes),
so the risk gate's balance check costs the same with 1 or 10,000 working orders. Orders held
engine-side (emulated stops) reserve nothing: the venue does not know them yet. The two orders
of a venue-held one-cancels-the-other pair reserve once between them (the larger of the two),
as the venue does: only one of them can ever execute.
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
#: (the total it is counted in, that total's key, amount)
_Share = tuple[dict[str, Decimal], str, Decimal]


class Reservations:
    def __init__(
        self, instruments: Mapping[str, Instrument], last_price: Callable[[str], Decimal | None]
    ) -> None:
        self.instruments = instruments
        self.last_price = last_price
        self._share: dict[str, _Share] = {}  # client id (or pair key) -> its share
        self._quote: dict[str, Decimal] = {}  # quote asset -> reserved by buys
        self._base: dict[str, Decimal] = {}  # symbol -> reserved by sells
        # one-cancels-the-other pairs: client id -> the pair's key (its first order's id),
        # and each member's own amount; the pair's share is kept under its key
        self._pair_of: dict[str, str] = {}
        self._members: dict[str, tuple[str, ...]] = {}
        self._member_share: dict[str, _Share | None] = {}

    def update(self, order: Order, *, held_at_venue: bool) -> None:
        if self._pair_of and order.client_id in self._pair_of:
            self._member_share[order.client_id] = self._share_of(order, held_at_venue)
            self._restate(self._pair_of[order.client_id])
            return
        old = self._share.pop(order.client_id, None)
        if old is not None:
            book, name, amount = old
            book[name] = book.get(name, ZERO) - amount
        share = self._share_of(order, held_at_venue)
        if share is not None:
            book, name, amount = share
            self._share[order.client_id] = share
            book[name] = book.get(name, ZERO) + amount

    def pair(self, first: Order, second: Order, *, held_at_venue: bool = True) -> None:
        """Count ``first`` and ``second`` as one venue order list from now on."""
        key = first.client_id
        for order in (first, second):
            old = self._share.pop(order.client_id, None)
            if old is not None:
                book, name, amount = old
                book[name] = book.get(name, ZERO) - amount
            self._pair_of[order.client_id] = key
            self._member_share[order.client_id] = self._share_of(order, held_at_venue)
        self._members[key] = (first.client_id, second.client_id)
        self._restate(key, forget=False)  # linked before they work: nothing to count yet

    def _restate(self, key: str, *, forget: bool = True) -> None:
        old = self._share.pop(key, None)
        if old is not None:
            book, name, amount = old
            book[name] = book.get(name, ZERO) - amount
        members = self._members[key]
        shares = [s for s in (self._member_share.get(m) for m in members) if s is not None]
        if not shares:
            if forget:  # both done: the pair is forgotten
                for member in members:
                    self._pair_of.pop(member, None)
                    self._member_share.pop(member, None)
                del self._members[key]
            return
        largest = max(shares, key=lambda s: s[2])
        self._share[key] = largest
        book, name, amount = largest
        book[name] = book.get(name, ZERO) + amount

    def _share_of(self, order: Order, held_at_venue: bool) -> _Share | None:
        if not (held_at_venue and order.status in _WORKING):
            return None
        inst = self.instruments.get(order.symbol)
        if inst is None:
            return None
        remaining = order.quantity - order.filled_qty  # order.remaining, without the call
        if order.side is _BUY:
            ref = order.price or order.trigger_price or self.last_price(order.symbol) or ZERO
            return self._quote, inst.quote, remaining * ref * (ONE + inst.taker_fee)
        return self._base, order.symbol, remaining

    def reserved(self, inst: Instrument) -> tuple[Decimal, Decimal]:
        """(quote reserved by working buys in ``inst.quote``, base reserved by sells of it)."""
        return self._quote.get(inst.quote, ZERO), self._base.get(inst.symbol, ZERO)
