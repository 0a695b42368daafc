"""The backtester's long jobs as the window runs them in a worker process.

Each one loads the bars (a CSV file is parsed here, in the worker, not in the window), then
backtests, optimises or walks forward, and returns ``(bars, result)`` so the window can draw
prices without loading them twice. Module-level and picklable; the window names them by
``"app.backtest.jobs:<name>"`` (``app.ui.jobs.JobRunner`` imports them in the worker), so no
window module imports the runner, which drives the paper venue (the UI may not import
brokers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.backtest.config import BacktestConfig
from app.backtest.data import load_bars_csv
from app.backtest.optimize import OptimizeResult, optimize
from app.backtest.runner import BacktestResult, run_backtest
from app.backtest.walkforward import WalkForwardResult, walk_forward
from app.engine.domain.errors import ValidationError
from app.engine.jobs import CancelToken, ProgressFn
from app.engine.series import BarSeries


def load(series: BarSeries | None, csv: str | Path | None, symbol: str = "") -> BarSeries:
    """``series`` when given (a demo symbol's history), else the CSV file."""
    if series is not None:
        return series
    if csv is None:
        raise ValidationError("data", "choose a symbol or a CSV file")
    return load_bars_csv(Path(csv), symbol)


def backtest_job(
    strategy_id: str,
    data: tuple[BarSeries | None, str | None, str],
    params: dict[str, Any],
    config: BacktestConfig,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> tuple[BarSeries, BacktestResult]:
    series = load(*data)
    return series, run_backtest(
        strategy_id, series, params, config, progress=progress, cancel=cancel
    )


def optimise_job(
    strategy_id: str,
    data: tuple[BarSeries | None, str | None, str],
    config: BacktestConfig,
    options: dict[str, Any],
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> tuple[BarSeries, OptimizeResult]:
    series = load(*data)
    return series, optimize(
        strategy_id, series, config, progress=progress, cancel=cancel, **options
    )


def walkforward_job(
    strategy_id: str,
    data: tuple[BarSeries | None, str | None, str],
    config: BacktestConfig,
    options: dict[str, Any],
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> tuple[BarSeries, WalkForwardResult]:
    series = load(*data)
    return series, walk_forward(
        strategy_id, series, config, progress=progress, cancel=cancel, **options
    )
