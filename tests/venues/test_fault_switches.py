"""Under every fault switch of the Binance emulator, a real session (the real ccxt client,
our adapter, engine and journal) places a burst of orders; once the fault clears and the
account is reconciled, no order exists twice at the venue, none the venue has is missing
from the journal, each has the venue's status and fills, and every fill is booked once."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from app.bootstrap import open_session
from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import OrderRequest, OrderSide, OrderStatus, OrderType
from app.venue_session import VenueSession
from tests.emulators.binance import BinanceEmulator
from tests.emulators.binance.faults import Faults
from tests.support.keychain import MemoryKeychain
from tests.support.waiting import eventually
from tests.venues.fixtures import (
    VENUE_STATUS,
    add_emulator_account,
    emulator_settings,
)

pytestmark = pytest.mark.slow
D = Decimal
POST = ["POST /api/v3/order"]
SWITCHES: dict[str, Callable[[Faults], None]] = {
    "429": lambda f: f.rate_limit(429, retry_after_s=1, times=2, paths=POST),
    "418": lambda f: f.rate_limit(418, retry_after_s=1, times=1, paths=POST),
    "5xx before booking": lambda f: f.server_error(503, times=2, paths=POST),
    "5xx after booking": lambda f: f.server_error(502, times=2, paths=POST, after_processing=True),
    "reply dropped": lambda f: f.drop_reply(times=2, paths=POST),
    "reply delayed": lambda f: f.delay_reply(1.5, times=2, paths=POST),
    "not found for a while": lambda f: (f.order_not_found_for(3.0), f.drop_reply(1, POST)),
    "silent feed": lambda f: f.silent_feed(["BTC/USDT"]),
    "websocket 1006": lambda f: f.close_ws(1006),
    "depth gap": lambda f: f.depth_gap(),
}


@pytest.mark.parametrize("switch", list(SWITCHES))
async def test_no_order_is_duplicated_or_lost_under_a_fault(
    switch: str, data_dir: Path, emu: BinanceEmulator, keychain: MemoryKeychain
) -> None:
    settings = emulator_settings(data_dir, emu)
    accounts, _ = add_emulator_account(settings, "Emu")
    session = await open_session(settings, accounts)
    assert isinstance(session, VenueSession)
    engine = session.engine
    try:
        await emu.wait_for_stream("btcusdt@trade")
        emu.set_price("BTC/USDT", "30010")
        await eventually(lambda: "BTC/USDT" in engine.portfolio.last_prices)
        SWITCHES[switch](emu.faults)
        if switch == "silent feed":
            await asyncio.sleep(11)  # past the adapter's 10 s staleness threshold
        requests = [
            OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.MARKET, D("0.01")),
            OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.LIMIT, D("0.01"), price=D("29000")),
            OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.MARKET, D("0.01")),
            OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.LIMIT, D("0.01"), price=D("29100")),
        ]
        for req in requests:
            with contextlib.suppress(ValidationError):  # refused up front: stale, halted
                await engine.place_order(req)
        emu.faults.clear()
        await asyncio.sleep(1.2)  # a 429 pause or a 418 ban (Retry-After: 1) has run out
        emu.set_price("BTC/USDT", "30020")
        at_venue = {o.client_id for o in emu.orders_by_id.values()}
        # every order the venue booked ends up known to us, with its state
        await eventually(
            lambda: all(
                cid in engine.oms.orders
                and engine.oms.orders[cid].status not in (OrderStatus.UNKNOWN,)
                for cid in at_venue
            ),
            within=20,
        )
        await engine.reconcile()
        await engine.journal_flush()
        venue_orders = list(emu.orders_by_id.values())
        counts = Counter(o.client_id for o in venue_orders)
        assert all(n == 1 for n in counts.values()), f"placed twice: {counts}"
        for vo in venue_orders:
            ours = engine.oms.orders[vo.client_id]
            assert ours.status is VENUE_STATUS[vo.status], (switch, vo.client_id, vo.status, ours)
            assert ours.filled_qty == vo.executed
        for cid, order in engine.oms.orders.items():
            if cid not in counts:  # the venue never had it: refused, or still being looked up
                assert order.status in (OrderStatus.REJECTED, OrderStatus.UNKNOWN), order
        assert sorted(f.trade_id for f in engine.oms.fills) == sorted(
            str(t.trade_id) for t in emu.trades
        )
        journaled = {o.client_id: o.status for o in session.journal.load_orders()}
        assert journaled == {cid: o.status for cid, o in engine.oms.orders.items()}
        # and the account trades again (after a ban, only once the trader resumes)
        if switch == "418":
            assert engine.risk.state.value == "halted"
            engine.resume_trading()
        await eventually(lambda: engine.risk.paused is None)  # a reconnect's reconciliation
        after = await engine.place_order(
            OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.LIMIT, D("0.01"), price=D("29500"))
        )
        await eventually(lambda: after.status is OrderStatus.ACCEPTED)
        assert emu.orders[after.client_id].status == "NEW"
    finally:
        await session.close()
        accounts.store.close()
