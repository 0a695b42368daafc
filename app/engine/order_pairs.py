"""Sending a stop-loss and a take-profit as one venue order list (one-cancels-the-other).

The order manager's rules for one order hold for the pair: both pass the risk gate before
either is journaled, both are journaled before the venue hears of them, and the list is sent
once. A refusal rejects both; a doubt makes both UNKNOWN until lookups by client id settle
them. The venue reserves the funds once for the two, and so does ``Reservations``.
"""

from __future__ import annotations

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import Order, OrderRequest, OrderType
from app.engine.oms import OrderManager
from app.engine.ports import SubmitsOco


def holds_pairs(oms: OrderManager) -> bool:
    """The venue takes one-cancels-the-other lists (and its adapter can send them)."""
    client = oms.client
    return client.capabilities.native_oco and isinstance(client, SubmitsOco)


async def submit_pair(
    oms: OrderManager, stop_req: OrderRequest, target_req: OrderRequest
) -> tuple[Order, Order]:
    """Check, journal and send ``stop_req`` and ``target_req`` as one order list.

    Returns (stop, target); their outcome arrives as reports. Raises RiskDenied when either
    is denied (then neither exists) and ValidationError when the two do not make a pair."""
    client = oms.client
    if not holds_pairs(oms) or not isinstance(client, SubmitsOco):
        raise ValidationError("order", f"{client.venue} holds no one-cancels-the-other lists")
    stop = oms.new_order(stop_req)
    target = oms.new_order(target_req)
    _check_pair(stop, target)
    pair = (stop, target)
    oms.link_pair(stop, target)  # before they count: their funds are reserved once
    if await oms.enter(pair, "submitted as a one-cancels-the-other pair") is None:
        await oms.hand_over(pair, lambda: client.submit_oco(stop, target))
    return pair


def _check_pair(stop: Order, target: Order) -> None:
    if not stop.type.has_trigger:
        raise ValidationError("stop_loss", f"must be a stop order, not {stop.type.value}")
    if target.type is not OrderType.LIMIT:
        raise ValidationError("take_profit", f"must be a limit order, not {target.type.value}")
    if (stop.symbol, stop.side, stop.quantity) != (target.symbol, target.side, target.quantity):
        raise ValidationError(
            "take_profit", "must be on the stop-loss's symbol, side and quantity (one list)"
        )
