"""Metrics on series small enough to compute by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from app.backtest.metrics import compute_metrics, max_drawdown
from app.backtest.trades import RoundTrip

DAY_NS = 86_400_000_000_000


def trip(pnl: float, *, open_: bool = False) -> RoundTrip:
    return RoundTrip(
        0,
        None if open_ else 1,
        1.0,
        100.0,
        None if open_ else 100 + pnl,
        pnl,
        0.5,
        pnl,
        1,
        open_,
        0,
        None if open_ else 1,
    )


def daily(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64) * DAY_NS


def test_returns_drawdown_and_exposure_by_hand() -> None:
    equity = np.array([110.0, 99.0, 121.0, 108.9])
    m = compute_metrics(
        daily(4), equity, [trip(10.0), trip(-4.0), trip(6.0, open_=True)], 3, initial_equity=100.0
    )
    assert m.bars == 4 and m.trades == 3 and m.closed_trades == 2
    assert m.final_equity == pytest.approx(108.9)
    assert m.total_return == pytest.approx(0.089)
    # peaks 110 then 121: drawdowns 10 % (99/110) and 10 % (108.9/121)
    assert m.max_drawdown == pytest.approx(0.10)
    assert m.exposure == pytest.approx(0.75)
    assert m.win_rate == pytest.approx(0.5)
    assert m.profit_factor == pytest.approx(10.0 / 4.0)
    assert m.fees == pytest.approx(1.5)
    # per-bar returns +10 %, -10 %, +22.2.. %, -10 %; a year is 365.25 daily bars
    r = np.array([0.1, -0.1, 121 / 99 - 1, -0.1])
    per_year = 365.25
    assert m.bars_per_year == pytest.approx(per_year)
    assert m.sharpe == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(per_year))
    downside = math.sqrt((0.1**2 + 0.1**2) / 4)
    assert m.sortino == pytest.approx(r.mean() / downside * math.sqrt(per_year))
    years = 4 / per_year
    assert m.cagr == pytest.approx(1.089 ** (1 / years) - 1)


def test_no_losses_gives_infinite_profit_factor_encoded_as_null() -> None:
    equity = np.array([101.0, 102.0, 103.0])
    m = compute_metrics(daily(3), equity, [trip(3.0)], 2, initial_equity=100.0)
    assert m.profit_factor == math.inf and m.sortino == math.inf
    out = m.to_dict()
    assert out["profit_factor"] is None and out["sortino"] is None
    json.dumps(out, allow_nan=False)  # valid JSON: no Infinity/NaN tokens
    assert m.max_drawdown == 0.0 and m.win_rate == 1.0


def test_flat_run_without_trades() -> None:
    m = compute_metrics(daily(5), np.full(5, 1000.0), [], 0, initial_equity=1000.0)
    assert (m.total_return, m.cagr, m.sharpe, m.sortino, m.max_drawdown) == (0, 0, 0, 0, 0)
    assert m.win_rate == 0.0 and m.profit_factor == 0.0 and m.exposure == 0.0


def test_drawdown_counts_a_fall_from_the_starting_equity() -> None:
    assert max_drawdown(np.array([80.0, 90.0]), 100.0) == pytest.approx(0.2)


def test_total_loss_gives_cagr_minus_one() -> None:
    m = compute_metrics(daily(3), np.array([50.0, 10.0, 0.0]), [], 3, initial_equity=100.0)
    assert m.cagr == -1.0 and m.max_drawdown == pytest.approx(1.0)
