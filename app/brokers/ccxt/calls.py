"""Every SDK call of an adapter goes through ``VenueCalls``: the per-key throttle, ccxt's
errors mapped to ours (``map_errors``), and retries for reads only.

Order creation is never retried: a failure that may have reached the venue is
``OutcomeUnknown``; the engine marks the order UNKNOWN and settles it with ``query_order``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from app.brokers.ccxt.errors import map_errors
from app.brokers.ccxt.quirks import VenueQuirks
from app.brokers.ccxt.throttle import KeyThrottle
from app.brokers.retry import Backoff, retry_read
from app.engine.venue_errors import OrderRefused, RateLimited, VenueError

T = TypeVar("T")
READ_BACKOFF = Backoff(base=0.5, cap=5.0, attempts=3)


class VenueCalls:
    """The gateway to one ccxt client (``exchange``) for one venue and key."""

    def __init__(
        self,
        exchange: Any,
        venue: str,
        quirks: VenueQuirks,
        throttle: KeyThrottle,
        read_backoff: Backoff = READ_BACKOFF,
    ) -> None:
        self.exchange = exchange
        self.venue = venue
        self.quirks = quirks
        self.throttle = throttle
        self.read_backoff = read_backoff
        #: set when the venue is closed: listeners stop instead of reconnecting
        self.closed = False

    async def read(
        self, operation: str, call: Callable[[], Awaitable[T]], *, retry: bool = True
    ) -> T:
        """A read: waits out a 429 pause; retryable failures are tried again with backoff."""

        async def once() -> T:
            await self.throttle.before_read(operation)
            return await self._mapped(operation, call)

        if not retry:
            return await once()
        return await retry_read(once, f"{self.venue} {operation}", self.read_backoff)

    async def create(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """A new order (or a replace): refused up front while paused; never retried.

        A 429/418 answer to it is a refusal (the venue replied: the order was not placed),
        raised as OrderRefused so the engine rejects it instead of holding it UNKNOWN; the
        key still pauses or halts."""
        self.throttle.before_order(operation)
        try:
            return await self._mapped(operation, call, creating_order=True)
        except RateLimited as exc:
            raise OrderRefused(
                f"not placed, the venue is rate limiting this key: {exc}",
                venue=self.venue,
                operation=operation,
            ) from None

    async def cancel(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """A cancel: waits out a 429 pause (getting out matters); never retried blindly."""
        await self.throttle.before_read(operation)
        return await self._mapped(operation, call, canceling_order=True)

    async def _mapped(
        self,
        operation: str,
        call: Callable[[], Awaitable[T]],
        *,
        creating_order: bool = False,
        canceling_order: bool = False,
    ) -> T:
        try:
            with map_errors(
                self.venue,
                operation,
                creating_order=creating_order,
                canceling_order=canceling_order,
                auth_pattern=self.quirks.auth_error_pattern,
            ):
                return await call()
        except VenueError as error:
            self.throttle.observe(error)
            raise
