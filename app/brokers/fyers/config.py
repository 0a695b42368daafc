"""FyersConfig: what the adapter needs, checked once when it is built.

Secrets (secret key, access token) are ``repr=False`` so a config printed in a log or a
traceback never shows them. ``log_dir`` is required because the SDK writes its log files into
the current directory unless it is told otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from app.engine.domain.errors import ValidationError
from app.redaction import register_secret

VENUE = "fyers"
PRODUCT_TYPES = ("CNC", "INTRADAY")
# Fyers app ids look like "XB12345-100": the app code, a dash, the app type (100 = web app)
_APP_ID_RE = re.compile(r"^[A-Z0-9]{4,20}-\d{3}$")
# cash-market equities: exchange, ticker, series (EQ: rolling; BE: trade-for-trade)
SYMBOL_RE = re.compile(r"^(NSE|BSE):[A-Z0-9][A-Z0-9&_.]*-(EQ|BE)$")


def check_symbol(symbol: object, field_name: str = "symbol") -> str:
    if not isinstance(symbol, str) or not SYMBOL_RE.match(symbol):
        raise ValidationError(
            field_name,
            "must be a Fyers equity symbol like NSE:SBIN-EQ (EXCHANGE:TICKER-SERIES)",
            symbol,
        )
    return symbol


@dataclass(frozen=True, slots=True)
class FyersConfig:
    """Settings of one Fyers account. ``api_base`` replaces https://api-t1.fyers.in (tests)."""

    app_id: str
    log_dir: Path
    secret_key: str = field(default="", repr=False)
    redirect_url: str = "http://127.0.0.1:8765/fyers/callback"
    access_token: str = field(default="", repr=False)
    symbols: tuple[str, ...] = ()
    product_type: str = "CNC"
    api_base: str | None = None
    call_timeout_s: float = 10.0
    stale_after_s: float = 30.0
    holidays: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.app_id, str) or not _APP_ID_RE.match(self.app_id):
            raise ValidationError("app_id", "must be a Fyers app id like XB12345-100", self.app_id)
        if not isinstance(self.log_dir, Path):
            raise ValidationError(
                "log_dir", "must be a folder (Path) inside the data dir", self.log_dir
            )
        if not isinstance(self.symbols, tuple):
            raise ValidationError("symbols", "must be a tuple of symbols", self.symbols)
        for index, symbol in enumerate(self.symbols):
            check_symbol(symbol, f"symbols[{index}]")
        if self.product_type not in PRODUCT_TYPES:
            raise ValidationError(
                "product_type", "must be CNC (delivery) or INTRADAY", self.product_type
            )
        if not self.redirect_url.startswith(("http://", "https://")):
            raise ValidationError("redirect_url", "must be an http(s) URL", self.redirect_url)
        if self.api_base is not None and not self.api_base.startswith(("http://", "https://")):
            raise ValidationError("api_base", "must be an http(s) URL", self.api_base)
        for name in ("call_timeout_s", "stale_after_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValidationError(name, "must be a number of seconds > 0", value)
        for holiday in self.holidays:
            if not isinstance(holiday, date):
                raise ValidationError("holidays", "must be dates", holiday)
        for secret in (self.secret_key, self.access_token):
            register_secret(secret)  # whatever reaches the SDK is masked in logs

    @property
    def auth_header(self) -> str:
        """What Fyers expects in ``Authorization`` and the sockets: ``app_id:access_token``."""
        return f"{self.app_id}:{self.access_token}"

    def require_token(self) -> None:
        if not self.access_token:
            raise ValidationError("access_token", "is empty: log in to Fyers first")
