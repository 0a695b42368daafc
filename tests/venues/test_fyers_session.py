"""A Fyers account end to end: the session opens through the REAL fyers-apiv3 SDK against the
loopback Fyers REST emulator (its sockets replaced at the SDK boundary by fakes that speak
the SDK's callback shapes), reconciles, takes an order to a fill, and after a restart the
journal and the venue agree."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from pathlib import Path

from app.accounts.model import Account, AccountMode
from app.engine.domain.instruments import AssetClass
from app.engine.domain.orders import OrderRequest, OrderSide, OrderStatus, OrderType
from app.settings import Settings
from app.venue_session import OpenedVenue, VenueSession, _open_fyers
from tests.emulators.fyers.fixtures import Clock, fyers_clock, fyers_emu, fyers_sockets
from tests.emulators.fyers.server import APP_ID, SECRET, TOKEN, FyersEmulator
from tests.emulators.fyers.sockets import FakeSocketFactory
from tests.support.waiting import eventually

__all__ = ["fyers_clock", "fyers_emu", "fyers_sockets"]
D = Decimal
SYMBOLS = ("NSE:SBIN-EQ", "NSE:IDEA-EQ")
CREDENTIALS = {"app_id": APP_ID, "secret_key": SECRET, "access_token": TOKEN}


def account() -> Account:
    return Account(
        "nse", "fyers", "NSE", AccountMode.LIVE, SYMBOLS, 1, live_confirmed_ns=2,
        product_type="CNC",
    )  # fmt: skip


def opener(sockets: FakeSocketFactory, clock: Clock) -> Callable[..., object]:
    async def open_(
        settings: Settings, acct: Account, creds: Mapping[str, str], folder: Path
    ) -> OpenedVenue:
        return await _open_fyers(
            settings, acct, creds, folder, socket_factory=sockets, wall_ns=clock
        )

    return open_


async def test_fyers_account_opens_trades_and_restarts_in_agreement(
    data_dir: Path, fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, fyers_clock: Clock
) -> None:
    settings = Settings(data_dir).updated(
        {"venue_urls": {"fyers": {"api": fyers_emu.base_url}}, "live_data_probe": False}
    )
    open_session = partial(
        VenueSession.open, settings, account(), CREDENTIALS,
        opener=opener(fyers_sockets, fyers_clock),  # type: ignore[arg-type]
    )  # fmt: skip
    session = await open_session()
    try:
        engine = session.engine
        sbin = engine.instruments["NSE:SBIN-EQ"]
        assert (sbin.asset_class, sbin.quote, sbin.tick_size) == (
            AssetClass.EQUITY, "INR", D("0.05"),
        )  # fmt: skip
        assert engine.portfolio.currency == "INR"
        assert any("opening balances from fyers" in f for f in session.findings)
        # the SDK's own log files live in the account's folder, not the working directory
        assert (data_dir / "accounts" / "nse" / "fyers-logs").is_dir()

        await eventually(lambda: "NSE:SBIN-EQ" in engine.portfolio.last_prices, within=10)
        buy = await engine.place_order(
            OrderRequest("NSE:SBIN-EQ", OrderSide.BUY, OrderType.MARKET, D("5"))
        )
        await eventually(lambda: buy.status is OrderStatus.FILLED)
        assert engine.portfolio.position_qty("NSE:SBIN-EQ") == D("5")
        assert [f.client_id for f in engine.oms.fills] == [buy.client_id]
    finally:
        await session.close()

    again = await open_session()
    try:
        assert again.engine.risk.state.value == "active", again.findings
        assert not [f for f in again.findings if "differ" in f or "adopted" in f], again.findings
        assert again.engine.portfolio.position_qty("NSE:SBIN-EQ") == D("5")
    finally:
        await again.close()


async def test_delivery_shares_bought_yesterday_still_agree_this_morning(
    data_dir: Path, fyers_emu: FyersEmulator, fyers_sockets: FakeSocketFactory, fyers_clock: Clock
) -> None:
    """CNC shares bought today move from Fyers' positions to its holdings overnight: the
    next morning's reconciliation must still find them (not halt on a missing balance)."""
    settings = Settings(data_dir).updated(
        {"venue_urls": {"fyers": {"api": fyers_emu.base_url}}, "live_data_probe": False}
    )
    open_session = partial(
        VenueSession.open, settings, account(), CREDENTIALS,
        opener=opener(fyers_sockets, fyers_clock),  # type: ignore[arg-type]
    )  # fmt: skip
    session = await open_session()
    try:
        engine = session.engine
        await eventually(lambda: "NSE:SBIN-EQ" in engine.portfolio.last_prices)
        buy = await engine.place_order(
            OrderRequest("NSE:SBIN-EQ", OrderSide.BUY, OrderType.MARKET, D("3"))
        )
        await eventually(lambda: buy.status is OrderStatus.FILLED)
    finally:
        await session.close()
    fyers_emu.book.roll_day()
    assert not fyers_emu.book.positions and fyers_emu.book.holdings["NSE:SBIN-EQ"]["quantity"] == 3
    morning = await open_session()
    try:
        assert morning.engine.risk.state.value == "active", morning.findings
        assert not [f for f in morning.findings if "differ" in f], morning.findings
        assert (await morning.execution.balances())["SBIN"] == D("3")
    finally:
        await morning.close()
