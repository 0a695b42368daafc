"""Exchange filters, checked the way Binance checks them: PRICE_FILTER, LOT_SIZE, NOTIONAL.

Each check returns the refusal message, or None when the values pass. No rounding happens
here: a venue refuses a value that is off the grid, it does not fix it.
"""

from __future__ import annotations

from decimal import Decimal

from app.brokers.paper import messages
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import OrderType


def price_failure(instrument: Instrument, price: Decimal | None) -> str | None:
    if price is None:
        return None
    if not price.is_finite() or price <= 0 or price % instrument.tick_size != 0:
        return messages.PRICE_FILTER
    return None


def lot_failure(instrument: Instrument, qty: Decimal) -> str | None:
    if not qty.is_finite() or qty <= 0 or qty % instrument.lot_size != 0:
        return messages.LOT_SIZE
    if qty < instrument.min_qty:
        return messages.LOT_SIZE
    if instrument.max_qty is not None and qty > instrument.max_qty:
        return messages.LOT_SIZE
    return None


def notional_failure(instrument: Instrument, qty: Decimal, ref_price: Decimal) -> str | None:
    if qty * ref_price < instrument.min_notional:
        return messages.NOTIONAL
    return None


def missing_field(
    order_type: OrderType, price: Decimal | None, trigger: Decimal | None
) -> str | None:
    if order_type.has_price and price is None:
        return messages.MISSING_PRICE
    if order_type.has_trigger and trigger is None:
        return messages.MISSING_STOP_PRICE
    return None


def filter_failure(
    instrument: Instrument,
    order_type: OrderType,
    qty: Decimal,
    price: Decimal | None,
    trigger: Decimal | None,
) -> str | None:
    """Field presence, then PRICE_FILTER (limit and stop price), then LOT_SIZE. NOTIONAL needs a
    reference price, which for a market order depends on the book: see ``notional_failure``."""
    return (
        missing_field(order_type, price, trigger)
        or price_failure(instrument, price if order_type.has_price else None)
        or price_failure(instrument, trigger if order_type.has_trigger else None)
        or lot_failure(instrument, qty)
    )
