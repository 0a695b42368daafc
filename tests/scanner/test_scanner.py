"""Scans: the demo universe through the real demo market, a large synthetic universe through
the process pool with progress and cancellation, failures, and the periodic refresh."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool

import pytest

from app.brokers.demo.market import DemoMarket
from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Timeframe
from app.engine.jobs import Cancelled, CancelToken, Progress
from app.engine.series import BarSeries
from app.scanner import (
    AllInstruments,
    DataClientHistory,
    MetricsConfig,
    RowStatus,
    ScanConfig,
    Scanner,
    ScanResult,
    StaticUniverse,
    compute_row,
)
from app.scanner.metrics import compute_rows
from tests.scanner.conftest import MINUTE_NS, synthetic

NOW_NS = 1_764_633_600 * 10**9  # a fixed wall time: the demo's history is then reproducible


class SyntheticHistory:
    """History from prepared series (a venue stand-in for large universes); it can fail a
    symbol, or call back after a number of requests."""

    def __init__(self, series: Sequence[BarSeries], fail: Sequence[str] = ()) -> None:
        self.series = {s.symbol: s for s in series}
        self.fail = set(fail)
        self.requests: list[tuple[str, Timeframe, int]] = []
        self.after: tuple[int, CancelToken] | None = None
        self.tenth = asyncio.Event()

    async def history(self, symbol: str, timeframe: Timeframe, limit: int) -> BarSeries:
        self.requests.append((symbol, timeframe, limit))
        if len(self.requests) == 10:
            self.tenth.set()
        if self.after is not None and len(self.requests) == self.after[0]:
            self.after[1].cancel()
        await asyncio.sleep(0)
        if symbol in self.fail:
            raise ConnectionError(f"venue timed out for {symbol}")
        s = self.series[symbol]
        return s.slice(max(0, len(s) - limit), len(s))


def universe(n: int, bars: int = 1_000) -> list[BarSeries]:
    return [synthetic(f"SYM{i:03d}/USD", bars, seed=i) for i in range(n)]


# --- the demo market ---------------------------------------------------------------------
async def test_scan_of_the_demo_universe_through_the_demo_market() -> None:
    market = DemoMarket(seed=0, clock=lambda: NOW_NS)
    scanner = Scanner(
        AllInstruments(market), DataClientHistory(market), ScanConfig(history_bars=300)
    )
    seen: list[Progress] = []
    result = await scanner.scan(progress=seen.append)

    symbols = sorted(i.symbol for i in market.instruments())
    assert [r.symbol for r in result.rows] == symbols and len(symbols) >= 5
    assert not result.in_pool and result.timeframe is Timeframe.M1
    for r in result.rows:
        assert r.status is RowStatus.OK, r.note
        bars = market.history_sync(r.symbol, Timeframe.M1, limit=300)
        assert r.bars == 300 and r.last_ts == bars[-1].ts
        assert r.price == float(bars[-1].close)
        # the row is exactly the metrics of the bars the market serves
        assert r == compute_row(BarSeries.from_bars(bars), scanner.config.metrics, r.symbol)
        assert r.rsi is not None and 0 <= r.rsi <= 100
        assert r.atr_pct is not None and r.atr_pct > 0
        assert r.volatility is not None and r.volatility > 0
    assert seen[0].done == 0 and seen[-1].done == seen[-1].total == 2 * len(symbols)
    assert scanner.last_result is result and not scanner.scanning


async def test_too_short_a_history_shows_as_insufficient_rows() -> None:
    short = synthetic("SHORT/USD", 30, seed=1)
    ok = synthetic("LONG/USD", 200, seed=2)
    scanner = Scanner(StaticUniverse(["LONG/USD", "SHORT/USD"]), SyntheticHistory([short, ok]))
    result = await scanner.scan()
    assert result.row("LONG/USD") is not None and result.row("LONG/USD").status is RowStatus.OK  # type: ignore[union-attr]
    row = result.row("SHORT/USD")
    assert row is not None and row.status is RowStatus.INSUFFICIENT
    assert row.note == "insufficient history: 30 of 51 bars" and row.rsi is None


async def test_a_symbol_whose_history_fails_gets_an_error_row() -> None:
    series = universe(6, bars=120)
    history = SyntheticHistory(series, fail=["SYM003/USD"])
    scanner = Scanner(StaticUniverse([s.symbol for s in series]), history)
    result = await scanner.scan()
    bad = result.row("SYM003/USD")
    assert bad is not None and bad.status is RowStatus.ERROR
    assert bad.note == "error: venue timed out for SYM003/USD"
    assert result.count(RowStatus.OK) == 5 and result.count(RowStatus.ERROR) == 1
    assert {r[1:] for r in history.requests} == {(Timeframe.M1, 300)}


async def test_a_symbol_far_behind_the_others_is_stale() -> None:
    fresh = synthetic("A/USD", 200, seed=1)
    late = synthetic("B/USD", 200, seed=2, end_ns=int(fresh.ts[-1]) + MINUTE_NS - 60 * MINUTE_NS)
    scanner = Scanner(StaticUniverse(["A/USD", "B/USD"]), SyntheticHistory([fresh, late]))
    result = await scanner.scan()
    assert [r.status for r in result.rows] == [RowStatus.OK, RowStatus.STALE]
    assert result.rows[1].note == "stale: last bar 60 bars behind"


# --- a large universe in the process pool -----------------------------------------------------
async def test_large_universe_goes_through_the_pool_with_progress() -> None:
    series = universe(200)
    config = ScanConfig(pool_threshold=40, workers=2, chunk_size=10, progress_interval_s=0.0)
    scanner = Scanner(StaticUniverse([s.symbol for s in series]), SyntheticHistory(series), config)
    seen: list[Progress] = []
    beats = 0

    async def heartbeat() -> None:
        nonlocal beats
        while True:
            beats += 1
            await asyncio.sleep(0)

    beat = asyncio.get_running_loop().create_task(heartbeat())
    try:
        result = await scanner.scan(progress=seen.append)
    finally:
        beat.cancel()
        await scanner.aclose()
    assert result.in_pool
    expected = compute_rows([s.slice(700, 1000) for s in series], config.metrics)
    assert list(result.rows) == expected  # the workers compute exactly what this process would
    assert all(r.status is RowStatus.OK for r in result.rows)
    assert [p.done for p in seen] == sorted(p.done for p in seen)  # progress only moves forward
    assert seen[-1].done == seen[-1].total == 400
    computing = [p for p in seen if p.label == "Computing metrics"]
    assert len(computing) >= 20  # one report per finished chunk of 10
    assert any(p.eta_s is not None for p in computing)
    assert "left" in computing[len(computing) // 2].describe()
    assert beats > len(computing)  # the loop kept running other work while the pool computed


async def test_cancelling_a_pooled_scan_stops_it_and_the_scanner_recovers() -> None:
    series = universe(200, bars=400)
    config = ScanConfig(pool_threshold=40, workers=2, chunk_size=5, progress_interval_s=0.0)
    scanner = Scanner(StaticUniverse([s.symbol for s in series]), SyntheticHistory(series), config)
    token = CancelToken()
    seen: list[Progress] = []

    def on_progress(p: Progress) -> None:
        seen.append(p)
        if p.label == "Computing metrics" and p.done > 200:
            token.cancel()  # after the first chunk came back from a worker

    try:
        with pytest.raises(Cancelled):
            await scanner.scan(progress=on_progress, cancel=token)
        assert not scanner.scanning
        assert seen[-1].done < seen[-1].total  # stopped part-way
        assert scanner.last_result is None  # no partial result
        again = await scanner.scan()  # the same workers serve the next scan
    finally:
        await scanner.aclose()
    assert again.in_pool and len(again.rows) == 200


async def test_a_worker_that_dies_fails_that_scan_only() -> None:
    series = universe(120, bars=300)
    config = ScanConfig(pool_threshold=40, workers=2, chunk_size=5, progress_interval_s=0.0)
    scanner = Scanner(StaticUniverse([s.symbol for s in series]), SyntheticHistory(series), config)
    killed: list[int] = []

    def on_progress(p: Progress) -> None:
        executor = scanner._executor
        if p.label == "Computing metrics" and not killed and executor is not None:
            # the OS ends one of this test's own workers (out of memory, a crash)
            pid = next(iter(executor._processes))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    try:
        with pytest.raises(BrokenProcessPool):
            await scanner.scan(progress=on_progress)
        assert killed and scanner._executor is None  # the broken pool was dropped
        again = await scanner.scan()  # a fresh pool serves the next scan
        assert again.in_pool and all(r.status is RowStatus.OK for r in again.rows)
    finally:
        await scanner.aclose()


async def test_cancel_current_stops_the_scan_while_fetching() -> None:
    series = universe(100, bars=200)
    history = SyntheticHistory(series)
    scanner = Scanner(
        StaticUniverse([s.symbol for s in series]), history, ScanConfig(fetch_concurrency=4)
    )
    assert scanner.cancel_current() is False  # nothing to cancel yet
    task = asyncio.get_running_loop().create_task(scanner.scan())
    await history.tenth.wait()
    assert scanner.scanning and scanner.cancel_current()
    with pytest.raises(Cancelled):
        await task
    assert len(history.requests) < 100


async def test_cancelling_the_task_propagates_and_leaves_the_scanner_usable() -> None:
    series = universe(120, bars=300)
    config = ScanConfig(pool_threshold=40, workers=2, chunk_size=5, progress_interval_s=0.0)
    scanner = Scanner(StaticUniverse([s.symbol for s in series]), SyntheticHistory(series), config)
    started = asyncio.Event()

    def on_progress(p: Progress) -> None:
        if p.label == "Computing metrics":
            started.set()

    task = asyncio.get_running_loop().create_task(scanner.scan(progress=on_progress))
    try:
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not scanner.scanning
        assert len((await scanner.scan()).rows) == 120
    finally:
        await scanner.aclose()


async def test_the_fetch_phase_can_be_cancelled_by_the_token() -> None:
    series = universe(50, bars=100)
    history = SyntheticHistory(series)
    token = CancelToken()
    history.after = (5, token)
    scanner = Scanner(
        StaticUniverse([s.symbol for s in series]), history, ScanConfig(fetch_concurrency=2)
    )
    with pytest.raises(Cancelled):
        await scanner.scan(cancel=token)
    assert len(history.requests) <= 7  # the fetchers stop at their next request


# --- periodic refresh -----------------------------------------------------------------------
class FlakyUniverse:
    def __init__(self, symbols: list[str], fail_on: set[int]) -> None:
        self._symbols = symbols
        self.fail_on = fail_on
        self.calls = 0

    async def symbols(self) -> list[str]:
        self.calls += 1
        if self.calls in self.fail_on:
            raise ConnectionError("venue unreachable")
        return list(self._symbols)


async def test_run_repeats_scans_logs_failures_and_carries_on() -> None:
    series = universe(3, bars=100)
    uni = FlakyUniverse([s.symbol for s in series], fail_on={2})
    scanner = Scanner(uni, SyntheticHistory(series))
    results: list[ScanResult] = []
    errors: list[Exception] = []
    three = asyncio.Event()

    def on_result(r: ScanResult) -> None:
        results.append(r)
        if len(results) == 3:
            three.set()

    task = asyncio.get_running_loop().create_task(
        scanner.run(0.01, on_result, on_error=errors.append)
    )
    await asyncio.wait_for(three.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert [str(e) for e in errors] == ["venue unreachable"]
    assert uni.calls >= 4 and all(len(r.rows) == 3 for r in results)


async def test_run_survives_a_failing_result_handler() -> None:
    series = universe(2, bars=100)
    scanner = Scanner(StaticUniverse([s.symbol for s in series]), SyntheticHistory(series))
    calls = 0
    twice = asyncio.Event()

    def on_result(_r: ScanResult) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            twice.set()
        raise RuntimeError("a broken panel")

    task = asyncio.get_running_loop().create_task(scanner.run(0.01, on_result))
    await asyncio.wait_for(twice.wait(), 30)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_run_on_demand_scans_when_woken_and_reads_its_interval_afresh() -> None:
    series = universe(2, bars=100)
    scanner = Scanner(StaticUniverse([s.symbol for s in series]), SyntheticHistory(series))
    wake = asyncio.Event()
    interval = [0.0]  # manual: scan only when woken
    results: list[ScanResult] = []
    got = asyncio.Event()

    def on_result(r: ScanResult) -> None:
        results.append(r)
        got.set()

    task = asyncio.get_running_loop().create_task(
        scanner.run(lambda: interval[0], on_result, wake=wake)
    )
    try:
        await asyncio.wait_for(got.wait(), 30)  # the first scan comes at once
        got.clear()
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(results) == 1  # and no more until asked
        wake.set()
        await asyncio.wait_for(got.wait(), 30)
        assert len(results) == 2
        got.clear()
        interval[0] = 0.01  # switched to periodic: applies without a wake
        await asyncio.wait_for(got.wait(), 30)
        assert len(results) == 3
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_run_refuses_a_schedule_that_could_never_fire() -> None:
    scanner = Scanner(StaticUniverse([]), SyntheticHistory([]))
    with pytest.raises(ValidationError) as caught:
        await scanner.run(0, lambda _r: None)
    assert caught.value.field == "interval_s"


async def test_an_empty_universe_scans_to_an_empty_result() -> None:
    result = await Scanner(StaticUniverse([]), SyntheticHistory([])).scan()
    assert result.rows == ()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"history_bars": 10}, "history_bars"),
        ({"history_bars": 6000}, "history_bars"),
        ({"pool_threshold": 0}, "pool_threshold"),
        ({"workers": 0}, "workers"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"fetch_concurrency": 0}, "fetch_concurrency"),
        ({"stale_bars": -1}, "stale_bars"),
        ({"progress_interval_s": -1}, "progress_interval_s"),
        ({"timeframe": "1m"}, "timeframe"),
    ],
)
def test_scan_config_refuses_bad_values(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ScanConfig(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_history_must_cover_the_longest_window() -> None:
    with pytest.raises(ValidationError) as caught:
        ScanConfig(history_bars=80, metrics=MetricsConfig(breakout_window=100))
    assert caught.value.rule == "must be at least 101 (the longest metric window + 1)"
