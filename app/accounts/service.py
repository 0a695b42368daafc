"""The accounts a trader has, and everything done to them: add, edit, remove, choose the
active one, test a connection, go live, log in to Fyers.

Secrets go to the keychain FIRST and the row second; if the row cannot be written, the
keychain is put back as it was, so an account is never half written. The demo account is
built in: always present, never stored, never removed.

The OS keychain may block (an unlock prompt): the async methods touch it from a worker
thread, and the UI calls the sync ones (add, update, remove) through ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from app.accounts.model import (
    ACCOUNTS_DIR,
    DEMO_ACCOUNT,
    DEMO_ACCOUNT_ID,
    Account,
    AccountMode,
    account_folder,
    parse_mode,
    slug_for,
    validate_label,
)
from app.accounts.ops import OpenBrowser, PasteUrl, VenueOps
from app.accounts.secrets import AccountSecrets
from app.accounts.store import AccountStore, StoredAccount
from app.accounts.validation import check_mode, check_required, cleaned_credentials
from app.accounts.venues import DEMO, VenueSpec, catalog_spec, other_ccxt_spec, resolve
from app.accounts.venues import validate_product_type as _product_type
from app.engine.clock import Clock
from app.engine.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """One account as the accounts table shows it."""

    account: Account
    spec: VenueSpec
    credentials_set: frozenset[str]
    missing: tuple[str, ...]  # required credentials the account's mode needs and lacks
    active: bool
    token_expired: bool | None  # Fyers only


class AccountService:
    def __init__(
        self,
        store: AccountStore,
        ops: VenueOps,
        clock: Clock,
        secrets: AccountSecrets | None = None,
    ) -> None:
        self.store = store
        self.ops = ops
        self.clock = clock
        self.secrets = secrets or AccountSecrets()
        # the warnings the last key check found, per account: go_live needs each acknowledged
        self._checked_warnings: dict[str, list[str]] = {}

    # --- reading --------------------------------------------------------------------------
    def list(self) -> builtins.list[Account]:
        return [DEMO_ACCOUNT, *(s.account for s in self.store.all())]

    def get(self, account_id: str) -> Account:
        if account_id == DEMO_ACCOUNT_ID:
            return DEMO_ACCOUNT
        stored = self.store.get(account_id)
        if stored is None:
            raise ValidationError("account", "no such account", account_id)
        return stored.account

    def active(self) -> Account:
        chosen = self.store.active_id()
        if chosen is None:
            return DEMO_ACCOUNT
        stored = self.store.get(chosen)
        return stored.account if stored is not None else DEMO_ACCOUNT

    def spec(self, account: Account) -> VenueSpec:
        if account.venue == DEMO.id:
            return DEMO
        found = catalog_spec(account.venue)
        if found is not None:
            return found
        return other_ccxt_spec(account.venue, testnet=self.ops.ccxt_has_sandbox(account.venue))

    def resolve_venue(self, venue: object) -> VenueSpec:
        """The spec for a venue the trader names (catalog or any ccxt id)."""
        name = venue.strip().lower() if isinstance(venue, str) else venue
        ids = self.ops.ccxt_exchange_ids()
        sandbox = isinstance(name, str) and name in ids and self.ops.ccxt_has_sandbox(name)
        return resolve(venue, ids, sandbox)

    def overview(self) -> builtins.list[AccountStatus]:
        active = self.active().id
        out = [AccountStatus(DEMO_ACCOUNT, DEMO, frozenset(), (), active == DEMO_ACCOUNT_ID, None)]
        for stored in self.store.all():
            account, spec = stored.account, self.spec(stored.account)
            needed = (
                [f.name for f in spec.credentials if f.required and f.typed]
                if spec.needs_credentials(account.mode)
                else []
            )
            missing = tuple(n for n in needed if n not in stored.credentials)
            expired = self._token_expired(account) if spec.kind == "fyers" else None
            out.append(
                AccountStatus(
                    account, spec, stored.credentials, missing, account.id == active, expired
                )
            )
        return out

    def credentials(self, account_id: str) -> dict[str, str]:
        """The account's credential values from the keychain (for bootstrap and the venue
        calls; never logged, never stored elsewhere)."""
        account = self.get(account_id)
        stored = self.store.get(account_id)
        if stored is None or not stored.credentials:
            return {}
        fields = [f.name for f in self.spec(account).credentials if f.name in stored.credentials]
        values = self.secrets.read(account.id, fields)
        for name in fields:
            if name not in values:
                raise ValidationError(
                    f"credentials.{name}",
                    "is no longer in the OS keychain (removed outside Tradedesk?): edit the "
                    "account and enter it again",
                )
        return values

    def data_folder(self, account_id: str) -> Path:
        return account_folder(self.store.path.parent, account_id)

    def _kept_folders(self) -> set[str]:
        root = self.store.path.parent / ACCOUNTS_DIR
        return {p.name for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()

    # --- writing --------------------------------------------------------------------------
    def add(
        self,
        venue: str,
        label: str,
        mode: AccountMode | str,
        symbols: Sequence[str] | None,
        credentials: Mapping[str, str],
        product_type: str | None = None,
    ) -> Account:
        spec = self.resolve_venue(venue)
        clean_label = self._unique_label(label, None)
        chosen = parse_mode(mode)
        check_mode(spec, chosen)
        chosen_symbols = spec.validate_symbols(
            symbols if symbols else spec.default_symbols, "symbols"
        )
        product = _product_type(spec, product_type)
        creds = cleaned_credentials(spec, credentials)
        check_required(spec, chosen, frozenset(creds))
        # a removed account's data folder is kept: its id is never given to a new account,
        # which would otherwise inherit that journal
        taken = {a.id for a in self.list()} | self._kept_folders()
        account = Account(
            id=slug_for(clean_label, taken),
            venue=spec.id,
            label=clean_label,
            mode=chosen,
            symbols=chosen_symbols,
            created_ns=self.clock.now_ns(),
            product_type=product,
        )
        before = self.secrets.write(account.id, creds) if creds else {}
        try:
            self.store.insert(account, creds)
        except BaseException:
            self.secrets.restore(account.id, before)
            raise
        return account

    def update(
        self,
        account_id: str,
        *,
        label: str | None = None,
        mode: AccountMode | str | None = None,
        symbols: Sequence[str] | None = None,
        credentials: Mapping[str, str] | None = None,
        product_type: str | None = None,
    ) -> Account:
        """Change what is given; a blank credential means "keep the stored one". The venue
        cannot change: its keychain entries and data folder belong to this account."""
        current = self._stored(account_id)
        account, have = current.account, current.credentials
        spec = self.spec(account)
        new_label = self._unique_label(label, account.id) if label is not None else account.label
        new_mode = parse_mode(mode) if mode is not None else account.mode
        check_mode(spec, new_mode, account.mode)
        new_symbols = spec.validate_symbols(symbols) if symbols is not None else account.symbols
        product = (
            _product_type(spec, product_type) if product_type is not None else account.product_type
        )
        creds = cleaned_credentials(spec, credentials or {})
        if creds and account.mode is AccountMode.LIVE:
            raise ValidationError(
                "credentials",
                "a live account's key is replaced only after leaving live mode: its warnings "
                "were acknowledged for the current key",
            )
        check_required(spec, new_mode, have | frozenset(creds))
        leaving_live = account.mode is AccountMode.LIVE and new_mode is not AccountMode.LIVE
        updated = replace(
            account,
            label=new_label,
            mode=new_mode,
            symbols=new_symbols,
            product_type=product,
            live_confirmed_ns=None if leaving_live else account.live_confirmed_ns,
            acknowledged_warnings=() if leaving_live else account.acknowledged_warnings,
        )
        before = self.secrets.write(account.id, creds) if creds else {}
        try:
            self.store.update(updated, have | frozenset(creds))
        except BaseException:
            self.secrets.restore(account.id, before)
            raise
        if creds:
            self._checked_warnings.pop(account.id, None)  # a new key needs a new check
        return updated

    def remove(self, account_id: str) -> Path:
        """Remove the row and its keychain entries; returns the account's data folder, which
        is kept (its journal and reports stay readable)."""
        if account_id == DEMO_ACCOUNT_ID:
            raise ValidationError("account", "the demo account is built in and cannot be removed")
        current = self._stored(account_id)
        if current.credentials:
            self.secrets.delete(account_id, current.credentials)
        self.store.delete(account_id)
        self._checked_warnings.pop(account_id, None)
        return self.data_folder(account_id)

    def set_active(self, account_id: str) -> Account:
        account = self.get(account_id)
        # the demo is recorded too: "never chosen" (None) is what a first start looks like
        self.store.set_active_id(account.id)
        return account

    # --- talking to the venue -------------------------------------------------------------
    async def test_connection(self, account_id: str) -> str:
        account = self._real(account_id)
        creds = await asyncio.to_thread(self.credentials, account_id)
        return await self.ops.test_connection(account, creds)

    async def check_go_live(self, account_id: str) -> builtins.list[str]:
        """The key's warnings as the LIVE venue reports them (withdrawals enabled, no IP
        restriction, cannot trade); each must be acknowledged by ``go_live``."""
        account = self._real(account_id)
        if account.mode is AccountMode.TESTNET:
            raise ValidationError(
                "mode",
                "a testnet key cannot trade real money: edit the account, choose paper on live "
                "data with a live key, then Go live…",
            )
        spec = self.spec(account)
        creds = await asyncio.to_thread(self.credentials, account_id)
        check_required(spec, AccountMode.LIVE, frozenset(creds))
        permissions = await self.ops.key_permissions(replace(account, mode=AccountMode.LIVE), creds)
        warnings = permissions.warnings()
        unknown = (permissions.can_trade, permissions.can_withdraw, permissions.ip_restricted)
        if all(flag is None for flag in unknown):
            # nothing checked is not the same as nothing wrong: the trader must say so
            warnings.append(
                f"{spec.title} does not report what this API key may do: check on its "
                "website that it cannot withdraw and is limited to your IP address"
            )
        self._checked_warnings[account_id] = warnings
        return warnings

    def go_live(
        self, account_id: str, typed_confirmation: str, acknowledged: Sequence[str]
    ) -> Account:
        account = self._real(account_id)
        if account.mode is AccountMode.LIVE:
            raise ValidationError("mode", "the account is already live")
        warnings = self._checked_warnings.get(account_id)
        if warnings is None:
            raise ValidationError("warnings", "check the key's permissions first (Go live…)")
        if typed_confirmation.strip() != account.label:
            raise ValidationError(
                "confirmation", f"type the account's label exactly: {account.label}"
            )
        missing = [w for w in warnings if w not in acknowledged]
        if missing:
            raise ValidationError("warnings", f"acknowledge every warning ({missing[0]})")
        stored = self._stored(account_id)
        check_required(self.spec(account), AccountMode.LIVE, stored.credentials)
        live = replace(
            account,
            mode=AccountMode.LIVE,
            live_confirmed_ns=self.clock.now_ns(),
            acknowledged_warnings=tuple(warnings),
        )
        self.store.update(live)
        self._checked_warnings.pop(account_id, None)
        return live

    async def fyers_login(
        self, account_id: str, *, open_browser: OpenBrowser, paste_url: PasteUrl | None = None
    ) -> Account:
        """Run the Fyers login, keep the token in the keychain and its expiry in the row."""
        account = self._real(account_id)
        spec = self.spec(account)
        if spec.kind != "fyers":
            raise ValidationError("venue", "only Fyers accounts log in through the browser")
        creds = await asyncio.to_thread(self.credentials, account_id)
        check_required(spec, AccountMode.LIVE, frozenset(creds))
        token, expires_ns = await self.ops.fyers_login(
            account, creds, open_browser=open_browser, paste_url=paste_url
        )
        return await asyncio.to_thread(self._keep_token, account_id, token, expires_ns)

    def _keep_token(self, account_id: str, token: str, expires_ns: int) -> Account:
        stored = self._stored(account_id)  # re-read: the trader may have edited meanwhile
        updated = replace(stored.account, token_expires_ns=expires_ns)
        before = self.secrets.write(account_id, {"access_token": token})
        try:
            self.store.update(updated, stored.credentials | {"access_token"})
        except BaseException:
            self.secrets.restore(account_id, before)
            raise
        return updated

    def token_expired(self, account_id: str) -> bool:
        return self._token_expired(self.get(account_id))

    # --- helpers --------------------------------------------------------------------------
    def _token_expired(self, account: Account) -> bool:
        if account.venue != "fyers":
            return False
        return account.token_expires_ns is None or account.token_expires_ns <= self.clock.now_ns()

    def _stored(self, account_id: str) -> StoredAccount:
        if account_id == DEMO_ACCOUNT_ID:
            raise ValidationError("account", "the demo account is built in and has no settings")
        stored = self.store.get(account_id)
        if stored is None:
            raise ValidationError("account", "no such account", account_id)
        return stored

    def _real(self, account_id: str) -> Account:
        return self._stored(account_id).account

    def _unique_label(self, label: object, own_id: str | None) -> str:
        clean = validate_label(label)
        for other in self.list():
            if other.id != own_id and other.label.casefold() == clean.casefold():
                raise ValidationError("label", "is already used by another account", clean)
        return clean
