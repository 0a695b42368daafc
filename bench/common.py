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


def machine_stalls(seconds: float = 1.0, above_us: float = 10.0) -> str:
    """How often, and for how long, this thread is stopped by something outside the process
    (timer interrupts, a hypervisor taking the core): a spin loop that only reads the clock
    records every jump above ``above_us``. A code path of T microseconds sees one such stall
    with probability about T times the rate; once that passes 1 %, its p99 carries the
    stall, whatever the code does."""
    clock = time.perf_counter_ns
    start = last = clock()
    end = start + int(seconds * 1e9)
    stalls: list[float] = []
    threshold = int(above_us * 1000)
    while last < end:
        now = clock()
        if now - last > threshold:
            stalls.append((now - last) / 1000)
        last = now
    per_ms = len(stalls) / (seconds * 1000)
    every = f"one every {1 / per_ms:.1f} ms" if stalls else "none"
    return (
        f"machine stalls over {above_us:.0f} us while spinning {seconds:.0f} s: {len(stalls)} "
        f"({every}), p50 {pct(stalls, 50):.1f} us, max {max(stalls, default=0):.1f} us"
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
