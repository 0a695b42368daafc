"""Balances, holds, fees (maker/taker, quote or base-on-buy) and spot vs shorting accounts."""

from __future__ import annotations

from app.brokers.paper import FeeCurrency, messages
from app.engine.domain.fills import Liquidity
from tests.paper.helpers import (
    BUY,
    LIMIT,
    MARKET,
    SELL,
    D,
    open_venue,
    order,
    quote,
    trade,
)


async def test_spot_sell_without_holdings_is_rejected_for_insufficient_balance() -> None:
    venue = open_venue({"USDT": "10000"})
    venue.exchange.on_quote(quote("100.00", "100.10"))
    market, limit = order(SELL, MARKET, "1"), order(SELL, LIMIT, "1", "101.00")
    await venue.exchange.submit(market)
    await venue.exchange.submit(limit)
    assert (
        venue.rejection(market.client_id)
        == "Account has insufficient balance for requested action."
    )
    assert venue.rejection(limit.client_id) == messages.INSUFFICIENT_BALANCE


async def test_buy_without_enough_cash_is_rejected() -> None:
    venue = open_venue({"USDT": "100"})
    venue.exchange.on_quote(quote("100.00", "100.10"))
    market = order(BUY, MARKET, "1")  # needs 100.10 x 1.002
    limit = order(BUY, LIMIT, "1", "99.90")  # needs 99.90 x 1.002 = 100.0998
    await venue.exchange.submit(market)
    await venue.exchange.submit(limit)
    assert venue.rejection(market.client_id) == messages.INSUFFICIENT_BALANCE
    assert venue.rejection(limit.client_id) == messages.INSUFFICIENT_BALANCE
    affordable = order(BUY, LIMIT, "0.998", "99.90")
    await venue.exchange.submit(affordable)
    assert venue.kinds(affordable.client_id) == ["OrderAccepted"]


async def test_holds_block_a_second_order_and_are_released_on_cancel() -> None:
    venue = open_venue({"USDT": "150", "BTC": "1"})
    venue.exchange.on_quote(quote("99.00", "101.00"))
    buy = order(BUY, LIMIT, "1", "100.00")
    sell = order(SELL, LIMIT, "1", "102.00")
    await venue.exchange.submit(buy)
    await venue.exchange.submit(sell)
    assert venue.exchange.reserved("USDT") == D("100.200")  # 1 x 100 x (1 + max fee 0.002)
    assert venue.exchange.available("USDT") == D("49.800")
    assert venue.exchange.reserved("BTC") == D("1")

    second_buy, second_sell = order(BUY, LIMIT, "1", "100.00"), order(SELL, LIMIT, "0.5", "103.00")
    await venue.exchange.submit(second_buy)
    await venue.exchange.submit(second_sell)
    assert venue.rejection(second_buy.client_id) == messages.INSUFFICIENT_BALANCE
    assert venue.rejection(second_sell.client_id) == messages.INSUFFICIENT_BALANCE

    await venue.exchange.cancel(buy)
    await venue.exchange.cancel(sell)
    assert venue.exchange.reserved("USDT") == 0
    assert venue.exchange.reserved("BTC") == 0
    assert await venue.exchange.balances() == {"USDT": D("150"), "BTC": D("1")}


async def test_holds_shrink_with_partial_fills_and_vanish_when_filled() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.50"))
    o = order(BUY, LIMIT, "1", "100.00")
    await venue.exchange.submit(o)
    venue.exchange.on_trade(trade("99.90", "0.4"))

    # paid 0.4 x 100 + maker fee 0.04; the 0.6 left still holds 0.6 x 100 x 1.002
    assert venue.exchange.total("USDT") == D("10000") - D("40.04")
    assert venue.exchange.reserved("USDT") == D("60.12")
    assert venue.exchange.available("USDT") == D("10000") - D("40.04") - D("60.12")

    venue.exchange.on_trade(trade("99.90", "5"))
    assert venue.exchange.reserved("USDT") == 0
    assert venue.exchange.total("USDT") == D("10000") - D("100.1")
    assert venue.exchange.total("BTC") == D("1")


