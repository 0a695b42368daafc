"""Exchange filters and request errors, with the venue's own wording."""

from __future__ import annotations

import pytest

from app.brokers.paper import messages
from app.engine.domain.orders import OrderStatus
from app.engine.ports import OrderNotFound
from tests.paper.helpers import (
    BUY,
    LIMIT,
    MARKET,
    STOP_LIMIT,
    D,
    open_venue,
    order,
    quote,
)


@pytest.mark.parametrize(
    ("qty", "price", "expected"),
    [
        ("0.0005", "100.00", "Filter failure: LOT_SIZE"),  # below min qty / off the lot grid
        ("0.0015", "100.00", "Filter failure: LOT_SIZE"),  # off the lot grid
        ("1001", "100.00", "Filter failure: LOT_SIZE"),  # above max qty
        ("1", "100.005", "Filter failure: PRICE_FILTER"),  # off the tick grid
        ("1", "0", "Filter failure: PRICE_FILTER"),
        ("0.001", "100.00", "Filter failure: NOTIONAL"),  # 0.1 USDT < 10 USDT
    ],
)
async def test_limit_order_filters(qty: str, price: str, expected: str) -> None:
    venue = open_venue()
    o = order(BUY, LIMIT, qty, price)
    await venue.exchange.submit(o)
    assert venue.rejection(o.client_id) == expected
    assert venue.kinds(o.client_id) == ["OrderRejected"]


async def test_stop_limit_checks_both_prices() -> None:
    venue = open_venue()
    o = order(BUY, STOP_LIMIT, "1", price="100.00", trigger="99.999")
    await venue.exchange.submit(o)
    assert venue.rejection(o.client_id) == messages.PRICE_FILTER


async def test_market_notional_is_checked_at_the_touch() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "100.10"))
    o = order(BUY, MARKET, "0.099")  # 9.9099 USDT < 10
    await venue.exchange.submit(o)
    assert venue.rejection(o.client_id) == messages.NOTIONAL


async def test_unknown_symbol_wrong_venue_and_missing_price() -> None:
    venue = open_venue()
    unknown = order(BUY, LIMIT, "1", "1.00", symbol="NOPE/USDT")
    elsewhere = order(BUY, LIMIT, "1", "100.00", venue="binance")
    no_price = order(BUY, LIMIT, "1")
    for o in (unknown, elsewhere, no_price):
        await venue.exchange.submit(o)
    assert venue.rejection(unknown.client_id) == "Invalid symbol."
    assert venue.rejection(elsewhere.client_id) == "Order is for venue 'binance', not 'paper'."
    assert venue.rejection(no_price.client_id) == messages.MISSING_PRICE


async def test_a_rejected_order_is_known_as_rejected_and_changes_nothing() -> None:
    venue = open_venue()
    o = order(BUY, LIMIT, "0.0005", "100.00")
    await venue.exchange.submit(o)
    state = await venue.exchange.query_order(o.client_id)
    assert (state.status, state.venue_order_id, state.reason) == (
        OrderStatus.REJECTED,
        None,
        messages.LOT_SIZE,
    )
    assert await venue.exchange.open_orders() == []
    assert await venue.exchange.balances() == {"USDT": D("10000")}
    with pytest.raises(OrderNotFound, match=r"^Unknown order sent\.$"):
        await venue.exchange.cancel(o)


async def test_query_of_an_order_never_seen_raises_order_not_found() -> None:
    venue = open_venue()
    with pytest.raises(OrderNotFound, match=r"^Order does not exist\.$"):
        await venue.exchange.query_order("never-sent")
