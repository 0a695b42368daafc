"""``run_backtest``: a strategy over a BarSeries through the engine and the paper venue.

Per bar, in order:
1. intents queued on the previous bar execute at this bar's open (``next_open`` mode);
2. orders still working (limits, brackets) meet this bar's price path (``SimSession.walk``);
3. the strategy sees the closed bar (``on_bar``); in ``close`` mode its intents execute at
   this bar's close, in ``next_open`` mode they wait for the next bar (an intent on the last
   bar never executes).

The fast path: indicators registered by the strategy are computed once over the whole series
with ``batch`` and their ``value`` is set bar by bar, and the engine is only called on bars
where something happens (steps 1-3 above); equity per bar is rebuilt afterwards from the
fills. ``incremental=True`` runs the plain path instead (``Strategy.feed``: every indicator
updated bar by bar), which gives the same trades; tests compare the two.

It runs on a private event loop (``asyncio.run``), so it works in a worker process and on the
command line; called from a thread whose loop is running, it runs on a helper thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.backtest.config import BacktestConfig, FillMode
from app.backtest.context import BacktestContext
from app.backtest.metrics import Metrics, compute_metrics
from app.backtest.session import SimSession
from app.backtest.trades import BacktestFill, RoundTrip
from app.engine.domain.errors import ValidationError
from app.engine.jobs import CancelToken, ProgressFn, ProgressTracker
from app.engine.series import BarSeries, Candle, FloatArray, IntArray
from app.strategies.base import OrderIntent, Strategy
from app.strategies.indicators import Indicator, ScalarIndicator
from app.strategies.registry import get_strategy

CHECK_EVERY = 2048  # bars between cancellation checks and progress reports (a power of 2)
CHUNK = 1 << 16  # bars converted to Python objects at a time


@dataclass(frozen=True)
class BacktestResult:
    """Everything a run produced; plain data, picklable (it crosses process pools)."""

    metrics: Metrics
    ts: IntArray
    equity: FloatArray  # per bar, marked at the close
    trades: list[RoundTrip]
    fills: list[BacktestFill]
    params: dict[str, Any]
    strategy_id: str
    config: BacktestConfig
    symbol: str = ""
    messages: list[str] = field(default_factory=list)  # skipped or refused intents (first 200)
    refused: int = 0  # intents the risk gate or the venue refused


def run_backtest(
    strategy: type[Strategy] | str,
    series: BarSeries,
    params: Mapping[str, object],
    config: BacktestConfig,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    incremental: bool = False,
) -> BacktestResult:
    """Run ``strategy`` (a class or a registered id) with ``params`` over ``series``.

    Raises ValidationError (unknown strategy, bad parameter, empty series) before any work,
    and ``Cancelled`` when ``cancel`` is set during the run (nothing partial is returned)."""
    cls = get_strategy(strategy) if isinstance(strategy, str) else strategy
    values = cls.validated(params)
    if len(series) == 0:
        raise ValidationError("data", "has no bars")
    run = _Run(cls, series, values, config, progress, cancel, incremental)
    with _fewer_gc_passes():
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(run.run())
        # a running loop in this thread (a GUI callback): asyncio.run would refuse it
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="backtest") as pool:
            return pool.submit(asyncio.run, run.run()).result()


_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] = (700, 10, 10)


@contextlib.contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Collect the youngest generation every 50,000 allocations instead of 700 while a run
    lasts. The bar loop allocates a Candle per bar and the engine keeps every order and
    fill, so the default thresholds keep re-scanning a growing heap for cycles that are not
    there (~10 % of a long run). Restored when the last concurrent run ends."""
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(_gc_saved[0], 50_000), *_gc_saved[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_saved)


