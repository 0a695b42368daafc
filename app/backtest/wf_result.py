"""Walk-forward windows and results as plain data (see ``walkforward`` for the method).

Kept apart from ``walkforward`` (which runs backtests, hence the engine and the paper venue)
so the window and reports can read results without importing the backtester.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.backtest.opt_rows import OptimizeRow
from app.backtest.trades import RoundTrip
from app.engine.domain.errors import ValidationError
from app.engine.series import FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class Window:
    index: int
    is_start: int
    is_stop: int
    oos_start: int
    oos_stop: int


def make_windows(
    n_bars: int, in_sample: int, out_of_sample: int, step: int | None = None, *, anchored: bool
) -> list[Window]:
    """The windows described in the module docstring."""
    if in_sample < 2:
        raise ValidationError("--in-sample", "must be at least 2 bars", in_sample)
    if out_of_sample < 1:
        raise ValidationError("--out-of-sample", "must be at least 1 bar", out_of_sample)
    step = out_of_sample if step is None else step
    if step < out_of_sample:
        raise ValidationError(
            "--step",
            f"must be at least --out-of-sample ({out_of_sample}) so out-of-sample windows "
            "do not overlap",
            step,
        )
    if in_sample + out_of_sample > n_bars:
        raise ValidationError(
            "--in-sample",
            f"in-sample + out-of-sample ({in_sample + out_of_sample} bars) exceed the data "
            f"({n_bars} bars)",
            in_sample,
        )
    out: list[Window] = []
    oos_start = in_sample
    while oos_start + out_of_sample <= n_bars:
        is_start = 0 if anchored else oos_start - in_sample
        out.append(Window(len(out), is_start, oos_start, oos_start, oos_start + out_of_sample))
        oos_start += step
    return out


@dataclass(frozen=True, slots=True)
class WindowResult:
    window: Window
    is_from_ts: int
    is_to_ts: int  # last in-sample bar
    oos_from_ts: int
    oos_to_ts: int  # last out-of-sample bar
    best: OptimizeRow | None  # None: no set could run in-sample
    is_metric: float | None
    oos_metrics: dict[str, Any]
    warmup: int  # bars before the OOS range the OOS run read to warm up
    start_equity: float
    end_equity: float
    tested_sets: int


@dataclass(frozen=True, slots=True)
class WalkForwardResult:
    strategy_id: str
    metric: str
    windows: list[WindowResult]
    ts: IntArray  # stitched OOS bars
    equity: FloatArray  # stitched OOS equity, one value per bar
    trades: list[RoundTrip]
    metrics: dict[str, Any]
    skipped: int  # parameter sets refused by the strategy's rules (per window)
    initial_equity: float
