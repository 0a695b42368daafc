"""Domain objects for store tests, with every field that the journal stores set."""

from __future__ import annotations

from decimal import Decimal

from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.orders import Order, OrderSide, OrderStatus, OrderType, TimeInForce


def make_order(
    client_id: str = "tdm-1",
    *,
    status: OrderStatus = OrderStatus.INITIALIZED,
    symbol: str = "BTC/USDT",
    created_ns: int = 1_700_000_000_000_000_000,
    quantity: Decimal = Decimal("0.00000001"),
    price: Decimal | None = Decimal("123456789.123456789"),
) -> Order:
    return Order(
        client_id=client_id,
        venue="paper",
        symbol=symbol,
        side=OrderSide.BUY,
        type=OrderType.STOP_LIMIT,
        quantity=quantity,
        price=price,
        trigger_price=Decimal("123456788.5"),
        tif=TimeInForce.GTC,
        reduce_only=True,
        source="bot:grid1",
        created_ns=created_ns,
        status=status,
        venue_order_id=None,
        parent_id="tdm-parent",
        role="stop_loss",
        updated_ns=created_ns,
    )


def make_fill(
    trade_id: str = "t-1",
    *,
    client_id: str = "tdm-1",
    ts: int = 1_700_000_000_500_000_000,
    symbol: str = "BTC/USDT",
    source: str = "bot:grid1",
    quantity: Decimal = Decimal("0.00000001"),
    venue: str = "paper",
) -> Fill:
    return Fill(
        venue=venue,
        trade_id=trade_id,
        client_id=client_id,
        venue_order_id="v-9",
        symbol=symbol,
        side=OrderSide.SELL,
        quantity=quantity,
        price=Decimal("123456789.123456789"),
        fee=Decimal("0.000000000001"),
        fee_currency="USDT",
        liquidity=Liquidity.MAKER,
        ts=ts,
        source=source,
        realized_pnl=Decimal("-42.10"),
    )
