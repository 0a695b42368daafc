"""What it takes to connect to one ccxt venue with one key: ``CcxtConfig``.

Secrets are fields with ``repr=False`` so a config never prints them; nothing here logs.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import ccxt.pro

from app.brokers.retry import Backoff
from app.engine.domain.errors import ValidationError
from app.redaction import register_secret

# ccxt's unified spot symbol ("BTC/USDT"); derivatives add ":SETTLE" (and an expiry suffix)
_SYMBOL_RE = re.compile(r"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)?$")
_VENUE_RE = re.compile(r"^[a-z0-9_.-]{1,40}$")
RECONNECT_BACKOFF = Backoff(base=1.0, cap=30.0)


def _frozen_mapping(name: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(name, "must be a mapping of ccxt setting names to values", value)
    if any(not isinstance(key, str) for key in value):
        raise ValidationError(name, "keys must be strings", list(value))
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True)
class CcxtConfig:
    """One venue, one key.

    ``exchange_id`` is any ccxt.pro exchange id (binance, binanceus, blofin...); ``venue`` is
    our name for it (default: the exchange id). ``symbols`` are the ccxt unified markets to
    expose and stream. ``urls`` and ``options`` are merged into the ccxt client's ``urls`` and
    ``options`` (the emulator's loopback addresses, venue tweaks). ``stale_after_s``: quiet
    time before a symbol is reported stale; ``backoff``: reconnect delays;
    ``poll_interval_s``: user-data polling when the venue has no (working) user stream;
    ``timeout_ms``: per HTTP request; ``markets_timeout_s``: deadline for loading markets;
    ``rate_limit_ms``: ccxt's spacing per request-weight unit (None: the venue's published
    limit, which is what a real venue needs; tests against a loopback emulator shorten it).
    """

    exchange_id: str
    venue: str = ""
    api_key: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    uid: str = field(default="", repr=False)
    sandbox: bool = False
    symbols: Sequence[str] = ()
    urls: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    stale_after_s: float = 10.0
    backoff: Backoff = RECONNECT_BACKOFF
    poll_interval_s: float = 5.0
    timeout_ms: int = 10_000
    markets_timeout_s: float = 30.0
    rate_limit_ms: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.exchange_id, str) or self.exchange_id not in ccxt.pro.exchanges:
            raise ValidationError(
                "exchange_id", "must be a ccxt exchange id with WebSocket support", self.exchange_id
            )
        venue = self.venue or self.exchange_id
        if not isinstance(venue, str) or not _VENUE_RE.match(venue):
            raise ValidationError(
                "venue", "must be 1-40 lowercase letters, digits, '_', '.' or '-'", venue
            )
        object.__setattr__(self, "venue", venue)
        for name in ("api_key", "secret", "password", "uid"):
            value = getattr(self, name)
            if not isinstance(value, str):
                # the value itself is a secret: never echo it into the error
                raise ValidationError(name, "must be a string")
            if value != value.strip():
                raise ValidationError(name, "must not start or end with spaces (pasted?)")
            register_secret(value)  # whatever reaches a venue client is masked in logs
        if bool(self.api_key) != bool(self.secret):
            raise ValidationError("secret", "api_key and secret go together: give both or none")
        if not isinstance(self.sandbox, bool):
            raise ValidationError("sandbox", "must be true or false", self.sandbox)
        if isinstance(self.symbols, str) or not isinstance(self.symbols, Sequence):
            raise ValidationError("symbols", "must be a list of ccxt symbols like BTC/USDT")
        for symbol in self.symbols:
            if not isinstance(symbol, str) or not _SYMBOL_RE.match(symbol):
                raise ValidationError(
                    "symbols", "each must look like BASE/QUOTE (BTC/USDT)", symbol
                )
        object.__setattr__(self, "symbols", tuple(dict.fromkeys(self.symbols)))
        object.__setattr__(self, "urls", _frozen_mapping("urls", self.urls))
        object.__setattr__(self, "options", _frozen_mapping("options", self.options))
        for name, low, high in (
            ("stale_after_s", 0.01, 86_400.0),
            ("poll_interval_s", 0.01, 3_600.0),
            ("markets_timeout_s", 0.1, 600.0),
        ):
            _check_number(name, getattr(self, name), low, high)
        if not isinstance(self.backoff, Backoff):
            raise ValidationError("backoff", "must be a Backoff", self.backoff)
        if self.backoff.base <= 0 or self.backoff.cap < self.backoff.base:
            raise ValidationError("backoff", "needs base > 0 and cap >= base", self.backoff)
        timeout = self.timeout_ms
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int)
            or not 50 <= timeout <= 120_000
        ):
            raise ValidationError("timeout_ms", "must be a whole number from 50 to 120000", timeout)

        rate = self.rate_limit_ms
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or rate < 1):
            raise ValidationError("rate_limit_ms", "must be a whole number of ms >= 1", rate)

    @property
    def has_keys(self) -> bool:
        return bool(self.api_key and self.secret)

    @property
    def key_id(self) -> str:
        """Names the key in logs and throttles without revealing any of it (a short hash)."""
        if not self.api_key:
            return f"{self.venue}:public"
        return f"{self.venue}:{hashlib.sha256(self.api_key.encode()).hexdigest()[:8]}"


def _check_number(name: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(name, "must be a number of seconds", value)
    if not low <= value <= high:
        raise ValidationError(name, f"must be between {low:g} and {high:g} seconds", value)
