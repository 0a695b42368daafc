"""Walk-forward analysis: optimise in-sample, test out-of-sample, roll, stitch.

Windows (bar indexes, ``n`` bars in all, IS = ``in_sample``, OOS = ``out_of_sample``, step
defaults to OOS)::

    window k:  oos_start = IS + k * step          oos = [oos_start, oos_start + OOS)
               rolling:  is = [oos_start - IS, oos_start)
               anchored: is = [0, oos_start)       (the in-sample window grows)

Windows are made while the whole OOS range fits in the data; bars after the last full
window are not tested. ``step`` may exceed OOS (untested gaps) but not fall below it: out-of-
sample ranges must not overlap, or the stitched curve would count bars twice.

Each window optimises on its in-sample bars (grid or random search, ``optimize``'s rules),
picks the set with the best ``metric`` (ties: the first generated), and runs that set on the
out-of-sample bars. Warm-up: the OOS run starts ``warmup`` bars early (the strategy's own
``warmup`` for the chosen parameters: the bars its indicators need to have a value) and
counts intents only from the first OOS bar (``pool.trading_from``). So the indicators have a
value from the bar before the OOS range on (a rule comparing this bar with the previous one
can act on the first OOS bar), and no decision is taken on an in-sample bar. The prefix bars
stay flat (cash only) and are cut off: a window's equity, trades and metrics cover its OOS
bars alone.

Stitching: window k's OOS run starts with the cash window k-1 ended with (the first with
the configured cash), so the stitched curve is continuous and compounds. A position still
open at the end of a window is valued at that window's last close (as the runner marks it,
no exit fee or slippage) and the next window starts flat with that value as cash; its metrics come
from ``compute_metrics`` on the stitched curve and all OOS trades. A window where no set
could run (every set errors on the window) stays flat: it holds cash through its OOS bars.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

import numpy as np

from app.backtest.config import BacktestConfig
from app.backtest.metrics import compute_metrics
from app.backtest.optimize import Method, param_sets, sort_rows, to_row
from app.backtest.pool import BacktestPool, Task, default_workers
from app.backtest.runner import BacktestResult
from app.backtest.trades import RoundTrip
from app.backtest.wf_result import WalkForwardResult, Window, WindowResult, make_windows
from app.engine.domain.errors import ValidationError
from app.engine.jobs import CancelToken, ProgressFn, ProgressTracker
from app.engine.series import BarSeries, FloatArray, IntArray
from app.strategies.base import Strategy, StrategyContext
from app.strategies.params import ParamValue
from app.strategies.registry import get_strategy


class _DeclarationOnly:
    """A context for reading a strategy's declaration (``on_start``) and nothing else."""

    symbol = ""
    timeframe = ""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"on_start must not call the context ({name})")


def warmup_bars(strategy: type[Strategy], params: Mapping[str, object]) -> int:
    """Bars the strategy's indicators need with ``params``, read from its ``on_start``."""
    instance = strategy(cast(StrategyContext, _DeclarationOnly()), params)
    instance.on_start()
    return instance.warmup


