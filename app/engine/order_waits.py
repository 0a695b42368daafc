"""Waiting for orders to end: the other leg of a canceled venue list is reported on its own,
and a bracket must not send a new list before the venue has let go of the old one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from app.engine.domain.errors import ValidationError
from app.engine.domain.orders import Order
from app.engine.oms import OrderManager


class OrderEndings:
    def __init__(self, oms: OrderManager) -> None:
        self.oms = oms
        self._waiters: dict[str, asyncio.Event] = {}  # client id -> set once it ends

    def notify(self, order: Order) -> None:
        """Called with every order that ended."""
        if self._waiters:
            waiter = self._waiters.get(order.client_id)
            if waiter is not None:
                waiter.set()

    async def wait(self, orders: Iterable[Order]) -> None:
        """Wait until ``orders`` ended; look up any still working after the request deadline.
        Raises ValidationError if one is still working after that."""
        pending = [o for o in orders if not o.is_terminal]
        events = {
            o.client_id: self._waiters.setdefault(o.client_id, asyncio.Event()) for o in pending
        }
        try:
            async with asyncio.timeout(self.oms.request_timeout_s):
                for order in pending:
                    if not order.is_terminal:
                        await events[order.client_id].wait()
        except TimeoutError:
            for order in pending:
                if not order.is_terminal:
                    await self.oms.settle(order)
        finally:
            for cid in events:
                self._waiters.pop(cid, None)
        alive = [o.client_id for o in pending if not o.is_terminal]
        if alive:
            raise ValidationError(
                "order", f"the venue has not confirmed that {', '.join(alive)} ended; try again"
            )