async def test_maker_and_taker_fees_differ_and_config_can_override_them() -> None:
    venue = open_venue()
    venue.exchange.on_quote(quote("99.50", "100.00"))
    taker, maker = order(BUY, LIMIT, "1", "100.00"), order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(taker)
    await venue.exchange.submit(maker)
    venue.exchange.on_trade(trade("98.00"))
    [t], [m] = venue.fills(taker.client_id), venue.fills(maker.client_id)
    assert (t.liquidity, t.fee) == (Liquidity.TAKER, D("100.00") * D("0.002"))
    assert (m.liquidity, m.fee) == (Liquidity.MAKER, D("99.00") * D("0.001"))

    cheap = open_venue(maker_fee=D("0"), taker_fee=D("0.0005"))
    cheap.exchange.on_quote(quote("99.50", "100.00"))
    o = order(BUY, MARKET, "2")
    await cheap.exchange.submit(o)
    assert cheap.fills(o.client_id)[0].fee == D("2") * D("100.00") * D("0.0005")


async def test_base_on_buy_mode_charges_a_buy_in_base_and_a_sell_in_quote() -> None:
    venue = open_venue(fee_currency=FeeCurrency.BASE_ON_BUY)
    venue.exchange.on_quote(quote("99.90", "100.00"))
    resting = order(BUY, LIMIT, "1", "99.00")
    await venue.exchange.submit(resting)
    assert venue.exchange.reserved("USDT") == D("99.00")  # no fee in quote to hold

    buy = order(BUY, MARKET, "1")
    await venue.exchange.submit(buy)
    [fill] = venue.fills(buy.client_id)
    assert (fill.fee, fill.fee_currency) == (D("0.002"), "BTC")
    assert venue.exchange.total("BTC") == D("0.998")
    assert venue.exchange.total("USDT") == D("10000") - D("100.00")

    sell = order(SELL, MARKET, "0.998")
    await venue.exchange.submit(sell)
    [sold] = venue.fills(sell.client_id)
    assert (sold.fee, sold.fee_currency) == (D("0.998") * D("99.90") * D("0.002"), "USDT")
    assert venue.exchange.total("BTC") == 0


async def test_spot_account_cannot_short_but_a_shorting_account_can() -> None:
    spot = open_venue({"USDT": "1000"})
    spot.exchange.on_quote(quote("100.00", "100.10"))
    o = order(SELL, MARKET, "1")
    await spot.exchange.submit(o)
    assert spot.rejection(o.client_id) == messages.INSUFFICIENT_BALANCE
    assert not spot.exchange.capabilities.shorting

    margin = open_venue({"USDT": "1000"}, shorting=True)
    assert margin.exchange.capabilities.shorting
    margin.exchange.on_quote(quote("100.00", "100.10"))
    short = order(SELL, MARKET, "1")
    await margin.exchange.submit(short)
    # the sale's proceeds are credited in quote, base goes negative
    assert await margin.exchange.balances() == {"USDT": D("1099.8"), "BTC": D("-1")}
    assert margin.exchange.reserved("BTC") == 0

    margin.exchange.on_quote(quote("90.00", "90.10"))
    cover = order(BUY, MARKET, "1")
    await margin.exchange.submit(cover)
    # cash + position is exact: 1000 + 100 - 90.10 - fees (0.2 + 0.1802)
    assert await margin.exchange.balances() == {"USDT": D("1009.5198"), "BTC": D("0")}


async def test_reduce_only_may_only_shrink_the_position() -> None:
    venue = open_venue({"USDT": "1000"}, shorting=True)
    venue.exchange.on_quote(quote("100.00", "100.10"))
    flat_buy = order(BUY, LIMIT, "1", "99.00", reduce_only=True)
    await venue.exchange.submit(flat_buy)
    assert venue.rejection(flat_buy.client_id) == messages.REDUCE_ONLY

    await venue.exchange.submit(order(SELL, MARKET, "1"))
    cover = order(BUY, LIMIT, "2", "101.00", reduce_only=True)
    await venue.exchange.submit(cover)
    assert [f.quantity for f in venue.fills(cover.client_id)] == [D("1")]
    assert venue.kinds(cover.client_id)[-1] == "OrderCanceled"
    assert venue.of(cover.client_id)[-1].reason == messages.REDUCE_ONLY  # type: ignore[union-attr]
    assert venue.exchange.total("BTC") == 0


async def test_assets_are_kept_per_instrument() -> None:
    venue = open_venue({"USDT": "1000"})
    venue.exchange.on_quote(quote("100.00", "100.10"))
    venue.exchange.on_quote(quote("20.00", "20.01", symbol="ETH/USDT"))
    await venue.exchange.submit(order(BUY, MARKET, "1"))
    await venue.exchange.submit(order(BUY, MARKET, "2.5", symbol="ETH/USDT"))
    balances = await venue.exchange.balances()
    assert balances["BTC"] == D("1")
    assert balances["ETH"] == D("2.5")
    assert venue.exchange.available("DOGE") == 0
