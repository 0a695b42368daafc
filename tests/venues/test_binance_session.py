"""A Binance testnet account end to end on the loopback emulator: the account is added with
its key in the keychain, the session connects, loads markets, reconciles, streams prices,
and orders are placed, modified, canceled and filled through the real ccxt client."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.accounts.model import AccountMode
from app.bootstrap import open_accounts, open_session
from app.engine.domain.orders import OrderRequest, OrderSide, OrderStatus, OrderType
from app.engine.venue_errors import AuthenticationFailed
from app.venue_session import VenueSession
from tests.emulators.binance import BinanceEmulator
from tests.support.keychain import MemoryKeychain
from tests.support.waiting import eventually
from tests.venues.fixtures import API_KEY, SECRET, SYMBOLS, add_emulator_account, emulator_settings

D = Decimal


async def test_testnet_account_trades_through_the_real_ccxt_client(
    data_dir: Path, emu: BinanceEmulator, keychain: MemoryKeychain
) -> None:
    settings = emulator_settings(data_dir, emu)
    accounts, account = add_emulator_account(settings)
    assert API_KEY in keychain.items.values()  # the key went to the keychain ...
    session = await open_session(settings, accounts)
    try:
        assert isinstance(session, VenueSession)
        engine = session.engine
        # ... and the journal lives in the account's own folder
        assert session.journal.path.parent == data_dir / "accounts" / account.id
        btc = engine.instruments["BTC/USDT"]
        assert (btc.tick_size, btc.venue) == (D("0.01"), "binance")
        assert any("opening balances from binance" in f for f in session.findings)
        assert engine.portfolio.balances["USDT"] == D("10000")

        # live prices reach the engine through the WebSocket streams
        await emu.wait_for_stream("btcusdt@trade")
        emu.set_price("BTC/USDT", "30100")
        await eventually(lambda: engine.portfolio.last_prices.get("BTC/USDT") == D("30100"))

        # a limit order rests at the venue under our client order id; modify; cancel
        bid = await engine.place_order(
            OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.LIMIT, D("0.01"), price=D("29500"))
        )
        await eventually(lambda: bid.status is OrderStatus.ACCEPTED)
        assert emu.orders[bid.client_id].status == "NEW"
        await engine.modify(bid.client_id, price="29600")
        await eventually(lambda: emu.orders[bid.client_id].price == D("29600"))
        await eventually(lambda: bid.price == D("29600"))
        await engine.cancel(bid.client_id)
        await eventually(lambda: bid.status is OrderStatus.CANCELED)
        assert emu.orders[bid.client_id].status == "CANCELED"

        # a market order fills at once; a resting sell fills when the market reaches it
        buy = await engine.place_order(
            OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.MARKET, D("0.02"))
        )
        await eventually(lambda: buy.status is OrderStatus.FILLED)
        ask = await engine.place_order(
            OrderRequest("BTC/USDT", OrderSide.SELL, OrderType.LIMIT, D("0.01"), price=D("30500"))
        )
        await eventually(lambda: ask.status is OrderStatus.ACCEPTED)
        emu.set_price("BTC/USDT", "30600")
        await eventually(lambda: ask.status is OrderStatus.FILLED)

        # every fill the venue made is in the journal once, and the balances agree
        venue_trades = {str(t.trade_id) for t in emu.trades}
        await eventually(lambda: {f.trade_id for f in engine.oms.fills} == venue_trades)
        venue_balances = await session.execution.balances()
        for asset in ("USDT", "BTC"):
            assert engine.portfolio.balances[asset] == venue_balances[asset], asset
        assert engine.portfolio.position_qty("BTC/USDT") == D("0.01")
    finally:
        await session.close()
        accounts.store.close()

    # restart: the journal and the venue agree, nothing to adopt or halt for
    accounts = open_accounts(settings)
    again = await open_session(settings, accounts)
    try:
        assert isinstance(again, VenueSession)
        assert again.engine.risk.state.value == "active", again.findings
        assert not [f for f in again.findings if "adopted" in f or "differ" in f]
        assert {f.trade_id for f in again.engine.oms.fills} == venue_trades
    finally:
        await again.close()
        accounts.store.close()


async def test_a_refused_key_fails_the_open_cleanly(
    data_dir: Path, emu: BinanceEmulator, keychain: MemoryKeychain
) -> None:
    """A wrong secret: the session does not open, says why, and leaves nothing locked or half
    written, so the same account opens once the key is fixed."""
    settings = emulator_settings(data_dir, emu)
    accounts = open_accounts(settings)
    try:
        account = accounts.add(
            "binance", "Emu", AccountMode.TESTNET, SYMBOLS,
            {"api_key": API_KEY, "secret": "a-wrong-secret-000000"},
        )  # fmt: skip
        accounts.set_active(account.id)
        with pytest.raises(AuthenticationFailed):
            await open_session(settings, accounts)
        accounts.update(account.id, credentials={"secret": SECRET})
        session = await open_session(settings, accounts)
        await session.close()
    finally:
        accounts.store.close()
