"""Pytest fixtures: ``fyers_emu`` (the REST emulator on 127.0.0.1, with SBIN and IDEA) and
helpers to build a config pointing at it. Import the fixtures into a conftest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from app.brokers.fyers.config import FyersConfig
from app.brokers.fyers.market_hours import IST
from app.brokers.fyers.sdk_bridge import point_sdk_at
from tests.emulators.fyers.server import APP_ID, SECRET, TOKEN, FyersEmulator
from tests.emulators.fyers.sockets import FakeSocketFactory

# a Wednesday, 10:00 IST: NSE is open
OPEN_NS = int(datetime(2026, 12, 2, 10, 0, tzinfo=IST).timestamp()) * 1_000_000_000
# the Saturday after: closed
CLOSED_NS = int(datetime(2026, 12, 5, 11, 0, tzinfo=IST).timestamp()) * 1_000_000_000


class Clock:
    """Wall time for the adapter and the emulator, set by the test."""

    def __init__(self, now_ns: int = OPEN_NS) -> None:
        self.now_ns = now_ns

    def __call__(self) -> int:
        return self.now_ns

    def seconds(self) -> int:
        return self.now_ns // 1_000_000_000


def emu_config(emu: FyersEmulator, log_dir: Path, **overrides: Any) -> FyersConfig:
    values: dict[str, Any] = {
        "app_id": APP_ID,
        "secret_key": SECRET,
        "access_token": TOKEN,
        "redirect_url": "http://127.0.0.1:0/fyers/callback",
        "symbols": ("NSE:SBIN-EQ", "NSE:IDEA-EQ"),
        "product_type": "CNC",
        "log_dir": log_dir,
        "api_base": emu.base_url,
        "call_timeout_s": 2.0,
        "stale_after_s": 30.0,
    }
    values.update(overrides)
    return FyersConfig(**values)


@pytest.fixture
def fyers_clock() -> Clock:
    return Clock()


@pytest.fixture
async def fyers_emu(fyers_clock: Clock) -> AsyncIterator[FyersEmulator]:
    emu = FyersEmulator(fyers_clock.seconds, hang_s=1.0)
    emu.book.add_symbol("NSE:SBIN-EQ", "606.40", "606.45")
    emu.book.add_symbol("NSE:IDEA-EQ", "7.95", "8.00", tick="0.01")
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
        point_sdk_at(None)  # never leave the SDK pointed at a closed emulator


@pytest.fixture
def fyers_sockets(fyers_emu: FyersEmulator) -> FakeSocketFactory:
    return FakeSocketFactory(fyers_emu)
