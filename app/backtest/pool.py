"""Run many backtests of one strategy on one series, on every core.

``BacktestPool`` owns a ``ProcessPoolExecutor``. The series (as numpy arrays), the strategy id
and the config reach each worker ONCE, through the pool's initializer; a task then carries
only its parameter set and a bar range (``start``/``stop``, so walk-forward windows slice
the series a worker already holds), and returns only the metrics (a small dict) unless the
caller asks for the whole result. With ``workers=1`` nothing is spawned: the runs happen in
this process, one after the other, which is also the reference the pool must equal.

Cancellation: the pool has its own ``multiprocessing`` event, handed to the workers by the
initializer (an event cannot travel inside a task). The coordinator waits on the futures
in short slices, and when the caller's ``CancelToken`` says stop it sets that event (each
running backtest checks it and raises ``Cancelled``) and drops the queued tasks.

Workers are started with "spawn" everywhere: it is the only method on Windows and macOS, and
forking a process that runs Qt threads (the window) is unsafe, so Linux behaves the same.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.backtest.config import BacktestConfig
from app.backtest.runner import BacktestResult, run_backtest
from app.engine.domain.errors import ValidationError
from app.engine.jobs import Cancelled, CancelToken, ProgressTracker
from app.engine.series import BarSeries
from app.strategies.base import Strategy
from app.strategies.registry import get_strategy

_POLL_S = 0.1  # how often the coordinator looks at the caller's cancel token

# --- the worker side ----------------------------------------------------------------------
_state: dict[str, Any] = {}


def _init_worker(
    strategy_id: str,
    arrays: tuple[Any, ...],
    symbol: str,
    timeframe: str,
    config: BacktestConfig,
    event: Any,
) -> None:
    # Ctrl+C reaches the whole process group: the coordinator alone decides what it means
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _state["strategy"] = strategy_id
    ts, o, h, lo, c, v = arrays
    _state["series"] = BarSeries(ts, o, h, lo, c, v, symbol, timeframe)
    _state["config"] = config
    _state["cancel"] = CancelToken(event)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """One task's answer: metrics (or the whole result), or why the set could not run."""

    params: dict[str, Any]
    metrics: dict[str, float | int | None] | None
    result: BacktestResult | None = None
    error: str = ""


def _run_task(
    params: dict[str, Any],
    start: int,
    stop: int,
    full: bool,
    config: BacktestConfig | None,
    trade_from: int,
) -> RunOutcome:
    return _run(
        _state["strategy"],
        _state["series"],
        config or _state["config"],
        params,
        start,
        stop,
        full,
        trade_from,
        _state["cancel"],
    )


def _run(
    strategy_id: str,
    series: BarSeries,
    config: BacktestConfig,
    params: dict[str, Any],
    start: int,
    stop: int,
    full: bool,
    trade_from: int,
    cancel: CancelToken,
) -> RunOutcome:
    cancel.check()
    part = series if (start, stop) == (0, len(series)) else series.slice(start, stop)
    strategy: type[Strategy] | str = strategy_id
    if trade_from > 0:
        strategy = trading_from(get_strategy(strategy_id), trade_from)
    try:
        result = run_backtest(strategy, part, params, config, cancel=cancel)
    except ValidationError as exc:
        # a set the strategy refuses on this data (e.g. a period longer than the window)
        return RunOutcome(params, None, error=str(exc))
    except Cancelled:
        raise
    except Exception as exc:
        # sent back as text: an exception that cannot be rebuilt on the other side of the
        # pool would break the pool instead of naming the failing set
        detail = traceback.format_exc(limit=8)
        raise RuntimeError(f"{type(exc).__name__}: {exc} (parameters {params})\n{detail}") from None
    return RunOutcome(params, result.metrics.to_dict(), result if full else None)


def trading_from(cls: type[Strategy], first: int) -> type[Strategy]:
    """``cls`` whose intents count only from bar ``first`` of the run (walk-forward's
    out-of-sample start). The runner ignores intents before ``warmup - 1`` (the bar on which
    the indicators first have a value), so raising ``warmup`` to ``first + 1`` moves that
    bar to ``first`` without touching the indicators or the strategy's logic."""

    class TradingFrom(cls):  # type: ignore[valid-type,misc]
        @property
        def warmup(self) -> int:
            return max(int(super().warmup), first + 1)

    TradingFrom.__name__ = cls.__name__
    TradingFrom.__qualname__ = cls.__qualname__
    return TradingFrom


