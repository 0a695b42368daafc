"""Decimal helpers for money and quantities.

Floats are refused everywhere money is handled: ``0.1 + 0.2`` is not a price. Strings and
ints are parsed exactly; NaN, infinities and booleans are refused with a ValidationError that
names the field.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from app.engine.domain.errors import ValidationError

ZERO = Decimal(0)
ONE = Decimal(1)


def to_decimal(value: object, field: str) -> Decimal:
    """Parse ``value`` into a finite Decimal, or raise ValidationError naming ``field``."""
    if isinstance(value, bool):
        raise ValidationError(field, "must be a number, not a boolean", value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        raise ValidationError(field, "floats are not accepted for money; pass a string", value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if not text:
            raise ValidationError(field, "is required")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValidationError(field, "must be a number", value) from None
    else:
        raise ValidationError(field, "must be a number", value)
    if not result.is_finite():
        raise ValidationError(field, "must be a finite number (not NaN or infinity)", value)
    return result


def decimals_of(step: Decimal) -> int:
    """Number of decimal places a step such as ``Decimal('0.001')`` allows."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -int(exponent))


def round_to_step(value: Decimal, step: Decimal, *, down: bool = False) -> Decimal:
    """Round ``value`` to a multiple of ``step`` (nearest, or toward zero with ``down``)."""
    if step <= 0:
        return value
    units = (value / step).quantize(ONE, rounding=ROUND_DOWN if down else ROUND_HALF_UP)
    return (units * step).quantize(step)


def is_multiple_of(value: Decimal, step: Decimal) -> bool:
    return step <= 0 or value % step == 0


__all__ = [
    "ONE",
    "ZERO",
    "ValidationError",
    "decimals_of",
    "is_multiple_of",
    "round_to_step",
    "to_decimal",
]
