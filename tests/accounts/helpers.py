"""A VenueOps standing in for the venues in service tests (the real one, VenueOpsImpl, is
tested against the loopback Binance emulator in test_venue_ops.py). It records every call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.accounts.model import Account
from app.accounts.ops import OpenBrowser, PasteUrl
from app.engine.ports import AuthenticationFailed, KeyPermissions


@dataclass
class RecordingOps:
    permissions: KeyPermissions = field(
        default_factory=lambda: KeyPermissions(None, None, None, "venue does not report")
    )
    token: tuple[str, int] = ("tok-abc", 0)
    refuse_key: bool = False
    ask_paste: bool = False  # the redirect cannot be caught locally: ask for the pasted URL
    pasted: list[str] = field(default_factory=list)
    calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def ccxt_exchange_ids(self) -> Sequence[str]:
        return ("binance", "binanceus", "blofin", "kraken", "okx")

    def ccxt_has_sandbox(self, exchange_id: str) -> bool:
        return exchange_id in ("binance", "blofin", "okx")

    async def key_permissions(
        self, account: Account, credentials: Mapping[str, str]
    ) -> KeyPermissions:
        self.calls.append(("key_permissions", account.mode.value, dict(credentials)))
        if self.refuse_key:
            raise AuthenticationFailed("Invalid API-key", venue=account.venue)
        return self.permissions

    async def test_connection(self, account: Account, credentials: Mapping[str, str]) -> str:
        self.calls.append(("test_connection", account.mode.value, dict(credentials)))
        return f"{account.venue}: ok"

    async def fyers_login(
        self,
        account: Account,
        credentials: Mapping[str, str],
        *,
        open_browser: OpenBrowser,
        paste_url: PasteUrl | None,
    ) -> tuple[str, int]:
        self.calls.append(("fyers_login", account.mode.value, dict(credentials)))
        open_browser("https://example.invalid/auth")
        if self.ask_paste and paste_url is not None:
            self.pasted.append(await paste_url("https://example.invalid/auth"))
        return self.token
