"""Typed application settings.

The data directory comes from platformdirs (per user), overridable with ``--data-dir``.
Settings live in ``settings.json`` inside it; a malformed file is reported with the field and
the rule and is never overwritten. Saving is atomic (write a temporary file, then replace).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import platformdirs

from app.engine.domain.errors import ValidationError
from app.engine.domain.values import to_decimal

APP_NAME = "Tradedesk"
SETTINGS_FILE = "settings.json"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    currency: str = "USD"
    paper_cash: Decimal = Decimal("100000")
    slippage_bps: Decimal = Decimal("2")
    demo_speed: float = 1.0
    demo_seed: int = 7
    ticks_per_second: float = 4.0
    confirm_orders: bool = False
    # RSS/Atom feeds whose headlines give the news-driven bots their sentiment
    news_feeds: tuple[str, ...] = ()
    news_poll_s: float = 300.0
    # exchange id -> ccxt ``urls`` overrides (a local emulator or a corporate proxy); empty for
    # the venues' own addresses
    venue_urls: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # on a first start, look for a reachable venue and default to paper trading on its data
    live_data_probe: bool = True
    live_data_venue: str = "binance"

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Settings:
        folder = Path(data_dir) if data_dir is not None else default_data_dir()
        path = folder / SETTINGS_FILE
        if not path.exists():
            return cls(folder)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(str(path), f"cannot be read: {exc}") from None
        except json.JSONDecodeError as exc:
            raise ValidationError(
                str(path), f"is not valid JSON (line {exc.lineno}, column {exc.colno})"
            ) from None
        if not isinstance(raw, dict):
            raise ValidationError(str(path), "must hold a JSON object")
        return cls(folder).updated(raw, origin=path.name)

    def updated(self, values: Mapping[str, Any], origin: str = "settings") -> Settings:
        """A copy with ``values`` applied; every value validated, unknown keys refused."""
        known = {f.name for f in fields(self)} - {"data_dir"}
        parsed: dict[str, Any] = {}
        for key, value in values.items():
            name = f"{origin}: {key}"
            if key not in known:
                raise ValidationError(name, "is not a known setting", value)
            parsed[key] = _PARSERS[key](name, value)
        return replace(self, **parsed)

    def save(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / SETTINGS_FILE
        data = {k: v for k, v in asdict(self).items() if k != "data_dir"}
        text = json.dumps({k: _jsonable(v) for k, v in data.items()}, indent=2, sort_keys=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path


def _jsonable(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


def _positive_decimal(name: str, value: object) -> Decimal:
    dec = to_decimal(value, name)
    if dec <= 0:
        raise ValidationError(name, "must be greater than 0", value)
    return dec


def _non_negative_decimal(name: str, value: object) -> Decimal:
    dec = to_decimal(value, name)
    if dec < 0:
        raise ValidationError(name, "must be 0 or more", value)
    return dec


def _positive_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError(name, "must be a number", value)
    try:
        number = float(value)
    except ValueError:
        raise ValidationError(name, "must be a number", value) from None
    if not math.isfinite(number) or number <= 0:
        raise ValidationError(name, "must be a finite number greater than 0", value)
    return number


def _int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, "must be a whole number", value)
    return value


def _bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(name, "must be true or false", value)
    return value


def _currency(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.isalpha() or not 2 <= len(value) <= 6:
        raise ValidationError(name, "must be a currency code such as USD", value)
    return value.upper()


def _feeds(name: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError(name, "must be a list of feed addresses", value)
    from app.news.service import validate_feeds  # only when feeds are configured

    return validate_feeds(value, name)


def _venue_urls(name: str, value: object) -> dict[str, dict[str, Any]]:
    if not isinstance(value, Mapping):
        raise ValidationError(name, "must map an exchange id to its URL overrides", value)
    out: dict[str, dict[str, Any]] = {}
    for venue, urls in value.items():
        if not isinstance(venue, str) or not venue.replace("_", "").isalnum():
            raise ValidationError(f"{name}.{venue}", "must be an exchange id such as binance")
        if not isinstance(urls, Mapping) or not _all_urls(urls):
            raise ValidationError(
                f"{name}.{venue}", "must map URL names to http(s)/ws(s) addresses", urls
            )
        out[venue] = dict(urls)
    return out


def _all_urls(value: object) -> bool:
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _all_urls(v) for k, v in value.items())
    return isinstance(value, str) and value.startswith(("http://", "https://", "ws://", "wss://"))


def _venue_id(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.isalnum() or value.lower() != value:
        raise ValidationError(name, "must be a ccxt exchange id such as binance", value)
    return value


def _poll_seconds(name: str, value: object) -> float:
    seconds = _positive_float(name, value)
    if seconds < 30:
        raise ValidationError(name, "must be at least 30 seconds (be kind to feed servers)", value)
    return seconds


_PARSERS: dict[str, Any] = {
    "currency": _currency,
    "paper_cash": _positive_decimal,
    "slippage_bps": _non_negative_decimal,
    "demo_speed": _positive_float,
    "demo_seed": _int,
    "ticks_per_second": _positive_float,
    "confirm_orders": _bool,
    "news_feeds": _feeds,
    "news_poll_s": _poll_seconds,
    "venue_urls": _venue_urls,
    "live_data_probe": _bool,
    "live_data_venue": _venue_id,
}
