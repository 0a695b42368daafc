"""Cancel and modify, their errors, and what they do to holds."""

from __future__ import annotations

import re

import pytest

from app.brokers.paper import messages
from app.engine.domain.events import OrderCanceled, OrderModified
from app.engine.domain.fills import Liquidity
from app.engine.domain.orders import OrderStatus
from app.engine.ports import OrderNotFound, OrderRefused
from tests.paper.helpers import (
    BUY,
    LIMIT,
    MARKET,
    SELL,
    STOP_LIMIT,
    STOP_MARKET,
    D,
    open_venue,
    order,
    quote,
    trade,
)


async def test_cancel_reports_and_releases_the_hold() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    o = order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(o)
    assert venue.exchange.reserved("USDT") > 0

    await venue.exchange.cancel(o)
    canceled = venue.of(o.client_id)[-1]
    assert isinstance(canceled, OrderCanceled)
    assert venue.exchange.reserved("USDT") == 0
    assert await venue.exchange.open_orders() == []
    assert await venue.status(o.client_id) is OrderStatus.CANCELED
    venue.exchange.on_trade(trade("90.00"))
    assert venue.fills(o.client_id) == []


async def test_cancel_of_a_partially_filled_order_keeps_its_fills() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    o = order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(o)
    venue.exchange.on_trade(trade("98.00", "0.25"))
    await venue.exchange.cancel(o)
    state = await venue.exchange.query_order(o.client_id)
    assert (state.status, state.filled_qty, len(state.fills)) == (
        OrderStatus.CANCELED,
        D("0.25"),
        1,
    )
    assert venue.exchange.reserved("USDT") == 0


async def test_cancel_of_unknown_or_final_orders_raises_order_not_found() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    with pytest.raises(OrderNotFound, match=r"^Unknown order sent\.$"):
        await venue.exchange.cancel(order(BUY, LIMIT, "1", "99.00"))

    filled = order(BUY, MARKET, "1")
    await venue.exchange.submit(filled)
    with pytest.raises(OrderNotFound, match=r"^Unknown order sent\.$"):
        await venue.exchange.cancel(filled)

    o = order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(o)
    await venue.exchange.cancel(o)
    with pytest.raises(OrderNotFound):
        await venue.exchange.cancel(o)


async def test_modify_price_keeps_the_venue_id_and_moves_the_hold() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    o = order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(o)
    before = await venue.exchange.query_order(o.client_id)

    await venue.exchange.modify(o, price=D("98.00"))
    report = venue.of(o.client_id)[-1]
    assert report == OrderModified(o.client_id, report.ts, D("98.00"), None, None)  # type: ignore[union-attr]
    after = await venue.exchange.query_order(o.client_id)
    assert after.venue_order_id == before.venue_order_id
    assert venue.exchange.reserved("USDT") == D("98.00") * D("1.002")

    venue.exchange.on_trade(trade("98.50"))  # through the old price, not the new one
    assert venue.fills(o.client_id) == []
    venue.exchange.on_trade(trade("97.99"))
    assert venue.fills(o.client_id)[0].price == D("98.00")


async def test_modify_quantity_down_and_up() -> None:
    venue = open_venue({"BTC": "3"})
    venue.exchange.on_quote(quote("99.50", "100.00"))
    o = order(SELL, LIMIT, "2", "101.00")
    await venue.exchange.submit(o)
    await venue.exchange.modify(o, quantity=D("1"))
    assert venue.exchange.reserved("BTC") == D("1")
    await venue.exchange.modify(o, quantity=D("3"))
    assert venue.exchange.reserved("BTC") == D("3")
    with pytest.raises(OrderRefused, match=re.escape(messages.INSUFFICIENT_BALANCE)):
        await venue.exchange.modify(o, quantity=D("3.5"))
    assert venue.exchange.reserved("BTC") == D("3")  # refused: unchanged


async def test_modify_to_a_marketable_price_fills_at_once_as_taker() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    o = order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(o)
    await venue.exchange.modify(o, price=D("100.50"))
    assert venue.kinds(o.client_id) == ["OrderAccepted", "OrderModified", "OrderFilled"]
    [fill] = venue.fills(o.client_id)
    assert (fill.price, fill.liquidity) == (D("100.00"), Liquidity.TAKER)


async def test_modify_stop_trigger_and_stop_limit_price() -> None:
    venue = open_venue({"BTC": "1"})
    venue.exchange.on_trade(trade("100.00"))
    stop = order(SELL, STOP_MARKET, "1", trigger="95.00")
    stop_limit = order(SELL, STOP_LIMIT, "1", price="94.00", trigger="95.00")
    await venue.exchange.submit(stop)
    await venue.exchange.modify(stop, trigger_price=D("96.00"))
    assert venue.kinds(stop.client_id) == ["OrderAccepted", "OrderModified"]
    with pytest.raises(OrderRefused, match=re.escape(messages.STOP_WOULD_TRIGGER)):
        await venue.exchange.modify(stop, trigger_price=D("100.50"))
    with pytest.raises(OrderRefused, match=re.escape(messages.MODIFY_PRICE_NOT_APPLICABLE)):
        await venue.exchange.modify(stop, price=D("96.00"))
    await venue.exchange.cancel(stop)

    await venue.exchange.submit(stop_limit)
    await venue.exchange.modify(stop_limit, price=D("94.50"), trigger_price=D("95.50"))
    venue.exchange.on_quote(quote("95.00", "95.10"))
    venue.exchange.on_trade(trade("95.50"))
    assert venue.fills(stop_limit.client_id)[0].price == D("95.00")  # taker at the bid
    assert venue.exchange.total("BTC") == 0


async def test_modify_refusals_leave_the_order_as_it_was() -> None:
    venue = open_venue({"USDT": "200"})
    venue.exchange.on_quote(quote("99.50", "100.00", ask_size="0.5"))
    o = order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(o)
    cases = [
        ({"price": D("99.001")}, messages.PRICE_FILTER),
        ({"quantity": D("1.0005")}, messages.LOT_SIZE),
        ({"quantity": D("0.05")}, messages.NOTIONAL),
        ({"quantity": D("2.1")}, messages.INSUFFICIENT_BALANCE),
        ({"trigger_price": D("98.00")}, messages.MODIFY_STOP_NOT_APPLICABLE),
        ({}, messages.MODIFY_NOTHING),
    ]
    for changes, message in cases:
        with pytest.raises(OrderRefused) as refused:
            await venue.exchange.modify(o, **changes)
        assert str(refused.value) == message
    assert venue.kinds(o.client_id) == ["OrderAccepted"]
    assert venue.exchange.reserved("USDT") == D("99.00") * D("1.002")

    venue.exchange.on_trade(trade("98.00", "0.4"))
    with pytest.raises(OrderRefused, match=r"above the quantity already filled \(0.400\)"):
        await venue.exchange.modify(o, quantity=D("0.4"))

    market = order(BUY, MARKET, "1")
    await venue.exchange.submit(market)  # 0.5 at the ask, 0.5 waiting for liquidity
    with pytest.raises(OrderRefused, match=re.escape(messages.MODIFY_MARKET)):
        await venue.exchange.modify(market, quantity=D("2"))


async def test_modify_of_unknown_or_final_orders_raises_order_not_found() -> None:
    venue = open_venue()
    with pytest.raises(OrderNotFound, match=r"^Unknown order sent\.$"):
        await venue.exchange.modify(order(BUY, LIMIT, "1", "99.00"), price=D("98.00"))
