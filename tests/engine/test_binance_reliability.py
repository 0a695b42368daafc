"""The engine's reliability paths end to end on a real venue adapter: the real ccxt client
and our ccxt execution client talking HTTP and WebSocket to the Binance emulator on
127.0.0.1 (the exchange is the only thing stood in for)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from app.brokers.ccxt.config import CcxtConfig
from app.brokers.ccxt.execution import CcxtExecutionClient
from app.brokers.ccxt.venue import CcxtVenue
from app.engine.clock import LiveClock
from app.engine.domain.events import Alert, ConnectionChanged, TradingState
from app.engine.domain.market import TradeTick
from app.engine.domain.orders import OrderRequest, OrderSide, OrderStatus, OrderType
from app.engine.engine import TradingEngine
from app.engine.store import Journal
from tests.emulators.binance.emulator import BinanceEmulator
from tests.emulators.binance.fixtures import DEFAULTS
from tests.engine.scripted_venue import eventually


@dataclass
class Live:
    emu: BinanceEmulator
    client: CcxtExecutionClient
    engine: TradingEngine
    findings: list[str]


@pytest_asyncio.fixture
async def live(data_dir: Path) -> AsyncIterator[Live]:
    emu = BinanceEmulator(**DEFAULTS)
    await emu.start()
    wire = emu.ccxt_config()
    config = CcxtConfig(
        "binance",
        api_key=emu.api_key,
        secret=emu.secret,
        symbols=("BTC/USDT", "ETH/USDT"),
        urls=wire["urls"],
        options=wire["options"],
        rate_limit_ms=1,
        timeout_ms=2000,
    )
    venue = await CcxtVenue.open(config)
    journal = Journal.open(data_dir)
    try:
        client = venue.execution
        assert client is not None
        instruments = {s: i for s in client.symbols if (i := client.instrument(s)) is not None}
        engine = TradingEngine(
            journal=journal,
            client=client,
            instruments=instruments,
            clock=LiveClock(),
            currency="USDT",
            breaker_interval_s=3600,
            unknown_backoff_s=(0.2,),
            reconnect_retry_s=(0.2,),
        )
        engine.attach_status(client)
        findings = await engine.start()
        engine.on_market(
            TradeTick("BTC/USDT", Decimal("30000"), Decimal("1"), LiveClock().now_ns())
        )
        yield Live(emu, client, engine, findings)
        await engine.stop()
    finally:
        journal.close()
        await venue.close()
        await emu.stop()


async def test_a_fresh_binance_account_opens_from_the_venue_and_a_lost_reply_settles(
    live: Live,
) -> None:
    assert live.findings == ["opening balances from binance: USDT +10000"]
    assert live.engine.portfolio.balances["USDT"] == Decimal("10000")

    live.emu.faults.drop_reply(1)  # the order is booked, the reply never comes back
    live.emu.faults.order_not_found_for(0.5)  # and lookups miss it for a while
    order = await live.engine.place_order(
        OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.LIMIT, "0.01", price="29000")
    )
    assert order.status is OrderStatus.UNKNOWN
    await eventually(lambda: order.status is OrderStatus.ACCEPTED)
    assert live.emu.faults.fired.get("drop_reply") == 1
    assert live.emu.faults.fired.get("order_not_found", 0) >= 1
    assert len(live.emu.orders) == 1  # sent once, never again


async def test_a_user_stream_drop_alerts_reconciles_and_fills_meanwhile_land_once(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.engine.reconcile")
    seen: list[object] = []
    live.engine.bus.subscribe(ConnectionChanged, seen.append)
    live.engine.bus.subscribe(Alert, seen.append)
    order = await live.engine.place_order(
        OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.LIMIT, "0.01", price="29000")
    )
    assert order.status is OrderStatus.ACCEPTED
    live.engine.tasks.spawn(live.client.run(), "user-stream", service=True)
    await eventually(lambda: any(isinstance(e, ConnectionChanged) and e.connected for e in seen))

    live.emu.faults.close_ws()
    live.emu.fill_order(order.client_id)
    await eventually(
        lambda: any(isinstance(e, ConnectionChanged) and not e.connected for e in seen)
    )
    assert any(isinstance(e, Alert) and e.level == "warning" for e in seen)
    down_at = next(
        i for i, e in enumerate(seen) if isinstance(e, ConnectionChanged) and not e.connected
    )
    await eventually(
        lambda: any(isinstance(e, ConnectionChanged) and e.connected for e in seen[down_at:])
    )
    await eventually(lambda: live.engine.risk.paused is None and order.status.is_terminal)
    assert order.status is OrderStatus.FILLED
    assert live.engine.portfolio.position_qty("BTC/USDT") == Decimal("0.01")
    assert len(live.engine.oms.fills) == 1
    assert live.engine.risk.state is TradingState.ACTIVE  # balances agree with the venue
    await eventually(lambda: any("(binance reconnected)" in r.getMessage() for r in caplog.records))