def walk_forward(
    strategy_id: str,
    series: BarSeries,
    config: BacktestConfig,
    *,
    in_sample: int,
    out_of_sample: int,
    step: int | None = None,
    anchored: bool = False,
    metric: str = "sharpe",
    descending: bool = True,
    method: Method | str = Method.GRID,
    ranges: Mapping[str, str] | None = None,
    fixed: Mapping[str, object] | None = None,
    samples: int = 100,
    seed: int | None = None,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> WalkForwardResult:
    strategy = get_strategy(strategy_id)
    windows = make_windows(len(series), in_sample, out_of_sample, step, anchored=anchored)
    sets = param_sets(strategy_id, method, ranges=ranges, fixed=fixed, samples=samples, seed=seed)
    if not sets.sets:
        raise ValidationError("--range", "no parameter set passes the strategy's rules")
    cancel = cancel or CancelToken()
    n_sets = len(sets.sets)
    tracker = ProgressTracker(len(windows) * (n_sets + 1), progress, label="walk-forward")
    tracker.update(0, force=True)
    workers = min(default_workers() if workers is None else workers, len(windows) * n_sets)
    ts = series.ts
    results: list[WindowResult] = []
    curves: list[FloatArray] = []
    stamps: list[IntArray] = []
    trades: list[RoundTrip] = []
    exposure_bars = 0
    fees = 0.0
    equity = float(config.cash)
    with BacktestPool(strategy_id, series, config, workers=workers) as pool:
        # every window's in-sample search at once: the pool stays busy across windows
        tasks = [Task(p, w.is_start, w.is_stop) for w in windows for p in sets.sets]
        outcomes = pool.run(tasks, tracker=tracker, cancel=cancel)
        for w in windows:
            rows = [to_row(o) for o in outcomes[w.index * n_sets : (w.index + 1) * n_sets]]
            ranked = sort_rows(rows, metric, descending)
            best = ranked[0] if ranked and ranked[0].value(metric) is not None else None
            start_equity = equity
            oos_ts = ts[w.oos_start : w.oos_stop]
            warm = 0
            oos_metrics: dict[str, Any] = {}
            if best is None:
                curve = np.full(len(oos_ts), equity, dtype=np.float64)
            else:
                run, warm = _run_oos(pool, strategy, best.params, w, config, equity, cancel)
                curve = run.equity[warm:]
                window_trades = [t for t in run.trades if t.entry_ts >= ts[w.oos_start]]
                held = round(run.metrics.exposure * run.metrics.bars)  # the prefix is flat
                oos_metrics = compute_metrics(
                    oos_ts, curve, window_trades, held, initial_equity=equity, fees=run.metrics.fees
                ).to_dict()
                trades.extend(window_trades)
                exposure_bars += held
                fees += run.metrics.fees
                equity = float(curve[-1])
            tracker.advance()
            curves.append(np.asarray(curve, dtype=np.float64))
            stamps.append(np.asarray(oos_ts, dtype=np.int64))
            results.append(
                WindowResult(
                    w,
                    int(ts[w.is_start]),
                    int(ts[w.is_stop - 1]),
                    int(ts[w.oos_start]),
                    int(ts[w.oos_stop - 1]),
                    best,
                    None if best is None else best.value(metric),
                    oos_metrics,
                    warm,
                    start_equity,
                    equity,
                    sum(1 for r in rows if r.metrics is not None),
                )
            )
    all_ts = np.concatenate(stamps)
    all_equity = np.concatenate(curves)
    initial = float(config.cash)
    stitched = compute_metrics(
        all_ts, all_equity, trades, exposure_bars, initial_equity=initial, fees=fees
    )
    return WalkForwardResult(
        strategy_id,
        metric,
        results,
        all_ts,
        all_equity,
        trades,
        stitched.to_dict(),
        sets.skipped,
        initial,
    )


def _run_oos(
    pool: BacktestPool,
    strategy: type[Strategy],
    params: dict[str, ParamValue],
    w: Window,
    config: BacktestConfig,
    cash: float,
    cancel: CancelToken,
) -> tuple[BacktestResult, int]:
    """The chosen set on the OOS bars, warmed up on the bars just before them."""
    warm = min(warmup_bars(strategy, params), w.oos_start)
    oos_config = dataclasses.replace(config, cash=Decimal(repr(cash)))
    task = Task(
        params, w.oos_start - warm, w.oos_stop, full=True, config=oos_config, trade_from=warm
    )
    (outcome,) = pool.run([task], cancel=cancel)
    if outcome.result is None:
        raise ValidationError("walk-forward", f"window {w.index + 1}: {outcome.error}")
    return outcome.result, warm


__all__ = [
    "WalkForwardResult",
    "Window",
    "WindowResult",
    "make_windows",
    "walk_forward",
    "warmup_bars",
]
