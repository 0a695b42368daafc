"""Shared bits for the benchmarks: percentiles, a lag probe and a machine line."""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def machine() -> str:
    return (
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()} with {os.cpu_count()} cores ({platform.system()})"
    )


class LagProbe:
    """Sleeps ``period`` seconds again and again and records how late it woke up (ms):
    the time the event loop could not run a ready callback."""

    def __init__(self, period: float = 0.001) -> None:
        self.period = period
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(self.period)
            self.lags.append((time.perf_counter() - t0 - self.period) * 1000)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def report(self) -> str:
        lags = self.lags
        return (
            f"event-loop lag over {len(lags)} probes: p50 {pct(lags, 50):.2f} ms, "
            f"p99 {pct(lags, 99):.2f} ms, max {max(lags, default=0):.2f} ms"
        )