class _Run:
    def __init__(
        self,
        cls: type[Strategy],
        series: BarSeries,
        values: dict[str, Any],
        config: BacktestConfig,
        progress: ProgressFn | None,
        cancel: CancelToken | None,
        incremental: bool,
    ) -> None:
        self.cls = cls
        self.series = series
        self.values = values
        self.config = config
        self.progress = progress
        self.cancel = cancel
        self.incremental = incremental

    async def run(self) -> BacktestResult:
        series, config = self.series, self.config
        n = len(series)
        session = SimSession(series, config)
        await session.start()
        try:
            ends = _bar_ends(series.ts)
            ctx = BacktestContext(series, session, series.timeframe, ends)
            strat = self.cls(ctx, self.values)
            strat.on_start()
            ctx.trade_from = max(0, strat.warmup - 1)
            try:
                await self._loop(strat, ctx, session, ends)
            finally:
                strat.on_stop()
        finally:
            await session.stop()
        return self._result(session, ctx, n)

    async def _loop(
        self, strat: Strategy, ctx: BacktestContext, session: SimSession, ends: IntArray
    ) -> None:
        series = self.series
        n = len(series)
        tracker = ProgressTracker(n, self.progress, label="backtest")
        cancel = self.cancel
        incremental = self.incremental
        feeds = [] if incremental else [(ind, _batched(ind, series)) for ind in strat.indicators]
        close_mode = self.config.fill is FillMode.CLOSE
        on_bar = strat.feed if incremental else strat.on_bar
        seen_offset = 0 if incremental else 1  # ``feed`` counts the bar itself
        make = candle_maker()
        intents = ctx.intents
        queued: list[OrderIntent] = []
        mask = CHECK_EVERY - 1
        # bars go to Python floats a chunk at a time: whole-series lists would cost ~100 MB
        # per million bars for nothing
        for a in range(0, n, CHUNK):
            b = min(n, a + CHUNK)
            chunk = [(ind, values(a, b)) for ind, values in feeds]
            bars = zip(
                range(a, b),
                series.ts[a:b].tolist(),
                series.open[a:b].tolist(),
                series.high[a:b].tolist(),
                series.low[a:b].tolist(),
                series.close[a:b].tolist(),
                series.volume[a:b].tolist(),
                strict=True,
            )
            for i, t, o, h, lo, c, v in bars:
                if not i & mask:
                    if cancel is not None:
                        cancel.check()
                    tracker.update(i)
                if queued:
                    session.index = i
                    ctx.queued = False
                    await session.execute(queued, o, t, i)
                    queued = []
                    _deliver(strat, session)
                if session.busy:
                    session.index = i
                    if session.reaches(lo, h):
                        await session.walk(o, h, lo, c, t, int(ends[i]) - t)
                        _deliver(strat, session)
                    elif session.expiring:
                        await session.expire()
                j = i - a
                for ind, vals in chunk:
                    ind.value = vals[j]
                ctx.i = i
                strat.bars_seen = i + seen_offset
                on_bar(make(t, o, h, lo, c, v))
                if intents:
                    session.index = i
                    if close_mode:
                        await session.execute(list(intents), c, int(ends[i]), i + 1)
                        intents.clear()
                        _deliver(strat, session)
                    else:
                        queued = list(intents)
                        intents.clear()
                        ctx.queued = True
        if cancel is not None:
            cancel.check()
        tracker.update(n, force=True)

    def _result(self, session: SimSession, ctx: BacktestContext, n: int) -> BacktestResult:
        series, config = self.series, self.config
        cash, pos = _account_per_bar(session.changes, n, float(config.cash))
        equity = cash + pos * series.close
        exposure_bars = int(np.count_nonzero(pos))
        trips = session.trips.finish(float(series.close[-1]), n - 1)
        fees = float(sum(f.fee for f in session.fills))
        metrics = compute_metrics(
            series.ts, equity, trips, exposure_bars, initial_equity=float(config.cash), fees=fees
        )
        return BacktestResult(
            metrics=metrics,
            ts=series.ts,
            equity=equity,
            trades=trips,
            fills=session.fills,
            params=dict(self.values),
            strategy_id=self.cls.id or self.cls.__name__,
            config=config,
            symbol=session.symbol,
            messages=session.messages,
            refused=session.refused,
        )


def candle_maker() -> Callable[[int, float, float, float, float, float], Candle]:
    """A fast way to build Candles: the frozen dataclass's generated ``__init__`` sets each
    field through ``object.__setattr__`` (about 60 % of the per-bar cost of a simple
    strategy); writing the slots through their descriptors builds the same, still frozen,
    object in about half the time. Falls back to the constructor if Candle ever stops being
    a plain slotted record."""
    names = ("ts", "open", "high", "low", "close", "volume")
    slots = getattr(Candle, "__slots__", ())
    if tuple(slots) != names or hasattr(Candle, "__post_init__"):
        return Candle
    s_ts, s_open, s_high, s_low, s_close, s_volume = (
        Candle.__dict__[name].__set__ for name in names
    )
    new = object.__new__

    def make(ts: int, o: float, h: float, lo: float, c: float, v: float) -> Candle:
        bar: Candle = new(Candle)
        s_ts(bar, ts)
        s_open(bar, o)
        s_high(bar, h)
        s_low(bar, lo)
        s_close(bar, c)
        s_volume(bar, v)
        return bar

    return make


def _batched(ind: Indicator[Any], series: BarSeries) -> Callable[[int, int], list[Any]]:
    """The indicator's values over ``series`` (``batch``), served a slice at a time. A plain
    scalar indicator keeps its numpy array and converts a slice when asked (the same values
    ``ScalarIndicator.batch`` gives: NaN while warming up becomes None)."""
    if isinstance(ind, ScalarIndicator) and type(ind).batch is ScalarIndicator.batch:
        arr = ind.batch_arrays(series)
        if isinstance(arr, np.ndarray):
            return lambda a, b: _none_for_nan(arr[a:b])
    values = ind.batch(series)
    return lambda a, b: values[a:b]


def _none_for_nan(values: FloatArray) -> list[float | None]:
    """``values`` as a list with None where NaN (warm-up), sparing the element-wise pass
    when the slice has no NaN (every chunk after the first, usually)."""
    out: list[float | None] = values.tolist()
    if np.isnan(values).any():
        return [None if v != v else v for v in out]  # v != v: NaN
    return out


def _deliver(strat: Strategy, session: SimSession) -> None:
    if session.new_fills:
        for fill in session.take_new_fills():
            strat.on_fill(fill)


def _bar_ends(ts: IntArray) -> IntArray:
    """Each bar's close time: the next bar's open; the last bar lasts the median spacing."""
    n = len(ts)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    spacing = int(np.median(np.diff(ts))) if n > 1 else 60_000_000_000
    ends = np.empty(n, dtype=np.int64)
    ends[:-1] = ts[1:]
    ends[-1] = ts[-1] + max(spacing, 1)
    return ends


def _account_per_bar(
    changes: list[tuple[int, float, float]], n: int, cash0: float
) -> tuple[FloatArray, FloatArray]:
    """Cash and position at each bar's close: the last change made in or before that bar."""
    if not changes:
        return np.full(n, cash0), np.zeros(n)
    idx = np.fromiter((c[0] for c in changes), dtype=np.int64, count=len(changes))
    cash_v = np.fromiter((c[1] for c in changes), dtype=np.float64, count=len(changes))
    pos_v = np.fromiter((c[2] for c in changes), dtype=np.float64, count=len(changes))
    k = np.searchsorted(idx, np.arange(n), side="right") - 1
    cash = np.where(k >= 0, cash_v[np.maximum(k, 0)], cash0)
    pos = np.where(k >= 0, pos_v[np.maximum(k, 0)], 0.0)
    return cash, pos
