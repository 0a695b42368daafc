"""Market data end to end: ticks from the fake data socket, history from the REST emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from app.brokers.fyers.venue import FyersVenue
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import Alert, ConnectionChanged, SymbolHealth
from app.engine.domain.market import QuoteTick, Timeframe, TradeTick
from tests.brokers.fyers.helpers import Recorder, open_venue
from tests.emulators.fyers.fixtures import Clock
from tests.emulators.fyers.server import FyersEmulator
from tests.emulators.fyers.sockets import FakeSocketFactory


@asynccontextmanager
async def streaming(
    emu: FyersEmulator, sockets: FakeSocketFactory, tmp_path: Path, clock: Clock, **kw: object
) -> AsyncIterator[tuple[FyersVenue, Recorder]]:
    async with open_venue(emu, sockets, tmp_path / "logs", clock, **kw) as (venue, rec):
        runner = asyncio.create_task(venue.data.run())
        try:
            yield venue, rec
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)


async def test_subscribed_symbols_stream_quotes_and_trades(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    async with streaming(fyers_emu, fyers_sockets, tmp_path, fyers_clock) as (venue, rec):
        await venue.data.subscribe(["NSE:SBIN-EQ"])  # before the socket is up: kept
        quotes = await rec.wait_for(lambda: rec.of(QuoteTick))
        sock = fyers_sockets.data_sockets[0]
        assert sock.subscribed == ["NSE:SBIN-EQ"]
        assert sock.kwargs["access_token"] == "XB12345-100:emu-access-token-0001"
        assert quotes[0] == QuoteTick(
            "NSE:SBIN-EQ",
            Decimal("606.4"),
            Decimal("606.45"),
            Decimal(2081),
            Decimal(903),
            1690953622 * 1_000_000_000,
        )
        trades = rec.of(TradeTick)
        assert trades == [
            TradeTick("NSE:SBIN-EQ", Decimal("606.4"), Decimal(5), 1690953622 * 1_000_000_000)
        ]
        # a quote change repeats the last trade's fields: no second trade
        sock.push("on_message", sock.symbol_update("NSE:SBIN-EQ", bid_price=606.35))
        await rec.wait_for(lambda: len(rec.of(QuoteTick)) == 2)
        assert len(rec.of(TradeTick)) == 1
        # a new print (volume moved) is a trade
        sock.push(
            "on_message",
            sock.symbol_update(
                "NSE:SBIN-EQ", ltp=606.5, last_traded_qty=7, vol_traded_today=3045219
            ),
        )
        await rec.wait_for(lambda: len(rec.of(TradeTick)) == 2)
        assert rec.of(TradeTick)[1].price == Decimal("606.5")
        # subscribing while connected goes straight to the socket
        await venue.data.subscribe(["NSE:IDEA-EQ"])
        await rec.wait_for(lambda: [q for q in rec.of(QuoteTick) if q.symbol == "NSE:IDEA-EQ"])
        assert sock.subscribed == ["NSE:SBIN-EQ", "NSE:IDEA-EQ"]


async def test_depth_and_control_messages(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    from tests.emulators.fyers.server import shape

    async with streaming(fyers_emu, fyers_sockets, tmp_path, fyers_clock) as (venue, rec):
        await venue.data.subscribe(["NSE:SBIN-EQ"])
        await rec.wait_for(lambda: rec.of(QuoteTick))
        sock = fyers_sockets.data_sockets[0]
        sock.push("on_message", shape("ws/data_event_depth_update.json"))
        await rec.wait_for(lambda: len(rec.of(QuoteTick)) == 2)
        depth = rec.of(QuoteTick)[1]
        assert (depth.bid, depth.ask, depth.bid_size, depth.ask_size) == (
            Decimal("606.25"),
            Decimal("606.3"),
            Decimal(20),
            Decimal(282),
        )
        sock.push("on_message", shape("ws/data_event_control.json")[3])  # Invalid symbol
        alerts = await rec.wait_for(lambda: rec.of(Alert))
        assert "Invalid symbol" in alerts[0].message


async def test_the_data_socket_reconnects_and_resubscribes(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    async with streaming(fyers_emu, fyers_sockets, tmp_path, fyers_clock) as (venue, rec):
        await venue.data.subscribe(["NSE:SBIN-EQ"])
        await rec.wait_for(lambda: venue.data.connected)
        fyers_sockets.data_sockets[0].drop()
        market = await rec.wait_for(
            lambda: (
                [c for c in rec.of(ConnectionChanged) if c.stream == "market" and not c.connected]
                and [c for c in rec.of(ConnectionChanged) if c.reason == "reconnected"]
            )
        )
        assert market[0].stream == "market"
        assert fyers_sockets.data_sockets[1].subscribed == ["NSE:SBIN-EQ"]
        assert not fyers_sockets.data_sockets[0].thread_alive


async def test_a_quiet_symbol_is_reported_stale(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    async with streaming(fyers_emu, fyers_sockets, tmp_path, fyers_clock, stale_after_s=0.05) as (
        venue,
        rec,
    ):
        await venue.data.subscribe(["NSE:SBIN-EQ"])
        stale = await rec.wait_for(lambda: [h for h in rec.of(SymbolHealth) if h.stale])
        assert stale[0].symbol == "NSE:SBIN-EQ"
        sock = fyers_sockets.data_sockets[0]
        sock.push("on_message", sock.symbol_update("NSE:SBIN-EQ", bid_price=606.0))
        await rec.wait_for(lambda: [h for h in rec.of(SymbolHealth) if not h.stale])


async def test_history_pages_backwards_by_date_range(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, tmp_path, fyers_clock) as (venue, _):
        daily = await venue.data.history("NSE:SBIN-EQ", Timeframe.D1, limit=300)
        assert len(daily) == 300
        assert all(b.closed for b in daily)
        assert [b.ts for b in daily] == sorted({b.ts for b in daily})
        assert daily[-1].ts + Timeframe.D1.nanos <= fyers_clock.now_ns
        assert all(b.ts % 1_000_000_000 == 0 for b in daily)  # epoch seconds -> ns
        # 300 weekdays need more than one 365-day window: the walk paged backwards
        history_calls = [r for r in fyers_emu.requests if r[1] == "/data/history"]
        assert len(history_calls) == 2

        minutes = await venue.data.history("NSE:SBIN-EQ", Timeframe.M5, limit=20)
        assert len(minutes) == 20
        assert minutes[-1].ts + Timeframe.M5.nanos <= fyers_clock.now_ns
        assert isinstance(minutes[0].open, Decimal)
        end = minutes[5].ts
        earlier = await venue.data.history("NSE:SBIN-EQ", Timeframe.M5, end_ns=end, limit=3)
        assert [b.ts for b in earlier] == [b.ts for b in minutes[2:5]]


async def test_history_refuses_bad_input(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, tmp_path, fyers_clock) as (venue, _):
        with pytest.raises(ValidationError, match="symbol"):
            await venue.data.history("SBIN", Timeframe.D1)
        with pytest.raises(ValidationError, match="limit"):
            await venue.data.history("NSE:SBIN-EQ", Timeframe.D1, limit=0)


async def test_rest_quotes_snapshot(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, tmp_path, fyers_clock) as (venue, _):
        quotes = await venue.data.quotes(["NSE:SBIN-EQ", "NSE:IDEA-EQ"])
        assert [(q.symbol, q.bid, q.ask) for q in quotes] == [
            ("NSE:SBIN-EQ", Decimal("606.4"), Decimal("606.45")),
            ("NSE:IDEA-EQ", Decimal("7.95"), Decimal("8.0")),
        ]
        depth = await venue.data.depth_quote("NSE:IDEA-EQ")
        assert (depth.bid, depth.ask, depth.bid_size) == (
            Decimal("7.95"),
            Decimal("8.0"),
            Decimal(4738),
        )


async def test_a_failing_market_sink_does_not_stop_the_stream(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    async with streaming(fyers_emu, fyers_sockets, tmp_path, fyers_clock) as (venue, rec):
        calls: list[object] = []

        def flaky(tick: object) -> None:
            calls.append(tick)
            if len(calls) == 1:
                raise RuntimeError("a consumer bug")

        venue.data.set_market_sink(flaky)  # type: ignore[arg-type]
        await venue.data.subscribe(["NSE:SBIN-EQ"])
        sock = await rec.wait_for(lambda: fyers_sockets.data_sockets)
        await rec.wait_for(lambda: len(calls) >= 2)
        sock[0].push("on_message", sock[0].symbol_update("NSE:SBIN-EQ", bid_price=606.0))
        await rec.wait_for(lambda: len(calls) >= 3)
        assert venue.data.connected


async def test_subscribe_refuses_a_bad_symbol(
    fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, tmp_path: Path, fyers_clock: Clock
) -> None:
    async with open_venue(fyers_emu, fyers_sockets, tmp_path, fyers_clock) as (venue, _):
        with pytest.raises(ValidationError, match="NSE:SBIN-EQ"):
            await venue.data.subscribe(["SBIN"])
