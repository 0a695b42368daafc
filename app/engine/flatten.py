"""Closing positions: flatten all, close one, reverse one. Orders are reduce-only market
orders tagged with the source of the book they close, so P&L lands where it belongs."""

from __future__ import annotations

import logging
from decimal import Decimal

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import Order, OrderRequest, OrderSide, OrderType, TimeInForce
from app.engine.oms import OrderManager

log = logging.getLogger(__name__)


def _close_request(symbol: str, qty: Decimal, role: str, source: str) -> OrderRequest:
    return OrderRequest(
        symbol=symbol,
        side=OrderSide.SELL if qty > 0 else OrderSide.BUY,
        type=OrderType.MARKET,
        quantity=abs(qty),
        tif=TimeInForce.GTC,
        reduce_only=True,
        source=source,
        role=role,
    )


async def close_position(oms: OrderManager, symbol: str, *, role: str = "close") -> list[Order]:
    """Close the account position in ``symbol``, one order per source book."""
    total = oms.portfolio.position_qty(symbol)
    if total == 0:
        raise ValidationError("symbol", f"no open position in {symbol}")
    # the position's own stop-loss/take-profit go first: on a spot account a resting
    # take-profit holds the very coins the close must sell
    for child in oms.working(symbol):
        if child.reduce_only and child.role in ("stop_loss", "take_profit"):
            await oms.cancel(child.client_id, f"{role}: position closed")
    orders: list[Order] = []
    remaining = total
    books = [
        b
        for (_, sym), b in oms.portfolio.books.items()
        if sym == symbol and b.quantity != 0 and (b.quantity > 0) == (total > 0)
    ]
    for book in books:
        qty = min(abs(book.quantity), abs(remaining)) * (1 if total > 0 else -1)
        if qty == 0:
            continue
        orders.append(await oms.submit(_close_request(symbol, qty, role, book.source)))
        remaining -= qty
    if remaining != 0:
        orders.append(await oms.submit(_close_request(symbol, remaining, role, "manual")))
    return orders


async def flatten_all(oms: OrderManager) -> list[Order]:
    orders: list[Order] = []
    for pos in list(oms.portfolio.open_positions()):
        try:
            orders.extend(await close_position(oms, pos.symbol, role="flatten"))
        except ValidationError as exc:
            log.error("flatten %s failed: %s", pos.symbol, exc)
    return orders


async def reverse_position(oms: OrderManager, symbol: str) -> Order:
    """Turn a position around with one market order of twice its size (margin accounts)."""
    qty = oms.portfolio.position_qty(symbol)
    if qty == 0:
        raise ValidationError("symbol", f"no open position in {symbol}")
    if not oms.risk.shorting and qty > 0:
        raise ValidationError("symbol", "a spot account cannot reverse a long into a short")
    return await oms.submit(
        OrderRequest(
            symbol=symbol,
            side=OrderSide.SELL if qty > 0 else OrderSide.BUY,
            type=OrderType.MARKET,
            quantity=abs(qty) * 2,
            source="manual",
            role="reverse",
        )
    )