# --- the coordinator side -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Task:
    params: dict[str, Any]
    start: int = 0
    stop: int | None = None  # None: to the end of the series
    full: bool = False  # return the whole BacktestResult, not just the metrics
    config: BacktestConfig | None = None  # instead of the pool's (walk-forward: its cash)
    trade_from: int = 0  # bars of the range that only warm the indicators up (no trading)


def default_workers() -> int:
    return os.cpu_count() or 1


class BacktestPool:
    """Use as a context manager; ``run`` may be called many times on the same workers."""

    def __init__(
        self,
        strategy_id: str,
        series: BarSeries,
        config: BacktestConfig,
        *,
        workers: int | None = None,
    ) -> None:
        workers = default_workers() if workers is None else workers
        if workers < 1:
            raise ValidationError("--workers", "must be at least 1", workers)
        self.strategy_id = strategy_id
        self.series = series
        self.config = config
        self.workers = workers
        self._executor: cf.ProcessPoolExecutor | None = None
        self._event: Any = None
        self._local_cancel = CancelToken()

    def __enter__(self) -> BacktestPool:
        if self.workers > 1:
            ctx = multiprocessing.get_context("spawn")
            self._event = ctx.Event()
            s = self.series
            arrays = (s.ts, s.open, s.high, s.low, s.close, s.volume)
            self._executor = cf.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(
                    self.strategy_id,
                    arrays,
                    s.symbol,
                    s.timeframe,
                    self.config,
                    self._event,
                ),
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            if self._event is not None:
                self._event.set()  # a run still going (an error elsewhere) stops at once
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def run(
        self,
        tasks: Sequence[Task],
        *,
        tracker: ProgressTracker | None = None,
        cancel: CancelToken | None = None,
        on_result: Callable[[int, RunOutcome], None] | None = None,
    ) -> list[RunOutcome]:
        """Every task's outcome, in the tasks' order. Raises ``Cancelled`` when ``cancel``
        fires (no partial results); ``tracker`` advances once per finished task."""
        cancel = cancel or CancelToken()
        if self._executor is None:
            return self._run_here(tasks, tracker, cancel, on_result)
        futures = {
            self._executor.submit(
                _run_task,
                t.params,
                t.start,
                len(self.series) if t.stop is None else t.stop,
                t.full,
                t.config,
                t.trade_from,
            ): i
            for i, t in enumerate(tasks)
        }
        out: list[RunOutcome | None] = [None] * len(tasks)
        pending = set(futures)
        try:
            while pending:
                if cancel.cancelled:
                    raise Cancelled("cancelled")
                done, pending = cf.wait(pending, timeout=_POLL_S, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    i = futures[fut]
                    out[i] = fut.result()
                    if on_result is not None:
                        on_result(i, out[i])  # type: ignore[arg-type]
                    if tracker is not None:
                        tracker.advance()
        except BaseException:
            # Cancelled, Ctrl+C or a worker's error: stop the running backtests, drop the rest
            for fut in pending:
                fut.cancel()
            self._event.set()
            cf.wait(pending)
            self._event.clear()
            raise
        return [o for o in out if o is not None]

    def _run_here(
        self,
        tasks: Sequence[Task],
        tracker: ProgressTracker | None,
        cancel: CancelToken,
        on_result: Callable[[int, RunOutcome], None] | None,
    ) -> list[RunOutcome]:
        out = []
        for i, t in enumerate(tasks):
            stop = len(self.series) if t.stop is None else t.stop
            outcome = _run(
                self.strategy_id,
                self.series,
                t.config or self.config,
                t.params,
                t.start,
                stop,
                t.full,
                t.trade_from,
                cancel,
            )
            out.append(outcome)
            if on_result is not None:
                on_result(i, outcome)
            if tracker is not None:
                tracker.advance()
        return out
