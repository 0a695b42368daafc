"""How the order manager settles an order with the venue's answer: a lookup by client id
(``settle``), what a "not found" means (rejected where final, else UNKNOWN until enough
lookups over enough time say it is lost), and a sweep over every working order.

Functions of the manager (``OrderManager.settle`` and friends call them), kept apart so each
file stays about one thing: placing and following orders there, settling them here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from app.engine.domain.events import Alert
from app.engine.domain.orders import Order, OrderEventKind, OrderStatus
from app.engine.oms_ports import is_emulated
from app.engine.ports import OrderNotFound, VenueOrderState

if TYPE_CHECKING:
    from app.engine.oms import OrderManager

log = logging.getLogger("app.engine.oms")  # the trader's log filters on the manager's name
K = OrderEventKind


async def settle(oms: OrderManager, order: Order) -> None:
    """Ask the venue what became of ``order`` and apply its answer."""
    try:
        async with asyncio.timeout(oms.request_timeout_s):
            state = await oms.client.query_order(order.client_id, order.symbol)
    except OrderNotFound:
        if is_emulated(order) and order.status is not OrderStatus.UNKNOWN:
            return  # still held engine-side: the venue is not meant to know it yet
        if order.status in (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN):
            not_found_answer(oms, order)
        return
    oms.lost.found(order.client_id)
    if is_emulated(order):
        if oms.emulator is not None:
            oms.emulator.release(order.client_id)
        order.venue_order_id = state.venue_order_id
    oms.apply_venue_state(order, state)
    cancel_reason = oms._cancel_when_found.pop(order.client_id, None)
    if cancel_reason is not None and order.is_working:
        log.info("%s: found at the venue; sending the cancel asked for earlier", order.client_id)
        await oms.cancel(order.client_id, cancel_reason)


def not_found_answer(oms: OrderManager, order: Order) -> None:
    """The venue does not know ``order`` (SUBMITTED or UNKNOWN). Reject it when that is
    final; otherwise keep it UNKNOWN until enough lookups over enough time say it is lost."""
    if oms.client.capabilities.not_found_is_final:
        oms._apply(order, K.REJECTED, reason="the venue never received this order")
        return
    now = oms.clock()
    answers, waited_s, lost = oms.lost.not_found(order.client_id, now)
    if lost:
        oms._cancel_when_found.pop(order.client_id, None)
        reason = f"lost: the venue did not know it after {answers} lookups over {waited_s:.0f} s"
        log.error("order %s %s", order.client_id, reason)
        oms._apply(order, K.REJECTED, reason=reason)
        oms.bus.publish(
            Alert(
                "error",
                "Order lost",
                f"{order.side.value} {order.quantity} {order.symbol} ({order.client_id}): {reason}",
                now,
                extra={"client_id": order.client_id},
            )
        )
        return
    log.warning(
        "%s: the venue does not know it yet (%d lookup(s) over %.0f s); it stays unknown",
        order.client_id,
        answers,
        waited_s,
    )
    if order.status is OrderStatus.SUBMITTED:
        oms._apply(order, K.UNKNOWN, reason="the venue does not know it yet")
    elif oms.on_unknown is not None:
        oms.on_unknown(order)  # still unknown: keep looking


def apply_venue_state(oms: OrderManager, order: Order, state: VenueOrderState) -> None:
    for fill in state.fills:
        oms.apply_fill(fill)
    if state.status is OrderStatus.ACCEPTED and order.status in (
        OrderStatus.SUBMITTED,
        OrderStatus.UNKNOWN,
    ):
        oms._apply(order, K.ACCEPTED, venue_order_id=state.venue_order_id)
    terminal = {
        OrderStatus.CANCELED: K.CANCELED,
        OrderStatus.EXPIRED: K.EXPIRED,
        OrderStatus.REJECTED: K.REJECTED,
    }.get(state.status)
    if terminal is not None and order.can_apply(terminal):
        oms._apply(order, terminal, reason=state.reason or "settled from the venue")


async def reconcile(oms: OrderManager) -> list[str]:
    """Settle every working order with the venue (one lookup each). Returns the changes
    as human-readable lines. The full reconciliation (adoption of orders placed elsewhere,
    missed fills, balances) is ``reconcile.Reconciler``."""
    findings: list[str] = []
    for order in list(oms._working.values()):
        if order.client_id in oms._unsent or order.client_id in oms._sending:
            continue  # its own request is under way: a lookup now would race it
        before = order.status
        await oms.settle(order)
        if order.status is not before:
            findings.append(f"{order.client_id}: {before.value} -> {order.status.value}")
    return findings
