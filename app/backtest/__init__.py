"""The backtester: any strategy over historical bars through the engine and the paper venue.

A composition layer like ``app.bootstrap``: it wires ``app.engine`` (with a simulated clock
and an in-memory journal), ``app.brokers.paper`` and ``app.strategies``; it never imports the
UI or Qt. Public surface: ``run_backtest``, ``BacktestConfig``, ``BacktestResult``,
``compute_metrics``, ``load_bars_csv`` (imported on first use, so the command line's
argument parsing does not pay for numpy and the engine).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.backtest.config import BacktestConfig, FillMode
    from app.backtest.data import load_bars_csv
    from app.backtest.metrics import Metrics, compute_metrics
    from app.backtest.runner import BacktestResult, run_backtest
    from app.backtest.trades import BacktestFill, RoundTrip

_WHERE = {
    "BacktestConfig": "config",
    "FillMode": "config",
    "load_bars_csv": "data",
    "Metrics": "metrics",
    "compute_metrics": "metrics",
    "BacktestResult": "runner",
    "run_backtest": "runner",
    "BacktestFill": "trades",
    "RoundTrip": "trades",
}
__all__ = [
    "BacktestConfig",
    "BacktestFill",
    "BacktestResult",
    "FillMode",
    "Metrics",
    "RoundTrip",
    "compute_metrics",
    "load_bars_csv",
    "run_backtest",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'app.backtest' has no attribute {name!r}")
    return getattr(importlib.import_module(f"app.backtest.{module}"), name)
