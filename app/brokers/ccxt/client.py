"""Building, opening and closing the ccxt.pro client of one (venue, key).

ccxt.pro classes do both REST and WebSocket, so one client serves market data and the
account. Every REST reply's status and headers are recorded for error mapping (Retry-After)
through ``errors.record_response``; ccxt's logger is kept at INFO or above because at DEBUG
it prints request headers, API key included.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import ccxt.pro

from app.brokers.ccxt.config import CcxtConfig
from app.brokers.ccxt.errors import map_errors, record_response
from app.brokers.ccxt.quirks import quirks_for

log = logging.getLogger(__name__)
_classes: dict[str, type[Any]] = {}


def quiet_ccxt_logger() -> None:
    """ccxt logs API key headers at DEBUG: never let it run below INFO."""
    logger = logging.getLogger("ccxt")
    if logger.getEffectiveLevel() < logging.INFO:
        logger.setLevel(logging.INFO)


def _recording_class(exchange_id: str) -> type[Any]:
    """The ccxt.pro class for ``exchange_id`` with a hook that records each REST reply."""
    cls = _classes.get(exchange_id)
    if cls is None:
        base: type[Any] = getattr(ccxt.pro, exchange_id)

        def on_rest_response(
            self: Any,
            code: Any,
            reason: Any,
            url: Any,
            method: Any,
            response_headers: Any,
            response_body: Any,
            request_headers: Any,
            request_body: Any,
        ) -> Any:
            record_response(code, response_headers or {})
            return base.on_rest_response(
                self,
                code,
                reason,
                url,
                method,
                response_headers,
                response_body,
                request_headers,
                request_body,
            )

        cls = type(f"Recording{base.__name__}", (base,), {"on_rest_response": on_rest_response})
        _classes[exchange_id] = cls
    return cls


def build_exchange(config: CcxtConfig) -> Any:
    """A ccxt.pro client for the config (not connected yet; markets not loaded)."""
    quiet_ccxt_logger()
    quirks = quirks_for(config.exchange_id)
    settings: dict[str, Any] = {
        "enableRateLimit": True,  # ccxt's own limiter spaces requests; we add the 429 pause
        "timeout": config.timeout_ms,
    }
    if config.rate_limit_ms is not None:
        settings["rateLimit"] = config.rate_limit_ms
    if config.api_key:
        settings["apiKey"] = config.api_key
        settings["secret"] = config.secret
    if config.password:
        settings["password"] = config.password
    if config.uid:
        settings["uid"] = config.uid
    exchange = _recording_class(config.exchange_id)(settings)
    if config.sandbox:
        exchange.set_sandbox_mode(True)
    exchange.options = exchange.deep_extend(
        exchange.options, dict(quirks.ccxt_options), _plain(config.options)
    )
    if config.urls:
        exchange.urls = exchange.deep_extend(exchange.urls, _plain(config.urls))
    return exchange


async def load_markets(exchange: Any, venue: str, timeout_s: float) -> dict[str, Any]:
    """Load the venue's markets under a deadline (a venue that does not answer fails fast)."""
    with map_errors(venue, "load markets"):
        async with asyncio.timeout(timeout_s):
            markets: dict[str, Any] = await exchange.load_markets()
    return markets


async def close_exchange(exchange: Any) -> None:
    """Close WebSockets and the HTTP session; never raises (closing is best effort)."""
    try:
        await exchange.close()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.warning("closing the %s client failed", getattr(exchange, "id", "?"), exc_info=True)


def _plain(value: Any) -> Any:
    """Mappings (MappingProxyType from the frozen config) as plain dicts for ccxt."""
    if hasattr(value, "items"):
        return {key: _plain(item) for key, item in value.items()}
    return value
