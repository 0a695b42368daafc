"""Every background task has an owner: none is fire-and-forget.

The supervisor keeps a reference to each task (asyncio only holds weak ones), logs a task
that dies with an exception, and cancels all of them at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskSupervisor:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._services: set[asyncio.Task[Any]] = set()
        self.failures = 0

    def spawn(
        self, coro: Coroutine[Any, Any, Any], name: str, *, service: bool = False
    ) -> asyncio.Task[Any]:
        """Run ``coro`` as an owned task. A ``service`` runs until cancelled (feeds, monitors)
        and is not waited for by ``idle``."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        (self._services if service else self._tasks).add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._services.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.failures += 1
            log.error("task %s failed", task.get_name(), exc_info=exc)

    async def idle(self) -> None:
        """Wait until every non-service task (and those they spawn) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def shutdown(self) -> None:
        tasks = [*self._tasks, *self._services]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
