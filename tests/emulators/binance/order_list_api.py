"""Signed order-list endpoints: POST /api/v3/orderList/oco and the list queries and cancels."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from . import errors
from .errors import ApiError
from .order_lists import OTHER_LEG_TYPES, STOP_LEG_TYPES, OcoRequest
from .orders import STOP_TYPES
from .params import Endpoints, Params, int_param, opt_int
from .symbols import parse_decimal
from .venue import OrderRequest

PRICED_TYPES = frozenset({"LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
TIF_TYPES = frozenset({"STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})


def not_required(name: str) -> ApiError:
    return ApiError(-1106, f"Parameter '{name}' sent when not required.")


class OrderListApi(Endpoints):
    async def new_oco(self, p: Params) -> Any:
        sid = self._symbol(p)
        if not p.get("side"):
            raise errors.mandatory("side")
        side = p["side"].upper()
        qty = parse_decimal("quantity", p.get("quantity"))
        if qty is None:
            raise errors.mandatory("quantity")
        resp_type = p.get("newOrderRespType") or "FULL"
        if resp_type not in ("ACK", "RESULT", "FULL"):
            raise ApiError(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
        req = OcoRequest(
            symbol=sid,
            side=side,
            list_client_id=p.get("listClientOrderId") or None,
            above=_leg(p, "above", sid, side, qty),
            below=_leg(p, "below", sid, side, qty),
        )
        order_list = self.emu.order_lists.place_oco(req, self.emu.server_ms())
        return order_list.new_reply(resp_type)

    async def cancel_order_list(self, p: Params) -> Any:
        sid = self._symbol(p)
        list_id, list_client_id = self._list_ref(p, "listClientOrderId")
        if list_id is None and list_client_id is None:
            raise ApiError(
                -1102,
                "Param 'orderListId' or 'listClientOrderId' must be sent, but both were "
                "empty/null!",
            )
        cancel_id = p.get("newClientOrderId") or "cancel_" + secrets.token_hex(8)
        now = self.emu.server_ms()
        order_list = self.emu.order_lists.cancel(sid, list_id, list_client_id, cancel_id, now)
        return order_list.cancel_reply(cancel_id, now)

    async def query_order_list(self, p: Params) -> Any:
        list_id, list_client_id = self._list_ref(p, "origClientOrderId")
        if list_id is None and list_client_id is None:
            raise ApiError(
                -1128,
                "Combination of optional parameters invalid. "
                "Recommendation: 'orderListId' should also be sent.",
            )
        order_list = self.emu.order_lists.find(list_id, list_client_id)
        if self.emu.faults.hides_order(order_list.accepted_at):
            raise ApiError(-2013, "Order list does not exist.")
        return order_list.rest()

    async def open_order_lists(self, p: Params) -> Any:
        return [ol.rest() for ol in self.emu.order_lists.open_lists()]

    async def all_order_lists(self, p: Params) -> Any:
        lists = list(self.emu.order_lists.by_id.values())
        from_id = opt_int(p, "fromId")
        start, end = opt_int(p, "startTime"), opt_int(p, "endTime")
        if from_id is not None:
            lists = [ol for ol in lists if ol.order_list_id >= from_id]
        if start is not None:
            lists = [ol for ol in lists if ol.legs[0].time_ms >= start]
        if end is not None:
            lists = [ol for ol in lists if ol.legs[0].time_ms <= end]
        return [ol.rest() for ol in lists[: int_param(p, "limit", 500, 1000)]]

    @staticmethod
    def _list_ref(p: Params, client_key: str) -> tuple[int | None, str | None]:
        return opt_int(p, "orderListId"), p.get(client_key) or None


def _leg(p: Params, prefix: str, sid: str, side: str, qty: Decimal) -> OrderRequest:
    """One leg's parameters (`abovePrice`, `belowStopPrice`, ...), checked per its type."""
    raw_type = p.get(f"{prefix}Type")
    if not raw_type:
        raise errors.mandatory(f"{prefix}Type")
    order_type = raw_type.upper()
    if order_type not in STOP_LEG_TYPES | OTHER_LEG_TYPES:
        raise ApiError(-1116, "Invalid orderType.")
    price = parse_decimal(f"{prefix}Price", p.get(f"{prefix}Price"))
    stop_price = parse_decimal(f"{prefix}StopPrice", p.get(f"{prefix}StopPrice"))
    tif = p.get(f"{prefix}TimeInForce") or None
    for name, value, wanted in (
        (f"{prefix}Price", price, order_type in PRICED_TYPES),
        (f"{prefix}StopPrice", stop_price, order_type in STOP_TYPES),
        (f"{prefix}TimeInForce", tif, order_type in TIF_TYPES),
    ):
        if wanted and value is None:
            raise errors.mandatory(name)
        if not wanted and value is not None:
            raise not_required(name)
    return OrderRequest(
        symbol=sid,
        side=side,
        type=order_type,
        qty=qty,
        price=price,
        stop_price=stop_price,
        time_in_force=tif,
        client_id=p.get(f"{prefix}ClientOrderId") or None,
    )
