"""``main.py accounts ...``: list, add, remove, choose and show trading accounts.

Credentials are read as a JSON object from stdin, never from the command line or the
environment (both are visible to other processes and end up in shell history). ``show``
says which credentials are set, never their values.

Exit status: 0 ok, 2 bad input (the message names the field), 3 the accounts file cannot be
used, 4 no secure keychain.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from app.accounts.model import AccountMode
from app.engine.domain.errors import ValidationError

if TYPE_CHECKING:
    from app.accounts.ops import VenueOps
    from app.accounts.service import AccountService, AccountStatus
    from app.settings import Settings

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_STORE = 3
EXIT_NO_KEYCHAIN = 4
_MODES = [m.value for m in AccountMode if m is not AccountMode.LIVE and m is not AccountMode.DEMO]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Declare ``accounts`` and its commands on the main parser's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "accounts",
        help="trading accounts: list, add, remove, use, show",
        description="Trading accounts. API keys are kept in the OS keychain; add reads them "
        'as JSON from stdin, e.g. echo \'{"api_key": "...", "secret": "..."}\' | '
        "main.py accounts add --venue binance --label Main --mode testnet. Going live is "
        "done in the window (Tools → Accounts… → Go live…).",
    )
    what = parser.add_subparsers(dest="accounts_command", metavar="COMMAND", required=True)
    what.add_parser("list", help="every account; * marks the active one")
    add = what.add_parser("add", help="add an account (credentials as JSON on stdin)")
    add.add_argument(
        "--venue", required=True, help="binance, binanceus, blofin, fyers or a ccxt id"
    )
    add.add_argument("--label", required=True, help="a unique name, 1-40 characters")
    add.add_argument("--mode", required=True, choices=_MODES, help="paper_live or testnet")
    add.add_argument("--symbols", nargs="+", default=None, help="default: the venue's usual ones")
    add.add_argument("--product-type", default=None, help="Fyers: CNC or INTRADAY")
    for name, helptext in (
        ("remove", "remove an account and its keychain entries (its data folder is kept)"),
        ("use", "make an account the active one"),
        ("show", "an account's settings and which credentials are set"),
    ):
        cmd = what.add_parser(name, help=helptext)
        cmd.add_argument("id", help="the account's id (see accounts list)")
    return parser


def run(
    args: argparse.Namespace,
    settings: Settings,
    ops: VenueOps,
    *,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    # the store (SQLAlchemy) and the keychain load only when an accounts command runs:
    # declaring the parser must stay light for every other command
    from app.accounts.secrets import KeychainError, KeychainUnavailable
    from app.accounts.service import AccountService
    from app.accounts.store import AccountStore
    from app.engine.clock import LiveClock
    from app.engine.store.errors import StoreError

    stdout = out or sys.stdout
    try:
        store = AccountStore(settings.data_dir)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STORE
    try:
        service = AccountService(store, ops, LiveClock())
        return _dispatch(args, service, stdin or sys.stdin, stdout)
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeychainUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_NO_KEYCHAIN
    except (KeychainError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STORE
    finally:
        store.close()


def _dispatch(args: argparse.Namespace, service: AccountService, stdin: TextIO, out: TextIO) -> int:
    command = args.accounts_command
    if command == "list":
        for status in service.overview():
            out.write(_line(status) + "\n")
    elif command == "add":
        credentials = read_credentials(stdin)
        account = service.add(
            args.venue, args.label, args.mode, args.symbols, credentials, args.product_type
        )
        out.write(f"added {account.id} ({account.label}, {account.venue}, {account.mode})\n")
    elif command == "remove":
        folder = service.remove(args.id)
        out.write(f"removed {args.id} and its keychain entries; its data folder {folder} is kept\n")
    elif command == "use":
        account = service.set_active(args.id)
        out.write(f"active account: {account.id} ({account.label})\n")
    elif command == "show":
        _show(service, args.id, out)
    return EXIT_OK


def read_credentials(stdin: TextIO) -> dict[str, str]:
    """A JSON object of credential fields from stdin; nothing typed means none. The text is
    never echoed back in an error: it holds secrets."""
    if stdin.isatty():
        print(
            'credentials as JSON, e.g. {"api_key": "...", "secret": "..."}, then Ctrl-D '
            "(or {} for none):",
            file=sys.stderr,
        )
    text = stdin.read()
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            "credentials (stdin)", f"must be a JSON object (line {exc.lineno}, col {exc.colno})"
        ) from None
    if not isinstance(raw, dict):
        raise ValidationError("credentials (stdin)", "must be a JSON object of field: text")
    for key, value in raw.items():
        if not isinstance(value, str):
            raise ValidationError(f"credentials.{key}", "must be text")
    return {str(k): v for k, v in raw.items()}


def _line(status: AccountStatus) -> str:
    a = status.account
    marker = "*" if status.active else " "
    if status.spec.kind == "demo":
        keys = "-"
    elif status.missing:
        keys = "missing " + ",".join(status.missing)
    else:
        keys = "set" if status.credentials_set else "none"
    mode = a.mode.value.upper() if a.mode is AccountMode.LIVE else a.mode.value
    return f"{marker} {a.id:<20} {a.label:<24} {a.venue:<12} {mode:<10} keys: {keys}"


def _show(service: AccountService, account_id: str, out: TextIO) -> None:
    account = service.get(account_id)
    status = next(s for s in service.overview() if s.account.id == account.id)
    lines = [
        f"id:         {account.id}",
        f"label:      {account.label}",
        f"venue:      {account.venue} ({status.spec.title})",
        f"mode:       {account.mode.value} ({account.mode.display})",
        f"symbols:    {' '.join(account.symbols) or '(the demo market)'}",
        f"active:     {'yes' if status.active else 'no'}",
        f"created:    {_when(account.created_ns)}",
        f"data:       {service.data_folder(account.id)}",
    ]
    if account.product_type:
        lines.append(f"product:    {account.product_type}")
    if account.live_confirmed_ns is not None:
        lines.append(f"live since: {_when(account.live_confirmed_ns)}")
        for warning in account.acknowledged_warnings:
            lines.append(f"  acknowledged: {warning}")
    if status.spec.kind == "fyers":
        expiry = account.token_expires_ns
        state = "expired" if status.token_expired else "valid"
        lines.append(f"token:      {state}" + (f" until {_when(expiry)}" if expiry else ""))
    for field in status.spec.credentials:
        state = "set" if field.name in status.credentials_set else "not set"
        lines.append(
            f"credential: {field.name}: {state} (keychain {account.secret_name(field.name)})"
        )
    out.write("\n".join(lines) + "\n")


def _when(ns: int | None) -> str:
    if not ns:
        return "-"
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
