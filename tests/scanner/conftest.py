"""Helpers for scanner tests: real candles from the shared data directory, synthetic series."""

from __future__ import annotations

import csv
from functools import lru_cache

import numpy as np

from app.engine.series import BarSeries
from tests.conftest import SHARED_DATA

OHLCV_DIR = SHARED_DATA / "ohlcv"
MINUTE_NS = 60_000_000_000


@lru_cache(maxsize=16)
def load_ohlcv(name: str) -> BarSeries:
    """``name`` is a file in shared/data/ohlcv (timestamp_ms,open,high,low,close,volume)."""
    with (OHLCV_DIR / name).open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:6] == ["timestamp_ms", "open", "high", "low", "close", "volume"], rows[0]
    cols = list(zip(*rows[1:], strict=True))
    ts = np.array([int(float(v)) for v in cols[0]], dtype=np.int64) * 1_000_000
    o, h, lo, c, v = (np.array(col, dtype=np.float64) for col in cols[1:6])
    return BarSeries(ts, o, h, lo, c, v, symbol=name.rsplit(".", 1)[0], timeframe="")


def synthetic(symbol: str, bars: int, seed: int, end_ns: int = 1_700_000_000 * 10**9) -> BarSeries:
    """A random-walk series of one-minute bars ending at ``end_ns`` (reproducible by seed)."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.002, bars)))
    open_ = np.concatenate(([100.0], close[:-1]))
    spread = np.abs(rng.normal(0, 0.001, bars)) * close
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    volume = rng.uniform(10, 100, bars)
    ts = end_ns - MINUTE_NS * np.arange(bars, 0, -1, dtype=np.int64)
    return BarSeries(ts, open_, high, low, close, volume, symbol, "1m")
