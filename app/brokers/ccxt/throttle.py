"""The per-key pause after a venue says "too many requests" (429) or bans the key (418).

ccxt's own rate limiter (enableRateLimit) spaces our requests; this is what happens when the
venue still complains:

- 429: the key pauses for Retry-After seconds. Reads wait for the pause to end; new orders are
  refused up front with ``OrderRefused`` ("paused N s after HTTP 429") and never reach the
  venue (an order sent late is worse than an order refused now). An ``Alert(warning)`` goes
  to the status sink.
- 418: the key halts until Retry-After. Every call fails with ``VenueBanned`` (a new order with
  ``OrderRefused``: it certainly did not reach the venue, and the engine must not mark it
  UNKNOWN), and an ``Alert(critical, extra={"action": "halt"})`` makes the engine halt trading.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from app.engine.domain.events import Alert
from app.engine.ports import StatusSink
from app.engine.venue_errors import OrderRefused, RateLimited, VenueBanned, VenueError

log = logging.getLogger(__name__)


class KeyThrottle:
    """Pause and ban state of one API key (or of the public endpoints, for a keyless client)."""

    def __init__(
        self,
        venue: str,
        key_id: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_ns: Callable[[], int] = time.time_ns,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.venue = venue
        self.key_id = key_id
        self._clock = clock
        self._wall_ns = wall_ns
        self._sleep = sleep
        self._paused_until = 0.0
        self._banned_until = 0.0
        self._sink: StatusSink | None = None
        self.pauses = 0  # how many 429s paused the key (for tests and diagnostics)
        self.bans = 0

    def set_status_sink(self, sink: StatusSink) -> None:
        """Where alerts go. The data and execution clients of one key share this throttle;
        both hand it the engine's sink, so each alert is delivered once."""
        self._sink = sink

    # --- state ---------------------------------------------------------------------------
    def pause_left(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def ban_left(self) -> float:
        return max(0.0, self._banned_until - self._clock())

    @property
    def banned(self) -> bool:
        return self.ban_left() > 0

    # --- gates ---------------------------------------------------------------------------
    async def before_read(self, operation: str) -> None:
        """Wait out a 429 pause; fail at once while banned."""
        self._raise_if_banned(operation)
        left = self.pause_left()
        while left > 0:
            await self._sleep(left)
            self._raise_if_banned(operation)
            left = self.pause_left()

    def before_order(self, operation: str) -> None:
        """Refuse a new order while paused or banned: it never reaches the venue."""
        ban = self.ban_left()
        if ban > 0:
            raise OrderRefused(
                f"key banned for {ban:.0f} s after HTTP 418; trading is halted",
                venue=self.venue,
                operation=operation,
            )
        pause = self.pause_left()
        if pause > 0:
            raise OrderRefused(
                f"paused {pause:.0f} s after HTTP 429", venue=self.venue, operation=operation
            )

    # --- learning ------------------------------------------------------------------------
    def observe(self, error: VenueError) -> None:
        """Start a pause or a ban after the venue said so."""
        if isinstance(error, VenueBanned):
            self.bans += 1
            self._banned_until = max(self._banned_until, self._clock() + error.retry_after_s)
            log.error(
                "%s: key %s banned (HTTP 418) for %.0f s during %s",
                self.venue,
                self.key_id,
                error.retry_after_s,
                error.operation,
            )
            self._alert(
                "critical",
                f"{self.venue}: API key banned",
                f"The venue banned this key/IP (HTTP 418) for {error.retry_after_s:.0f} s "
                "after too many requests. Trading on this account is halted.",
                {"action": "halt", "retry_after_s": f"{error.retry_after_s:g}"},
            )
        elif isinstance(error, RateLimited):
            self.pauses += 1
            self._paused_until = max(self._paused_until, self._clock() + error.retry_after_s)
            log.warning(
                "%s: key %s rate limited (HTTP 429); pausing %.1f s (%s)",
                self.venue,
                self.key_id,
                error.retry_after_s,
                error.operation,
            )
            self._alert(
                "warning",
                f"{self.venue}: rate limited",
                f"The venue asked us to slow down (HTTP 429). Requests pause for "
                f"{error.retry_after_s:.0f} s; new orders are refused meanwhile.",
                {"action": "pause", "retry_after_s": f"{error.retry_after_s:g}"},
            )

    def _raise_if_banned(self, operation: str) -> None:
        ban = self.ban_left()
        if ban > 0:
            raise VenueBanned(
                f"key banned for {ban:.0f} s after HTTP 418",
                venue=self.venue,
                operation=operation,
                retry_after_s=ban,
            )

    def _alert(self, level: str, title: str, message: str, extra: dict[str, str]) -> None:
        alert = Alert(
            level=level,
            title=title,
            message=message,
            ts=self._wall_ns(),
            source=self.venue,
            extra={"venue": self.venue, **extra},
        )
        if self._sink is None:
            return
        try:
            self._sink(alert)
        except Exception:
            log.exception("%s: status sink failed on an alert", self.venue)
