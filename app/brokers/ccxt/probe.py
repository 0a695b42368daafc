"""Is a venue answering? One public request under a deadline (no key, no markets)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import ccxt

from app.brokers.ccxt.client import build_exchange, close_exchange
from app.brokers.ccxt.config import CcxtConfig
from app.brokers.ccxt.errors import scrub

log = logging.getLogger(__name__)


async def venue_reachable(
    exchange_id: str, timeout_s: float, urls: Mapping[str, Any] | None = None
) -> bool:
    """True when the venue answers a public call (server time, or its status) in time."""
    config = CcxtConfig(
        exchange_id=exchange_id,
        urls=urls or {},
        timeout_ms=max(50, min(120_000, int(timeout_s * 1000))),
    )
    exchange = build_exchange(config)
    has = getattr(exchange, "has", {}) or {}
    try:
        async with asyncio.timeout(timeout_s):
            if has.get("fetchTime"):
                await exchange.fetch_time()
            else:
                await exchange.fetch_status()
    except (TimeoutError, ccxt.BaseError, OSError) as exc:
        log.info("%s is not reachable: %s", exchange_id, scrub(f"{type(exc).__name__}: {exc}"))
        return False
    finally:
        await close_exchange(exchange)
    return True
