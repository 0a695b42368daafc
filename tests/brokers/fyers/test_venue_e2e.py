"""End to end: the adapter and the REAL fyers-apiv3 SDK against the loopback emulator."""

from __future__ import annotations

import asyncio
import os
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from app.brokers.fyers.sdk_bridge import live_threads
from app.engine.domain.events import Alert, ConnectionChanged
from app.engine.domain.instruments import AssetClass
from app.engine.venue_errors import AuthenticationFailed
from tests.brokers.fyers.helpers import open_venue
from tests.emulators.fyers.fixtures import Clock
from tests.emulators.fyers.server import EXPIRED_TOKEN, TOKEN, FyersEmulator
from tests.emulators.fyers.sockets import FakeSocketFactory


async def test_open_learns_instruments_and_opens_the_order_socket(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, tmp_path / "logs", fyers_clock) as (
        venue,
        rec,
    ):
        by_symbol = {i.symbol: i for i in venue.data.instruments()}
        assert by_symbol["NSE:SBIN-EQ"].tick_size == Decimal("0.05")
        assert by_symbol["NSE:IDEA-EQ"].tick_size == Decimal("0.01")  # from the depth call
        assert by_symbol["NSE:SBIN-EQ"].asset_class is AssetClass.EQUITY
        assert by_symbol["NSE:SBIN-EQ"].quote == "INR"
        assert by_symbol["NSE:SBIN-EQ"].lot_size == Decimal(1)
        up = await rec.wait_for(lambda: rec.of(ConnectionChanged))
        assert (up[0].stream, up[0].connected, up[0].reason) == ("user", True, "connected")
        sock = fyers_sockets.order_sockets[0]
        assert sock.channels == "OnOrders,OnTrades,OnPositions"
        assert sock.access_token == "XB12345-100:emu-access-token-0001"  # app_id:token
        assert sock.kwargs["reconnect"] is False  # the adapter reconnects, with events
    assert ("GET", "/api/v3/profile") in fyers_emu.requests


async def test_close_leaves_no_thread_and_the_sdk_logs_in_log_dir(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    old = os.getcwd()
    os.chdir(cwd)  # the SDK writes its logs into the cwd unless told otherwise
    try:
        before = set(threading.enumerate())
        async with open_venue(fyers_emu, fyers_sockets, tmp_path / "logs", fyers_clock) as (
            venue,
            rec,
        ):
            runner = asyncio.create_task(venue.data.run())
            await venue.data.subscribe(["NSE:SBIN-EQ"])
            await rec.wait_for(lambda: len(rec.of(ConnectionChanged)) >= 2)
            assert sorted(fyers_sockets.threads_alive()) == ["data", "order"]
            await venue.execution.balances()
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
        assert fyers_sockets.threads_alive() == []
        assert live_threads() == []
        leftover = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
        assert leftover == []
    finally:
        os.chdir(old)
    assert list(cwd.iterdir()) == []
    assert {p.name for p in (tmp_path / "logs").iterdir()} >= {"fyersApi.log", "fyersRequests.log"}
    assert fyers_sockets.data_sockets[0].log_path == str(tmp_path / "logs")


async def test_an_expired_token_fails_open_with_log_in_again(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    with pytest.raises(AuthenticationFailed, match="log in to Fyers again"):
        async with open_venue(
            fyers_emu, fyers_sockets, tmp_path, fyers_clock, access_token=EXPIRED_TOKEN
        ):
            pass
    assert fyers_sockets.order_sockets == []


async def test_a_socket_refusing_the_token_raises_an_alert_and_retries(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, tmp_path, fyers_clock) as (venue, rec):
        await rec.wait_for(lambda: venue.execution.connected)
        fyers_emu.tokens.clear()  # the token ends (06:00 IST) while the app runs
        fyers_sockets.order_sockets[0].drop()
        alerts = await rec.wait_for(lambda: rec.of(Alert))
        assert alerts[0].level == "error" and "log in to Fyers again" in alerts[0].message
        assert not venue.execution.connected
        # it keeps trying (with backoff) and comes back once the token is good again
        fyers_emu.tokens.add(TOKEN)
        await rec.wait_for(lambda: venue.execution.connected)
        assert len(fyers_sockets.order_sockets) >= 3
        # refused attempts did not count as connections: no flapping up/down events
        states = [(c.connected, c.reason) for c in rec.of(ConnectionChanged)]
        assert states == [(True, "connected"), (False, "closed by Fyers"), (True, "reconnected")]
