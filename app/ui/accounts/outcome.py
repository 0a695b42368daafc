"""A venue or keychain call's result or the error the trader should read, as a value.

The accounts dialogs run their calls as owned tasks; an expected refusal (bad input, the
venue's "invalid key", a refused keychain, a locked file) is an answer to show, not a task
failure for the supervisor to log as a bug. Anything else still propagates and is logged.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.accounts.secrets import KeychainError, KeychainUnavailable
from app.engine.domain.errors import ValidationError
from app.engine.ports import VenueError
from app.engine.store.errors import StoreError

T = TypeVar("T")
EXPECTED = (VenueError, ValidationError, KeychainUnavailable, KeychainError, StoreError)


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    value: T | None = None
    error: Exception | None = None


async def captured(awaitable: Awaitable[T]) -> Outcome[T]:
    try:
        return Outcome(value=await awaitable)
    except EXPECTED as exc:
        return Outcome(error=exc)
