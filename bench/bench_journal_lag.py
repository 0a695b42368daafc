"""How much does journaling a burst of orders stall the event loop?

Opens a Journal in a temporary folder, runs a lag probe (a task that sleeps 1 ms and records
how late it woke) and, while it runs:
  1. idle: the probe alone, for a baseline;
     (the burst is reported twice: all samples, and only those after the step that queued
     the 2,000 writes, which shows the writer thread's own effect on the loop);
  2. burst: 1,000 orders journaled the way the OMS does it (record_order, then await
     durability), all at once with asyncio.gather, plus 1,000 fills;
  3. one at a time: 200 orders each awaited before the next, the latency of journal-before-send.
Prints loop lag p50/p99/max in ms per phase, the burst's total time and orders/s.

    uv run python bench/bench_journal_lag.py
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.orders import Order, OrderSide, OrderType, TimeInForce
from app.engine.store import Journal

BURST = 1_000
SEQUENTIAL = 200
PROBE_S = 0.001


def order(i: int) -> Order:
    return Order(
        client_id=f"tdm-bench-{i}",
        venue="paper",
        symbol="BTC/USDT",
        side=OrderSide.BUY if i % 2 else OrderSide.SELL,
        type=OrderType.LIMIT,
        quantity=Decimal("0.00100000"),
        price=Decimal("64123.45") + i,
        trigger_price=None,
        tif=TimeInForce.GTC,
        reduce_only=False,
        source="bot:bench",
        created_ns=time.time_ns(),
    )


def fill(i: int) -> Fill:
    return Fill(
        venue="paper",
        trade_id=f"tr-{i}",
        client_id=f"tdm-bench-{i}",
        venue_order_id=f"v-{i}",
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        quantity=Decimal("0.001"),
        price=Decimal("64123.45"),
        fee=Decimal("0.064"),
        fee_currency="USDT",
        liquidity=Liquidity.TAKER,
        ts=time.time_ns(),
        source="bot:bench",
    )


class LagProbe:
    def __init__(self) -> None:
        self.samples: list[float] = []
        self.starts: list[float] = []  # perf_counter() when each sleep began
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="lag-probe")

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def take(self) -> list[float]:
        samples, self.samples = self.samples, []
        self.starts = []
        return samples

    def after(self, t: float) -> list[float]:
        """Samples whose sleep began after ``t``."""
        return [lag for start, lag in zip(self.starts, self.samples, strict=True) if start > t]

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(PROBE_S)
            self.starts.append(t0)
            self.samples.append(max(0.0, time.perf_counter() - t0 - PROBE_S))


def report(phase: str, samples: list[float]) -> None:
    if not samples:
        print(f"{phase:<14} no samples")
        return
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"{phase:<14} loop lag  p50 {statistics.median(ms):6.3f} ms   p99 {p99:6.3f} ms   "
        f"max {ms[-1]:6.3f} ms   ({len(ms)} samples)"
    )


async def main(data_dir: Path) -> None:
    journal = Journal.open(data_dir)
    probe = LagProbe()
    probe.start()
    try:
        await asyncio.sleep(0.3)
        report("idle", probe.take())

        orders = [order(i) for i in range(BURST)]
        fills = [fill(i) for i in range(BURST)]
        await asyncio.sleep(0.01)  # building them is not journal work: keep it out of the burst
        probe.take()
        t0 = time.perf_counter()
        waits = [journal.record_order(o, "created") for o in orders]
        waits += [journal.record_fill(f) for f in fills]
        enqueued = time.perf_counter()
        enqueue_s = enqueued - t0
        await asyncio.gather(*waits)
        burst_s = time.perf_counter() - t0
        await asyncio.sleep(0.05)  # let the probe see the tail
        # The step that makes 2,000 calls in a row is the caller's own work; what follows it
        # is the loop running while the writer thread commits in the background.
        report("burst, after", probe.after(enqueued))
        report("burst, all", probe.take())
        print(
            f"burst          {BURST} orders + {BURST} fills durable in {burst_s * 1000:.1f} ms "
            f"({BURST / burst_s:,.0f} orders/s; enqueueing took {enqueue_s * 1000:.2f} ms)"
        )

        latencies = []
        for i in range(SEQUENTIAL):
            o = order(BURST + i)
            t1 = time.perf_counter()
            await journal.record_order(o, "created")
            latencies.append(time.perf_counter() - t1)
        report("one-at-a-time", probe.take())
        lat = sorted(x * 1000 for x in latencies)
        print(
            f"one-at-a-time  journal-before-send latency p50 {statistics.median(lat):.2f} ms  "
            f"p99 {lat[int(len(lat) * 0.99)]:.2f} ms  ({SEQUENTIAL} orders)"
        )
        assert len(journal.load_orders()) == BURST + SEQUENTIAL
    finally:
        await probe.stop()
        journal.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="tradedesk-bench-") as tmp:
        asyncio.run(main(Path(tmp)))
