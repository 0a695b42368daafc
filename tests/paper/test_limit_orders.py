"""Limit orders: marketable on arrival (taker), resting (maker on trades through or quotes
crossing), partial fills by size, IOC and FOK."""

from __future__ import annotations

from app.brokers.paper import messages
from app.engine.domain.events import OrderCanceled
from app.engine.domain.fills import Liquidity
from app.engine.domain.orders import OrderStatus
from tests.paper.helpers import (
    BUY,
    FOK,
    IOC,
    LIMIT,
    SELL,
    D,
    open_venue,
    order,
    quote,
    trade,
)


async def test_resting_buy_fills_as_maker_only_when_a_trade_prints_through_it() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    o = order(BUY, LIMIT, "2", "99.00")
    await venue.exchange.submit(o)
    assert venue.kinds(o.client_id) == ["OrderAccepted"]

    venue.exchange.on_trade(trade("99.00", "5"))  # AT the price: queue ahead of us, no fill
    venue.exchange.on_trade(trade("99.01", "5"))  # above: nothing
    assert venue.fills(o.client_id) == []

    venue.exchange.on_trade(trade("98.99", "0.5"))  # through, for the traded size only
    assert [(f.quantity, f.price) for f in venue.fills(o.client_id)] == [(D("0.5"), D("99.00"))]
    assert await venue.status(o.client_id) is OrderStatus.PARTIALLY_FILLED

    venue.exchange.on_trade(trade("98.50", "10"))
    fills = venue.fills(o.client_id)
    assert [(f.quantity, f.price) for f in fills] == [
        (D("0.5"), D("99.00")),
        (D("1.5"), D("99.00")),
    ]
    assert all(f.liquidity is Liquidity.MAKER for f in fills)
    assert fills[0].fee == D("0.5") * D("99.00") * D("0.001")  # maker rate
    assert await venue.status(o.client_id) is OrderStatus.FILLED


async def test_resting_sell_fills_when_a_trade_prints_above_it() -> None:
    venue = open_venue({"BTC": "1"})
    venue.exchange.on_quote(quote("99.50", "100.00"))
    o = order(SELL, LIMIT, "1", "101.00")
    await venue.exchange.submit(o)
    venue.exchange.on_trade(trade("101.00", "5"))
    assert venue.fills(o.client_id) == []
    venue.exchange.on_trade(trade("101.01", "5"))
    [fill] = venue.fills(o.client_id)
    assert (fill.quantity, fill.price, fill.liquidity) == (D("1"), D("101.00"), Liquidity.MAKER)


async def test_one_trade_is_shared_between_resting_orders_best_price_first() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    low, high = order(BUY, LIMIT, "1", "98.00"), order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(low)
    await venue.exchange.submit(high)
    venue.exchange.on_trade(trade("97.00", "1.2"))
    assert venue.fills(high.client_id)[0].quantity == D("1")
    assert venue.fills(low.client_id)[0].quantity == D("0.2")


async def test_marketable_limit_fills_at_once_as_taker_at_the_quote_price() -> None:
    venue = open_venue(slippage_bps=D("50"))
    venue.exchange.on_quote(quote("100.00", "100.10"))
    o = order(BUY, LIMIT, "1", "101.00")
    await venue.exchange.submit(o)
    [fill] = venue.fills(o.client_id)
    # the quote price, not the limit, and no market-order slippage
    assert (fill.price, fill.liquidity) == (D("100.10"), Liquidity.TAKER)
    assert fill.fee == D("100.10") * D("0.002")


async def test_marketable_limit_beyond_the_top_size_rests_for_the_remainder() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "100.10", ask_size="0.3"))
    o = order(BUY, LIMIT, "1", "100.50")
    await venue.exchange.submit(o)
    assert venue.fills(o.client_id)[0].quantity == D("0.3")
    assert await venue.status(o.client_id) is OrderStatus.PARTIALLY_FILLED
    assert [s.client_id for s in await venue.exchange.open_orders()] == [o.client_id]
    assert venue.exchange.reserved("USDT") == D("0.7") * D("100.50") * D("1.002")


async def test_quote_crossing_a_resting_limit_fills_it_as_maker_at_its_price() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    o = order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(o)

    venue.exchange.on_quote(quote("98.80", "98.90", ask_size="0.4"))
    [fill] = venue.fills(o.client_id)
    assert (fill.quantity, fill.price, fill.liquidity) == (D("0.4"), D("99.00"), Liquidity.MAKER)

    venue.exchange.on_quote(quote("98.90", "99.00", ask_size="5"))  # ask touching: fills too
    assert sum(f.quantity for f in venue.fills(o.client_id)) == D("1")


async def test_ioc_limit_fills_what_it_can_now_and_cancels_the_rest() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "100.10", ask_size="0.4"))
    o = order(BUY, LIMIT, "1", "100.10", tif=IOC)
    await venue.exchange.submit(o)
    assert venue.kinds(o.client_id) == ["OrderAccepted", "OrderFilled", "OrderCanceled"]
    canceled = venue.of(o.client_id)[-1]
    assert isinstance(canceled, OrderCanceled) and canceled.reason == messages.IOC_REMAINDER
    assert venue.exchange.reserved("USDT") == 0


async def test_ioc_limit_that_is_not_marketable_is_canceled_with_nothing_filled() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "100.10"))
    o = order(BUY, LIMIT, "1", "99.00", tif=IOC)
    await venue.exchange.submit(o)
    assert venue.kinds(o.client_id) == ["OrderAccepted", "OrderCanceled"]


async def test_fok_limit_is_all_or_nothing() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "100.10", ask_size="0.4"))
    thin = order(BUY, LIMIT, "1", "100.10", tif=FOK)
    await venue.exchange.submit(thin)
    assert venue.kinds(thin.client_id) == ["OrderAccepted", "OrderExpired"]
    assert (await venue.exchange.query_order(thin.client_id)).status is OrderStatus.EXPIRED
    assert venue.exchange.available("USDT") == D("10000")

    venue.exchange.on_quote(quote("100.00", "100.10", ask_size="2"))
    full = order(BUY, LIMIT, "1", "100.10", tif=FOK)
    await venue.exchange.submit(full)
    assert venue.kinds(full.client_id) == ["OrderAccepted", "OrderFilled"]
    assert venue.fills(full.client_id)[0].quantity == D("1")


async def test_at_price_fills_follow_the_configured_probability() -> None:
    always = open_venue(fill_at_limit_probability=D("1"))
    always.exchange.on_quote(quote("99.50", "100.00"))
    o = order(BUY, LIMIT, "1", "99.00")
    await always.exchange.submit(o)
    always.exchange.on_trade(trade("99.00", "0.25"))
    assert always.fills(o.client_id)[0].quantity == D("0.25")
