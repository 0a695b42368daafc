"""REST side: routing, authentication, faults and weight headers around the endpoint groups."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import ApiError
from .market_api import MarketApi
from .order_list_api import OrderListApi
from .params import Params, form
from .trading_api import TradingApi

if TYPE_CHECKING:
    from .emulator import BinanceEmulator

Handler = Callable[[Params], Awaitable[Any]]

RATE_LIMIT_MSG = (
    "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. "
    "Please use the websocket for live updates to avoid polling the API."
)
# requests that place orders, and how many each adds to the order counts (an OCO adds two)
ORDER_COUNTS = {("POST", "/api/v3/order"): 1, ("POST", "/api/v3/orderList/oco"): 2}
BANNED_MSG = (
    "Way too many requests; IP(127.0.0.1) banned until {until}. "
    "Please use the websocket for live updates to avoid bans."
)


class RestApi:
    def __init__(self, emu: BinanceEmulator) -> None:
        self.emu = emu
        self._weight_minute = 0
        self._weight = 0
        self._orders_10s: list[float] = []
        self._orders_day = 0
        self.counts: Counter[tuple[str, str]] = Counter()
        market, trading, lists = MarketApi(emu), TradingApi(emu), OrderListApi(emu)
        # (method, path) -> (handler, security, weight); security: NONE, KEY or SIGNED
        self.table: dict[tuple[str, str], tuple[Handler, str, int]] = {
            ("GET", "/api/v3/ping"): (market.ping, "NONE", 1),
            ("GET", "/api/v3/time"): (market.time, "NONE", 1),
            ("GET", "/api/v3/exchangeInfo"): (market.exchange_info, "NONE", 20),
            ("GET", "/api/v3/depth"): (market.depth, "NONE", 5),
            ("GET", "/api/v3/trades"): (market.trades, "NONE", 25),
            ("GET", "/api/v3/aggTrades"): (market.agg_trades, "NONE", 4),
            ("GET", "/api/v3/historicalTrades"): (market.historical_trades, "KEY", 25),
            ("GET", "/api/v3/klines"): (market.klines, "NONE", 2),
            ("GET", "/api/v3/uiKlines"): (market.klines, "NONE", 2),
            ("GET", "/api/v3/avgPrice"): (market.avg_price, "NONE", 2),
            ("GET", "/api/v3/ticker/24hr"): (market.ticker_24hr, "NONE", 2),
            ("GET", "/api/v3/ticker/price"): (market.ticker_price, "NONE", 2),
            ("GET", "/api/v3/ticker/bookTicker"): (market.book_ticker, "NONE", 2),
            ("POST", "/api/v3/userDataStream"): (trading.listen_key_new, "KEY", 2),
            ("PUT", "/api/v3/userDataStream"): (trading.listen_key_keep, "KEY", 2),
            ("DELETE", "/api/v3/userDataStream"): (trading.listen_key_close, "KEY", 2),
            ("POST", "/api/v3/order"): (trading.new_order, "SIGNED", 1),
            ("POST", "/api/v3/order/test"): (trading.test_order, "SIGNED", 1),
            ("GET", "/api/v3/order"): (trading.query_order, "SIGNED", 4),
            ("DELETE", "/api/v3/order"): (trading.cancel_order, "SIGNED", 1),
            ("POST", "/api/v3/order/cancelReplace"): (trading.cancel_replace, "SIGNED", 1),
            ("GET", "/api/v3/openOrders"): (trading.open_orders, "SIGNED", 6),
            ("DELETE", "/api/v3/openOrders"): (trading.cancel_all, "SIGNED", 1),
            ("GET", "/api/v3/allOrders"): (trading.all_orders, "SIGNED", 20),
            ("POST", "/api/v3/orderList/oco"): (lists.new_oco, "SIGNED", 1),
            ("DELETE", "/api/v3/orderList"): (lists.cancel_order_list, "SIGNED", 1),
            ("GET", "/api/v3/orderList"): (lists.query_order_list, "SIGNED", 4),
            ("GET", "/api/v3/openOrderList"): (lists.open_order_lists, "SIGNED", 6),
            ("GET", "/api/v3/allOrderList"): (lists.all_order_lists, "SIGNED", 20),
            ("GET", "/api/v3/account"): (trading.account, "SIGNED", 20),
            ("GET", "/api/v3/myTrades"): (trading.my_trades, "SIGNED", 20),
            ("GET", "/sapi/v1/account/apiRestrictions"): (trading.api_restrictions, "SIGNED", 1),
            ("GET", "/sapi/v1/asset/tradeFee"): (trading.trade_fee, "SIGNED", 1),
            ("GET", "/sapi/v1/system/status"): (trading.system_status, "NONE", 1),
        }

    def routes(self) -> list[web.RouteDef]:
        paths = sorted({path for _, path in self.table})
        return [web.route("*", path, self.dispatch) for path in paths]

    # ---- plumbing -----------------------------------------------------------------------
    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path.startswith(("/ws", "/stream")):
            return await handler(request)
        self.counts[(request.method, request.path)] += 1
        weight = self.table.get((request.method, request.path), (None, "", 1))[2]
        used = self._use_weight(weight)
        faults = self.emu.faults
        rate = faults.take_rate_limit(request.method, request.path)
        if rate is not None:
            msg = (
                RATE_LIMIT_MSG
                if rate.status == 429
                else BANNED_MSG.format(until=self.emu.server_ms() + int(rate.seconds * 1000))
            )
            return _json(
                {"code": -1003, "msg": msg},
                rate.status,
                used,
                {"Retry-After": str(int(rate.seconds))},
            )
        server = faults.take_server_error(request.method, request.path)
        if server is not None and not server.after_processing:
            return _server_error(server.status, used)
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # no route: Binance's 404, still with the weight
            return _json({"code": -1000, "msg": exc.reason}, exc.status, used)
        if server is not None:
            return _server_error(server.status, used)
        if faults.take_drop(request.method, request.path):
            # the order is booked; the client never hears back
            if request.transport is not None:
                request.transport.abort()
            return response
        delay = faults.take_delay(request.method, request.path)
        if delay is not None:
            await asyncio.sleep(delay)
        response.headers["X-MBX-USED-WEIGHT-1M"] = str(used)
        return response

    def _use_weight(self, weight: int) -> int:
        minute = int(time.time() // 60)
        if minute != self._weight_minute:
            self._weight_minute, self._weight = minute, 0
        self._weight += weight
        return self._weight

    async def dispatch(self, request: web.Request) -> web.Response:
        entry = self.table.get((request.method, request.path))
        if entry is None:
            return _json({"code": -1000, "msg": "Unknown endpoint in the emulator."}, 404)
        handler, security, _ = entry
        body = await request.text() if request.can_read_body else ""
        params: Params = dict(request.query)
        if body:
            params.update(form(body))
        try:
            header_key = request.headers.get("X-MBX-APIKEY")
            if security == "KEY":
                self.emu.auth.check_key(header_key)
            elif security == "SIGNED":
                total = request.query_string + body
                self.emu.auth.check_signed(header_key, total, params, self.emu.server_ms())
            payload = await handler(params)
        except ApiError as exc:
            return _json(exc.body(), exc.status)
        response = _json(payload, 200)
        placed = ORDER_COUNTS.get((request.method, request.path), 0)
        if placed:
            now = time.monotonic()
            self._orders_10s = [t for t in self._orders_10s if now - t < 10] + [now] * placed
            self._orders_day += placed
            response.headers["X-MBX-ORDER-COUNT-10S"] = str(len(self._orders_10s))
            response.headers["X-MBX-ORDER-COUNT-1D"] = str(self._orders_day)
        return response

    # ---- public -------------------------------------------------------------------------


def _json(
    payload: Any, status: int, used_weight: int | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    response = web.Response(
        text=json.dumps(payload),
        status=status,
        content_type="application/json",
        headers=headers,
    )
    if used_weight is not None:
        response.headers["X-MBX-USED-WEIGHT-1M"] = str(used_weight)
    return response


def _server_error(status: int, used: int) -> web.Response:
    reasons = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    response = web.Response(text=reasons[status], status=status, content_type="text/html")
    response.headers["X-MBX-USED-WEIGHT-1M"] = str(used)
    return response
