"""OCO order lists: two legs that are ordinary venue orders tied by an orderListId.

The list locks its funds once (SELL: the quantity of base; BUY: the quote of the dearer leg),
held on the stop leg until one leg activates. Activation (a fill, or a stop triggering) moves
the whole lock to that leg and EXPIREs the other one, so the sibling releases nothing.

User-data order, as the emulator emits it (Binance does not document the order; this mirrors
what its engine does per request: order events, then the list event, then the balances):
  placed    executionReport NEW (stop leg), NEW (other leg), listStatus EXEC_STARTED,
            outboundAccountPosition
  fill      executionReport EXPIRED (sibling), TRADE (leg), listStatus ALL_DONE,
            outboundAccountPosition
  trigger   executionReport EXPIRED (sibling), NEW (triggered leg), TRADE, listStatus ALL_DONE,
            outboundAccountPosition
  cancel    executionReport CANCELED (both legs), listStatus ALL_DONE, outboundAccountPosition
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import ApiError
from .orders import LIMIT_TYPES, ZERO, Order

if TYPE_CHECKING:
    from .venue import OrderRequest, Venue

STOP_LEG_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT"})
OTHER_LEG_TYPES = frozenset({"LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})


def bad_prices() -> ApiError:
    return ApiError(-2010, "The relationship of the prices for the orders is not correct.")


def unknown_list() -> ApiError:
    return ApiError(-2011, "Unknown order list sent.")


def list_does_not_exist() -> ApiError:
    return ApiError(-2013, "Order list does not exist.")


@dataclass(slots=True)
class OrderList:
    order_list_id: int
    list_client_id: str
    symbol: str
    legs: list[Order]  # the stop leg first, as Binance numbers and lists them
    transaction_ms: int
    accepted_at: float
    status_type: str = "EXEC_STARTED"
    order_status: str = "EXECUTING"
    cancel_client_id: str | None = None

    @property
    def is_open(self) -> bool:
        return self.order_status == "EXECUTING"

    def finish(self, now_ms: int) -> None:
        self.status_type = self.order_status = "ALL_DONE"
        self.transaction_ms = now_ms

    def rest(self) -> dict[str, Any]:
        """GET /api/v3/orderList, openOrderList and allOrderList entries."""
        return {
            "orderListId": self.order_list_id,
            "contingencyType": "OCO",
            "listStatusType": self.status_type,
            "listOrderStatus": self.order_status,
            "listClientOrderId": self.list_client_id,
            "transactionTime": self.transaction_ms,
            "symbol": self.symbol,
            "orders": [
                {"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_id}
                for o in self.legs
            ],
        }

    def new_reply(self, resp_type: str) -> dict[str, Any]:
        reply = self.rest()
        reply["orderReports"] = [
            leg.new_order_reply(resp_type, self.transaction_ms) for leg in self.legs
        ]
        return reply

    def cancel_reply(self, cancel_client_id: str, now_ms: int) -> dict[str, Any]:
        reply = self.rest()
        reply["orderReports"] = [
            leg.cancel_reply(leg.client_id, cancel_client_id, now_ms) for leg in self.legs
        ]
        return reply

    def event(self, now_ms: int) -> dict[str, Any]:
        """The user-data `listStatus` event."""
        return {
            "e": "listStatus",
            "E": now_ms,
            "s": self.symbol,
            "g": self.order_list_id,
            "c": "OCO",
            "l": self.status_type,
            "L": self.order_status,
            "r": "NONE",
            "C": self.list_client_id,
            "T": self.transaction_ms,
            "O": [{"s": o.symbol, "i": o.order_id, "c": o.client_id} for o in self.legs],
        }


@dataclass(frozen=True, slots=True)
class OcoRequest:
    symbol: str
    side: str
    list_client_id: str | None
    above: OrderRequest
    below: OrderRequest


class OrderLists:
    """Books OCO lists on the venue and is the venue's hook for their legs."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self.by_id: dict[int, OrderList] = {}
        self.by_client_id: dict[str, OrderList] = {}
        self._next_list_id = 1
        self._pending: list[OrderList] = []
        venue.leg_hooks = self

    # ---- placing ------------------------------------------------------------------------
    def place_oco(self, req: OcoRequest, now_ms: int) -> OrderList:
        venue = self.venue
        spec = venue.spec(req.symbol)
        if req.side not in ("BUY", "SELL"):
            raise ApiError(-1117, "Invalid side.")
        above, below = req.above, req.below
        classes = {_leg_class(above.type), _leg_class(below.type)}
        if classes != {"stop", "other"}:
            raise ApiError(-1014, "Unsupported order combination.")
        # SELL: take-profit above the market, stop below it; BUY the other way round
        stop_is_below = _leg_class(below.type) == "stop"
        if stop_is_below != (req.side == "SELL"):
            raise bad_prices()
        last = venue.prices[spec.id]
        if not _key_price(above) > last > _key_price(below):
            raise bad_prices()
        list_client_id = req.list_client_id or venue.random_client_id()
        existing = self.by_client_id.get(list_client_id)
        if existing is not None and existing.is_open:
            raise errors.duplicate_order()
        if above.client_id is not None and above.client_id == below.client_id:
            raise errors.duplicate_order()
        stop_req, other_req = (below, above) if stop_is_below else (above, below)
        stop_leg = venue.validate(stop_req, now_ms)
        other_leg = venue.validate(other_req, now_ms)
        other_leg.order_id = stop_leg.order_id + 1
        asset, amount = self._list_lock(req.side, stop_leg, other_leg)
        venue.account.lock(asset, amount)  # raises -2010 insufficient balance
        venue.reserve_order_ids(2)
        order_list = OrderList(
            order_list_id=self._next_list_id,
            list_client_id=list_client_id,
            symbol=spec.id,
            legs=[stop_leg, other_leg],
            transaction_ms=now_ms,
            accepted_at=time.monotonic(),
        )
        self._next_list_id += 1
        for leg in order_list.legs:
            leg.order_list_id = order_list.order_list_id
            leg.lock_asset = asset
        stop_leg.lock_left = amount
        self.by_id[order_list.order_list_id] = order_list
        self.by_client_id[list_client_id] = order_list
        for leg in order_list.legs:
            venue.book(leg)
            venue.listener.order_changed(leg, "NEW", None, None)
        venue.listener.list_status(order_list.event(now_ms))
        venue.listener.balances_changed({asset}, now_ms)
        return order_list

    def _list_lock(self, side: str, *legs: Order) -> tuple[str, Decimal]:
        spec = legs[0].spec
        if side == "SELL":
            return spec.base, legs[0].qty
        costs = []
        for leg in legs:
            notional = leg.qty * (leg.price if leg.type in LIMIT_TYPES else leg.stop_price)
            costs.append(notional + self.venue.fee(notional))
        return spec.quote, max(costs)

    # ---- the venue's hooks ----------------------------------------------------------------
    def leg_activating(self, order: Order, now_ms: int) -> None:
        """One leg fills or triggers: it takes the list's lock and the other leg expires."""
        order_list = self.by_id.get(order.order_list_id)
        if order_list is None or not order_list.is_open:
            return
        for other in order_list.legs:
            if other is order or not other.is_open:
                continue
            order.lock_left += other.lock_left
            other.lock_left = ZERO
            other.status = "EXPIRED"
            other.update_ms = now_ms
            self.venue.listener.order_changed(other, "EXPIRED", None, None)
        order_list.finish(now_ms)
        self._pending.append(order_list)

    def flush(self, now_ms: int) -> None:
        """Publish the listStatus of lists that completed in this step."""
        pending, self._pending = self._pending, []
        for order_list in pending:
            self.venue.listener.list_status(order_list.event(now_ms))

    def cancel_list_of(self, order: Order, cancel_client_id: str, now_ms: int) -> bool:
        """Canceling one leg of an executing list cancels the list; False if it is done."""
        order_list = self.by_id.get(order.order_list_id)
        if order_list is None or not order_list.is_open:
            return False
        self._cancel(order_list, cancel_client_id, now_ms)
        return True

    # ---- cancels and queries --------------------------------------------------------------
    def cancel(
        self,
        symbol_id: str,
        order_list_id: int | None,
        list_client_id: str | None,
        cancel_client_id: str,
        now_ms: int,
    ) -> OrderList:
        self.venue.spec(symbol_id)
        order_list = self._lookup(order_list_id, list_client_id)
        if order_list is None or order_list.symbol != symbol_id or not order_list.is_open:
            raise unknown_list()
        self._cancel(order_list, cancel_client_id, now_ms)
        return order_list

    def _cancel(self, order_list: OrderList, cancel_client_id: str, now_ms: int) -> None:
        venue = self.venue
        for leg in order_list.legs:
            if not leg.is_open:
                continue
            leg.status = "CANCELED"
            leg.update_ms = now_ms
            venue.release_lock(leg)
            venue.listener.order_changed(leg, "CANCELED", None, cancel_client_id)
        order_list.finish(now_ms)
        order_list.cancel_client_id = cancel_client_id
        venue.listener.list_status(order_list.event(now_ms))
        venue.listener.balances_changed({order_list.legs[0].lock_asset}, now_ms)

    def find(self, order_list_id: int | None, list_client_id: str | None) -> OrderList:
        order_list = self._lookup(order_list_id, list_client_id)
        if order_list is None:
            raise list_does_not_exist()
        return order_list

    def _lookup(self, order_list_id: int | None, list_client_id: str | None) -> OrderList | None:
        if order_list_id is not None:
            found = self.by_id.get(order_list_id)
            # both given: the id wins, and the client id must match it (as for orders)
            if found is not None and list_client_id not in (None, found.list_client_id):
                return None
            return found
        return self.by_client_id.get(list_client_id or "")

    def list_of(self, order: Order) -> OrderList | None:
        return self.by_id.get(order.order_list_id)

    def open_lists(self, symbol_id: str | None = None) -> list[OrderList]:
        return [
            ol
            for ol in self.by_id.values()
            if ol.is_open and (symbol_id is None or ol.symbol == symbol_id)
        ]


def _leg_class(order_type: str) -> str:
    if order_type in STOP_LEG_TYPES:
        return "stop"
    if order_type in OTHER_LEG_TYPES:
        return "other"
    raise ApiError(-1116, "Invalid orderType.")


def _key_price(req: OrderRequest) -> Decimal:
    """The price Binance compares with the last price: the limit of a LIMIT_MAKER or
    TAKE_PROFIT_LIMIT, the stop of a STOP_LOSS, STOP_LOSS_LIMIT or TAKE_PROFIT."""
    if req.type in ("LIMIT_MAKER", "TAKE_PROFIT_LIMIT"):
        return req.price or ZERO
    return req.stop_price or ZERO
