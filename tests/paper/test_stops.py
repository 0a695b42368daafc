"""Stop-market and stop-limit orders trigger on the last TRADE, never on quotes."""

from __future__ import annotations

from app.brokers.paper import messages
from app.engine.domain.fills import Liquidity
from app.engine.domain.orders import OrderStatus
from tests.paper.helpers import (
    BUY,
    SELL,
    STOP_LIMIT,
    STOP_MARKET,
    D,
    open_venue,
    order,
    quote,
    trade,
)


async def test_sell_stop_market_ignores_quotes_and_triggers_on_a_trade_at_the_trigger() -> None:
    venue = open_venue({"BTC": "1"}, slippage_bps=D("10"))
    venue.exchange.on_quote(quote("99.90", "100.00"))
    stop = order(SELL, STOP_MARKET, "1", trigger="95.00")
    await venue.exchange.submit(stop)
    assert venue.kinds(stop.client_id) == ["OrderAccepted"]
    assert venue.exchange.reserved("BTC") == D("1")

    venue.exchange.on_quote(quote("94.00", "94.10"))  # quotes below the trigger: nothing
    venue.exchange.on_trade(trade("95.01"))
    assert venue.fills(stop.client_id) == []

    venue.exchange.on_trade(trade("95.00"))
    [fill] = venue.fills(stop.client_id)
    # then a market order: bid 94.00 x 0.999 = 93.906 -> 93.90
    assert (fill.price, fill.quantity, fill.liquidity) == (D("93.90"), D("1"), Liquidity.TAKER)
    assert venue.exchange.total("BTC") == 0


async def test_buy_stop_market_triggers_on_trade_at_or_above() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.90", "100.00"))
    stop = order(BUY, STOP_MARKET, "1", trigger="105.00")
    await venue.exchange.submit(stop)
    venue.exchange.on_quote(quote("106.00", "106.10"))
    assert venue.fills(stop.client_id) == []
    venue.exchange.on_trade(trade("106.05"))
    assert venue.fills(stop.client_id)[0].price == D("106.10")


async def test_triggered_stop_market_without_liquidity_waits_for_the_next_quote() -> None:
    venue = open_venue({"BTC": "1"})
    venue.exchange.on_quote(quote("99.90", "100.00", bid_size="0.25"))
    stop = order(SELL, STOP_MARKET, "1", trigger="99.00")
    await venue.exchange.submit(stop)
    venue.exchange.on_trade(trade("98.00"))
    assert [f.quantity for f in venue.fills(stop.client_id)] == [D("0.25")]
    venue.exchange.on_quote(quote("97.90", "98.00", bid_size="5"))
    assert [(f.quantity, f.price) for f in venue.fills(stop.client_id)] == [
        (D("0.25"), D("99.90")),
        (D("0.75"), D("97.90")),
    ]


async def test_stop_limit_triggers_then_behaves_as_a_limit() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.90", "100.00"))
    stop = order(BUY, STOP_LIMIT, "1", price="105.50", trigger="105.00")
    await venue.exchange.submit(stop)
    assert venue.exchange.reserved("USDT") == D("105.50") * D("1.002")  # held at the limit

    venue.exchange.on_quote(quote("104.90", "105.00"))  # a quote at the trigger: no trigger
    venue.exchange.on_trade(trade("104.99"))
    assert venue.fills(stop.client_id) == []

    venue.exchange.on_quote(quote("105.90", "106.00"))  # the market ran past the limit
    venue.exchange.on_trade(trade("105.00"))  # triggers; ask 106.00 > limit: it rests
    assert venue.fills(stop.client_id) == []
    assert await venue.status(stop.client_id) is OrderStatus.ACCEPTED

    venue.exchange.on_trade(trade("105.49", "0.3"))  # now an ordinary resting limit: maker
    [fill] = venue.fills(stop.client_id)
    assert (fill.price, fill.quantity, fill.liquidity) == (D("105.50"), D("0.3"), Liquidity.MAKER)


async def test_triggered_stop_limit_that_is_marketable_fills_as_taker() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.90", "100.00"))
    stop = order(BUY, STOP_LIMIT, "1", price="106.00", trigger="105.00")
    await venue.exchange.submit(stop)
    venue.exchange.on_quote(quote("105.40", "105.50"))
    venue.exchange.on_trade(trade("105.10"))
    [fill] = venue.fills(stop.client_id)
    assert (fill.price, fill.liquidity) == (D("105.50"), Liquidity.TAKER)


async def test_stop_that_would_trigger_at_once_is_rejected() -> None:
    venue = open_venue({"BTC": "1"})
    venue.exchange.on_trade(trade("100.00"))
    sell_stop = order(SELL, STOP_MARKET, "1", trigger="101.00")
    buy_stop = order(BUY, STOP_LIMIT, "1", price="99.50", trigger="99.00")
    await venue.exchange.submit(sell_stop)
    await venue.exchange.submit(buy_stop)
    assert venue.rejection(sell_stop.client_id) == messages.STOP_WOULD_TRIGGER
    assert venue.rejection(buy_stop.client_id) == messages.STOP_WOULD_TRIGGER


async def test_stop_without_a_stop_price_is_rejected() -> None:
    venue = open_venue({"BTC": "1"})
    o = order(SELL, STOP_MARKET, "1")
    await venue.exchange.submit(o)
    assert venue.rejection(o.client_id) == messages.MISSING_STOP_PRICE
