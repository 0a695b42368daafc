"""Whether one of a venue's streams ("market" or "user") is up, from its listener loops.

Several loops share a stream (one per symbol and kind). The stream is reported down
(``ConnectionChanged(connected=False)``) when the first loop fails, and up again when every
loop that failed has received data (or reconnected) again: one report per transition, not
one per loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from app.engine.domain.events import ConnectionChanged
from app.engine.ports import StatusSink

log = logging.getLogger(__name__)


class StreamHealth:
    def __init__(
        self, venue: str, stream: str, *, wall_ns: Callable[[], int] = time.time_ns
    ) -> None:
        self.venue = venue
        self.stream = stream
        self._wall_ns = wall_ns
        self._failing: set[str] = set()
        self._connected: bool | None = None  # None: nothing reported yet
        self._sink: StatusSink | None = None
        self.drops = 0

    def set_status_sink(self, sink: StatusSink) -> None:
        self._sink = sink

    @property
    def connected(self) -> bool | None:
        return self._connected

    def down(self, loop: str, reason: str) -> None:
        self._failing.add(loop)
        if self._connected is not False:
            self.drops += 1
            self._report(False, reason)

    def up(self, loop: str) -> None:
        self._failing.discard(loop)
        if self._connected is not True and not self._failing:
            self._report(True, "reconnected" if self._connected is False else "connected")

    def forget(self, loop: str) -> None:
        """A loop that ended (unsubscribed) no longer holds the stream down."""
        self._failing.discard(loop)

    def _report(self, connected: bool, reason: str) -> None:
        self._connected = connected
        log.log(
            logging.INFO if connected else logging.WARNING,
            "%s %s stream %s: %s",
            self.venue,
            self.stream,
            "up" if connected else "down",
            reason,
        )
        if self._sink is not None:
            try:
                self._sink(
                    ConnectionChanged(self.venue, self.stream, connected, reason, self._wall_ns())
                )
            except Exception:
                log.exception("%s: status sink failed", self.venue)


_OPEN_POLL_S = 0.02


async def until_sockets_open(exchange: Any, pending: asyncio.Future[Any]) -> bool:
    """Wait until every ccxt.pro WebSocket of ``exchange`` is open, or ``pending`` (the watch
    call that reconnects them) ends. True when the sockets opened first: a stream is back
    even if nothing happens on it for a while."""
    while not pending.done():
        clients = list((getattr(exchange, "clients", None) or {}).values())
        if clients and all(_is_open(client) for client in clients):
            return True
        await asyncio.sleep(_OPEN_POLL_S)
    return False


def _is_open(ws_client: Any) -> bool:
    connected = getattr(ws_client, "connected", None)
    if not isinstance(connected, asyncio.Future) or not connected.done():
        return False
    return not connected.cancelled() and connected.exception() is None


class WatchCancelled(Exception):
    """ccxt.pro cancelled a pending watch itself (its socket was reset), not our task."""


async def await_watch(pending: asyncio.Future[Any]) -> Any:
    """``await pending``; a CancelledError that is not our own task's cancellation (ccxt
    cancels futures when it resets a socket) becomes ``WatchCancelled``, a plain failure
    the listener reconnects from. Our own cancellation propagates, cancelling ``pending``."""
    try:
        return await pending
    except asyncio.CancelledError:
        pending.cancel()
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        raise WatchCancelled("the watch was cancelled by the client") from None
