"""Shared helpers for strategy tests: real candles from the shared data directory."""

from __future__ import annotations

import csv
from functools import lru_cache

import numpy as np

from app.engine.series import BarSeries
from tests.conftest import SHARED_DATA

OHLCV_DIR = SHARED_DATA / "ohlcv"


@lru_cache(maxsize=16)
def load_ohlcv(name: str) -> BarSeries:
    """``name`` is a file in shared/data/ohlcv (timestamp_ms,open,high,low,close,volume)."""
    path = OHLCV_DIR / name
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header[:6] == ["timestamp_ms", "open", "high", "low", "close", "volume"], header
    cols = list(zip(*body, strict=True))
    ts = np.array([int(float(v)) for v in cols[0]], dtype=np.int64) * 1_000_000
    o, h, lo, c, v = (np.array(col, dtype=np.float64) for col in cols[1:6])
    return BarSeries(ts, o, h, lo, c, v, symbol=name.rsplit(".", 1)[0])
