"""What an API key may do, as the venue reports it (``KeyPermissions``).

Binance and Binance.US answer GET sapi/v1/account/apiRestrictions (withdrawals, IP
restriction, spot trading); other venues do not report it and get "unknown" (None) fields.
"""

from __future__ import annotations

from typing import Any

from app.brokers.ccxt.calls import VenueCalls
from app.brokers.ccxt.client import build_exchange, close_exchange
from app.brokers.ccxt.config import CcxtConfig
from app.brokers.ccxt.quirks import quirks_for
from app.brokers.ccxt.throttle import KeyThrottle
from app.engine.domain.errors import ValidationError
from app.engine.ports import KeyPermissions


def _flag(info: dict[str, Any], key: str) -> bool | None:
    value = info.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def permissions_from_binance(info: dict[str, Any]) -> KeyPermissions:
    """KeyPermissions from a Binance apiRestrictions body."""
    return KeyPermissions(
        can_trade=_flag(info, "enableSpotAndMarginTrading"),
        can_withdraw=_flag(info, "enableWithdrawals"),
        ip_restricted=_flag(info, "ipRestrict"),
        detail="as reported by GET sapi/v1/account/apiRestrictions",
    )


async def read_key_permissions(config: CcxtConfig) -> KeyPermissions:
    """Ask the venue what the config's key may do (raises the venue errors on failure)."""
    if not config.has_keys:
        raise ValidationError("api_key", "is needed to read a key's permissions")
    quirks = quirks_for(config.exchange_id)
    if quirks.permissions != "binance_api_restrictions":
        return KeyPermissions(
            None, None, None, detail=f"{config.venue} does not report API key permissions"
        )
    exchange = build_exchange(config)
    try:
        calls = VenueCalls(exchange, config.venue, quirks, KeyThrottle(config.venue, config.key_id))
        info: dict[str, Any] = await calls.read(
            "key permissions", lambda: exchange.sapi_get_account_apirestrictions(), retry=False
        )
    finally:
        await close_exchange(exchange)
    return permissions_from_binance(info)
