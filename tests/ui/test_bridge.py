from __future__ import annotations

import asyncio
from decimal import Decimal

from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.ui.context import UiContext


async def test_bridge_batches_prices_orders_fills_and_positions(ui_ctx: UiContext) -> None:
    seen: dict[str, list[object]] = {k: [] for k in ("quotes", "orders", "fills", "positions")}
    b = ui_ctx.bridge
    b.quotes.connect(seen["quotes"].append)
    b.orders.connect(seen["orders"].append)
    b.fills.connect(seen["fills"].append)
    b.positions.connect(seen["positions"].append)
    await asyncio.sleep(0.5)
    assert seen["quotes"], "prices flow to the UI"
    batch = seen["quotes"][-1]
    assert isinstance(batch, dict) and all(s.last is not None for s in batch.values())
    flushes_before = b.flushes
    await ui_ctx.engine.place_order(
        OrderRequest("BTC/USD", OrderSide.BUY, OrderType.MARKET, "0.01")
    )
    await asyncio.sleep(0.2)
    assert b.flushes > flushes_before
    assert seen["fills"] and seen["fills"][-1][0].symbol == "BTC/USD"  # type: ignore[index]
    assert seen["orders"] and seen["positions"]
    pos = {p.symbol: p for p in seen["positions"][-1]}  # type: ignore[attr-defined]
    assert pos["BTC/USD"].quantity == Decimal("0.01")
