"""What the account service needs from the venues, as a Protocol.

The accounts package must stay importable by the UI, which never imports a broker, so the
real implementation lives in ``app.venue_ops`` (a composition module) and is handed in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

from app.accounts.model import Account
from app.engine.ports import KeyPermissions

#: opens the auth URL in the trader's browser
OpenBrowser = Callable[[str], object]
#: asks the trader to paste the URL the browser was redirected to (when no local capture)
PasteUrl = Callable[[str], Awaitable[str]]


class VenueOps(Protocol):
    def ccxt_exchange_ids(self) -> Sequence[str]:
        """Every exchange id the installed ccxt supports."""
        ...

    def ccxt_has_sandbox(self, exchange_id: str) -> bool:
        """Whether ccxt knows a sandbox (testnet) for this exchange."""
        ...

    async def key_permissions(
        self, account: Account, credentials: Mapping[str, str]
    ) -> KeyPermissions:
        """What the account's key may do, as the venue reports it (None where it does not)."""
        ...

    async def test_connection(self, account: Account, credentials: Mapping[str, str]) -> str:
        """A one-line summary of a successful authenticated (or public) call, or a
        VenueError with the venue's reason."""
        ...

    async def fyers_login(
        self,
        account: Account,
        credentials: Mapping[str, str],
        *,
        open_browser: OpenBrowser,
        paste_url: PasteUrl | None,
    ) -> tuple[str, int]:
        """Run the Fyers login; the access token and when it expires (epoch ns)."""
        ...
