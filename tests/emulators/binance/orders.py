"""Orders and fills as the venue keeps them, and their documented REST/stream shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .symbols import SymbolSpec, fmt

OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})
LIMIT_TYPES = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of the account's order; `trade_id` is unique across the venue."""

    trade_id: int
    order_id: int
    client_id: str
    symbol: str
    side: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    is_maker: bool
    order_list_id: int = -1

    def my_trade(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "id": self.trade_id,
            "orderId": self.order_id,
            "orderListId": self.order_list_id,
            "price": fmt(self.price),
            "qty": fmt(self.qty),
            "quoteQty": fmt(self.quote_qty),
            "commission": fmt(self.commission),
            "commissionAsset": self.commission_asset,
            "time": self.time_ms,
            "isBuyer": self.side == "BUY",
            "isMaker": self.is_maker,
            "isBestMatch": True,
        }

    def order_fill(self) -> dict[str, Any]:
        return {
            "price": fmt(self.price),
            "qty": fmt(self.qty),
            "commission": fmt(self.commission),
            "commissionAsset": self.commission_asset,
            "tradeId": self.trade_id,
        }


@dataclass(slots=True)
class Order:
    """A venue order; mutable because the venue moves it through its states."""

    order_id: int
    client_id: str
    spec: SymbolSpec
    side: str
    type: str
    time_in_force: str
    qty: Decimal
    price: Decimal
    stop_price: Decimal
    quote_order_qty: Decimal
    time_ms: int
    status: str = "NEW"
    executed: Decimal = ZERO
    cum_quote: Decimal = ZERO
    update_ms: int = 0
    working: bool = True
    working_ms: int = 0
    lock_asset: str = ""
    lock_left: Decimal = ZERO
    accepted_at: float = 0.0
    order_list_id: int = -1  # Binance's -1 for a single order
    fills: list[Fill] = field(default_factory=list)

    @property
    def symbol(self) -> str:
        return self.spec.id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.executed

    def rest(self) -> dict[str, Any]:
        """GET /api/v3/order, openOrders and allOrders entries."""
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": self.order_list_id,
            "clientOrderId": self.client_id,
            "price": fmt(self.price),
            "origQty": fmt(self.qty),
            "executedQty": fmt(self.executed),
            "cummulativeQuoteQty": fmt(self.cum_quote),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
            "stopPrice": fmt(self.stop_price),
            "icebergQty": fmt(ZERO),
            "time": self.time_ms,
            "updateTime": self.update_ms,
            "isWorking": self.working,
            "workingTime": self.working_ms if self.working else -1,
            "origQuoteOrderQty": fmt(self.quote_order_qty),
            "selfTradePreventionMode": "NONE",
        }

    def new_order_reply(self, resp_type: str, transact_ms: int) -> dict[str, Any]:
        """POST /api/v3/order in its ACK, RESULT or FULL shape."""
        reply: dict[str, Any] = {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": self.order_list_id,
            "clientOrderId": self.client_id,
            "transactTime": transact_ms,
        }
        if resp_type == "ACK":
            return reply
        reply.update(
            {
                "price": fmt(self.price),
                "origQty": fmt(self.qty),
                "executedQty": fmt(self.executed),
                "origQuoteOrderQty": fmt(self.quote_order_qty),
                "cummulativeQuoteQty": fmt(self.cum_quote),
                "status": self.status,
                "timeInForce": self.time_in_force,
                "type": self.type,
                "side": self.side,
                "workingTime": self.working_ms if self.working else -1,
                "selfTradePreventionMode": "NONE",
            }
        )
        if self.stop_price:
            reply["stopPrice"] = fmt(self.stop_price)
        if resp_type == "FULL":
            reply["fills"] = [f.order_fill() for f in self.fills]
        return reply

    def cancel_reply(
        self, orig_client_id: str, cancel_client_id: str, now_ms: int
    ) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "origClientOrderId": orig_client_id,
            "orderId": self.order_id,
            "orderListId": self.order_list_id,
            "clientOrderId": cancel_client_id,
            "transactTime": now_ms,
            "price": fmt(self.price),
            "origQty": fmt(self.qty),
            "executedQty": fmt(self.executed),
            "origQuoteOrderQty": fmt(self.quote_order_qty),
            "cummulativeQuoteQty": fmt(self.cum_quote),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
            "selfTradePreventionMode": "NONE",
        }

    def execution_report(
        self, exec_type: str, now_ms: int, fill: Fill | None, cancel_client_id: str | None
    ) -> dict[str, Any]:
        """The user-data `executionReport`; on a cancel `c` is the canceller's id, `C` ours."""
        return {
            "e": "executionReport",
            "E": now_ms,
            "s": self.symbol,
            "c": cancel_client_id if cancel_client_id else self.client_id,
            "S": self.side,
            "o": self.type,
            "f": self.time_in_force,
            "q": fmt(self.qty),
            "p": fmt(self.price),
            "P": fmt(self.stop_price),
            "F": fmt(ZERO),
            "g": self.order_list_id,
            "C": self.client_id if cancel_client_id else "",
            "x": exec_type,
            "X": self.status,
            "r": "NONE",
            "i": self.order_id,
            "l": fmt(fill.qty) if fill else fmt(ZERO),
            "z": fmt(self.executed),
            "L": fmt(fill.price) if fill else fmt(ZERO),
            "n": fmt(fill.commission) if fill else "0",
            "N": fill.commission_asset if fill else None,
            "T": fill.time_ms if fill else now_ms,
            "t": fill.trade_id if fill else -1,
            "v": 0,
            "I": self.order_id * 10 + len(self.fills),
            "w": self.working and self.is_open,
            "m": fill.is_maker if fill else False,
            "M": False,
            "O": self.time_ms,
            "Z": fmt(self.cum_quote),
            "Y": fmt(fill.quote_qty) if fill else fmt(ZERO),
            "Q": fmt(self.quote_order_qty),
            "W": self.working_ms,
            "V": "NONE",
        }
