"""A real ccxt client pointed at an emulator, closed on exit (for tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro


@asynccontextmanager
async def ccxt_client(emu: Any, pro: bool = False, **overrides: Any) -> AsyncIterator[Any]:
    """`ccxt.async_support.binance` (or `ccxt.pro.binance` with pro=True), markets loaded.

    `emu` is a BinanceEmulator or ThreadedBinanceEmulator; `overrides` replace top-level
    config keys (e.g. `timeout=300`, `secret="wrong"`).
    """
    config = {**emu.ccxt_config(), **overrides}
    ex = ccxt_pro.binance(config) if pro else ccxt_async.binance(config)
    try:
        await ex.load_markets()
        yield ex
    finally:
        await ex.close()
