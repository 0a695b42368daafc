"""A trading account: which venue, in which mode, watching which symbols.

An account never holds a secret value. Its credentials live in the OS keychain under names
derived from the account id (``account/<id>/<field>``), so the id is stable for the
account's whole life: it also names the account's data folder ``accounts/<id>/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from app.engine.domain.errors import ValidationError

DEMO_ACCOUNT_ID = "demo"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
LABEL_MAX = 40


class AccountMode(StrEnum):
    DEMO = "demo"  # paper trading on the bundled demo market (offline)
    PAPER_LIVE = "paper_live"  # paper trading on a real venue's public market data (no key)
    TESTNET = "testnet"  # the venue's sandbox, with a testnet key
    LIVE = "live"  # real money

    @property
    def display(self) -> str:
        return _MODE_TITLES[self]

    @property
    def needs_credentials(self) -> bool:
        return self in (AccountMode.TESTNET, AccountMode.LIVE)


_MODE_TITLES = {
    AccountMode.DEMO: "Demo (offline)",
    AccountMode.PAPER_LIVE: "Paper on live data",
    AccountMode.TESTNET: "Testnet",
    AccountMode.LIVE: "LIVE (real money)",
}


@dataclass(frozen=True, slots=True)
class Account:
    id: str  # slug, stable: names its keychain entries and its data folder
    venue: str  # "demo", "fyers" or a ccxt exchange id ("binance", ...)
    label: str  # 1-40 chars, unique
    mode: AccountMode
    symbols: tuple[str, ...]  # what it watches and trades ("BTC/USDT", "NSE:SBIN-EQ")
    created_ns: int
    live_confirmed_ns: int | None = None  # when the trader confirmed live trading
    acknowledged_warnings: tuple[str, ...] = ()  # key warnings acknowledged when going live
    product_type: str | None = None  # Fyers: CNC or INTRADAY
    token_expires_ns: int | None = None  # Fyers: when the daily access token ends

    def secret_name(self, field: str) -> str:
        return secret_name(self.id, field)

    @property
    def is_demo(self) -> bool:
        return self.id == DEMO_ACCOUNT_ID

    @property
    def is_live(self) -> bool:
        return self.mode is AccountMode.LIVE


ACCOUNTS_DIR = "accounts"


def account_folder(data_dir: Path, account_id: str) -> Path:
    """Where an account keeps its journal, watchlists and venue logs (the demo account uses
    the data folder itself)."""
    return data_dir / ACCOUNTS_DIR / account_id


def secret_name(account_id: str, field: str) -> str:
    """The keychain entry for one credential field of an account."""
    return f"account/{account_id}/{field}"


def validate_id(value: object, field: str = "id") -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ValidationError(
            field,
            "must be 1-32 characters: lower-case letters, digits and '-', starting with a "
            "letter or digit",
            value,
        )
    return value


def validate_label(value: object, field: str = "label") -> str:
    if not isinstance(value, str):
        raise ValidationError(field, "must be text", value)
    label = value.strip()
    if not 1 <= len(label) <= LABEL_MAX:
        raise ValidationError(field, f"must be 1-{LABEL_MAX} characters", value)
    if any(not ch.isprintable() for ch in label):
        raise ValidationError(field, "must not contain control characters", value)
    return label


def parse_mode(value: object, field: str = "mode") -> AccountMode:
    if isinstance(value, AccountMode):
        return value
    try:
        return AccountMode(str(value))
    except ValueError:
        choices = ", ".join(m.value for m in AccountMode)
        raise ValidationError(field, f"must be one of {choices}", value) from None


def slug_for(label: str, taken: set[str]) -> str:
    """A stable id made from the label (``"Main Binance"`` -> ``main-binance``), made unique
    against ``taken`` with a numeric suffix."""
    base = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:26] or "account"
    if not base[0].isalnum():
        base = "a" + base
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    return validate_id(candidate)


DEMO_ACCOUNT = Account(
    id=DEMO_ACCOUNT_ID,
    venue="demo",
    label="Demo",
    mode=AccountMode.DEMO,
    symbols=(),
    created_ns=0,
)
