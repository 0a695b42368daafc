"""The demo instruments, read from ``resources/demo/symbols.json``.

Each entry names its candle file and the venue rules (tick, lot, minimums, fees) plus two
replay settings: ``source_bar_minutes`` (how many trading minutes one source bar covers, used
to scale its volume down to a one-minute volume) and the quoted spread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import AssetClass, Instrument
from app.engine.domain.values import to_decimal

from .candles import demo_resource

VENUE = "demo"
CATALOG_FILE = "symbols.json"


@dataclass(frozen=True, slots=True)
class DemoSymbol:
    """One demo instrument and how its candle file is replayed."""

    instrument: Instrument
    file: str
    source_bar_minutes: int
    spread_bps: Decimal
    min_spread_ticks: int

    @property
    def symbol(self) -> str:
        return self.instrument.symbol


@lru_cache(maxsize=1)
def load_catalog() -> tuple[DemoSymbol, ...]:
    """All demo instruments, in catalog order."""
    resource = demo_resource(CATALOG_FILE)
    try:
        document = json.loads(resource.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(CATALOG_FILE, f"cannot read the demo catalog: {exc}") from None
    return parse_catalog(document)


def parse_catalog(document: object) -> tuple[DemoSymbol, ...]:
    if not isinstance(document, dict) or not isinstance(document.get("symbols"), list):
        raise ValidationError(CATALOG_FILE, "must be an object with a 'symbols' list")
    entries: list[DemoSymbol] = []
    seen: set[str] = set()
    for index, entry in enumerate(document["symbols"]):
        spec = _parse_entry(entry, f"{CATALOG_FILE}:symbols[{index}]")
        if spec.symbol in seen:
            raise ValidationError(
                f"{CATALOG_FILE}:symbols[{index}]", "duplicate symbol", spec.symbol
            )
        seen.add(spec.symbol)
        entries.append(spec)
    if not entries:
        raise ValidationError(CATALOG_FILE, "lists no symbols")
    return tuple(entries)


def _parse_entry(entry: object, where: str) -> DemoSymbol:
    if not isinstance(entry, dict):
        raise ValidationError(where, "must be an object")
    fields: dict[str, object] = entry  # a name the nested helpers can see as a dict

    def text(key: str) -> str:
        value = fields.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{where}.{key}", "is required (a non-empty string)", value)
        return value.strip()

    def decimal(key: str) -> Decimal:
        value = to_decimal(text(key), f"{where}.{key}")
        if value < 0:
            raise ValidationError(f"{where}.{key}", "must not be negative", value)
        return value

    def positive_int(key: str) -> int:
        value = fields.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError(f"{where}.{key}", "must be a whole number >= 1", value)
        return value

    symbol = text("symbol")
    try:
        asset_class = AssetClass(text("asset_class"))
    except ValueError:
        raise ValidationError(
            f"{where}.asset_class", "must be one of " + ", ".join(a.value for a in AssetClass)
        ) from None
    instrument = Instrument(
        symbol=symbol,
        venue=VENUE,
        base=text("base"),
        quote=text("quote"),
        tick_size=decimal("tick_size"),
        lot_size=decimal("lot_size"),
        min_qty=decimal("min_qty"),
        min_notional=decimal("min_notional"),
        asset_class=asset_class,
        maker_fee=decimal("maker_fee"),
        taker_fee=decimal("taker_fee"),
    )
    return DemoSymbol(
        instrument=instrument,
        file=text("file"),
        source_bar_minutes=positive_int("source_bar_minutes"),
        spread_bps=decimal("spread_bps"),
        min_spread_ticks=positive_int("min_spread_ticks"),
    )
