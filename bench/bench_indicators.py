"""How fast are the indicators, bar by bar and over history?

Builds ~500k synthetic one-minute bars (a geometric random walk like the synthetic market's
history), then for every indicator times the incremental path (``update_candle`` over every
bar, as a strategy runtime feeds it) and the vectorised ``batch_arrays`` over the whole
series. Prints updates/s and bars/s.

    uv run python bench/bench_indicators.py [--bars 500000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine.series import BarSeries
from app.strategies.indicators import (
    ADX,
    ATR,
    CCI,
    EMA,
    MACD,
    MFI,
    OBV,
    RSI,
    SMA,
    VWAP,
    WMA,
    BollingerBands,
    Donchian,
    Indicator,
    Keltner,
    Stochastic,
    StochRSI,
    SuperTrend,
    WilliamsR,
)
from bench.common import machine

MINUTE_NS = 60_000_000_000

INDICATORS: list[tuple[str, Callable[[], Indicator[Any]]]] = [
    ("SMA(20)", lambda: SMA(20)),
    ("EMA(20)", lambda: EMA(20)),
    ("WMA(20)", lambda: WMA(20)),
    ("RSI(14)", lambda: RSI(14)),
    ("MACD(12,26,9)", lambda: MACD()),
    ("BollingerBands(20,2)", lambda: BollingerBands()),
    ("ATR(14)", lambda: ATR()),
    ("ADX(14)", lambda: ADX()),
    ("Stochastic(14,3,3)", lambda: Stochastic(14, 3, 3)),
    ("StochRSI(14,14,3,3)", lambda: StochRSI()),
    ("CCI(20)", lambda: CCI()),
    ("OBV", lambda: OBV()),
    ("MFI(14)", lambda: MFI()),
    ("WilliamsR(14)", lambda: WilliamsR()),
    ("VWAP(14)", lambda: VWAP()),
    ("VWAP(session)", lambda: VWAP(anchor="session")),
    ("Keltner(20,10,2)", lambda: Keltner()),
    ("Donchian(20)", lambda: Donchian()),
    ("SuperTrend(10,3)", lambda: SuperTrend()),
]


def synthetic_bars(n: int, seed: int = 7) -> BarSeries:
    rng = np.random.default_rng(seed)
    closes = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    opens = np.concatenate(([closes[0]], closes[:-1]))
    spread = np.abs(rng.normal(0, 0.0008, n)) * closes
    highs = np.maximum(opens, closes) + spread
    lows = np.minimum(opens, closes) - spread
    volume = rng.uniform(0.1, 50.0, n)
    ts = 1_700_000_000_000_000_000 + np.arange(n, dtype=np.int64) * MINUTE_NS
    return BarSeries(ts, opens, highs, lows, closes, volume, "SYN/USD", "1m")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bars", type=int, default=500_000)
    args = parser.parse_args()
    series = synthetic_bars(args.bars)
    candles = series.candles()
    print(machine())
    print(f"{len(series):,} synthetic 1m bars")
    print(f"{'indicator':<22}{'incremental upd/s':>20}{'batch bars/s':>16}{'batch ms':>10}")
    for name, make in INDICATORS:
        ind = make()
        update = ind.update_candle
        t0 = time.perf_counter()
        for c in candles:
            update(c)
        inc = time.perf_counter() - t0
        t0 = time.perf_counter()
        make().batch_arrays(series)
        bat = time.perf_counter() - t0
        print(
            f"{name:<22}{len(candles) / inc:>20,.0f}{len(series) / bat:>16,.0f}{bat * 1000:>10.1f}"
        )


if __name__ == "__main__":
    main()
