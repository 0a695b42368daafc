"""Price-time priority among our own orders, and the order stops trigger in."""

from __future__ import annotations

from app.engine.domain.orders import OrderStatus
from tests.paper.helpers import (
    BUY,
    LIMIT,
    SELL,
    STOP_MARKET,
    D,
    open_venue,
    order,
    quote,
    trade,
)


async def test_same_price_fills_in_arrival_order_and_a_larger_quantity_loses_its_place() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    first, second = order(BUY, LIMIT, "1", "99.00"), order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(first)
    await venue.exchange.submit(second)
    venue.exchange.on_trade(trade("98.00", "0.5"))
    assert venue.fills(first.client_id)[0].quantity == D("0.5")
    assert venue.fills(second.client_id) == []

    await venue.exchange.modify(first, quantity=D("2"))  # grows: to the back of the queue
    venue.exchange.on_trade(trade("98.00", "0.5"))
    assert venue.fills(second.client_id)[0].quantity == D("0.5")
    assert len(venue.fills(first.client_id)) == 1

    await venue.exchange.modify(second, quantity=D("0.6"))  # shrinks: keeps its place
    venue.exchange.on_trade(trade("98.00", "0.3"))
    assert [f.quantity for f in venue.fills(second.client_id)] == [D("0.5"), D("0.1")]
    assert [f.quantity for f in venue.fills(first.client_id)] == [D("0.5"), D("0.2")]


async def test_resting_sells_share_a_print_best_price_first() -> None:
    venue = open_venue({"BTC": "2"})
    venue.exchange.on_quote(quote("99.50", "100.00"))
    high, low = order(SELL, LIMIT, "1", "102.00"), order(SELL, LIMIT, "1", "101.00")
    await venue.exchange.submit(high)
    await venue.exchange.submit(low)
    venue.exchange.on_trade(trade("103.00", "1.5"))
    assert venue.fills(low.client_id)[0].quantity == D("1")
    assert venue.fills(high.client_id)[0].quantity == D("0.5")


async def test_a_gap_triggers_every_stop_it_passes_in_arrival_order() -> None:
    venue = open_venue({"BTC": "3"})
    venue.exchange.on_quote(quote("99.90", "100.00"))
    far = order(SELL, STOP_MARKET, "1", trigger="95.00")
    near = order(SELL, STOP_MARKET, "1", trigger="98.00")
    untouched = order(SELL, STOP_MARKET, "1", trigger="90.00")
    for o in (far, near, untouched):
        await venue.exchange.submit(o)
    venue.exchange.on_quote(quote("93.00", "93.10", bid_size="1.5"))
    venue.exchange.on_trade(trade("94.00"))

    # arrival order, not trigger order: `far` was placed first and takes the bid first
    assert [(f.quantity, f.price) for f in venue.fills(far.client_id)] == [(D("1"), D("93.00"))]
    assert [(f.quantity, f.price) for f in venue.fills(near.client_id)] == [(D("0.5"), D("93.00"))]
    assert await venue.status(untouched.client_id) is OrderStatus.ACCEPTED
    assert venue.fills(untouched.client_id) == []
