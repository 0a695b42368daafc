"""The open orders of one symbol, kept in priority order so an event touches only what fills.

Resting limits sit in price-time order per side, kept with the best order LAST (best price,
then earliest arrival), so filling the best order, the common case, removes it with an O(1)
``pop`` instead of shifting the whole list; stops sit in trigger order (the one a move
reaches first, first); waiting market orders in arrival order. A quote or a trade then walks
a side from the best order and stops at the first order it does not reach: the cost of an
event is the orders it fills, not the size of the book.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from app.engine.domain.orders import OrderSide

if TYPE_CHECKING:
    from app.brokers.paper.state import VenueOrder

Entry = tuple[Decimal, int, str]  # (sort price, seq or -seq, client id)

# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every fill.
_BUY = OrderSide.BUY


class SymbolBook:
    __slots__ = ("_asks", "_bids", "_buy_stops", "_entries", "_sell_stops", "markets", "orders")

    def __init__(self) -> None:
        self.orders: dict[str, VenueOrder] = {}
        self.markets: dict[str, VenueOrder] = {}  # insertion order is arrival order
        self._bids: list[Entry] = []  # (price, -seq, id): the best (highest, earliest) last
        self._asks: list[Entry] = []  # (-price, -seq, id): the best (lowest, earliest) last
        self._buy_stops: list[Entry] = []  # (trigger, seq, id): a rise reaches the lowest first
        self._sell_stops: list[Entry] = []  # (-trigger, seq, id): a fall reaches the highest
        self._entries: dict[str, tuple[list[Entry], Entry]] = {}

    def __bool__(self) -> bool:
        return bool(self.orders)

    def place(self, order: VenueOrder) -> None:
        """Index an open order where it now belongs (call again after any change to it)."""
        self._unindex(order.client_id)
        self.orders[order.client_id] = order
        if order.acts_as_market:
            self.markets[order.client_id] = order
            return
        buy = order.side is _BUY
        client_id, seq = order.client_id, order.seq
        queue: list[Entry]
        if order.stop_pending:
            assert order.trigger_price is not None
            trigger = order.trigger_price
            if buy:
                queue, entry = self._buy_stops, (trigger, seq, client_id)
            else:
                queue, entry = self._sell_stops, (-trigger, seq, client_id)
        else:
            assert order.price is not None
            if buy:
                queue, entry = self._bids, (order.price, -seq, client_id)
            else:
                queue, entry = self._asks, (-order.price, -seq, client_id)
        insort(queue, entry)
        self._entries[client_id] = (queue, entry)

    def remove(self, client_id: str) -> None:
        self._unindex(client_id)
        self.orders.pop(client_id, None)

    def _unindex(self, client_id: str) -> None:
        self.markets.pop(client_id, None)
        found = self._entries.pop(client_id, None)
        if found is not None:
            queue, entry = found
            if queue[-1] is entry:  # the best limit: what fills, fills first
                queue.pop()
            else:
                del queue[bisect_left(queue, entry)]

    # --- walking the book ------------------------------------------------------------------
    def limits_reached(self, side: OrderSide, price: Decimal) -> list[VenueOrder]:
        """Resting limits of ``side`` priced at or better than ``price`` (buys >= it, sells
        <= it), in priority order. A list, so filling (and removing) them is safe."""
        out: list[VenueOrder] = []
        if side is _BUY:
            for key, _, client_id in reversed(self._bids):
                if key < price:
                    break
                out.append(self.orders[client_id])
        else:
            for key, _, client_id in reversed(self._asks):
                if -key > price:
                    break
                out.append(self.orders[client_id])
        return out

    def stops_reached(self, trade_price: Decimal) -> list[VenueOrder]:
        """Untriggered stops a print at ``trade_price`` triggers, in arrival order."""
        hit: list[VenueOrder] = []
        if not self._buy_stops and not self._sell_stops:
            return hit
        for trigger, _, client_id in self._buy_stops:
            if trigger > trade_price:
                break
            hit.append(self.orders[client_id])
        for neg_trigger, _, client_id in self._sell_stops:
            if -neg_trigger < trade_price:
                break
            hit.append(self.orders[client_id])
        hit.sort(key=lambda order: order.seq)
        return hit

    def waiting_markets(self) -> Iterator[VenueOrder]:
        yield from list(self.markets.values())
