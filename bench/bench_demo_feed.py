"""How fast the demo market produces events, and how much memory it holds.

Drives ``DemoMarket.step`` with a simulated clock (no sleeping) for all demo symbols and
prints events per second of CPU time for a few configurations, then the memory the market
holds. The engine must take >= 100,000 market events/s end to end, so the feed has to be
well above that.

Run: ``uv run python bench/bench_demo_feed.py [--seconds 600]``
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the repository importable
    sys.path.insert(0, str(ROOT))

from app.brokers.demo import DemoMarket  # noqa: E402
from app.engine.domain.market import QuoteTick, TradeTick  # noqa: E402

START_NS = 1_700_000_017_250_000_000
SECOND = 1_000_000_000
REPEATS = 3


class SimClock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def measure(label: str, seconds: int, step_s: float, **options: object) -> float:
    """Stream ``seconds`` of simulated wall time in steps of ``step_s``; events are counted
    and dropped, as a consumer would. Best of ``REPEATS`` runs (a shared machine is noisy)."""
    best = 0.0
    for _ in range(REPEATS):
        clock = SimClock(START_NS)
        market = DemoMarket(seed=1, clock=clock, **options)  # type: ignore[arg-type]
        market.subscribe_sync([i.symbol for i in market.instruments()])
        kinds: Counter[str] = Counter()
        step_ns = round(step_s * SECOND)
        market.step(clock.now + SECOND)  # warm-up: first blocks, Decimal caches
        began = time.perf_counter()
        t = clock.now + SECOND
        for _ in range(round(seconds / step_s)):
            t += step_ns
            for event in market.step(t):
                kinds[type(event).__name__] += 1
        elapsed = time.perf_counter() - began
        best = max(best, sum(kinds.values()) / elapsed)
    total = sum(kinds.values())
    print(
        f"{label:<46} {total:>7,} events: {best:>9,.0f} events/s"
        f"   ({', '.join(f'{k} {v:,}' for k, v in sorted(kinds.items()))})"
    )
    return best


def floor() -> float:
    """Building the same domain objects with nothing else: the ceiling for any feed."""
    price, size = Decimal("123.45"), Decimal("0.5")
    best = 0.0
    for _ in range(REPEATS):
        out: list[object] = []
        append = out.append
        began = time.perf_counter()
        for t in range(100_000):
            append(QuoteTick("BTC/USD", price, price, size, size, t))
            append(TradeTick("BTC/USD", price, size, t))
        best = max(best, len(out) / (time.perf_counter() - began))
    print(f"{'floor: constructing QuoteTick + TradeTick only':<46} {'':>15} {best:>9,.0f} events/s")
    return best


def memory() -> None:
    gc.collect()
    tracemalloc.start()
    clock = SimClock(START_NS)
    market = DemoMarket(seed=1, clock=clock)
    market.subscribe_sync([i.symbol for i in market.instruments()])
    for i in range(1, 601):
        market.step(START_NS + i * SECOND)  # ten simulated minutes, events dropped
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del market
    max_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"memory: the market after 10 simulated minutes holds {current / 1e6:.1f} MB "
        f"(peak {peak / 1e6:.1f} MB while running, candle arrays and caches included; "
        f"process max RSS {max_rss_kb / 1024:.0f} MB, Python + numpy included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=1200, help="simulated seconds per run")
    args = parser.parse_args()
    began = time.perf_counter()
    symbols = len(DemoMarket().instruments())  # cold: parses the bundled CSV files
    cold = time.perf_counter() - began
    print(f"demo feed, {symbols} symbols; first DemoMarket (parses the CSVs) built in {cold:.2f} s")
    print(
        f"step() with a simulated clock, no sleeping, gc on, events counted and dropped, "
        f"best of {REPEATS}:"
    )
    rates = [
        measure("speed 1, 4 ticks/s, steps of 50 ms (run())", args.seconds, 0.05),
        measure("speed 1, 4 ticks/s, steps of 1 s", args.seconds, 1.0),
        measure(
            "speed 1, 4 ticks/s, no forming bars, 1 s steps",
            args.seconds,
            1.0,
            partial_bar_interval=0,
        ),
        measure("speed 60 (4 ticks per bar), steps of 1 s", args.seconds, 1.0, speed=60.0),
        measure(
            "speed 1, 40 ticks/s, steps of 1 s",
            args.seconds // 10,
            1.0,
            ticks_per_second=40.0,
        ),
    ]
    floor()
    print(f"slowest configuration: {min(rates):,.0f} events/s (engine budget: 100,000/s)")
    memory()


if __name__ == "__main__":
    main()
