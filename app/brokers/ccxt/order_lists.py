"""One-cancels-the-other order lists (Binance spot ``POST /api/v3/orderList/oco``).

ccxt 4.5.90 has no unified call for them, so the list goes through ccxt's signed implicit
endpoint and each leg's report is parsed with ccxt's own order parser. The two legs carry
our client ids, so everything after the reply (the user stream, lookups, cancels) treats
them as ordinary orders; the venue cancels or expires the other leg on its own.

Leg placement follows Binance's rule: the leg with the higher price is "above". Selling
(closing a long), the take-profit is above and the stop below; buying, the other way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.engine.domain.orders import Order, OrderSide, OrderType
from app.engine.venue_errors import OrderRefused

if TYPE_CHECKING:
    from app.brokers.ccxt.execution import CcxtExecutionClient

#: the one list endpoint this module speaks (VenueQuirks.oco)
BINANCE_ORDER_LIST = "binance_order_list"


def oco_params(exchange: Any, stop: Order, target: Order) -> dict[str, Any]:
    """The request for Binance's orderList/oco from our two orders."""
    if stop.trigger_price is None or target.price is None:
        raise OrderRefused("a list needs the stop's trigger and the take-profit's price")
    symbol = stop.symbol

    def price(value: object) -> str:
        return str(exchange.price_to_precision(symbol, str(value)))

    stop_leg: dict[str, str] = {
        "Type": "STOP_LOSS_LIMIT" if stop.type is OrderType.STOP_LIMIT else "STOP_LOSS",
        "StopPrice": price(stop.trigger_price),
        "ClientOrderId": stop.client_id,
    }
    if stop.type is OrderType.STOP_LIMIT:
        if stop.price is None:
            raise OrderRefused("a stop-limit leg needs a limit price")
        stop_leg["Price"] = price(stop.price)
        stop_leg["TimeInForce"] = "GTC"
    # LIMIT_MAKER: a take-profit the market already passed is refused, never filled as taker
    target_leg = {
        "Type": "LIMIT_MAKER",
        "Price": price(target.price),
        "ClientOrderId": target.client_id,
    }
    selling = stop.side is OrderSide.SELL
    above, below = (target_leg, stop_leg) if selling else (stop_leg, target_leg)
    params: dict[str, Any] = {
        "symbol": exchange.market_id(symbol),
        "side": "SELL" if selling else "BUY",
        "quantity": str(exchange.amount_to_precision(symbol, str(stop.quantity))),
        # found again by it if the reply is lost (client ids are at most 28 characters)
        "listClientOrderId": f"L{stop.client_id}",
        "newOrderRespType": "FULL",
    }
    params.update({f"above{key}": value for key, value in above.items()})
    params.update({f"below{key}": value for key, value in below.items()})
    return params


async def submit_oco(client: CcxtExecutionClient, stop: Order, target: Order) -> None:
    """Send the list once; report each leg from the reply."""
    for order in (stop, target):
        client.check_client_id(order.client_id)
        if order.symbol not in client.symbols:
            raise OrderRefused(f"{order.symbol} is not a market of this session")
    exchange = client.calls.exchange
    params = oco_params(exchange, stop, target)
    for order in (stop, target):
        client.book.track(order.client_id, order.symbol)

    async def create() -> dict[str, Any]:
        reply: dict[str, Any] = await exchange.private_post_orderlist_oco(params)
        return reply

    try:
        reply = await client.calls.create(f"submit list {params['listClientOrderId']}", create)
    except OrderRefused:
        for order in (stop, target):
            client.book.forget(order.client_id)  # neither exists at the venue
        raise
    await apply_list_reports(client, reply)


def is_list_reply(reply: Mapping[str, Any]) -> bool:
    """A ccxt order parsed from an order list's answer (Binance answers a cancel of one leg
    for the whole list): no order of its own, the legs in ``info.orderReports``."""
    info = reply.get("info")
    return reply.get("id") is None and isinstance(info, Mapping) and "orderReports" in info


async def apply_list_reports(client: CcxtExecutionClient, answer: Mapping[str, Any]) -> None:
    """Report each leg of a raw list answer (``orderReports``) that is one of ours."""
    exchange = client.calls.exchange
    for report in answer.get("orderReports") or ():
        # a cancel's report names the leg in origClientOrderId (clientOrderId is the cancel's)
        cid = str(report.get("origClientOrderId") or report.get("clientOrderId") or "")
        symbol = exchange.safe_symbol(report.get("symbol"))
        if client.book.get(cid) is not None and symbol in client.symbols:
            order = exchange.parse_order(report, exchange.market(symbol))
            await client.apply_reply(order, cid)
