"""User data: watch_orders/watch_my_trades through ccxt.pro, the polling fallback, drops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from app.brokers.ccxt import CcxtVenue
from app.brokers.ccxt.execution import CcxtExecutionClient
from app.brokers.ccxt.quirks import with_overrides
from app.engine.domain.events import ConnectionChanged, OrderCanceled, OrderFilled
from app.engine.domain.orders import OrderSide, OrderType
from tests.emulators.binance import BinanceEmulator

from .conftest import config_for
from .helpers import Reports, order, until


@pytest.fixture
async def running(venue: CcxtVenue) -> AsyncIterator[tuple[CcxtExecutionClient, Reports, list]]:  # type: ignore[type-arg]
    ex = venue.execution
    assert ex is not None
    reports = Reports()
    status: list[object] = []
    ex.set_report_sink(reports.append)
    ex.set_status_sink(status.append)
    task = asyncio.create_task(ex.run())
    try:
        yield ex, reports, status
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def user_events(status: list[object]) -> list[bool]:
    return [s.connected for s in status if isinstance(s, ConnectionChanged) and s.stream == "user"]


async def test_stream_delivers_fills_and_website_cancels(
    running: tuple[CcxtExecutionClient, Reports, list],
    emu: BinanceEmulator,  # type: ignore[type-arg]
) -> None:
    ex, reports, status = running
    await emu.wait_for_user_stream()
    await until(lambda: user_events(status) == [True], what="user stream reported up")
    resting = order(OrderType.LIMIT, OrderSide.BUY, "0.02", price="29000.00")
    await ex.submit(resting)
    emu.fill_order(resting.client_id, "0.005")  # a fill nobody asked for over the API
    await until(lambda: len(reports.fills(resting.client_id)) == 1, what="fill via stream")
    fill = reports.fills(resting.client_id)[0].fill
    assert fill.trade_id == str(emu.trades[-1].trade_id) and fill.quantity == Decimal("0.00500")
    emu.cancel_order(resting.client_id)  # canceled on the website
    await until(lambda: isinstance(reports.of(resting.client_id)[-1], OrderCanceled))
    web = emu.place_web_order("BTC/USDT", "SELL", "MARKET", "0.01")
    await until(lambda: len(reports.fills(web)) == 1, what="external fill via stream")
    kinds = reports.kinds(resting.client_id)
    assert kinds == ["OrderAccepted", "OrderFilled", "OrderCanceled"]


async def test_market_fill_is_reported_once_from_reply_and_stream(
    running: tuple[CcxtExecutionClient, Reports, list],
    emu: BinanceEmulator,  # type: ignore[type-arg]
) -> None:
    ex, reports, _ = running
    await emu.wait_for_user_stream()
    o = order(OrderType.MARKET, OrderSide.BUY, "0.01")
    await ex.submit(o)
    await asyncio.sleep(0.3)  # let the stream's copy of the same trade arrive
    assert len(reports.fills(o.client_id)) == 1


async def test_dropped_socket_reports_user_down_then_up_and_resumes(
    running: tuple[CcxtExecutionClient, Reports, list],
    emu: BinanceEmulator,  # type: ignore[type-arg]
) -> None:
    ex, reports, status = running
    await emu.wait_for_user_stream()
    await until(lambda: user_events(status) == [True])
    emu.faults.close_ws(1006)
    await until(lambda: user_events(status)[-2:] == [False, True], what="down then up")
    assert ex._feed.polls >= 1  # fills kept coming by polling while the stream was down
    await emu.wait_for_user_stream()
    resting = order(OrderType.LIMIT, OrderSide.BUY, "0.01", price="29000.00")
    await ex.submit(resting)
    emu.fill_order(resting.client_id)
    await until(lambda: len(reports.fills(resting.client_id)) == 1, what="stream resumed")


async def test_polling_replaces_streams_where_the_venue_has_none(
    venue: CcxtVenue, emu: BinanceEmulator
) -> None:
    venue.calls.quirks = with_overrides(venue.calls.quirks, user_streams=False)
    ex = venue.execution
    assert ex is not None
    reports = Reports()
    status: list[object] = []
    ex.set_report_sink(reports.append)
    ex.set_status_sink(status.append)
    task = asyncio.create_task(ex.run())
    try:
        await until(lambda: user_events(status) == [True], what="polling reported up")
        resting = order(OrderType.LIMIT, OrderSide.BUY, "0.02", price="29000.00")
        await ex.submit(resting)
        emu.fill_order(resting.client_id, "0.01")
        await until(lambda: len(reports.fills(resting.client_id)) == 1, what="polled fill")
        emu.cancel_order(resting.client_id)
        await until(lambda: isinstance(reports.of(resting.client_id)[-1], OrderCanceled))
        web = emu.place_web_order("BTC/USDT", "BUY", "MARKET", "0.01")
        web_id = str(emu.orders[web].order_id)

        def external() -> list[OrderFilled]:
            return [r for r in reports.fills() if r.fill.venue_order_id == web_id]

        # REST trades carry no client order id: an external fill polled has client_id ""
        await until(lambda: len(external()) == 1, what="external fill polled")
        assert external()[0].fill.client_id == ""
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_refused_stream_subscription_falls_back_to_polling(
    venue: CcxtVenue, emu: BinanceEmulator
) -> None:
    ex = venue.execution
    assert ex is not None
    status: list[object] = []
    ex.set_status_sink(status.append)
    emu.auth.secret = "rotated-on-the-website"  # our key no longer signs anything valid
    task = asyncio.create_task(ex.run())
    try:
        await until(lambda: ex._feed.polling and ex._feed.polls >= 1, what="polling")
        assert user_events(status) == [False]
        assert not task.done()  # still polling (and reporting its failures), not crashed
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_after_a_restart_orders_learnt_by_reads_get_their_stream_events(
    emu: BinanceEmulator,
) -> None:
    before = await CcxtVenue.open(config_for(emu))
    assert before.execution is not None
    ours = order(OrderType.LIMIT, OrderSide.BUY, "0.01", price="29000.00")
    await before.execution.submit(ours)
    await before.close()  # the app stops; the order rests at the venue
    web = emu.place_web_order("BTC/USDT", "BUY", "LIMIT", "0.01", "28000")

    after = await CcxtVenue.open(config_for(emu))
    ex = after.execution
    assert ex is not None
    reports = Reports()
    ex.set_report_sink(reports.append)
    task = asyncio.create_task(ex.run())
    try:
        await emu.wait_for_user_stream()
        state = await ex.query_order(ours.client_id, ours.symbol)  # the engine reconciles
        assert state.status.value == "accepted"
        await ex.open_orders()  # ...and adopts what it did not place
        emu.cancel_order(ours.client_id)
        emu.cancel_order(web)
        await until(
            lambda: [type(r) for r in reports] == [OrderCanceled, OrderCanceled],
            what=lambda: (list(reports), ex.book.get(web), ex.book.get(ours.client_id)),
        )
        assert {r.client_id for r in reports if isinstance(r, OrderCanceled)} == {
            ours.client_id,
            web,
        }
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await after.close()


async def test_a_modify_seen_on_the_stream_does_not_look_like_a_cancel(
    running: tuple[CcxtExecutionClient, Reports, list],  # type: ignore[type-arg]
    emu: BinanceEmulator,
) -> None:
    ex, reports, _ = running
    await emu.wait_for_user_stream()
    o = order(OrderType.LIMIT, OrderSide.BUY, "0.01", price="29000.00")
    await ex.submit(o)
    o.venue_order_id = reports.of(o.client_id)[0].venue_order_id  # type: ignore[union-attr]
    await ex.modify(o, price=Decimal("29100.00"))
    await asyncio.sleep(0.3)  # the old order's CANCELED and the new one's NEW arrive
    assert reports.kinds(o.client_id) == ["OrderAccepted", "OrderModified"]
    emu.fill_order(o.client_id)
    await until(lambda: len(reports.fills(o.client_id)) == 1, what=lambda: reports)
    assert reports.fills(o.client_id)[0].fill.price == Decimal("29100.00")
