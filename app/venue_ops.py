"""The account service's door to the real venues (``app.accounts.ops.VenueOps``).

A composition module: it may import the brokers, which the accounts package (imported by
the UI) must not. ccxt venues go through ``app.brokers.ccxt`` (key permissions, markets,
balances); Fyers through ``app.brokers.fyers`` (the OAuth login, the profile call).

``urls_for``/``options_for`` give per-exchange overrides merged into ccxt's ``urls`` and
``options`` (tests and the emulator point a venue at 127.0.0.1 this way); ``fyers_api_base``
does the same for Fyers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.accounts.model import Account, AccountMode, account_folder
from app.accounts.ops import OpenBrowser, PasteUrl
from app.engine.domain.errors import ValidationError
from app.engine.ports import KeyPermissions
from app.settings import default_data_dir

if TYPE_CHECKING:  # ccxt takes a second or two to import: only once a venue is used
    from app.brokers.ccxt import CcxtConfig
    from app.brokers.fyers.config import FyersConfig

Overrides = Callable[[str], Mapping[str, Any] | None]
_SHOWN_BALANCES = 4


def _none(_exchange_id: str) -> Mapping[str, Any] | None:
    return None


class VenueOpsImpl:
    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        urls_for: Overrides = _none,
        options_for: Overrides = _none,
        fyers_api_base: str | None = None,
        timeout_s: float = 20.0,
        login_timeout_s: float = 300.0,
    ) -> None:
        # the Fyers SDK's log files go under <data dir>/accounts/<id>/fyers-logs
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.urls_for = urls_for
        self.options_for = options_for
        self.fyers_api_base = fyers_api_base
        self.timeout_s = timeout_s
        self.login_timeout_s = login_timeout_s

    # --- catalog --------------------------------------------------------------------------
    def ccxt_exchange_ids(self) -> Sequence[str]:
        import ccxt.pro

        # the adapter streams through ccxt.pro: an exchange without it cannot be traded
        return tuple(ccxt.pro.exchanges)

    def ccxt_has_sandbox(self, exchange_id: str) -> bool:
        return _has_sandbox(exchange_id)

    # --- venue calls ----------------------------------------------------------------------
    async def key_permissions(
        self, account: Account, credentials: Mapping[str, str]
    ) -> KeyPermissions:
        if account.venue == "fyers":
            return KeyPermissions(None, None, None, detail="Fyers does not report app permissions")
        from app.brokers.ccxt import read_key_permissions

        return await read_key_permissions(self._ccxt_config(account, credentials))

    async def test_connection(self, account: Account, credentials: Mapping[str, str]) -> str:
        if account.venue == "demo":
            return "the demo market is built in: nothing to connect to"
        if account.venue == "fyers":
            return await self._fyers_profile(account, credentials)
        from app.brokers.ccxt import CcxtVenue

        config = self._ccxt_config(account, credentials)
        venue = await CcxtVenue.open(config)
        try:
            listed = {i.symbol for i in venue.data.instruments()}
            missing = [s for s in account.symbols if s not in listed]
            parts = [f"{len(listed)} of {len(account.symbols)} symbols listed"]
            if missing:
                parts.append("not listed: " + ", ".join(missing))
            if venue.execution is None:
                parts.append("public data only (no key)")
            else:
                parts.append("key accepted; " + _balances(await venue.execution.balances()))
        finally:
            await venue.close()
        where = "testnet" if config.sandbox else "live"
        return f"{account.venue} ({where}): " + "; ".join(parts)

    async def fyers_login(
        self,
        account: Account,
        credentials: Mapping[str, str],
        *,
        open_browser: OpenBrowser,
        paste_url: PasteUrl | None,
    ) -> tuple[str, int]:
        from app.brokers.fyers.login import login as fyers_oauth_login

        config = self._fyers_config(account, credentials, need_token=False)
        opened: list[str] = []

        def opener(url: str) -> object:
            opened.append(url)
            return open_browser(url)

        async def paste() -> str:
            assert paste_url is not None  # login() only asks when one was given
            return await paste_url(opened[-1] if opened else "")

        token = await fyers_oauth_login(
            config,
            open_browser=opener,
            paste=paste if paste_url is not None else None,
            timeout_s=self.login_timeout_s,
        )
        return token.access_token, token.expires_ns

    # --- configs --------------------------------------------------------------------------
    def _ccxt_config(self, account: Account, credentials: Mapping[str, str]) -> CcxtConfig:
        from app.brokers.ccxt import CcxtConfig

        return CcxtConfig(
            exchange_id=account.venue,
            api_key=credentials.get("api_key", ""),
            secret=credentials.get("secret", ""),
            password=credentials.get("password", ""),
            uid=credentials.get("uid", ""),
            sandbox=account.mode is AccountMode.TESTNET,
            symbols=account.symbols,
            urls=dict(self.urls_for(account.venue) or {}),
            options=dict(self.options_for(account.venue) or {}),
            timeout_ms=int(self.timeout_s * 1000),
            markets_timeout_s=self.timeout_s,
        )

    def _fyers_config(
        self, account: Account, credentials: Mapping[str, str], *, need_token: bool
    ) -> FyersConfig:
        from app.brokers.fyers.config import FyersConfig

        token = credentials.get("access_token", "")
        if need_token and not token:
            raise ValidationError("credentials.access_token", "log in to Fyers first")
        return FyersConfig(
            app_id=credentials.get("app_id", ""),
            log_dir=account_folder(self.data_dir, account.id) / "fyers-logs",
            secret_key=credentials.get("secret_key", ""),
            redirect_url=credentials.get("redirect_url", ""),
            access_token=token,
            symbols=account.symbols,
            product_type=account.product_type or "CNC",
            api_base=self.fyers_api_base,
            call_timeout_s=self.timeout_s,
        )

    async def _fyers_profile(self, account: Account, credentials: Mapping[str, str]) -> str:
        from app.brokers.fyers.sdk_bridge import FyersRest

        config = self._fyers_config(account, credentials, need_token=True)
        rest = FyersRest.for_account(config)
        try:
            body = await rest.call("get_profile")
        finally:
            await rest.close()
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        assert isinstance(data, dict)
        who = data.get("name") or data.get("fy_id") or "?"
        return f"fyers: token accepted, logged in as {who}"


@functools.cache
def _has_sandbox(exchange_id: str) -> bool:
    import ccxt

    cls = getattr(ccxt, exchange_id, None)
    if cls is None:
        return False
    urls = cls().urls  # building a client makes no network call
    return isinstance(urls, dict) and bool(urls.get("test"))


def _balances(totals: Mapping[str, Decimal]) -> str:
    if not totals:
        return "no balances"
    biggest = sorted(totals.items())[:_SHOWN_BALANCES]
    shown = ", ".join(f"{asset} {amount.normalize():f}" for asset, amount in biggest)
    more = len(totals) - len(biggest)
    return f"balances {shown}" + (f" and {more} more" if more > 0 else "")
