"""Waiting in async tests: qtbot.waitUntil spins a nested Qt loop, which under qasync
would re-enter the asyncio loop; awaiting a sleep lets the engine and the timers run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def eventually(condition: Callable[[], object], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.02)
