"""Risk limits: typed, validated, and loadable from a settings mapping (JSON, UI form).

Every limit is optional (None = no limit) except the ones with a safe default. Loading a
mapping validates every value and names the field at fault; an unknown key is an error too,
so a typo in a settings file is never silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from typing import Any

from app.engine.domain.errors import ValidationError
from app.engine.domain.values import to_decimal


@dataclass(frozen=True, slots=True)
class RiskLimits:
    max_order_notional: Decimal | None = Decimal("50000")
    max_order_qty: Decimal | None = None
    max_position_notional: Decimal | None = Decimal("100000")
    max_open_positions: int | None = 10
    price_band_pct: Decimal | None = Decimal("5")
    max_orders_per_minute: int | None = 120
    daily_loss_limit: Decimal | None = Decimal("2000")
    duplicate_window_s: Decimal = Decimal("3")

    _INT_FIELDS = ("max_open_positions", "max_orders_per_minute")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: RiskLimits | None = None) -> RiskLimits:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key not in known:
                raise ValidationError(key, "is not a risk limit", raw)
            values[key] = _parse_limit(key, raw, integer=key in cls._INT_FIELDS)
        if values.get("duplicate_window_s", Decimal(0)) is None:
            raise ValidationError("duplicate_window_s", "is required")
        return replace(base or cls(), **values)

    def to_mapping(self) -> dict[str, str | int | None]:
        out: dict[str, str | int | None] = {}
        for key, value in asdict(self).items():
            out[key] = str(value) if isinstance(value, Decimal) else value
        return out


def _parse_limit(field: str, raw: object, *, integer: bool) -> Decimal | int | None:
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none", "off")):
        return None
    if integer:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValidationError(field, "must be a whole number", raw)
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValidationError(field, "must be a whole number", raw) from None
        if value <= 0:
            raise ValidationError(field, "must be greater than 0", raw)
        return value
    dec = to_decimal(raw, field)
    if dec <= 0:
        raise ValidationError(field, "must be greater than 0", raw)
    return dec
