"""Pytest fixtures; import them into a conftest:
`from tests.emulators.binance.fixtures import binance_emu, threaded_binance_emu  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from .emulator import BinanceEmulator
from .threaded import ThreadedBinanceEmulator

TEST_API_KEY = "emu-test-api-key"
TEST_SECRET = "emu-test-secret"
DEFAULTS: dict[str, Any] = {
    "symbols": ("BTC/USDT", "ETH/USDT"),
    "balances": {"USDT": "10000"},
    "api_key": TEST_API_KEY,
    "secret": TEST_SECRET,
    "prices": {"BTC/USDT": "30000", "ETH/USDT": "2000"},
    "seed": 1,
}


@pytest_asyncio.fixture
async def binance_emu() -> AsyncIterator[BinanceEmulator]:
    """A started emulator on the test's loop: BTC/USDT 30000, ETH/USDT 2000, 10000 USDT."""
    emu = BinanceEmulator(**DEFAULTS)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
def threaded_binance_emu() -> Iterator[ThreadedBinanceEmulator]:
    """The same market on its own thread; it outlives app subprocesses the test kills."""
    emu = ThreadedBinanceEmulator(**DEFAULTS)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()
