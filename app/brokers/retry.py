"""Reads retry with exponential backoff and jitter; order creation never comes here.

A read that fails with a ``retryable`` VenueError (network, 5xx, 429) is tried again after
``base * 2**attempt`` seconds (capped, with full jitter so many clients do not retry in step);
a 429's ``retry_after_s`` is honoured when it is longer. Anything not retryable (bad request,
authentication, not found, a 418 ban) is raised at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from app.engine.venue_errors import RateLimited, VenueError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays for attempt 0, 1, 2...: ``base * 2**n`` capped at ``cap``, full jitter."""

    base: float = 0.5
    cap: float = 30.0
    attempts: int = 4  # tries in all, for reads

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap, self.base * (2 ** min(attempt, 30)))
        return (rng or random).uniform(ceiling / 2, ceiling)


async def retry_read(
    call: Callable[[], Awaitable[T]], what: str, backoff: Backoff = Backoff()
) -> T:
    """``await call()``, retrying retryable venue errors ``backoff.attempts`` times in all."""
    for attempt in range(backoff.attempts):
        try:
            return await call()
        except VenueError as exc:
            if not exc.retryable or attempt == backoff.attempts - 1:
                raise
            wait = backoff.delay(attempt)
            if isinstance(exc, RateLimited):
                wait = max(wait, exc.retry_after_s)
            log.warning("%s failed (%s); retry %d in %.1f s", what, exc, attempt + 1, wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable: the last attempt raises")
