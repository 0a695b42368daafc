"""Column types. Money goes into SQLite as TEXT holding ``str(Decimal)``, never as REAL.

``str`` of a Decimal is exact and keeps the exponent, so ``Decimal("0.00000001")`` comes back
as itself (``1E-8`` compares and prints the same way). A float reaching a money column is a
bug upstream, so it is refused rather than converted.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator


def money_text(value: Decimal | None) -> str | None:
    """The TEXT stored for a money value: ``str(value)``, after refusing non-Decimals.

    Shared by ``DecimalText`` and by the writer's pre-built rows, so there is one rule.
    """
    if value is None:
        return None
    # Checked at runtime too: values arrive from dataclasses that mypy cannot police.
    if not isinstance(value, Decimal):
        raise TypeError(f"money columns take Decimal, got {type(value).__name__} {value!r}")
    if not value.is_finite():
        raise ValueError(f"money columns take finite Decimals, got {value!r}")
    return str(value)


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored exactly as TEXT."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return money_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)
