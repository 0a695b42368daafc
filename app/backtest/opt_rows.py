"""Optimisation results as plain data: one row per parameter set, sorting, top-N, JSON.

Kept apart from ``optimize`` (which runs backtests, hence the engine and the paper venue) so
the window and reports can read results without importing the backtester.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.engine.domain.errors import ValidationError
from app.strategies.params import ParamValue


class Method(StrEnum):
    GRID = "grid"
    RANDOM = "random"


@dataclass(frozen=True, slots=True)
class OptimizeRow:
    params: dict[str, ParamValue]
    metrics: dict[str, float | int | None] | None
    error: str = ""

    def value(self, key: str) -> float | None:
        """A metric (or, failing that, a numeric parameter) by name; None when absent."""
        source: Mapping[str, Any] = self.metrics or {}
        raw = source.get(key, self.params.get(key))
        if raw is None or isinstance(raw, str):
            return None
        number = float(raw)
        return None if math.isnan(number) else number


@dataclass(frozen=True, slots=True)
class OptimizeResult:
    strategy_id: str
    method: Method
    rows: list[OptimizeRow]
    skipped: int  # sets refused by the strategy's rules, never run
    skip_reason: str = ""
    seed: int | None = None
    workers: int = 1
    metric_names: tuple[str, ...] = field(default=())

    def best(self, metric: str, descending: bool = True) -> OptimizeRow | None:
        ranked = sort_rows(self.rows, metric, descending)
        return ranked[0] if ranked and ranked[0].value(metric) is not None else None


def sort_rows(rows: Sequence[OptimizeRow], key: str, descending: bool = True) -> list[OptimizeRow]:
    """Rows ordered by ``key``; rows without a value for it (errors, NaN) go last either way.
    Ties keep the generation order (a stable sort)."""
    have = [r for r in rows if r.value(key) is not None]
    missing = [r for r in rows if r.value(key) is None]
    # reverse=True keeps equal keys in their original order too
    have.sort(key=lambda r: r.value(key) or 0.0, reverse=descending)
    return have + missing


def top(rows: Sequence[OptimizeRow], n: int | None) -> list[OptimizeRow]:
    if n is None:
        return list(rows)
    if n < 1:
        raise ValidationError("--top", "must be at least 1", n)
    return list(rows[:n])


def rows_to_dicts(rows: Sequence[OptimizeRow]) -> list[dict[str, Any]]:
    """JSON-ready rows (non-finite numbers become None)."""

    def clean(v: Any) -> Any:
        return None if isinstance(v, float) and not math.isfinite(v) else v

    return [
        {
            "params": dict(r.params),
            "metrics": None if r.metrics is None else {k: clean(v) for k, v in r.metrics.items()},
            **({"error": r.error} if r.error else {}),
        }
        for r in rows
    ]
