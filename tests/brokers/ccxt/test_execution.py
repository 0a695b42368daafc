"""Orders through the REAL ccxt client against the loopback Binance emulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.brokers.ccxt import CcxtVenue
from app.brokers.ccxt.execution import CcxtExecutionClient
from app.engine.domain.events import OrderAccepted, OrderCanceled, OrderFilled, OrderModified
from app.engine.domain.orders import OrderSide, OrderStatus, OrderType, TimeInForce
from app.engine.venue_errors import InsufficientFunds, OrderNotFound, OrderRefused
from tests.emulators.binance import BinanceEmulator

from .helpers import Reports, order


@pytest.fixture
def ex(venue: CcxtVenue) -> CcxtExecutionClient:
    assert venue.execution is not None
    return venue.execution


@pytest.fixture
def reports(ex: CcxtExecutionClient) -> Reports:
    got = Reports()
    ex.set_report_sink(got.append)
    return got


async def test_market_order_carries_our_client_id_and_reports_its_fill(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator
) -> None:
    o = order(OrderType.MARKET, OrderSide.BUY, "0.01")
    await ex.submit(o)
    assert emu.orders[o.client_id].status == "FILLED"
    assert reports.kinds(o.client_id) == ["OrderAccepted", "OrderFilled"]
    accepted = reports.of(o.client_id)[0]
    assert isinstance(accepted, OrderAccepted)
    assert accepted.venue_order_id == str(emu.orders[o.client_id].order_id)
    (filled,) = reports.fills(o.client_id)
    venue_fill = emu.trades[-1]
    assert filled.fill.trade_id == str(venue_fill.trade_id)
    assert filled.fill.quantity == Decimal("0.01000") and filled.fill.price == venue_fill.price
    assert filled.fill.fee == venue_fill.commission and filled.fill.fee_currency == "USDT"


async def test_limit_rests_then_cancel_reports_canceled(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator
) -> None:
    o = order(OrderType.LIMIT, OrderSide.BUY, "0.01", price="29000.00")
    await ex.submit(o)
    assert reports.kinds(o.client_id) == ["OrderAccepted"]
    assert emu.orders[o.client_id].status == "NEW"
    await ex.cancel(o)
    assert emu.orders[o.client_id].status == "CANCELED"
    assert isinstance(reports.of(o.client_id)[-1], OrderCanceled)


async def test_ioc_limit_that_cannot_fill_expires(
    ex: CcxtExecutionClient, reports: Reports
) -> None:
    o = order(OrderType.LIMIT, OrderSide.BUY, "0.01", price="20000.00", tif=TimeInForce.IOC)
    await ex.submit(o)
    assert reports.kinds(o.client_id) == ["OrderAccepted", "OrderExpired"]


async def test_stop_orders_go_out_as_binance_stop_loss_types(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator
) -> None:
    stop = order(OrderType.STOP_MARKET, OrderSide.SELL, "0.01", trigger="29000.00")
    stop_limit = order(
        OrderType.STOP_LIMIT, OrderSide.SELL, "0.01", price="28900.00", trigger="29000.00"
    )
    await ex.submit(stop)
    await ex.submit(stop_limit)
    assert emu.orders[stop.client_id].type == "STOP_LOSS"
    assert emu.orders[stop.client_id].stop_price == Decimal("29000")
    assert emu.orders[stop_limit.client_id].type == "STOP_LOSS_LIMIT"
    assert reports.kinds(stop.client_id) == ["OrderAccepted"]


async def test_modify_keeps_our_client_id(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator
) -> None:
    o = order(OrderType.LIMIT, OrderSide.BUY, "0.01", price="29000.00")
    await ex.submit(o)
    o.venue_order_id = reports.of(o.client_id)[0].venue_order_id  # type: ignore[union-attr]
    o.status = OrderStatus.ACCEPTED
    await ex.modify(o, price=Decimal("29100.00"), quantity=Decimal("0.02"))
    live = emu.orders[o.client_id]
    assert live.status == "NEW" and live.price == Decimal("29100") and live.qty == Decimal("0.02")
    assert str(live.order_id) != o.venue_order_id
    modified = reports.of(o.client_id)[-1]
    assert isinstance(modified, OrderModified) and modified.price == Decimal("29100.00")
    state = await ex.query_order(o.client_id, o.symbol)
    assert state.venue_order_id == str(live.order_id) and state.status is OrderStatus.ACCEPTED


async def test_refusals_raise_order_refused(ex: CcxtExecutionClient, emu: BinanceEmulator) -> None:
    with pytest.raises(InsufficientFunds):
        await ex.submit(order(OrderType.MARKET, OrderSide.BUY, "100"))
    with pytest.raises(OrderRefused, match=r"NOTIONAL|notional|MIN"):
        await ex.submit(order(OrderType.LIMIT, OrderSide.BUY, "0.0001", price="30000.00"))
    too_long = order()
    too_long.client_id = "x" * 40
    with pytest.raises(OrderRefused, match="1-36 characters"):
        await ex.submit(too_long)
    assert too_long.client_id not in emu.orders


async def test_query_by_client_id_returns_state_and_fills(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator
) -> None:
    o = order(OrderType.LIMIT, OrderSide.BUY, "0.02", price="29000.00")
    await ex.submit(o)
    emu.fill_order(o.client_id, "0.005")
    state = await ex.query_order(o.client_id, "BTC/USDT")
    assert state.status is OrderStatus.PARTIALLY_FILLED and state.filled_qty == Decimal("0.005")
    (fill,) = state.fills
    assert fill.client_id == o.client_id and fill.trade_id == str(emu.trades[-1].trade_id)
    assert fill.quantity == Decimal("0.00500") and fill.liquidity.value == "maker"
    with pytest.raises(OrderNotFound):
        await ex.query_order("tdm-never-sent", "BTC/USDT")


async def test_open_orders_include_orders_placed_on_the_website(
    ex: CcxtExecutionClient, emu: BinanceEmulator
) -> None:
    mine = order(OrderType.LIMIT, OrderSide.BUY, "0.01", price="29000.00")
    await ex.submit(mine)
    web = emu.place_web_order("ETH/USDT", "BUY", "LIMIT", "0.1", "1900")
    ids = {state.client_id: state for state in await ex.open_orders()}
    assert {mine.client_id, web} <= set(ids)
    adopted = ids[web]
    assert adopted.status is OrderStatus.ACCEPTED
    assert (adopted.symbol, adopted.side, adopted.type) == (
        "ETH/USDT",
        OrderSide.BUY,
        OrderType.LIMIT,
    )
    assert (adopted.quantity, adopted.price) == (Decimal("0.10000"), Decimal("1900.00"))


async def test_balances_are_non_zero_totals(ex: CcxtExecutionClient, emu: BinanceEmulator) -> None:
    await ex.submit(order(OrderType.LIMIT, OrderSide.BUY, "0.01", price="29000.00"))
    balances = await ex.balances()
    assert balances["USDT"] == Decimal(100000) and balances["BTC"] == Decimal(2)
    assert "ETH" not in balances


async def test_recent_fills_include_external_ones_with_client_ids(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator
) -> None:
    mine = order(OrderType.MARKET, OrderSide.BUY, "0.01")
    await ex.submit(mine)
    web = emu.place_web_order("BTC/USDT", "SELL", "MARKET", "0.02")
    fills = await ex.recent_fills(["BTC/USDT", "ETH/USDT"], 0)
    by_client = {f.client_id: f for f in fills}
    assert set(by_client) == {mine.client_id, web}
    assert by_client[web].side is OrderSide.SELL and by_client[web].quantity == Decimal("0.02000")
    assert isinstance(reports.of(mine.client_id)[-1], OrderFilled)


async def test_modify_of_a_partly_filled_order_replaces_what_is_left(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator
) -> None:
    o = order(OrderType.LIMIT, OrderSide.BUY, "0.02", price="29000.00")
    await ex.submit(o)
    emu.fill_order(o.client_id, "0.005")
    o.venue_order_id = reports.of(o.client_id)[0].venue_order_id  # type: ignore[union-attr]
    o.status = OrderStatus.PARTIALLY_FILLED
    o.filled_qty = Decimal("0.005")
    await ex.modify(o, price=Decimal("28900.00"))
    live = emu.orders[o.client_id]
    assert live.qty == Decimal("0.015") and live.price == Decimal("28900")
    emu.fill_order(o.client_id)
    state = await ex.query_order(o.client_id, o.symbol)
    assert state.status is OrderStatus.FILLED and state.filled_qty == Decimal("0.015")


async def test_modify_is_refused_where_the_venue_cannot(
    ex: CcxtExecutionClient, emu: BinanceEmulator
) -> None:
    from dataclasses import replace

    ex.capabilities = replace(ex.capabilities, modify=False)
    o = order(OrderType.LIMIT, OrderSide.BUY, "0.01", price="29000.00")
    await ex.submit(o)
    with pytest.raises(OrderRefused, match="cannot modify"):
        await ex.modify(o, price=Decimal("29100.00"))
    assert emu.orders[o.client_id].price == Decimal("29000")


async def test_recent_fills_walk_the_venues_24h_windows(
    ex: CcxtExecutionClient, emu: BinanceEmulator
) -> None:
    day_ms = 86_400_000
    o = order(OrderType.LIMIT, OrderSide.BUY, "0.02", price="29000.00")
    await ex.submit(o)
    emu.clock_offset_ms = -3 * day_ms  # this fill happened three days ago
    emu.fill_order(o.client_id, "0.005")
    emu.clock_offset_ms = 0
    emu.fill_order(o.client_id)
    web = emu.place_web_order("BTC/USDT", "SELL", "MARKET", "0.01")
    before = emu.requests("GET", "/api/v3/myTrades")  # type: ignore[attr-defined]
    since_ns = (emu.server_ms() - 4 * day_ms) * 1_000_000
    fills = await ex.recent_fills(["BTC/USDT"], since_ns)
    assert [f.client_id for f in fills] == [o.client_id, o.client_id, web]
    assert len({f.trade_id for f in fills}) == 3
    assert fills[0].ts < fills[1].ts - 2 * day_ms * 1_000_000
    # one request per 24 h window from four days ago to now
    assert emu.requests("GET", "/api/v3/myTrades") - before == 5  # type: ignore[attr-defined]
