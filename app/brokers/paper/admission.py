"""Whether the venue takes a new order or a modification: filters, market data, balances.

Pure decisions over the current state: they return a refusal message (Binance wording, see
``messages``) or None, and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.brokers.paper import messages
from app.brokers.paper.balances import hold_for
from app.brokers.paper.config import PaperConfig
from app.brokers.paper.matching import Touch, slipped_price, stop_triggered
from app.brokers.paper.state import PaperState, VenueOrder
from app.brokers.paper.validation import filter_failure, notional_failure
from app.engine.domain.fastinit import fast_frozen_init
from app.engine.domain.instruments import Instrument
from app.engine.domain.orders import Order, OrderSide, OrderType
from app.engine.domain.values import ZERO

# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every order.
_BUY = OrderSide.BUY
_MARKET = OrderType.MARKET


@fast_frozen_init  # one per order (see fastinit)
@dataclass(frozen=True, slots=True)
class Admission:
    """The verdict on a new order: a refusal, or the price its hold is computed at."""

    refusal: str | None
    hold_price: Decimal | None = None


def reduce_only_room(state: PaperState, instrument: Instrument, side: OrderSide) -> Decimal:
    """How much a reduce-only order may trade: the venue's position is the base balance, so a
    buy may only cover a short and a sell may only sell what is held."""
    position = state.balances.total(instrument.base)
    room = -position if side is _BUY else position
    return max(room, ZERO)


def _stop_would_trigger(
    side: OrderSide, trigger: Decimal | None, last_trade: Decimal | None
) -> bool:
    return (
        trigger is not None and last_trade is not None and stop_triggered(side, trigger, last_trade)
    )


def admit_new(
    order: Order,
    venue: str,
    instrument: Instrument | None,
    state: PaperState,
    config: PaperConfig,
    touch: Touch | None,
    last_trade: Decimal | None,
) -> Admission:
    """Check a new order in the order a venue does: routing, symbol, fields, PRICE_FILTER,
    LOT_SIZE, market data, NOTIONAL, stop sanity, reduce-only, then the balance."""
    if order.venue != venue:
        return Admission(messages.wrong_venue(order.venue, venue))
    if instrument is None:
        return Admission(messages.INVALID_SYMBOL)
    price = order.price if order.type.has_price else None
    trigger = order.trigger_price if order.type.has_trigger else None
    failure = filter_failure(instrument, order.type, order.quantity, price, trigger)
    if failure:
        return Admission(failure)

    if order.type is _MARKET:
        if touch is None:
            return Admission(messages.no_market_data(order.symbol))
        opposite = touch.opposite(order.side)
        if opposite is None:
            return Admission(messages.no_liquidity(order.symbol, order.side is OrderSide.BUY))
        # notional at the touch (Binance uses a recent average price; the touch is what we have)
        reference = opposite
        hold_price = slipped_price(order.side, opposite, config.slippage_bps, instrument.tick_size)
    elif price is not None:
        reference = hold_price = price
    else:
        assert trigger is not None  # filter_failure refused a stop without one
        reference = hold_price = trigger
    failure = notional_failure(instrument, order.quantity, reference)
    if failure:
        return Admission(failure)
    if _stop_would_trigger(order.side, trigger, last_trade):
        return Admission(messages.STOP_WOULD_TRIGGER)
    if order.reduce_only and reduce_only_room(state, instrument, order.side) <= 0:
        return Admission(messages.REDUCE_ONLY)

    hold = hold_for(instrument, order.side, order.quantity, hold_price, state.fees, config.shorting)
    if hold is not None and hold[1] > state.balances.available(hold[0]):
        return Admission(messages.INSUFFICIENT_BALANCE)
    return Admission(None, hold_price)


def modify_refusal(
    order: VenueOrder,
    instrument: Instrument,
    state: PaperState,
    config: PaperConfig,
    last_trade: Decimal | None,
    *,
    price: Decimal | None,
    trigger_price: Decimal | None,
    quantity: Decimal | None,
) -> str | None:
    """Check a modification as if the order were new with the changed values; its own hold
    counts as available, since the new hold replaces it."""
    if price is None and trigger_price is None and quantity is None:
        return messages.MODIFY_NOTHING
    if order.acts_as_market:
        return messages.MODIFY_MARKET
    if price is not None and not order.type.has_price:
        return messages.MODIFY_PRICE_NOT_APPLICABLE
    if trigger_price is not None:
        if not order.type.has_trigger:
            return messages.MODIFY_STOP_NOT_APPLICABLE
        if order.triggered:
            return messages.MODIFY_ALREADY_TRIGGERED
    if quantity is not None and quantity.is_finite() and quantity <= order.filled_qty:
        return messages.modify_below_filled(order.filled_qty)

    new_qty = quantity if quantity is not None else order.quantity
    new_price = price if price is not None else order.price
    new_trigger = trigger_price if trigger_price is not None else order.trigger_price
    failure = filter_failure(
        instrument,
        order.type,
        new_qty,
        new_price if order.type.has_price else None,
        new_trigger if order.type.has_trigger else None,
    )
    if failure:
        return failure
    reference = new_price if order.type.has_price else new_trigger
    assert reference is not None  # only limit and stop orders get here
    failure = notional_failure(instrument, new_qty, reference)
    if failure:
        return failure
    if trigger_price is not None and _stop_would_trigger(order.side, trigger_price, last_trade):
        return messages.STOP_WOULD_TRIGGER

    if order.type.has_price:
        hold_price = new_price
    elif order.type is OrderType.STOP_MARKET:
        hold_price = new_trigger
    else:
        hold_price = order.hold_price
    hold = hold_for(
        instrument,
        order.side,
        new_qty - order.filled_qty,
        hold_price,
        state.fees,
        config.shorting,
    )
    if hold is not None:
        current = state.balances.hold_of(order.client_id)
        own = current[1] if current is not None and current[0] == hold[0] else ZERO
        if hold[1] > state.balances.available(hold[0]) + own:
            return messages.INSUFFICIENT_BALANCE
    return None
