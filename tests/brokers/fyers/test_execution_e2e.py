"""Orders end to end: the adapter, the REAL SDK, the REST emulator and the fake order socket."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.domain.events import (
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
)
from app.engine.domain.orders import OrderSide, OrderStatus, OrderType, TimeInForce
from app.engine.venue_errors import (
    InsufficientFunds,
    OrderNotFound,
    OrderRefused,
    OutcomeUnknown,
    RateLimited,
    VenueUnavailable,
)
from tests.brokers.fyers.helpers import open_venue, order
from tests.emulators.fyers.fixtures import CLOSED_NS, Clock
from tests.emulators.fyers.server import FyersEmulator
from tests.emulators.fyers.sockets import FakeSocketFactory


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path / "logs"


async def test_a_resting_limit_is_accepted_modified_then_canceled(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, rec):
        o = order(price="600.00")
        await venue.execution.submit(o)
        accepted = rec.of(OrderAccepted)
        assert [a.client_id for a in accepted] == [o.client_id]
        venue_id = accepted[0].venue_order_id
        placed = fyers_emu.book.orders[venue_id]
        assert placed["orderTag"] == o.client_id.replace("-", "Z")
        assert (placed["qty"], placed["type"], placed["side"]) == (10, 1, 1)
        assert placed["limitPrice"] == 600.0 and placed["productType"] == "CNC"

        o.venue_order_id = venue_id
        await venue.execution.modify(o, price=Decimal("601.50"), quantity=Decimal("12"))
        assert placed["limitPrice"] == 601.5 and placed["qty"] == 12
        modified = rec.of(OrderModified)
        assert modified[0].price == Decimal("601.50") and modified[0].quantity == Decimal("12")

        state = await venue.execution.query_order(o.client_id, o.symbol)
        assert (state.status, state.venue_order_id, state.filled_qty) == (
            OrderStatus.ACCEPTED,
            venue_id,
            Decimal(0),
        )
        assert [s.client_id for s in await venue.execution.open_orders()] == [o.client_id]

        await venue.execution.cancel(o)
        await rec.wait_for(lambda: rec.of(OrderCanceled))
        state = await venue.execution.query_order(o.client_id)
        assert state.status is OrderStatus.CANCELED
        assert await venue.execution.open_orders() == []
        with pytest.raises(OrderNotFound, match="no longer open"):
            await venue.execution.cancel(o)
        assert len(rec.of(OrderCanceled)) == 1  # the socket's echo is not reported twice


async def test_a_marketable_order_fills_through_the_order_socket(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, rec):
        await rec.wait_for(lambda: venue.execution.connected)
        o = order(type=OrderType.MARKET, price=None, quantity="5")
        await venue.execution.submit(o)
        fills = await rec.wait_for(lambda: rec.of(OrderFilled))
        fill = fills[0].fill
        assert fill.client_id == o.client_id
        assert (fill.quantity, fill.price, fill.side) == (
            Decimal("5"),
            Decimal("606.45"),  # the ask
            OrderSide.BUY,
        )
        assert fill.fee_currency == "INR" and fill.ts == fyers_clock.now_ns
        # accepted is reported once, before the fill
        assert [type(r).__name__ for r in rec.reports][:2] == ["OrderAccepted", "OrderFilled"]

        state = await venue.execution.query_order(o.client_id, o.symbol)
        assert state.status is OrderStatus.FILLED
        assert [f.trade_id for f in state.fills] == [fill.trade_id]
        assert state.fills[0].client_id == o.client_id

        recent = await venue.execution.recent_fills(["NSE:SBIN-EQ"], fyers_clock.now_ns - 1)
        assert [(f.trade_id, f.client_id) for f in recent] == [(fill.trade_id, o.client_id)]
        assert await venue.execution.recent_fills(["NSE:IDEA-EQ"], 0) == []

        balances = await venue.execution.balances()
        assert balances["INR"] == Decimal("100000") - Decimal("5") * Decimal("606.45")
        assert balances["SBIN"] == Decimal(5)


async def test_a_resting_limit_fills_when_the_market_comes_to_it(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, rec):
        await rec.wait_for(lambda: venue.execution.connected)
        o = order(symbol="NSE:IDEA-EQ", side=OrderSide.SELL, price="8.10", quantity="3")
        await venue.execution.submit(o)
        assert rec.of(OrderFilled) == []
        fyers_emu.book.set_price("NSE:IDEA-EQ", "8.12", "8.15")
        fills = await rec.wait_for(lambda: rec.of(OrderFilled))
        assert fills[0].fill.price == Decimal("8.12") and fills[0].fill.side is OrderSide.SELL


async def test_orders_are_refused_while_nse_is_closed_before_any_request(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, _):
        fyers_clock.now_ns = CLOSED_NS  # Saturday
        sent = len(fyers_emu.requests)
        with pytest.raises(OrderRefused, match=r"NSE is closed: opens Mon 09:15 IST"):
            await venue.execution.submit(order())
        assert len(fyers_emu.requests) == sent
        assert fyers_emu.book.orders == {}


async def test_venue_refusals_map_to_the_right_errors(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, _):
        with pytest.raises(InsufficientFunds, match="RMS:Margin Exceeds"):
            await venue.execution.submit(order(quantity="1000"))
        with pytest.raises(OrderRefused, match=r"multiples of tick size\. \(code -392\)"):
            await venue.execution.submit(order(price="600.03"))
        with pytest.raises(OrderRefused, match="whole number of shares"):
            await venue.execution.submit(order(quantity="1.5"))
        with pytest.raises(OrderRefused, match="DAY"):
            await venue.execution.submit(order(tif=TimeInForce.FOK))
        with pytest.raises(OrderNotFound):
            await venue.execution.query_order("tdm-nothere-ab12-1")
        assert fyers_emu.book.orders == {}


async def test_a_dropped_placement_reply_is_outcome_unknown_and_query_settles_it(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, _):
        o = order(price="600.00")
        fyers_emu.fault("drop", path="/api/v3/orders/sync")
        with pytest.raises(OutcomeUnknown):
            await venue.execution.submit(o)
        placements = [r for r in fyers_emu.requests if r == ("POST", "/api/v3/orders/sync")]
        assert len(placements) == 1  # never resent
        state = await venue.execution.query_order(o.client_id, o.symbol)
        assert state.status is OrderStatus.ACCEPTED and state.venue_order_id is not None


async def test_placement_faults_are_unknown_and_never_retried(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock, call_timeout_s=0.3) as (
        venue,
        _,
    ):
        fyers_emu.fault("server_error", path="/api/v3/orders/sync")
        with pytest.raises(OutcomeUnknown, match="502"):
            await venue.execution.submit(order())
        fyers_emu.fault("hang", path="/api/v3/orders/sync")
        with pytest.raises(OutcomeUnknown, match=r"no reply from Fyers within 0\.3 s"):
            await venue.execution.submit(order())
        fyers_emu.fault("rate_limit", path="/api/v3/orders/sync")
        with pytest.raises(RateLimited):
            await venue.execution.submit(order())
        placements = [r for r in fyers_emu.requests if r == ("POST", "/api/v3/orders/sync")]
        assert len(placements) == 3


async def test_reads_retry_through_transient_faults_then_give_up(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, _):
        fyers_emu.fault("server_error", path="/api/v3/funds")
        fyers_emu.fault("rate_limit", path="/api/v3/funds")
        assert (await venue.execution.balances())["INR"] == Decimal("100000.00")
        fyers_emu.fault("server_error", times=3, path="/api/v3/orders")
        with pytest.raises(VenueUnavailable):
            await venue.execution.open_orders()


async def test_the_order_socket_reconnects_and_says_so(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    from app.engine.domain.events import ConnectionChanged

    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, rec):
        await rec.wait_for(lambda: venue.execution.connected)
        fyers_sockets.order_sockets[0].drop()
        changes = await rec.wait_for(
            lambda: [c for c in rec.of(ConnectionChanged) if c.reason == "reconnected"]
        )
        assert changes[0].stream == "user"
        states = [(c.connected, c.reason) for c in rec.of(ConnectionChanged)]
        assert states == [(True, "connected"), (False, "closed by Fyers"), (True, "reconnected")]
        assert len(fyers_sockets.order_sockets) == 2
        # fills still arrive on the new socket
        await venue.execution.submit(order(type=OrderType.MARKET, price=None, quantity="1"))
        await rec.wait_for(lambda: rec.of(OrderFilled))


async def test_socket_events_that_overtake_the_placement_reply_are_kept(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, rec):
        await rec.wait_for(lambda: venue.execution.connected)
        fyers_emu.hang_s = 0.2
        fyers_emu.fault("slow", path="/api/v3/orders/sync")
        o = order(type=OrderType.MARKET, price=None, quantity="2")
        await venue.execution.submit(o)  # the fill was on the socket before this returned
        await rec.wait_for(lambda: rec.of(OrderFilled))
        kinds = [type(r).__name__ for r in rec.reports]
        assert kinds == ["OrderAccepted", "OrderFilled"]
        assert rec.of(OrderFilled)[0].fill.client_id == o.client_id


async def test_orders_placed_elsewhere_are_not_reported_but_are_visible(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, rec):
        await rec.wait_for(lambda: venue.execution.connected)
        # the trader places an order on Fyers' website (no tag of ours) and it fills
        fyers_emu.book.place(
            {"symbol": "NSE:SBIN-EQ", "qty": 1, "type": 2, "side": 1, "productType": "CNC"}
        )
        await rec.wait_for(lambda: len(fyers_emu.book.trades) == 1)
        await venue.execution.balances()  # a round trip: socket events have been handled
        assert rec.reports == []
        [fill] = await venue.execution.recent_fills(["NSE:SBIN-EQ"], 0)
        assert fill.client_id == "" and fill.quantity == Decimal(1)


async def test_a_failing_report_sink_does_not_stop_reports(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, logs: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, logs, fyers_clock) as (venue, rec):
        await rec.wait_for(lambda: venue.execution.connected)
        seen: list[object] = []

        def flaky(report: object) -> None:
            seen.append(report)
            if len(seen) == 1:
                raise RuntimeError("a consumer bug")

        venue.execution.set_report_sink(flaky)  # type: ignore[arg-type]
        await venue.execution.submit(order(type=OrderType.MARKET, price=None, quantity="1"))
        await rec.wait_for(lambda: len(seen) == 2)
        assert [type(r).__name__ for r in seen] == ["OrderAccepted", "OrderFilled"]
