"""VenueOpsImpl with the REAL ccxt client against the loopback Binance emulator, and the
real Fyers SDK against the loopback Fyers emulator, wired through AccountService."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.accounts.model import AccountMode
from app.accounts.service import AccountService
from app.accounts.store import AccountStore
from app.engine.clock import SimClock
from app.engine.ports import AuthenticationFailed
from app.venue_ops import VenueOpsImpl
from tests.accounts.conftest import T0
from tests.emulators.binance import BinanceEmulator
from tests.emulators.fyers.fixtures import fyers_clock, fyers_emu  # noqa: F401 (fixtures)
from tests.emulators.fyers.server import APP_ID, SECRET, TOKEN, FyersEmulator

KEY, SECRET_B = "emu-key-0001", "emu-secret-0001"


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    emu = BinanceEmulator(
        symbols=("BTC/USDT", "ETH/USDT"),
        balances={"USDT": "10000", "BTC": "0.5"},
        api_key=KEY,
        secret=SECRET_B,
        prices={"BTC/USDT": "30000", "ETH/USDT": "2000"},
    )
    await emu.start()
    yield emu
    await emu.stop()


def _ops(data_dir: Path, emu: BinanceEmulator | None = None, fyers: Any = None) -> VenueOpsImpl:
    config = emu.ccxt_config() if emu is not None else {"urls": {}, "options": {}}
    return VenueOpsImpl(
        data_dir,
        urls_for=lambda exchange: config["urls"] if exchange == "binance" else None,
        options_for=lambda exchange: config["options"] if exchange == "binance" else None,
        fyers_api_base=fyers.base_url if fyers is not None else None,
        timeout_s=5.0,
        login_timeout_s=5.0,
    )


@pytest.fixture
def service_on(data_dir: Path, memory_keyring):  # type: ignore[no-untyped-def]
    stores: list[AccountStore] = []

    def build(ops: VenueOpsImpl) -> AccountService:
        store = AccountStore(data_dir)
        stores.append(store)
        return AccountService(store, ops, SimClock(T0))

    yield build
    for store in stores:
        store.close()


def test_the_catalog_comes_from_the_installed_ccxt(data_dir: Path) -> None:
    ops = _ops(data_dir)
    ids = ops.ccxt_exchange_ids()
    assert {"binance", "binanceus", "blofin", "okx"} <= set(ids)
    assert ops.ccxt_has_sandbox("blofin") is True  # Blofin's demo trading
    assert ops.ccxt_has_sandbox("nosuch") is False


async def test_key_warnings_come_from_the_venues_api_restrictions(
    binance: BinanceEmulator,
    data_dir: Path,
    service_on,  # type: ignore[no-untyped-def]
) -> None:
    service = service_on(_ops(data_dir, binance))
    account = service.add(
        "binance", "Main", "paper_live", ["BTC/USDT"], {"api_key": KEY, "secret": SECRET_B}
    )
    binance.api_restrictions.update(
        {"enableWithdrawals": True, "ipRestrict": False, "enableSpotAndMarginTrading": True}
    )
    warnings = await service.check_go_live(account.id)
    assert len(warnings) == 2
    assert "WITHDRAW" in warnings[0] and "no IP restriction" in warnings[1]

    binance.api_restrictions.update(
        {"enableWithdrawals": False, "ipRestrict": True, "enableSpotAndMarginTrading": False}
    )
    warnings = await service.check_go_live(account.id)
    assert warnings == ["this API key cannot trade (spot trading is not enabled for it)"]

    binance.api_restrictions.update({"enableSpotAndMarginTrading": True})
    assert await service.check_go_live(account.id) == []
    live = service.go_live(account.id, "Main", [])
    assert live.mode is AccountMode.LIVE


async def test_a_wrong_key_is_refused_by_the_venue(
    binance: BinanceEmulator,
    data_dir: Path,
    service_on,  # type: ignore[no-untyped-def]
) -> None:
    service = service_on(_ops(data_dir, binance))
    account = service.add(
        "binance", "Wrong", "paper_live", ["BTC/USDT"], {"api_key": "nope", "secret": "bad"}
    )
    with pytest.raises(AuthenticationFailed):
        await service.check_go_live(account.id)


async def test_test_connection_with_a_key_and_without(
    binance: BinanceEmulator,
    data_dir: Path,
    service_on,  # type: ignore[no-untyped-def]
) -> None:
    service = service_on(_ops(data_dir, binance))
    keyed = service.add(
        "binance",
        "Keyed",
        "testnet",
        ["BTC/USDT", "DOGE/USDT"],
        {"api_key": KEY, "secret": SECRET_B},
    )
    summary = await service.test_connection(keyed.id)
    assert summary.startswith("binance (testnet): 1 of 2 symbols listed")
    assert "not listed: DOGE/USDT" in summary
    assert "key accepted; balances BTC 0.5, USDT 10000" in summary

    public = service.add("binance", "Public", "paper_live", ["ETH/USDT"], {})
    summary = await service.test_connection(public.id)
    assert summary == "binance (live): 1 of 1 symbols listed; public data only (no key)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """The trader's browser: opens the login page on the emulator (which logs in at once
    and redirects), and either follows the redirect to Tradedesk's local listener or stops
    there so the address can be pasted."""

    def __init__(self, follow: bool) -> None:
        self.follow = follow
        self.landed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.tasks: list[asyncio.Task[None]] = []

    def open(self, url: str) -> bool:
        self.tasks.append(asyncio.get_running_loop().create_task(self._visit(url)))
        return True

    async def _visit(self, url: str) -> None:
        async with (
            aiohttp.ClientSession() as http,
            http.get(url, allow_redirects=self.follow) as reply,
        ):
            landed = str(reply.url) if self.follow else reply.headers["Location"]
            await reply.read()
        self.landed.set_result(landed)


@pytest.mark.parametrize("local", [True, False], ids=["local-redirect", "pasted-url"])
async def test_fyers_login_then_test_connection(
    fyers_emu: FyersEmulator,  # noqa: F811
    data_dir: Path,
    service_on,  # type: ignore[no-untyped-def]
    memory_keyring,  # type: ignore[no-untyped-def]
    local: bool,
) -> None:
    service = service_on(_ops(data_dir, fyers=fyers_emu))
    redirect = (
        f"http://127.0.0.1:{_free_port()}/fyers/callback"
        if local
        else "https://trader.example/fyers/callback"
    )
    account = service.add(
        "fyers",
        "Fyers",
        "paper_live",
        ["NSE:SBIN-EQ"],
        {"app_id": APP_ID, "secret_key": SECRET, "redirect_url": redirect},
    )
    browser = Browser(follow=local)
    asked: list[str] = []

    async def paste(auth_url: str) -> str:
        asked.append(auth_url)
        return await browser.landed

    updated = await service.fyers_login(account.id, open_browser=browser.open, paste_url=paste)
    await asyncio.gather(*browser.tasks)
    assert memory_keyring.secrets()[f"account/{account.id}/access_token"] == TOKEN
    assert updated.token_expires_ns is not None and updated.token_expires_ns > T0
    assert (asked == []) is local
    if not local:
        assert asked[0].startswith(fyers_emu.base_url)
    summary = await service.test_connection(account.id)
    assert summary.startswith("fyers: token accepted, logged in as")
    assert (data_dir / "accounts" / account.id / "fyers-logs").is_dir()
