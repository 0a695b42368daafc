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

    async def shutdown(self, grace_s: float = 5.0) -> None:
        """Cancel everything; a task still running after ``grace_s`` is named in the log
        and left behind rather than allowed to keep the application from stopping."""
        tasks = [*self._tasks, *self._services]
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _done, stuck = await asyncio.wait(tasks, timeout=grace_s)
        for task in stuck:
            log.error(
                "task %s did not stop within %.1f s of being cancelled", task.get_name(), grace_s
            )
