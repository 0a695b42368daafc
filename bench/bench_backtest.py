"""Backtester throughput: sma_cross (fast 20 / slow 60) over 500,000 synthetic one-minute
bars, end to end through the engine and the paper venue (fees 2 bps, slippage 1 bps,
all-in sizing), excluding building the bars.

Prints bars per second, the number of round trips, and the peak memory of a fresh process
that builds the bars and runs only this backtest (RSS high-water mark from getrusage), plus
the tracemalloc peak of the run from a second process (tracing slows a run, so the timing
comes from the first), and a breakdown: the same run with the orders suppressed, i.e. what
the bar loop costs alone, and what the orders add each. Targets: >= 300,000 bars/s and
< 400 MB. Both wall and CPU time are printed: on a shared machine the wall clock also
counts other processes.

    python3 -m uv run python bench/bench_backtest.py [--bars N] [--profile]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from app.engine.series import BarSeries

MINUTE_NS = 60_000_000_000
START_NS = 1_700_000_000_000_000_000 // MINUTE_NS * MINUTE_NS
TARGET_RATE = 300_000
TARGET_MB = 400


def synthetic_bars(n: int, seed: int = 7) -> BarSeries:
    """A geometric random walk with fat-ish tails and volatility regimes, one bar a minute."""
    rng = np.random.default_rng(seed)
    vol = 0.0008 * np.exp(np.cumsum(rng.normal(0, 0.01, n)).clip(-1.5, 1.5))
    steps = rng.standard_t(5, n) * vol
    close = 30_000.0 * np.exp(np.cumsum(steps))
    open_ = np.concatenate(([close[0]], close[:-1]))
    wick = np.abs(rng.normal(0, 1, n)) * vol * close
    high = np.maximum(open_, close) + wick
    low = np.minimum(open_, close) - wick * rng.uniform(0.5, 1.5, n)
    volume = rng.gamma(2.0, 5.0, n)
    ts = START_NS + np.arange(n, dtype=np.int64) * MINUTE_NS
    return BarSeries(ts, open_, high, low, close, volume, "SYN/USD", "1m")


def run_once(n: int, profile: bool, tracemalloc_on: bool, idle: bool) -> dict[str, float]:
    from app.backtest import BacktestConfig, run_backtest
    from app.engine.sizing import Sizing, SizingMode
    from app.strategies.reference import SmaCross

    strategy: type[SmaCross] = SmaCross
    if idle:
        # the same indicators and decisions, but no order ever reaches the engine: what the
        # bar loop costs on its own
        class Watching(SmaCross):
            def buy(self, **_kwargs: object) -> None:
                pass

            def close(self, tag: str = "") -> None:
                pass

        strategy = Watching

    series = synthetic_bars(n)
    config = BacktestConfig(
        # costs kept small: a driftless market would otherwise eat the account, and all-in
        # entries would shrink towards the lot size
        cash=100_000,
        fees_bps=2,
        slippage_bps=1,
        sizing=Sizing(SizingMode.ALL_IN),
    )
    params = {"fast": 20, "slow": 60}
    if tracemalloc_on:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        result = prof.runcall(run_backtest, strategy, series, params, config)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        result = run_backtest(strategy, series, params, config)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    traced = 0.0
    if tracemalloc_on:
        import tracemalloc

        traced = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    scale = 1024 if sys.platform != "darwin" else 1  # macOS reports bytes
    return {
        "bars": n,
        "seconds": elapsed,
        "bars_per_s": n / elapsed,
        "cpu_seconds": cpu,
        "bars_per_cpu_s": n / cpu,
        "trades": result.metrics.trades,
        "fills": len(result.fills),
        "final_equity": result.metrics.final_equity,
        "peak_rss_mb": rss_kb * scale / 1e6,
        "tracemalloc_peak_mb": traced,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=500_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the run (stderr)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace allocations")
    parser.add_argument("--idle", action="store_true", help="sma_cross that never orders")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child or args.profile:
        print(json.dumps(run_once(args.bars, args.profile, args.tracemalloc, args.idle)))
        return 0
    # a fresh process: its RSS high-water mark is this backtest's, nothing else's
    cmd = [sys.executable, __file__, "--child", "--bars", str(args.bars)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    timed = json.loads(out.strip().splitlines()[-1])
    traced = json.loads(
        subprocess.run([*cmd, "--tracemalloc"], check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    idle = json.loads(
        subprocess.run([*cmd, "--idle"], check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    rate, rss = timed["bars_per_s"], timed["peak_rss_mb"]
    print(
        f"backtest sma_cross 20/60 on {timed['bars']:,} one-minute bars: "
        f"{timed['seconds']:.2f} s wall, {rate:,.0f} bars/s (target >= {TARGET_RATE:,}); "
        f"{timed['cpu_seconds']:.2f} s CPU, {timed['bars_per_cpu_s']:,.0f} bars per CPU second "
        f"(wall and CPU differ when other processes share the cores); "
        f"{timed['trades']:,} round trips ({timed['fills']:,} fills through the engine), "
        f"final equity {timed['final_equity']:,.2f}"
    )
    print(
        f"peak memory of a fresh process (bars + run): RSS {rss:.0f} MB (target < {TARGET_MB}), "
        f"tracemalloc peak of the run {traced['tracemalloc_peak_mb']:.0f} MB"
    )
    engine_s = timed["cpu_seconds"] - idle["cpu_seconds"]
    print(
        f"breakdown (CPU): the same run with no orders takes {idle['cpu_seconds']:.2f} s "
        f"({idle['bars_per_cpu_s']:,.0f} bars/s: data to Python, indicators, strategy, "
        f"metrics); the {timed['fills']:,} orders through risk gate, OMS, paper venue and "
        f"portfolio add {engine_s:.2f} s, {engine_s / max(timed['fills'], 1) * 1e6:.0f} us each"
    )
    ok = rate >= TARGET_RATE and rss < TARGET_MB
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
