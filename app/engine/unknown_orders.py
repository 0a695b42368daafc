"""Looks UNKNOWN orders up again, with backoff, until the venue settles them.

An order is UNKNOWN when a request may or may not have reached the venue (timeout, 5xx, a
lost reply) or the venue did not know it yet. It is never resent: only ``query_order`` is
asked, at growing intervals (1, 2, 5, 10, 30, 60 s by default, then every 60 s), until the
answer makes it accepted, filled, canceled, or (after enough "not found" answers over enough
time, see the OMS) lost. The intervals run on the event loop's clock; the lost decision uses
the engine's clock, so tests can move it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress

from app.engine.domain.orders import Order, OrderStatus
from app.engine.oms import OrderManager
from app.engine.ports import VenueError

log = logging.getLogger(__name__)
DEFAULT_BACKOFF_S: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
_UNKNOWN = OrderStatus.UNKNOWN


class UnknownOrderWatcher:
    def __init__(self, oms: OrderManager, *, backoff_s: Sequence[float] = DEFAULT_BACKOFF_S):
        if not backoff_s or any(s < 0 for s in backoff_s):
            raise ValueError("backoff_s must be a non-empty sequence of seconds >= 0")
        self.oms = oms
        self.backoff_s = tuple(backoff_s)
        # client id -> (lookups done, loop time of the next one; None until scheduled)
        self._due: dict[str, tuple[int, float | None]] = {}
        self._wake = asyncio.Event()

    def watch(self, order: Order) -> None:
        """Look ``order`` up until it is no longer UNKNOWN (called by the OMS)."""
        if order.client_id not in self._due:
            self._due[order.client_id] = (0, None)
            self._wake.set()

    @property
    def watched(self) -> list[str]:
        return list(self._due)

    async def run(self) -> None:
        """Until cancelled: look up whichever orders are due, then sleep until the next."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self._step(loop)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("looking up unknown orders failed")
                await asyncio.sleep(self.backoff_s[0])

    async def _step(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for client_id, (done, due) in list(self._due.items()):
            order = self.oms.orders.get(client_id)
            if order is None or order.status is not _UNKNOWN:
                del self._due[client_id]
            elif due is None:
                self._due[client_id] = (done, now + self.backoff_s[0])
        if not self._due:
            self._wake.clear()
            await self._wake.wait()
            return
        wait = min(due for _, due in self._due.values() if due is not None) - now
        if wait > 0:
            self._wake.clear()
            with suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            return
        for client_id, (done, due) in list(self._due.items()):
            if due is None or due > now:
                continue
            await self._look_up(loop, client_id, done)

    async def _look_up(self, loop: asyncio.AbstractEventLoop, client_id: str, done: int) -> None:
        order = self.oms.orders.get(client_id)
        if order is None or order.status is not _UNKNOWN:
            self._due.pop(client_id, None)
            return
        try:
            await self.oms.settle(order)
        except (TimeoutError, VenueError, OSError) as exc:
            log.warning("lookup of unknown order %s failed: %s", client_id, exc)
        if order.status is _UNKNOWN:
            done += 1
            delay = self.backoff_s[min(done, len(self.backoff_s) - 1)]
            self._due[client_id] = (done, loop.time() + delay)
        else:
            self._due.pop(client_id, None)
            log.info("unknown order %s settled: %s", client_id, order.status.value)
