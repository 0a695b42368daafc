"""Market orders: touch price worsened by slippage, top-of-book size, partial fills, IOC/FOK."""

from __future__ import annotations

from app.brokers.paper import messages
from app.engine.domain.fills import Liquidity
from app.engine.domain.orders import OrderStatus
from tests.paper.helpers import (
    BUY,
    FOK,
    IOC,
    MARKET,
    SELL,
    D,
    open_venue,
    order,
    quote,
)


async def test_market_buy_fills_at_ask_worsened_by_slippage_rounded_up_to_tick() -> None:
    venue = open_venue(slippage_bps=D("10"))
    venue.exchange.on_quote(quote("100.00", "100.10"))
    o = order(BUY, MARKET, "1")
    await venue.exchange.submit(o)

    assert venue.kinds(o.client_id) == ["OrderAccepted", "OrderFilled"]
    [fill] = venue.fills(o.client_id)
    # 100.10 x 1.001 = 100.2001 -> rounded up (against the buyer) to 100.21
    assert fill.price == D("100.21")
    assert fill.quantity == D("1")
    assert fill.liquidity is Liquidity.TAKER
    assert fill.fee == D("100.21") * D("0.002")
    assert fill.fee_currency == "USDT"
    assert await venue.exchange.balances() == {
        "USDT": D("10000") - D("100.21") - D("0.20042"),
        "BTC": D("1"),
    }


async def test_market_sell_fills_at_bid_worsened_by_slippage_rounded_down_to_tick() -> None:
    venue = open_venue({"USDT": "0", "BTC": "2"}, slippage_bps=D("10"))
    venue.exchange.on_quote(quote("100.05", "100.10"))
    o = order(SELL, MARKET, "1")
    await venue.exchange.submit(o)

    [fill] = venue.fills(o.client_id)
    # 100.05 x 0.999 = 99.94995 -> rounded down (against the seller) to 99.94
    assert fill.price == D("99.94")
    assert venue.exchange.total("BTC") == D("1")
    assert venue.exchange.total("USDT") == D("99.94") - D("99.94") * D("0.002")


async def test_without_slippage_market_orders_take_the_touch_exactly() -> None:
    venue = open_venue({"USDT": "1000", "BTC": "1"})
    venue.exchange.on_quote(quote("99.50", "100.50"))
    buy, sell = order(BUY, MARKET, "1"), order(SELL, MARKET, "1")
    await venue.exchange.submit(buy)
    await venue.exchange.submit(sell)
    assert venue.fills(buy.client_id)[0].price == D("100.50")
    assert venue.fills(sell.client_id)[0].price == D("99.50")


async def test_thin_top_of_book_fills_partially_then_completes_on_the_next_quote() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "100.10", ask_size="1"))
    o = order(BUY, MARKET, "3")
    await venue.exchange.submit(o)

    assert [f.quantity for f in venue.fills(o.client_id)] == [D("1")]
    assert await venue.status(o.client_id) is OrderStatus.PARTIALLY_FILLED

    venue.exchange.on_quote(quote("100.10", "100.20", ask_size="1.5"))
    venue.exchange.on_quote(quote("100.20", "100.30", ask_size="5"))

    fills = venue.fills(o.client_id)
    assert [(f.quantity, f.price) for f in fills] == [
        (D("1"), D("100.10")),
        (D("1.5"), D("100.20")),
        (D("0.5"), D("100.30")),
    ]
    state = await venue.exchange.query_order(o.client_id)
    assert state.status is OrderStatus.FILLED
    assert state.filled_qty == D("3")
    assert list(state.fills) == fills
    assert venue.exchange.reserved("USDT") == 0


async def test_liquidity_taken_from_a_quote_is_gone_for_the_next_order() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "100.10", ask_size="1"))
    first, second = order(BUY, MARKET, "1"), order(BUY, MARKET, "1")
    await venue.exchange.submit(first)
    await venue.exchange.submit(second)
    assert len(venue.fills(first.client_id)) == 1
    assert venue.fills(second.client_id) == []
    venue.exchange.on_quote(quote("100.00", "100.10", ask_size="1"))
    assert len(venue.fills(second.client_id)) == 1


async def test_ioc_market_cancels_what_the_top_of_book_cannot_fill() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "100.10", ask_size="0.4"))
    o = order(BUY, MARKET, "1", tif=IOC)
    await venue.exchange.submit(o)

    assert venue.kinds(o.client_id) == ["OrderAccepted", "OrderFilled", "OrderCanceled"]
    assert venue.fills(o.client_id)[0].quantity == D("0.4")
    assert venue.of(o.client_id)[-1].reason == messages.IOC_REMAINDER  # type: ignore[union-attr]
    assert venue.exchange.reserved("USDT") == 0
    venue.exchange.on_quote(quote("100.00", "100.10", ask_size="5"))
    assert len(venue.fills(o.client_id)) == 1  # canceled means gone


async def test_fok_market_fills_in_full_or_expires_untouched() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "100.10", ask_size="0.4"))
    thin = order(BUY, MARKET, "1", tif=FOK)
    await venue.exchange.submit(thin)
    assert venue.kinds(thin.client_id) == ["OrderAccepted", "OrderExpired"]
    assert venue.exchange.total("BTC") == 0
    assert venue.exchange.available("USDT") == D("10000")

    enough = order(BUY, MARKET, "0.4", tif=FOK)
    await venue.exchange.submit(enough)
    assert venue.kinds(enough.client_id) == ["OrderAccepted", "OrderFilled"]


async def test_market_order_without_a_quote_is_rejected() -> None:
    venue = open_venue()
    o = order(BUY, MARKET, "1")
    await venue.exchange.submit(o)
    assert venue.rejection(o.client_id) == "No market data for BTC/USDT yet"


async def test_market_order_against_an_empty_side_is_rejected() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "0"))
    o = order(BUY, MARKET, "1")
    await venue.exchange.submit(o)
    assert venue.rejection(o.client_id) == "No ask in the BTC/USDT book to fill a market order"


async def test_quote_without_sizes_does_not_limit_the_fill() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("100.00", "100.10", bid_size="0", ask_size="0"))
    o = order(BUY, MARKET, "7")
    await venue.exchange.submit(o)
    assert venue.fills(o.client_id)[0].quantity == D("7")


async def test_waiting_market_buy_that_cash_cannot_cover_at_a_higher_price_is_cut_short() -> None:
    venue = open_venue({"USDT": "250"})
    venue.exchange.on_quote(quote("99.90", "100.00", ask_size="1"))
    o = order(BUY, MARKET, "2")
    await venue.exchange.submit(o)  # holds 2 x 100 x 1.002 = 200.4 of 250
    venue.exchange.on_quote(quote("199.90", "200.00", ask_size="5"))

    fills = venue.fills(o.client_id)
    # after the first fill 49.6 is free; each unit at 200 costs 100.2 more than it held
    assert [(f.quantity, f.price) for f in fills] == [
        (D("1"), D("100.00")),
        (D("0.495"), D("200.00")),
    ]
    assert venue.kinds(o.client_id)[-1] == "OrderCanceled"
    assert venue.of(o.client_id)[-1].reason == messages.INSUFFICIENT_BALANCE  # type: ignore[union-attr]
    assert venue.exchange.total("USDT") == D("250") - D("100.2") - D("99.198")
    assert venue.exchange.available("USDT") >= 0
    assert venue.exchange.reserved("USDT") == 0
