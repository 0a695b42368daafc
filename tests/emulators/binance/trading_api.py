"""Signed account and trading endpoints, and the listenKey user-data stream."""

from __future__ import annotations

import secrets
from typing import Any

from . import errors
from .errors import ApiError
from .params import Endpoints, Params, RawError, int_param, opt_int
from .symbols import fmt, parse_decimal
from .venue import OrderRequest


class TradingApi(Endpoints):
    # ---- user data stream (listenKey) -----------------------------------------------------
    async def listen_key_new(self, p: Params) -> Any:
        key = secrets.token_urlsafe(45)[:60]
        self.emu.listen_keys.add(key)
        return {"listenKey": key}

    async def listen_key_keep(self, p: Params) -> Any:
        if p.get("listenKey") not in self.emu.listen_keys:
            raise ApiError(-1125, "This listenKey does not exist.")
        return {}

    async def listen_key_close(self, p: Params) -> Any:
        self.emu.listen_keys.discard(p.get("listenKey", ""))
        return {}

    # ---- trading ------------------------------------------------------------------------
    def _order_request(self, p: Params) -> OrderRequest:
        sid = self._symbol(p)
        for name in ("side", "type"):
            if not p.get(name):
                raise errors.mandatory(name)
        return OrderRequest(
            symbol=sid,
            side=p["side"].upper(),
            type=p["type"].upper(),
            qty=parse_decimal("quantity", p.get("quantity")),
            price=parse_decimal("price", p.get("price")),
            stop_price=parse_decimal("stopPrice", p.get("stopPrice")),
            time_in_force=p.get("timeInForce"),
            client_id=p.get("newClientOrderId") or None,
            quote_order_qty=parse_decimal("quoteOrderQty", p.get("quoteOrderQty")),
        )

    async def new_order(self, p: Params) -> Any:
        req = self._order_request(p)
        resp_type = p.get("newOrderRespType") or (
            "FULL" if req.type in ("MARKET", "LIMIT") else "ACK"
        )
        if resp_type not in ("ACK", "RESULT", "FULL"):
            raise ApiError(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
        order = self.emu.venue.place(req, self.emu.server_ms())
        return order.new_order_reply(resp_type, order.time_ms)

    async def test_order(self, p: Params) -> Any:
        req = self._order_request(p)
        self.emu.venue.validate(req, self.emu.server_ms())
        return {}

    async def query_order(self, p: Params) -> Any:
        sid = self._symbol(p)
        order_id, client_id = self._order_ref(p, "origClientOrderId")
        order = self.emu.venue.find(sid, order_id, client_id)
        if self.emu.faults.hides_order(order.accepted_at):
            raise errors.order_does_not_exist()
        return order.rest()

    async def cancel_order(self, p: Params) -> Any:
        sid = self._symbol(p)
        order_id, client_id = self._order_ref(p, "origClientOrderId")
        cancel_id = p.get("newClientOrderId") or "cancel_" + secrets.token_hex(8)
        now = self.emu.server_ms()
        order = self.emu.venue.cancel(sid, order_id, client_id, cancel_id, now)
        order_list = self.emu.order_lists.list_of(order)
        if order_list is not None and order_list.cancel_client_id == cancel_id:
            # a leg's cancel took its whole list: Binance answers with the list's shape
            return order_list.cancel_reply(cancel_id, now)
        return order.cancel_reply(order.client_id, cancel_id, now)

    async def cancel_replace(self, p: Params) -> Any:
        sid = self._symbol(p)
        mode = p.get("cancelReplaceMode")
        if mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise errors.mandatory("cancelReplaceMode")
        order_id = opt_int(p, "cancelOrderId")
        client_id = p.get("cancelOrigClientOrderId")
        if order_id is None and client_id is None:
            raise errors.mandatory("cancelOrderId")
        venue, now = self.emu.venue, self.emu.server_ms()
        req = self._order_request(p)
        self._refuse_list_leg(sid, order_id, client_id)
        try:
            old = venue.cancel(sid, order_id, client_id, p.get("cancelNewClientOrderId"), now)
        except ApiError as exc:
            raise ApiError(-2022, "Order cancel-replace failed.") from exc
        cancel_reply = old.cancel_reply(old.client_id, "", now)
        try:
            new = venue.place(req, now)
        except ApiError as exc:
            body = {
                "code": -2021,
                "msg": "Order cancel-replace partially failed.",
                "data": {
                    "cancelResult": "SUCCESS",
                    "newOrderResult": "FAILURE",
                    "cancelResponse": cancel_reply,
                    "newOrderResponse": exc.body(),
                },
            }
            raise RawError(body, 409) from exc
        resp_type = p.get("newOrderRespType") or "FULL"
        return {
            "cancelResult": "SUCCESS",
            "newOrderResult": "SUCCESS",
            "cancelResponse": cancel_reply,
            "newOrderResponse": new.new_order_reply(resp_type, now),
        }

    def _refuse_list_leg(self, sid: str, order_id: int | None, client_id: str | None) -> None:
        """cancelReplace on a leg of an executing OCO is refused before anything is done.

        Binance documents no answer for this; the emulator's choice is the cancel-replace
        failure body with the cancel refused under the -2011 "cancel restrictions" message
        and the new order not attempted, in either cancelReplaceMode.
        """
        try:
            order = self.emu.venue.find(sid, order_id, client_id)
        except ApiError:
            return  # unknown orders fail in the cancel step as usual
        order_list = self.emu.order_lists.list_of(order)
        if order_list is None or not order_list.is_open:
            return
        body = {
            "code": -2022,
            "msg": "Order cancel-replace failed.",
            "data": {
                "cancelResult": "FAILURE",
                "newOrderResult": "NOT_ATTEMPTED",
                "cancelResponse": {
                    "code": -2011,
                    "msg": "Order was not canceled due to cancel restrictions.",
                },
                "newOrderResponse": None,
            },
        }
        raise RawError(body, 400)

    async def open_orders(self, p: Params) -> Any:
        sid = self._symbol(p) if "symbol" in p else None
        return [o.rest() for o in self.emu.venue.open_orders(sid)]

    async def cancel_all(self, p: Params) -> Any:
        sid = self._symbol(p)
        venue, now = self.emu.venue, self.emu.server_ms()
        open_ = venue.open_orders(sid)
        if not open_:
            raise errors.unknown_order()
        replies: list[dict[str, Any]] = []
        for order in open_:
            if not order.is_open:
                continue  # the other leg of a list canceled just before
            cancel_id = "cancel_" + secrets.token_hex(8)
            venue.cancel(sid, order.order_id, None, cancel_id, now)
            order_list = self.emu.order_lists.list_of(order)
            if order_list is not None and order_list.cancel_client_id == cancel_id:
                replies.append(order_list.cancel_reply(cancel_id, now))
            else:
                replies.append(order.cancel_reply(order.client_id, cancel_id, now))
        return replies

    async def all_orders(self, p: Params) -> Any:
        sid = self._symbol(p)
        from_id = opt_int(p, "orderId")
        start, end = opt_int(p, "startTime"), opt_int(p, "endTime")
        orders = [o for o in self.emu.venue.orders.values() if o.symbol == sid]
        if from_id is not None:
            orders = [o for o in orders if o.order_id >= from_id]
        if start is not None:
            orders = [o for o in orders if o.time_ms >= start]
        if end is not None:
            orders = [o for o in orders if o.time_ms <= end]
        return [o.rest() for o in orders[: int_param(p, "limit", 500, 1000)]]

    async def account(self, p: Params) -> Any:
        rate = str(self.emu.venue.commission_rate)
        balances = self.emu.account.snapshot()
        if p.get("omitZeroBalances") == "true":
            balances = {a: b for a, b in balances.items() if b.total != 0}
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": rate,
                "taker": rate,
                "buyer": "0.00000000",
                "seller": "0.00000000",
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": self.emu.server_ms(),
            "accountType": "SPOT",
            "balances": [
                {"asset": a, "free": fmt(b.free), "locked": fmt(b.locked)}
                for a, b in balances.items()
            ],
            "permissions": ["SPOT"],
            "uid": 354937868,
        }

    async def my_trades(self, p: Params) -> Any:
        sid = self._symbol(p)
        fills = [f for f in self.emu.venue.fills if f.symbol == sid]
        order_id = opt_int(p, "orderId")
        from_id = opt_int(p, "fromId")
        start, end = opt_int(p, "startTime"), opt_int(p, "endTime")
        if order_id is not None:
            fills = [f for f in fills if f.order_id == order_id]
        if from_id is not None:
            fills = [f for f in fills if f.trade_id >= from_id]
        if start is not None:
            fills = [f for f in fills if f.time_ms >= start]
        if end is not None:
            fills = [f for f in fills if f.time_ms <= end]
        limit = int_param(p, "limit", 500, 1000)
        if from_id is None and start is None and end is None:
            fills = fills[-limit:]  # newest trades when no anchor is given, as Binance does
        return [f.my_trade() for f in fills[:limit]]

    async def api_restrictions(self, p: Params) -> Any:
        return dict(self.emu.api_restrictions)

    async def trade_fee(self, p: Params) -> Any:
        rate = fmt(self.emu.venue.commission_rate)
        return [
            {"symbol": s, "makerCommission": rate, "takerCommission": rate}
            for s in self._symbols_param(p)
        ]

    async def system_status(self, p: Params) -> Any:
        return {"status": 0, "msg": "normal"}
