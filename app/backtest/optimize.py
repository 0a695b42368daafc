"""Parameter optimisation: grid or random search, every set backtested on a process pool.

``optimize`` takes the sets from ``param_space`` (grid: the cartesian product of every
dimension; random: N distinct seeded draws), runs each one on ``BacktestPool`` (every core by
default) and returns one row per set: its parameters and its metrics. Rows come back in the
order the sets were generated, so a run is reproducible; ``sort_rows`` orders them by any
metric (or parameter) either way, with missing and NaN values always last, and ``top`` cuts.
Sets that break the strategy's own rules are skipped before anything runs and counted in
``OptimizeResult.skipped``; sets the data cannot support (a period longer than the series)
come back as rows with an ``error`` and no metrics.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.backtest.config import BacktestConfig
from app.backtest.opt_rows import (
    Method,
    OptimizeResult,
    OptimizeRow,
    rows_to_dicts,
    sort_rows,
    top,
)
from app.backtest.param_space import ParamSets, build_space, grid_sets, random_sets
from app.backtest.pool import BacktestPool, RunOutcome, Task, default_workers
from app.engine.domain.errors import ValidationError
from app.engine.jobs import CancelToken, ProgressFn, ProgressTracker
from app.engine.series import BarSeries
from app.strategies.registry import get_strategy


def param_sets(
    strategy_id: str,
    method: Method | str = Method.GRID,
    *,
    ranges: Mapping[str, str] | None = None,
    fixed: Mapping[str, object] | None = None,
    samples: int = 100,
    seed: int | None = None,
) -> ParamSets:
    try:
        method = Method(method)
    except ValueError:
        raise ValidationError("--method", "must be grid or random", method) from None
    space = build_space(get_strategy(strategy_id), ranges, fixed)
    if method is Method.GRID:
        return grid_sets(space)
    return random_sets(space, samples, seed)


def optimize(
    strategy_id: str,
    series: BarSeries,
    config: BacktestConfig,
    *,
    method: Method | str = Method.GRID,
    ranges: Mapping[str, str] | None = None,
    fixed: Mapping[str, object] | None = None,
    samples: int = 100,
    seed: int | None = None,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> OptimizeResult:
    """Backtest every generated set; see the module docstring."""
    sets = param_sets(strategy_id, method, ranges=ranges, fixed=fixed, samples=samples, seed=seed)
    if not sets.sets:
        raise ValidationError(
            "--range",
            "no parameter set passes the strategy's rules"
            + (f" (e.g. {sets.first_skip_reason})" if sets.first_skip_reason else ""),
        )
    tracker = ProgressTracker(len(sets.sets), progress, label="optimise")
    tracker.update(0, force=True)
    pool_workers = min(len(sets.sets), default_workers() if workers is None else workers)
    with BacktestPool(strategy_id, series, config, workers=pool_workers) as pool:
        outcomes = pool.run([Task(p) for p in sets.sets], tracker=tracker, cancel=cancel)
        used = pool.workers
    rows = [to_row(o) for o in outcomes]
    names = next((tuple(r.metrics) for r in rows if r.metrics), ())
    return OptimizeResult(
        strategy_id,
        Method(method),
        rows,
        sets.skipped,
        sets.first_skip_reason,
        seed,
        used,
        names,
    )


def to_row(outcome: RunOutcome) -> OptimizeRow:
    return OptimizeRow(outcome.params, outcome.metrics, outcome.error)


__all__ = [
    "Method",
    "OptimizeResult",
    "OptimizeRow",
    "optimize",
    "param_sets",
    "rows_to_dicts",
    "sort_rows",
    "to_row",
    "top",
]
