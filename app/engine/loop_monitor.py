"""Event-loop lag: how late the loop runs a callback that asked to run now.

A task sleeps ``period`` seconds again and again and records how late it woke. Everything
shares one loop (engine, venues, widgets), so this one number tells whether anything is
blocking it. Kept as a rolling window for the status bar and for benchmarks.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque


class LoopLagMonitor:
    def __init__(self, period: float = 0.05, window: int = 200) -> None:
        self.period = period
        self.samples: deque[float] = deque(maxlen=window)  # milliseconds

    async def run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.period)
            self.samples.append(max(0.0, (time.perf_counter() - start - self.period) * 1000))

    @property
    def last_ms(self) -> float:
        return self.samples[-1] if self.samples else 0.0

    def percentile(self, q: float) -> float:
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]
