"""What each venue needs from the trader: its credential fields, modes and default symbols.

One declaration per venue drives the add/edit form, the command line and the service's
validation, so a venue's needs are described once. Venues the catalog does not name are
"any other ccxt exchange", checked against the ids the installed ccxt knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from app.accounts.model import AccountMode
from app.engine.domain.errors import ValidationError

VenueKind = Literal["ccxt", "fyers", "demo"]
PRODUCT_TYPES = ("CNC", "INTRADAY")
MAX_SYMBOLS = 200

# ccxt's unified form: BASE/QUOTE, or BASE/QUOTE:SETTLE for derivatives
_CCXT_SYMBOL = re.compile(
    r"^[A-Z0-9][A-Z0-9._-]{0,23}/[A-Z0-9][A-Z0-9._-]{0,23}(:[A-Z0-9]{1,24})?$"
)
# Fyers cash equities: EXCHANGE:TICKER-SERIES (EQ rolling, BE trade-for-trade), as the Fyers
# adapter accepts them
_FYERS_SYMBOL = re.compile(r"^(NSE|BSE):[A-Z0-9][A-Z0-9&_.]{0,39}-(EQ|BE)$")


@dataclass(frozen=True, slots=True)
class CredentialField:
    name: str  # the keychain field: account/<id>/<name>
    label: str
    secret: bool  # masked in forms; never shown
    required: bool
    help: str = ""
    typed: bool = True  # False: filled by a flow (the Fyers login), not typed in a form
    pattern: str = ""  # a regular expression the value must match fully (non-secret fields)
    rule: str = ""  # what the pattern means, for the error message


@dataclass(frozen=True, slots=True)
class VenueSpec:
    id: str
    title: str
    kind: VenueKind
    credentials: tuple[CredentialField, ...]
    testnet: bool  # the venue has a sandbox the TESTNET mode can use
    default_symbols: tuple[str, ...]
    public_data: bool = True  # market data needs no key (paper on live data works keyless)
    note: str = ""

    @property
    def modes(self) -> tuple[AccountMode, ...]:
        """The modes an account on this venue may be in (LIVE only through Go live)."""
        if self.kind == "demo":
            return (AccountMode.DEMO,)
        modes = [AccountMode.PAPER_LIVE]
        if self.testnet:
            modes.append(AccountMode.TESTNET)
        modes.append(AccountMode.LIVE)
        return tuple(modes)

    def field(self, name: str) -> CredentialField:
        for f in self.credentials:
            if f.name == name:
                return f
        raise ValidationError(f"credentials.{name}", f"is not a credential of {self.title}")

    def needs_credentials(self, mode: AccountMode) -> bool:
        return mode.needs_credentials or (mode is AccountMode.PAPER_LIVE and not self.public_data)

    def validate_symbols(
        self, symbols: Iterable[object], field: str = "symbols"
    ) -> tuple[str, ...]:
        return validate_symbols(self.kind, symbols, field)


_API_KEY = CredentialField("api_key", "API key", secret=True, required=True)
_SECRET = CredentialField("secret", "API secret", secret=True, required=True)

BINANCE = VenueSpec(
    "binance",
    "Binance",
    "ccxt",
    (_API_KEY, _SECRET),
    testnet=True,
    default_symbols=("BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT"),
    note="Testnet keys come from testnet.binance.vision; live keys from binance.com.",
)
BINANCE_US = VenueSpec(
    "binanceus",
    "Binance.US",
    "ccxt",
    (_API_KEY, _SECRET),
    testnet=False,
    default_symbols=("BTC/USD", "ETH/USD", "SOL/USD"),
    note="Binance.US has no testnet: use paper on live data to try things out.",
)
BLOFIN = VenueSpec(
    "blofin",
    "Blofin",
    "ccxt",
    (
        _API_KEY,
        _SECRET,
        CredentialField(
            "password",
            "Passphrase",
            secret=True,
            required=True,
            help="the passphrase chosen when the API key was created (ccxt calls it password)",
        ),
    ),
    # ccxt 4.5 sets blofin's urls['test'] to demo-trading-openapi.blofin.com (set_sandbox_mode)
    testnet=True,
    default_symbols=("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"),
    note="Blofin trades perpetual swaps; its testnet is Blofin's demo trading.",
)
FYERS = VenueSpec(
    "fyers",
    "Fyers (NSE)",
    "fyers",
    (
        CredentialField(
            "app_id",
            "App ID",
            secret=False,
            required=True,
            help="the app's client id, like XB12345-100",
            pattern=r"[A-Z0-9]{4,20}-\d{3}",
            rule="must be a Fyers app id like XB12345-100",
        ),
        CredentialField("secret_key", "Secret key", secret=True, required=True),
        CredentialField(
            "redirect_url",
            "Redirect URL",
            secret=False,
            required=True,
            help="as registered for the app; http://127.0.0.1:PORT/ lets Tradedesk catch it",
            pattern=r"https?://\S+",
            rule="must be an http:// or https:// address",
        ),
        CredentialField(
            "access_token",
            "Access token",
            secret=True,
            required=False,
            help="filled by Log in to Fyers; ends every day at 06:00 IST",
            typed=False,
        ),
    ),
    testnet=False,
    default_symbols=("NSE:SBIN-EQ", "NSE:RELIANCE-EQ", "NSE:INFY-EQ", "NSE:TCS-EQ"),
    public_data=False,
    note="Fyers has no sandbox; its market data needs a logged-in token even for paper.",
)
DEMO = VenueSpec("demo", "Demo market", "demo", (), testnet=False, default_symbols=())

CATALOG: tuple[VenueSpec, ...] = (BINANCE, BINANCE_US, BLOFIN, FYERS)
_BY_ID = {spec.id: spec for spec in (*CATALOG, DEMO)}
OTHER_CCXT = "other"  # what the form's "Other ccxt exchange…" entry stands for


def other_ccxt_spec(exchange_id: str, *, testnet: bool) -> VenueSpec:
    """The generic declaration for a ccxt exchange the catalog does not describe."""
    return VenueSpec(
        exchange_id,
        exchange_id,
        "ccxt",
        (
            _API_KEY,
            _SECRET,
            CredentialField(
                "password",
                "Password / passphrase",
                secret=True,
                required=False,
                help="only if the exchange asks for one",
            ),
            CredentialField(
                "uid", "UID", secret=False, required=False, help="only if the exchange asks"
            ),
        ),
        testnet=testnet,
        default_symbols=(),
    )


def catalog_spec(venue: str) -> VenueSpec | None:
    return _BY_ID.get(venue)


def resolve(
    venue: object, ccxt_ids: Sequence[str], has_sandbox: bool = False, field: str = "venue"
) -> VenueSpec:
    """The spec for ``venue``: a catalog entry, or a ccxt id the installed ccxt knows."""
    if not isinstance(venue, str) or not venue.strip():
        raise ValidationError(field, "must name a venue", venue)
    name = venue.strip().lower()
    spec = _BY_ID.get(name)
    if spec is not None:
        if spec.kind == "demo":
            raise ValidationError(field, "the demo account is built in; add a real venue", venue)
        return spec
    if name not in ccxt_ids:
        raise ValidationError(
            field, "must be binance, binanceus, blofin, fyers or a ccxt exchange id", venue
        )
    return other_ccxt_spec(name, testnet=has_sandbox)


def validate_symbols(
    kind: VenueKind, symbols: Iterable[object], field: str = "symbols"
) -> tuple[str, ...]:
    if isinstance(symbols, str):
        raise ValidationError(field, "must be a list of symbols", symbols)
    out: list[str] = []
    pattern, example = (
        (_FYERS_SYMBOL, "NSE:SBIN-EQ") if kind == "fyers" else (_CCXT_SYMBOL, "BTC/USDT")
    )
    for raw in symbols:
        if not isinstance(raw, str):
            raise ValidationError(field, "must be a list of symbols", raw)
        symbol = raw.strip().upper()
        if not pattern.fullmatch(symbol):
            raise ValidationError(field, f"each symbol must look like {example}", raw)
        if symbol in out:
            raise ValidationError(field, "must not list a symbol twice", raw)
        out.append(symbol)
    if not out:
        raise ValidationError(field, "must list at least one symbol")
    if len(out) > MAX_SYMBOLS:
        raise ValidationError(field, f"must list at most {MAX_SYMBOLS} symbols", len(out))
    return tuple(out)


def validate_product_type(
    spec: VenueSpec, value: object, field: str = "product_type"
) -> str | None:
    if spec.kind != "fyers":
        if value not in (None, ""):
            raise ValidationError(field, f"applies only to Fyers accounts, not {spec.title}", value)
        return None
    if value in (None, ""):
        return "CNC"  # delivery: the safer default, nothing is squared off automatically
    text = str(value).strip().upper()
    if text not in PRODUCT_TYPES:
        raise ValidationError(field, "must be CNC (delivery) or INTRADAY", value)
    return text
