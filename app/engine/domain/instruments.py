"""Instruments: what can be traded on a venue and the rules its orders must follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from app.engine.domain.errors import ValidationError
from app.engine.domain.values import ZERO, decimals_of, is_multiple_of, round_to_step, to_decimal


class AssetClass(StrEnum):
    CRYPTO = "crypto"
    EQUITY = "equity"
    INDEX = "index"


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable symbol with the venue's filters.

    ``tick_size`` and ``lot_size`` are the steps prices and quantities must be multiples of;
    ``min_notional`` is the smallest price x quantity the venue accepts.
    """

    symbol: str
    venue: str
    base: str
    quote: str
    tick_size: Decimal
    lot_size: Decimal
    min_qty: Decimal
    min_notional: Decimal = ZERO
    max_qty: Decimal | None = None
    asset_class: AssetClass = AssetClass.CRYPTO
    maker_fee: Decimal = Decimal("0.001")
    taker_fee: Decimal = Decimal("0.001")
    price_precision: int = field(init=False)
    qty_precision: int = field(init=False)

    def __post_init__(self) -> None:
        for name in ("tick_size", "lot_size"):
            step = getattr(self, name)
            if not isinstance(step, Decimal) or not step.is_finite() or step <= 0:
                raise ValidationError(f"{self.symbol}.{name}", "must be a positive Decimal", step)
        object.__setattr__(self, "price_precision", decimals_of(self.tick_size))
        object.__setattr__(self, "qty_precision", decimals_of(self.lot_size))

    # --- building values (rounding) -------------------------------------------------------
    def make_price(self, value: object, field: str = "price") -> Decimal:
        """Round a price to the nearest tick."""
        return round_to_step(to_decimal(value, field), self.tick_size)

    def make_qty(self, value: object, field: str = "quantity") -> Decimal:
        """Round a quantity down to the lot size, so we never ask for more than meant."""
        return round_to_step(to_decimal(value, field), self.lot_size, down=True)

    # --- checking values as a trader typed them (no silent rounding) -----------------------
    def check_price(self, value: object, field: str = "price") -> Decimal:
        price = to_decimal(value, field)
        if price <= 0:
            raise ValidationError(field, "must be greater than 0", value)
        if decimals_of(price) > self.price_precision or not is_multiple_of(price, self.tick_size):
            raise ValidationError(
                field,
                f"too many decimals: {self.symbol} prices move in steps of {self.tick_size}",
                value,
            )
        return price

    def check_qty(self, value: object, field: str = "quantity") -> Decimal:
        qty = to_decimal(value, field)
        if qty <= 0:
            raise ValidationError(field, "must be greater than 0", value)
        if decimals_of(qty) > self.qty_precision or not is_multiple_of(qty, self.lot_size):
            raise ValidationError(
                field,
                f"too many decimals: {self.symbol} quantities move in steps of {self.lot_size}",
                value,
            )
        if qty < self.min_qty:
            raise ValidationError(field, f"below the minimum quantity {self.min_qty}", value)
        if self.max_qty is not None and qty > self.max_qty:
            raise ValidationError(field, f"above the maximum quantity {self.max_qty}", value)
        return qty

    def check_notional(self, qty: Decimal, price: Decimal, field: str = "quantity") -> None:
        notional = qty * price
        if notional < self.min_notional:
            raise ValidationError(
                field,
                f"order value {notional:.2f} {self.quote} is below the minimum notional "
                f"{self.min_notional} {self.quote}",
            )
