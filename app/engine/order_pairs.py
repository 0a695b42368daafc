"""Sending a stop-loss and a take-profit as one venue order list (one-cancels-the-other).

The order manager's rules for one order hold for the pair: both pass the risk gate before
either is journaled, both are journaled before the venue hears of them, and the list is sent
once. A refusal rejects both; a doubt makes both UNKNOWN until lookups by client id settle
them. The venue reserves the funds once for the two, and so does ``Reservations``.
"""

from __future__ import annotations

import asyncio
import logging

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import Order, OrderEventKind, OrderRequest, OrderType
from app.engine.oms import OrderManager
from app.engine.ports import OrderRefused, SubmitsOco, VenueError

log = logging.getLogger(__name__)
K = OrderEventKind


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
    now = oms.clock()
    pair = (stop, target)
    for order in pair:
        order.apply(K.SUBMITTED, now)
        oms.add(order)
        oms._unsent[order.client_id] = None
    oms.link_pair(stop, target)
    try:
        for order in pair:
            await oms.journal.record_order(order, "submitted as a one-cancels-the-other pair")
    finally:
        asked = [oms._unsent.pop(order.client_id, None) for order in pair]
    for order in pair:
        oms._publish(order, K.SUBMITTED)
    canceled = next((why for why in asked if why is not None), None)
    if canceled is not None:  # one list: a cancel of either before sending drops both
        for order in pair:
            oms._apply(order, K.CANCELED, reason=canceled)
        return pair
    await _send(oms, client, stop, target)
    return pair


async def _send(oms: OrderManager, client: SubmitsOco, stop: Order, target: Order) -> None:
    pair = (stop, target)
    oms._sending.update(o.client_id for o in pair)
    outcome: tuple[OrderEventKind, str] | None = None
    try:
        async with asyncio.timeout(oms.request_timeout_s):
            await client.submit_oco(stop, target)
    except OrderRefused as exc:
        outcome = (K.REJECTED, str(exc))
    except asyncio.CancelledError:
        for order in pair:
            oms._apply(order, K.UNKNOWN, reason="send interrupted")
        raise
    except (TimeoutError, VenueError, OSError) as exc:
        outcome = (K.UNKNOWN, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug in an adapter must not lose track of the orders
        log.exception("venue client failed submitting the pair %s", stop.client_id)
        outcome = (K.UNKNOWN, f"{type(exc).__name__}: {exc}")
    finally:
        oms._sending.difference_update(o.client_id for o in pair)
    if outcome is not None:
        kind, reason = outcome
        for order in pair:
            oms._apply(order, kind, reason=reason)


def _check_pair(stop: Order, target: Order) -> None:
    if not stop.type.has_trigger:
        raise ValidationError("stop_loss", f"must be a stop order, not {stop.type.value}")
    if target.type is not OrderType.LIMIT:
        raise ValidationError("take_profit", f"must be a limit order, not {target.type.value}")
    if (stop.symbol, stop.side, stop.quantity) != (target.symbol, target.side, target.quantity):
        raise ValidationError(
            "take_profit", "must be on the stop-loss's symbol, side and quantity (one list)"
        )
