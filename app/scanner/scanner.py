"""The scanner: history for every symbol of a universe, metrics per symbol, on a schedule.

``scan()`` fetches bars for each symbol (a few requests at a time; a symbol whose history
fails gets an ERROR row, the scan goes on) and computes each symbol's row. Small universes
are computed right here between awaits, a chunk at a time; from ``pool_threshold`` symbols
on the chunks go to a process pool through ``loop.run_in_executor``, so the shared Qt/asyncio
loop never stops for the arithmetic. Either way progress reports (with an estimate of the
time left) arrive on the loop, and the caller's ``CancelToken`` is checked between requests
and between chunks: a cancelled scan raises ``Cancelled`` and drops the chunks not yet
started. Cancelling the task itself (CancelledError) stops it the same way.

``run()`` repeats scans on an interval as a supervised service: CancelledError propagates,
any other failure is logged and reported, and the next scan comes on schedule.

Pool workers are started with "spawn" (the only method on Windows and macOS, and forking a
process that runs Qt threads is unsafe) and live until ``close``/``aclose``, so periodic
scans do not pay the start-up again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Timeframe
from app.engine.jobs import Cancelled, CancelToken, ProgressFn, ProgressTracker
from app.engine.series import BarSeries
from app.scanner.metrics import MetricsConfig, RowStatus, ScanRow, compute_rows, mark_stale
from app.scanner.universe import HistoryProvider, UniverseProvider

log = logging.getLogger(__name__)

_POLL_S = 0.1  # how often a pooled scan looks at its cancel token
_WAIT_SLICE_S = 0.5  # run() re-reads its interval this often while waiting
_SLICE_S = 0.008  # in-process computing holds the loop at most about this long at a time
MAX_HISTORY_BARS = 5_000


@dataclass(frozen=True, slots=True)
class ScanConfig:
    timeframe: Timeframe = Timeframe.M1
    history_bars: int = 300
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    pool_threshold: int = 40  # from this many symbols on, compute in worker processes
    workers: int | None = None  # None: the cores but one, at least 1, at most 4
    chunk_size: int = 25  # symbols per worker task
    fetch_concurrency: int = 8  # history requests in flight at once
    stale_bars: int = 3  # rows this many bars behind the freshest are STALE (0: never)
    progress_interval_s: float = 0.2  # progress reports at most this often (0: every step)

    def __post_init__(self) -> None:
        if not isinstance(self.timeframe, Timeframe):
            raise ValidationError("timeframe", "must be a Timeframe", self.timeframe)
        _whole("history_bars", self.history_bars, 1, MAX_HISTORY_BARS)
        if self.history_bars < self.metrics.min_bars:
            raise ValidationError(
                "history_bars",
                f"must be at least {self.metrics.min_bars} (the longest metric window + 1)",
                self.history_bars,
            )
        _whole("pool_threshold", self.pool_threshold, 1)
        if self.workers is not None:
            _whole("workers", self.workers, 1, 64)
        _whole("chunk_size", self.chunk_size, 1)
        _whole("fetch_concurrency", self.fetch_concurrency, 1, 256)
        _whole("stale_bars", self.stale_bars, 0)
        if not isinstance(self.progress_interval_s, int | float) or not (
            0 <= self.progress_interval_s <= 60
        ):
            raise ValidationError(
                "progress_interval_s", "must be between 0 and 60 seconds", self.progress_interval_s
            )

    @property
    def pool_workers(self) -> int:
        if self.workers is not None:
            return self.workers
        # one core stays with the window's loop, which streams prices while a scan runs
        return max(1, min(4, (os.cpu_count() or 1) - 1))


def _whole(name: str, value: object, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValidationError(name, f"must be a whole number >= {low}", value)
    if high is not None and value > high:
        raise ValidationError(name, f"must be at most {high}", value)


@dataclass(frozen=True, slots=True)
class ScanResult:
    rows: tuple[ScanRow, ...]  # in the universe's order
    timeframe: Timeframe
    started_ns: int  # wall clock, UTC epoch ns
    elapsed_s: float
    in_pool: bool  # the metrics were computed in worker processes

    def row(self, symbol: str) -> ScanRow | None:
        return next((r for r in self.rows if r.symbol == symbol), None)

    def count(self, status: RowStatus) -> int:
        return sum(1 for r in self.rows if r.status is status)


Fetched = BarSeries | str  # the bars, or why they could not be had


class Scanner:
    def __init__(
        self,
        universe: UniverseProvider,
        history: HistoryProvider,
        config: ScanConfig | None = None,
    ) -> None:
        self.universe = universe
        self.history = history
        self.config = config or ScanConfig()
        self.last_result: ScanResult | None = None
        self._active: CancelToken | None = None
        self._executor: cf.ProcessPoolExecutor | None = None
        self._workers = 0

    # --- control --------------------------------------------------------------------------
    @property
    def scanning(self) -> bool:
        return self._active is not None

    def cancel_current(self) -> bool:
        """Cancel the scan in progress (from a Cancel button); False when none runs."""
        if self._active is None:
            return False
        self._active.cancel()
        return True

    def close(self) -> None:
        """Stop the worker processes without waiting for them (safe on the GUI thread)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        """Stop the worker processes and wait for them to exit, off the loop."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)

    # --- one scan -------------------------------------------------------------------------
    async def scan(
        self, progress: ProgressFn | None = None, cancel: CancelToken | None = None
    ) -> ScanResult:
        """Every symbol's row. Raises ``Cancelled`` when ``cancel`` (or ``cancel_current``)
        fires; partial results are dropped."""
        token = cancel or CancelToken()
        cfg = self.config  # one scan, one configuration, even if a setting changes meanwhile
        self._active = token
        started_ns, t0 = time.time_ns(), time.perf_counter()
        try:
            symbols = await self.universe.symbols()
            token.check()
            tracker = ProgressTracker(
                2 * len(symbols),
                progress,
                label="Fetching history",
                min_interval_s=cfg.progress_interval_s,
            )
            tracker.update(0, force=True)
            fetched = await self._fetch_all(cfg, symbols, tracker, token)
            tracker.label = "Computing metrics"
            in_pool = len(symbols) >= cfg.pool_threshold
            series = [f for f in fetched if isinstance(f, BarSeries)]
            if in_pool:
                computed = await self._compute_in_pool(cfg, series, tracker, token)
            else:
                computed = await self._compute_here(cfg, series, tracker, token)
            tracker.update(tracker.total, force=True)
        finally:
            self._active = None
        by_symbol = {row.symbol: row for row in computed}
        rows = [
            by_symbol[s] if isinstance(f, BarSeries) else ScanRow(s, RowStatus.ERROR, 0, note=f)
            for s, f in zip(symbols, fetched, strict=True)
        ]
        rows = mark_stale(rows, cfg.timeframe.nanos, cfg.stale_bars)
        result = ScanResult(
            tuple(rows), cfg.timeframe, started_ns, time.perf_counter() - t0, in_pool
        )
        self.last_result = result
        return result

    async def _fetch_all(
        self,
        cfg: ScanConfig,
        symbols: Sequence[str],
        tracker: ProgressTracker,
        token: CancelToken,
    ) -> list[Fetched]:
        out: list[Fetched] = ["not fetched"] * len(symbols)
        todo = iter(range(len(symbols)))  # shared by the fetchers: each index taken once

        async def fetcher() -> None:
            for i in todo:
                token.check()
                symbol = symbols[i]
                try:
                    got = await self.history.history(symbol, cfg.timeframe, cfg.history_bars)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # one symbol's failure is its row, not the scan's
                    log.warning("scanner: no history for %s: %s", symbol, exc)
                    out[i] = f"error: {exc}"
                else:
                    out[i] = _named(got, symbol)
                tracker.advance()

        loop = asyncio.get_running_loop()
        count = min(cfg.fetch_concurrency, len(symbols))
        workers = [loop.create_task(fetcher()) for _ in range(count)]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        return out

    async def _compute_here(
        self,
        cfg: ScanConfig,
        series: Sequence[BarSeries],
        tracker: ProgressTracker,
        token: CancelToken,
    ) -> list[ScanRow]:
        rows: list[ScanRow] = []
        slice_start = time.perf_counter()
        for item in series:
            token.check()
            rows.extend(compute_rows([item], cfg.metrics))
            tracker.advance()
            # a symbol takes a millisecond or two: hand the loop back every few of them so
            # the window keeps painting and prices keep flowing
            if time.perf_counter() - slice_start >= _SLICE_S:
                await asyncio.sleep(0)
                slice_start = time.perf_counter()
        return rows

    async def _compute_in_pool(
        self,
        cfg: ScanConfig,
        series: Sequence[BarSeries],
        tracker: ProgressTracker,
        token: CancelToken,
    ) -> list[ScanRow]:
        loop = asyncio.get_running_loop()
        executor = self._pool(cfg.pool_workers)
        chunks = _chunks(series, cfg.chunk_size)
        futures = {
            loop.run_in_executor(executor, compute_rows, chunk, cfg.metrics): i
            for i, chunk in enumerate(chunks)
        }
        results: list[list[ScanRow]] = [[] for _ in chunks]
        pending: set[asyncio.Future[list[ScanRow]]] = set(futures)
        try:
            while pending:
                token.check()
                done, pending = await asyncio.wait(
                    pending, timeout=_POLL_S, return_when=asyncio.FIRST_COMPLETED
                )
                for fut in done:
                    i = futures[fut]
                    results[i] = fut.result()
                    tracker.advance(len(chunks[i]))
        except BaseException as exc:
            # Cancelled, CancelledError or a worker's fault: drop the chunks not started
            # (those running are a few milliseconds of work and finish on their own)
            broken = isinstance(exc, BrokenProcessPool)
            for fut in futures:
                if not broken:
                    # (a broken pool fails every future itself; cancelling one while its
                    # manager thread does so trips CPython 3.11's InvalidStateError)
                    fut.cancel()
                fut.add_done_callback(_retrieve)  # their errors belong to this one failure
            if broken:
                self.close()  # a dead worker breaks the pool: start afresh next scan
            raise
        return [row for part in results for row in part]

    def _pool(self, workers: int) -> cf.ProcessPoolExecutor:
        if self._executor is not None and self._workers != workers:
            self.close()  # the setting changed: the next pool has the new size
        if self._executor is None:
            self._workers = workers
            self._executor = cf.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
            )
        return self._executor

    # --- periodic refresh -----------------------------------------------------------------
    async def run(
        self,
        interval_s: float | Callable[[], float],
        on_result: Callable[[ScanResult], None],
        *,
        progress: ProgressFn | None = None,
        on_error: Callable[[Exception], None] | None = None,
        wake: asyncio.Event | None = None,
    ) -> None:
        """Scan now, then every ``interval_s`` seconds (from the start of one scan to the
        next) until cancelled. ``interval_s`` may be a callable, read again while waiting,
        so a changed setting applies at once; 0 or less means "only when ``wake`` is set".
        Setting ``wake`` starts the next scan immediately. A failed or cancelled scan is
        logged and handed to ``on_error``; the schedule carries on."""
        if wake is None and not callable(interval_s) and interval_s <= 0:
            raise ValidationError("interval_s", "must be > 0 when nothing can wake the scanner")
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            if wake is not None:
                wake.clear()
            try:
                result = await self.scan(progress)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if isinstance(exc, Cancelled):
                    log.info("scanner: scan cancelled")
                else:
                    log.exception("scanner: scan failed; trying again on schedule")
                _call(on_error, exc)
            else:
                _call(on_result, result)
            await _wait_next(loop, started, interval_s, wake)


async def _wait_next(
    loop: asyncio.AbstractEventLoop,
    started: float,
    interval_s: float | Callable[[], float],
    wake: asyncio.Event | None,
) -> None:
    while True:
        interval = interval_s() if callable(interval_s) else interval_s
        remaining = started + interval - loop.time() if interval > 0 else _WAIT_SLICE_S
        if interval > 0 and remaining <= 0:
            return
        step = min(remaining, _WAIT_SLICE_S)
        if wake is None:
            await asyncio.sleep(step)
            continue
        try:
            await asyncio.wait_for(wake.wait(), step)
        except TimeoutError:
            continue
        return


def _call(handler: Callable[[Any], None] | None, arg: Any) -> None:
    if handler is None:
        return
    try:
        handler(arg)
    except Exception:  # a failing handler must not stop the schedule
        log.exception("scanner: result handler failed")


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()  # mark it seen: asyncio would log "exception was never retrieved"


def _chunks(items: Sequence[BarSeries], size: int) -> list[list[BarSeries]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _named(series: BarSeries, symbol: str) -> BarSeries:
    if series.symbol == symbol:
        return series
    return BarSeries(
        series.ts,
        series.open,
        series.high,
        series.low,
        series.close,
        series.volume,
        symbol,
        series.timeframe,
    )
