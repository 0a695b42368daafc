"""The emulated Fyers account: symbols, orders, trades, positions and funds.

Shapes follow /work/shared/data/exchange/fyers (rest/orderbook, funds, positions, quotes,
depth; ws/order_event_*). Order status codes: 1 canceled, 2 traded, 4 transit, 5 rejected,
6 pending. Market orders fill at once at the touch; a limit order fills when it crosses
the touch (at placement, on modify, or when ``set_price`` moves the market).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

IST = timezone(timedelta(hours=5, minutes=30))
CLIENT = "XB12345"
PENDING, TRADED, CANCELED, REJECTED = 6, 2, 1, 5


class RefusedError(Exception):
    """An order request Fyers would refuse: carries the error envelope's code and message."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Symbol:
    symbol: str
    bid: Decimal
    ask: Decimal
    tick: Decimal = Decimal("0.05")
    volume: int = 1_000_000
    description: str = ""

    @property
    def ltp(self) -> Decimal:
        return self.bid


class Book:
    def __init__(self, now_s: Callable[[], int], cash: Decimal = Decimal("100000")) -> None:
        self.now_s = now_s
        self.symbols: dict[str, Symbol] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.trades: list[dict[str, Any]] = []
        self.cash = cash
        self.start_cash = cash
        self.positions: dict[str, dict[str, Any]] = {}
        self.holdings: dict[str, dict[str, Any]] = {}  # delivery (CNC) shares from past days
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []
        self._ids = itertools.count(15105)
        self._trade_ids = itertools.count(21726639)

    def add_symbol(self, symbol: str, bid: str, ask: str, tick: str = "0.05") -> None:
        name = symbol.split(":")[1].rsplit("-", 1)[0]
        self.symbols[symbol] = Symbol(
            symbol, Decimal(bid), Decimal(ask), Decimal(tick), description=f"{name} LIMITED"
        )

    # --- requests --------------------------------------------------------------------
    def place(self, body: dict[str, Any]) -> str:
        symbol = self.symbols.get(str(body.get("symbol")))
        if symbol is None:
            raise RefusedError(-50, "Invalid symbol provided")
        qty, kind, side = body.get("qty"), body.get("type"), body.get("side")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
            raise RefusedError(-310, "Please provide a valid order quantity")
        if kind not in (1, 2, 3, 4):
            raise RefusedError(-101, "Please provide a valid order type")
        if side not in (1, -1):
            raise RefusedError(-313, "Please provide a valid order side of either buy or sell")
        if body.get("productType") not in ("CNC", "INTRADAY", "MARGIN"):
            raise RefusedError(-314, "Please provide a valid product type for the order")
        limit = Decimal(str(body.get("limitPrice") or 0))
        stop = Decimal(str(body.get("stopPrice") or 0))
        if kind in (1, 4):
            self._check_price(limit, symbol, -308, "Please provide a valid limitPrice")
        if kind in (3, 4):
            self._check_price(stop, symbol, -309, "Please provide a valid stop price")
        if side == 1:
            needed = qty * (limit if kind in (1, 4) else symbol.ask)
            available = self.available()
            if needed > available:
                raise RefusedError(
                    -99,
                    f"RMS:Margin Exceeds,Required:{needed:.2f}, Available:{available:.2f} for "
                    f"entity account-{CLIENT} across exchange across segment across product",
                )
        order_id = f"{datetime.fromtimestamp(self.now_s(), IST):%y%m%d}{next(self._ids):08d}"
        self.orders[order_id] = {
            "clientId": CLIENT,
            "id": order_id,
            "id_fyers": f"emu-{order_id}",
            "exchOrdId": f"11000000{order_id[-8:]}",
            "qty": qty,
            "remainingQuantity": qty,
            "filledQty": 0,
            "discloseQty": 0,
            "limitPrice": float(limit),
            "stopPrice": float(stop),
            "tradedPrice": 0,
            "type": kind,
            "fyToken": "10100000003045",
            "exchange": 10,
            "segment": 10,
            "symbol": symbol.symbol,
            "instrument": 0,
            "message": "",
            "offlineOrder": False,
            "orderDateTime": self._rest_time(),
            "orderValidity": body.get("validity", "DAY"),
            "pan": "",
            "productType": body["productType"],
            "side": side,
            "status": PENDING,
            "source": "API",
            "ex_sym": symbol.symbol.split(":")[1].rsplit("-", 1)[0],
            "description": symbol.description,
            "orderNumStatus": f"{order_id}:{PENDING}",
            "orderTag": str(body.get("orderTag") or ""),
            "takeProfit": 0,
            "stopLoss": 0,
        }
        self._publish_order(self.orders[order_id])
        self._match(self.orders[order_id])
        return order_id

    def modify(self, body: dict[str, Any]) -> str:
        order = self._open_order(body.get("id"))
        symbol = self.symbols[order["symbol"]]
        if "limitPrice" in body:
            price = Decimal(str(body["limitPrice"]))
            self._check_price(price, symbol, -308, "Please provide a valid limitPrice")
            order["limitPrice"] = float(price)
        if "stopPrice" in body:
            order["stopPrice"] = float(Decimal(str(body["stopPrice"])))
        if "qty" in body:
            qty = body["qty"]
            if not isinstance(qty, int) or qty <= order["filledQty"]:
                raise RefusedError(-310, "Please provide a valid order quantity")
            order["qty"] = qty
            order["remainingQuantity"] = qty - order["filledQty"]
        self._publish_order(order)
        self._match(order)
        return str(order["id"])

    def cancel(self, body: dict[str, Any]) -> str:
        order = self._open_order(body.get("id"))
        self._set_status(order, CANCELED)
        return str(order["id"])

    def roll_day(self) -> None:
        """A new trading day: yesterday's delivery (CNC) net shares become holdings; the
        day's positions and tradebook start empty, as Fyers' do."""
        for position in self.positions.values():
            if position["productType"] != "CNC" or position["netQty"] == 0:
                continue
            symbol = position["symbol"]
            holding = self.holdings.setdefault(
                symbol,
                {
                    "symbol": symbol,
                    "holdingType": "T1",
                    "quantity": 0,
                    "remainingQuantity": 0,
                    "costPrice": 0.0,
                    "exchange": 10,
                    "segment": 10,
                },
            )
            holding["quantity"] += position["netQty"]
            holding["remainingQuantity"] = holding["quantity"]
        self.positions.clear()
        self.trades.clear()

    def set_price(self, symbol: str, bid: str, ask: str) -> None:
        """Move the market; resting limits that now cross fill."""
        state = self.symbols[symbol]
        state.bid, state.ask = Decimal(bid), Decimal(ask)
        for order in list(self.orders.values()):
            if order["symbol"] == symbol and order["status"] == PENDING:
                self._match(order)

    def available(self) -> Decimal:
        held = sum(
            (
                Decimal(str(o["limitPrice"])) * o["remainingQuantity"]
                for o in self.orders.values()
                if o["status"] == PENDING and o["side"] == 1
            ),
            Decimal(0),
        )
        return self.cash - held

    # --- matching --------------------------------------------------------------------
    def _match(self, order: dict[str, Any]) -> None:
        symbol = self.symbols[order["symbol"]]
        buy = order["side"] == 1
        touch = symbol.ask if buy else symbol.bid
        limit = Decimal(str(order["limitPrice"]))
        if order["type"] == 1 and (limit < touch if buy else limit > touch):
            return
        if order["type"] in (3, 4):
            return  # stops rest until the emulator is told to trigger them (not modelled)
        self._fill(order, order["remainingQuantity"], touch)

    def _fill(self, order: dict[str, Any], qty: int, price: Decimal) -> None:
        order["filledQty"] += qty
        order["remainingQuantity"] -= qty
        order["tradedPrice"] = float(price)
        sign = order["side"]
        self.cash -= sign * qty * price
        trade = {
            "clientId": CLIENT,
            "orderDateTime": self._rest_time(),
            "orderNumber": order["id"],
            "exchangeOrderNo": order["exchOrdId"],
            "exchange": 10,
            "side": sign,
            "segment": 10,
            "orderType": order["type"],
            "fyToken": order["fyToken"],
            "productType": order["productType"],
            "tradedQty": qty,
            "tradePrice": float(price),
            "tradeValue": float(price * qty),
            "tradeNumber": f"{order['id']}-{next(self._trade_ids)}",
            "row": len(self.trades) + 1,
            "symbol": order["symbol"],
            "orderTag": order["orderTag"],
        }
        self.trades.append(trade)
        position = self.positions.setdefault(
            order["symbol"],
            {
                "symbol": order["symbol"],
                "id": f"{order['symbol']}-{order['productType']}",
                "netQty": 0,
                "qty": 0,
                "buyQty": 0,
                "sellQty": 0,
                "productType": order["productType"],
                "segment": 10,
                "exchange": 10,
            },
        )
        position["netQty"] += sign * qty
        position["qty"] = abs(position["netQty"])
        position["buyQty" if sign == 1 else "sellQty"] += qty
        ws_trade = dict(trade)
        ws_trade["orderDateTime"] = datetime.fromtimestamp(self.now_s(), IST).strftime(
            "%d-%m-%Y %H:%M:%S"
        )
        del ws_trade["row"]
        self._emit("trades", {"s": "ok", "trades": ws_trade})
        if order["remainingQuantity"] == 0:
            self._set_status(order, TRADED)
        else:
            self._publish_order(order)

    # --- helpers -----------------------------------------------------------------------
    def _open_order(self, order_id: object) -> dict[str, Any]:
        order = self.orders.get(str(order_id))
        if order is None:
            raise RefusedError(-209, "Please provide a valid order number")
        if order["status"] == CANCELED:
            raise RefusedError(-161, "This order has already been cancelled")
        if order["status"] == TRADED:
            raise RefusedError(-162, "This order has already traded")
        if order["status"] == REJECTED:
            raise RefusedError(-164, "This order has already been rejected")
        return order

    @staticmethod
    def _check_price(price: Decimal, symbol: Symbol, code: int, message: str) -> None:
        if price <= 0:
            raise RefusedError(code, message)
        if price % symbol.tick:
            raise RefusedError(-392, "Price should be in multiples of tick size.")

    def _set_status(self, order: dict[str, Any], status: int) -> None:
        order["status"] = status
        order["orderNumStatus"] = f"{order['id']}:{status}"
        self._publish_order(order)

    def _publish_order(self, order: dict[str, Any]) -> None:
        keys = (
            "clientId",
            "id",
            "exchOrdId",
            "qty",
            "filledQty",
            "limitPrice",
            "type",
            "fyToken",
            "exchange",
            "segment",
            "symbol",
            "instrument",
            "offlineOrder",
            "orderDateTime",
            "orderValidity",
            "productType",
            "side",
            "status",
            "source",
            "ex_sym",
            "description",
            "orderNumStatus",
            "id_fyers",
            "orderTag",
            "remainingQuantity",
            "stopPrice",
            "tradedPrice",
            "message",
        )
        self._emit("orders", {"s": "ok", "orders": {k: order[k] for k in keys}})

    def _emit(self, channel: str, message: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            listener(channel, message)

    def _rest_time(self) -> str:
        return datetime.fromtimestamp(self.now_s(), IST).strftime("%d-%b-%Y %H:%M:%S")
