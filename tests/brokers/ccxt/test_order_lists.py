"""One-cancels-the-other lists through the REAL ccxt client against the loopback Binance
emulator: the request's shape, each leg reported from the reply, a leg's cancel answered for
the whole list, a refused list leaving nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from app.brokers.ccxt import CcxtVenue
from app.brokers.ccxt.execution import CcxtExecutionClient
from app.brokers.ccxt.order_lists import oco_params
from app.brokers.ccxt.quirks import quirks_for
from app.engine.domain.events import OrderAccepted, OrderCanceled, OrderExpired, OrderFilled
from app.engine.domain.orders import Order, OrderSide, OrderType
from app.engine.venue_errors import OrderRefused
from tests.emulators.binance import BinanceEmulator

from .helpers import Reports, order, until

D = Decimal


@pytest.fixture
def ex(venue: CcxtVenue) -> CcxtExecutionClient:
    assert venue.execution is not None
    return venue.execution


@pytest.fixture
async def feeds() -> AsyncIterator[list[asyncio.Task[None]]]:
    tasks: list[asyncio.Task[None]] = []
    yield tasks
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def streaming(
    ex: CcxtExecutionClient, emu: BinanceEmulator, feeds: list[asyncio.Task[None]]
) -> None:
    """Run the user-data feed (the session does this in the app) until the test ends."""
    feeds.append(asyncio.create_task(ex.run()))
    await emu.wait_for_user_stream()


@pytest.fixture
def reports(ex: CcxtExecutionClient) -> Reports:
    got = Reports()
    ex.set_report_sink(got.append)
    return got


def sell_pair(
    qty: str = "0.5", stop: str = "29000.00", target: str = "31000.00"
) -> tuple[Order, Order]:
    return (
        order(OrderType.STOP_MARKET, OrderSide.SELL, qty, trigger=stop),
        order(OrderType.LIMIT, OrderSide.SELL, qty, price=target),
    )


async def test_a_sell_list_rests_with_both_legs_reported_and_the_coins_locked_once(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator, feeds: list[asyncio.Task[None]]
) -> None:
    stop, target = sell_pair()
    await ex.submit_oco(stop, target)
    listed = emu.order_list(f"L{stop.client_id}")
    assert [o.client_id for o in listed.legs] == [stop.client_id, target.client_id]
    assert (emu.orders[stop.client_id].type, emu.orders[target.client_id].type) == (
        "STOP_LOSS",
        "LIMIT_MAKER",
    )
    assert emu.balances["BTC"].locked == D("0.5")
    for leg in (stop, target):
        (accepted,) = reports.of(leg.client_id)
        assert isinstance(accepted, OrderAccepted)
        assert accepted.venue_order_id == str(emu.orders[leg.client_id].order_id)

    # the market reaches the take-profit: it fills and the venue expires the stop
    await streaming(ex, emu, feeds)
    emu.set_price("BTC/USDT", "31100")
    await until(lambda: any(isinstance(r, OrderExpired) for r in reports.of(stop.client_id)))
    await until(lambda: bool(reports.fills(target.client_id)))
    assert sum(f.fill.quantity for f in reports.fills(target.client_id)) == D("0.5")
    assert not reports.fills(stop.client_id)


async def test_canceling_one_leg_reports_both_canceled_from_the_reply(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator
) -> None:
    stop, target = sell_pair()
    await ex.submit_oco(stop, target)
    await ex.cancel(target)
    # Binance answers a leg's cancel for the whole list: both legs are known canceled at once
    for leg in (stop, target):
        assert isinstance(reports.of(leg.client_id)[-1], OrderCanceled), leg.client_id
        assert emu.orders[leg.client_id].status == "CANCELED"
    assert emu.balances["BTC"].locked == 0


async def test_a_refused_list_leaves_nothing_at_the_venue(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator
) -> None:
    # a take-profit below the market would trade at once: the list is refused whole
    stop, target = sell_pair(stop="29000.00", target="29500.00")
    with pytest.raises(OrderRefused):
        await ex.submit_oco(stop, target)
    assert stop.client_id not in emu.orders and target.client_id not in emu.orders
    assert ex.book.get(stop.client_id) is None and ex.book.get(target.client_id) is None
    assert not reports


async def test_a_buy_list_puts_the_stop_above(ex: CcxtExecutionClient) -> None:
    stop = order(OrderType.STOP_LIMIT, OrderSide.BUY, "0.01", price="31100", trigger="31000")
    target = order(OrderType.LIMIT, OrderSide.BUY, "0.01", price="29000")
    params = oco_params(ex.calls.exchange, stop, target)
    assert params["side"] == "BUY" and params["symbol"] == "BTCUSDT"
    assert (params["aboveType"], params["aboveStopPrice"], params["abovePrice"]) == (
        "STOP_LOSS_LIMIT",
        "31000",
        "31100",
    )
    assert params["aboveTimeInForce"] == "GTC"
    assert (params["belowType"], params["belowPrice"]) == ("LIMIT_MAKER", "29000")
    assert params["belowClientOrderId"] == target.client_id


def test_only_binance_spot_sends_lists() -> None:
    assert quirks_for("binance").oco is not None
    assert quirks_for("binanceus").oco is None  # its older /api/v3/order/oco is not spoken
    assert quirks_for("blofin").oco is None


async def test_a_fill_on_one_leg_is_reported_once(
    ex: CcxtExecutionClient, reports: Reports, emu: BinanceEmulator, feeds: list[asyncio.Task[None]]
) -> None:
    stop, target = sell_pair()
    await ex.submit_oco(stop, target)
    await streaming(ex, emu, feeds)
    emu.set_price("BTC/USDT", "28900")  # the stop triggers and sells at the bid
    await until(lambda: any(isinstance(r, OrderExpired) for r in reports.of(target.client_id)))
    await until(lambda: bool(reports.fills(stop.client_id)))
    trade_ids = [f.fill.trade_id for f in reports.fills(stop.client_id)]
    assert len(trade_ids) == len(set(trade_ids))
    assert all(isinstance(r, OrderFilled) for r in reports.fills(stop.client_id))
