"""The DemoMarket as a DataClient: streaming, determinism, speed, run(), options."""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import defaultdict
from decimal import Decimal

import pytest

from app.brokers.demo import DemoMarket
from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick
from app.engine.ports import DataClient

from .helpers import (
    DEMO_SYMBOLS,
    MINUTE,
    SECOND,
    SimClock,
    closed_bars,
    forming_bars,
    quotes,
    trades,
)

Event = TradeTick | QuoteTick | Bar


def _market(clock: SimClock, seed: int = 11, **options: object) -> DemoMarket:
    return DemoMarket(seed=seed, clock=clock, **options)  # type: ignore[arg-type]


def _dues(events: list[Event]) -> list[int]:
    """When each event became due: a closed bar at its end, a forming bar with its trade."""
    dues: list[int] = []
    for event in events:
        if isinstance(event, Bar):
            dues.append(event.ts + MINUTE if event.closed else dues[-1])
        else:
            dues.append(event.ts)
    return dues


def test_it_is_a_data_client(clock: SimClock) -> None:
    market = _market(clock)
    assert isinstance(market, DataClient)
    assert market.venue == "demo"
    assert [i.symbol for i in market.instruments()] == list(DEMO_SYMBOLS)
    assert all(i.venue == "demo" for i in market.instruments())


async def test_only_subscribed_symbols_stream(clock: SimClock) -> None:
    market = _market(clock)
    assert market.step(clock.advance(30)) == []  # nothing subscribed yet
    await market.subscribe(["ETH/USD"])
    events = market.step(clock.advance(90))
    assert events and {e.symbol for e in events} == {"ETH/USD"}
    await market.subscribe(["ETH/USD", "SPY"])  # re-subscribing is harmless
    events = market.step(clock.advance(30))
    assert {e.symbol for e in events} == {"ETH/USD", "SPY"}
    assert market.subscribed == ("ETH/USD", "SPY")


async def test_an_unknown_symbol_is_refused_by_name(clock: SimClock) -> None:
    market = _market(clock)
    with pytest.raises(ValidationError) as caught:
        await market.subscribe(["BTC/USD", "DOGE/USD"])
    assert caught.value.field == "symbol"
    assert "DOGE/USD" in str(caught.value)
    assert market.subscribed == ()  # nothing was half-subscribed


def test_the_stream_is_consistent_bar_by_bar(clock: SimClock) -> None:
    market = _market(clock)
    market.subscribe_sync(list(DEMO_SYMBOLS))
    events = market.step(clock.advance(6 * 60))
    for symbol in DEMO_SYMBOLS:
        own = [e for e in events if e.symbol == symbol]
        bars = closed_bars(own)
        assert len(bars) == 6  # started mid-minute: 6 minute ends in 6 minutes
        ticks = trades(own)
        for bar in bars[1:]:  # the first bar was joined mid-way
            inside = [t for t in ticks if bar.ts <= t.ts < bar.ts + MINUTE]
            assert len(inside) == market.ticks_per_bar(symbol)
            prices = [t.price for t in inside]
            assert prices[0] == bar.open and prices[-1] == bar.close
            assert max(prices) == bar.high and min(prices) == bar.low
            assert sum((t.size for t in inside), Decimal(0)) == bar.volume
            assert bar.timeframe is Timeframe.M1 and bar.closed
        # Each trade is preceded by its quote, at the same time, and prints inside it.
        for quote, trade in itertools.pairwise(own):
            if isinstance(trade, TradeTick):
                assert isinstance(quote, QuoteTick) and quote.ts == trade.ts
                assert quote.bid <= trade.price <= quote.ask
                assert quote.bid < quote.ask
        # Order: by due time (a closed bar is due at its end), never backwards.
        dues = _dues(own)
        assert dues == sorted(dues)
    # Across symbols too (a forming bar follows its own symbol's trade).
    assert [e for e in events if not (isinstance(e, Bar) and not e.closed)] == [
        e
        for e in sorted(events, key=lambda e: e.ts + MINUTE if isinstance(e, Bar) else e.ts)
        if not (isinstance(e, Bar) and not e.closed)
    ]


def test_values_sit_on_the_instrument_grid(clock: SimClock) -> None:
    market = _market(clock)
    market.subscribe_sync(list(DEMO_SYMBOLS))
    events = market.step(clock.advance(120))
    for symbol in DEMO_SYMBOLS:
        instrument = market.instrument(symbol)
        for trade in trades(events, symbol):
            assert trade.price == instrument.make_price(trade.price)
            assert trade.price.as_tuple().exponent == instrument.tick_size.as_tuple().exponent
            assert trade.size == instrument.make_qty(trade.size) and trade.size > 0
        for quote in quotes(events, symbol):
            assert quote.bid == instrument.make_price(quote.bid) and quote.bid > 0
            assert quote.bid_size > 0 and quote.ask_size > 0


def test_streamed_bars_equal_history(clock: SimClock) -> None:
    market = _market(clock)
    market.subscribe_sync(["BTC/USD", "AAPL"])
    events = market.step(clock.advance(5 * 60))
    for symbol in ("BTC/USD", "AAPL"):
        streamed = closed_bars(events, symbol)
        history = market.history_sync(symbol, Timeframe.M1, limit=len(streamed))
        assert streamed == history


def test_forming_bars_track_the_bar_so_far(clock: SimClock) -> None:
    market = _market(clock)
    market.subscribe_sync(["LTC/USD"])
    clock.advance(60 - (clock.now // SECOND) % 60)  # to the next minute: a whole bar follows
    market.step()
    events = market.step(clock.advance(60))
    bar = closed_bars(events)[-1]
    partials = forming_bars(events)
    assert 40 <= len(partials) <= 70  # about one per wall second at speed 1
    last_price = None
    for event in events:
        if isinstance(event, TradeTick):
            last_price = event.price
        elif isinstance(event, Bar) and not event.closed:
            assert event.ts == bar.ts and event.open == bar.open
            assert event.close == last_price
            assert bar.low <= event.low <= event.high <= bar.high
            assert event.volume <= bar.volume
    none = _market(SimClock(clock.now), partial_bar_interval=0)
    none.subscribe_sync(["LTC/USD"])
    assert forming_bars(none.step(clock.advance(120))) == []


def test_same_seed_same_start_same_events_whatever_the_stepping(clock: SimClock) -> None:
    start = clock.now
    a = _market(SimClock(start), seed=3)
    b = _market(SimClock(start), seed=3)
    c = _market(SimClock(start), seed=4)
    for market in (a, b, c):
        market.subscribe_sync(["BTC/USD", "SPY", "ETH/USD"])
    end = start + 150 * SECOND
    one_go = a.step(end)
    in_steps: list[Event] = []
    for t in range(start, end + 1, 333_333_333):
        in_steps.extend(b.step(t))
    in_steps.extend(b.step(end))
    assert one_go == in_steps
    assert len(one_go) > 1000
    assert c.step(end) != one_go


def test_a_symbol_joined_later_prints_the_same_ticks(clock: SimClock) -> None:
    start = clock.now
    early = _market(SimClock(start))
    early.subscribe_sync(["INTC"])
    all_events = early.step(start + 300 * SECOND)
    late_clock = SimClock(start + 200 * SECOND)
    late = _market(late_clock, start_ns=start)
    late.subscribe_sync(["INTC"])
    tail = late.step(start + 300 * SECOND)
    assert tail and all_events[-len(tail) :] == tail


def test_the_seam_streams_without_a_jump(clock: SimClock) -> None:
    market = _market(clock, speed=60.0)
    timeline = market.timeline("ETH/USD")
    n = len(timeline)
    wall_before_seam = market.wall_ns(timeline.bar_start(n - 2))
    clock.now = wall_before_seam
    market.subscribe_sync(["ETH/USD"])
    events = market.step(market.wall_ns(timeline.bar_start(n + 2)))
    bars = closed_bars(events)
    assert [b.ts for b in bars] == [timeline.bar_start(k) for k in range(n - 2, n + 2)]
    assert bars[1].close == bars[2].open  # last bar of loop 0 -> first bar of loop 1
    ticks = trades(events)
    stamps = [t.ts for t in ticks]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    at_seam = next(t for t in ticks if t.ts >= timeline.bar_start(n))
    before = [t for t in ticks if t.ts < timeline.bar_start(n)][-1]
    assert before.price == at_seam.price == bars[2].open


def test_speed_60_closes_one_bar_per_simulated_second(clock: SimClock) -> None:
    market = _market(clock, speed=60.0)
    market.subscribe_sync(list(DEMO_SYMBOLS))
    assert all(market.ticks_per_bar(s) == 4 for s in DEMO_SYMBOLS)  # 4 ticks/s, 1 bar/s
    per_second = []
    for _ in range(30):
        events = market.step(clock.advance(1))
        per_second.append({s: len(closed_bars(events, s)) for s in DEMO_SYMBOLS})
    assert all(counts == dict.fromkeys(DEMO_SYMBOLS, 1) for counts in per_second)
    # Demo time runs 60x: the chart still shows bars one minute apart.
    assert market.demo_ns() - market.start_ns == 30 * MINUTE


def test_ticks_per_second_per_symbol(clock: SimClock) -> None:
    market = _market(clock, ticks_per_second={"BTC/USD": 8})
    assert market.ticks_per_bar("BTC/USD") == 480
    assert market.ticks_per_bar("SPY") == 240
    slow = _market(clock, speed=2.0, ticks_per_second=1)
    assert slow.ticks_per_bar("SPY") == 30


def test_last_price_and_quote(clock: SimClock) -> None:
    market = _market(clock)
    # Before streaming: the value in force now, from the same deterministic path.
    price = market.last_price("AAPL")
    quote = market.last_quote("AAPL")
    assert quote.bid <= price <= quote.ask
    market.subscribe_sync(["AAPL"])
    events = market.step(clock.advance(20))
    assert market.last_trade("AAPL") == trades(events)[-1]
    assert market.last_quote("AAPL") == quotes(events)[-1]
    # A market that never streamed AAPL reports the same trade at the same moment.
    other = _market(SimClock(clock.now), start_ns=market.start_ns)
    assert other.last_trade("AAPL") == trades(events)[-1]
    with pytest.raises(ValidationError):
        market.last_price("NOPE")


async def test_run_streams_real_events_and_stops_on_cancel() -> None:
    market = DemoMarket(seed=1, speed=600.0)  # a bar every 0.1 s of wall time
    received: list[Event] = []
    market.set_market_sink(received.append)
    await market.subscribe(["BTC/USD", "SPY"])
    task = asyncio.create_task(market.run())
    started = time.monotonic()
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 2.0
    for symbol in ("BTC/USD", "SPY"):
        assert len(trades(received, symbol)) >= 8
        assert len(quotes(received, symbol)) >= 8
        assert 2 <= len(closed_bars(received, symbol)) <= 8
        stamps = [e.ts for e in trades(received, symbol)]
        assert stamps == sorted(stamps)
    count = len(received)
    await asyncio.sleep(0.1)
    assert len(received) == count  # nothing after cancellation


async def test_run_survives_a_failing_sink(caplog: pytest.LogCaptureFixture) -> None:
    market = DemoMarket(seed=1, speed=600.0)
    seen: list[Event] = []

    def sink(event: Event) -> None:
        seen.append(event)
        if len(seen) % 3 == 0:
            raise RuntimeError("a broken handler")

    market.set_market_sink(sink)
    market.subscribe_sync(["ETH/USD"])
    task = asyncio.create_task(market.run())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(seen) > 10  # kept delivering after the first failure
    assert "market sink raised" in caplog.text


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("speed", 0),
        ("speed", -1.0),
        ("speed", math.nan),
        ("speed", math.inf),
        ("speed", "fast"),
        ("speed", True),
        ("speed", 1e9),
        ("ticks_per_second", 0),
        ("ticks_per_second", math.nan),
        ("ticks_per_second", -4),
        ("seed", -1),
        ("seed", 1.5),
        ("seed", True),
        ("symbols", ["XYZ"]),
        ("symbols", []),
        ("start_ns", "now"),
        ("partial_bar_interval", -1.0),
        ("partial_bar_interval", math.nan),
        ("clock", 5),
    ],
)
def test_bad_options_are_named(option: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        DemoMarket(**{option: value})  # type: ignore[arg-type]
    assert caught.value.field == option


def test_a_bad_per_symbol_rate_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        DemoMarket(ticks_per_second={"BTC/USD": 0})
    assert caught.value.field == "ticks_per_second[BTC/USD]"
    with pytest.raises(ValidationError) as caught:
        DemoMarket(ticks_per_second={"XYZ": 3})
    assert caught.value.field == "ticks_per_second"


def test_a_symbol_subset(clock: SimClock) -> None:
    market = _market(clock, symbols=["SPY", "BTC/USD"])
    assert [i.symbol for i in market.instruments()] == ["SPY", "BTC/USD"]
    with pytest.raises(ValidationError):
        market.subscribe_sync(["ETH/USD"])


def test_stepping_backwards_emits_nothing(clock: SimClock) -> None:
    market = _market(clock)
    market.subscribe_sync(["SPY"])
    assert market.step(clock.advance(10))
    assert market.step(clock.now - 5 * SECOND) == []
    assert market.step(clock.now) == []


def test_events_are_spread_across_symbols_in_time_order(clock: SimClock) -> None:
    market = _market(clock)
    market.subscribe_sync(list(DEMO_SYMBOLS))
    events = market.step(clock.advance(3))
    per_symbol: dict[str, int] = defaultdict(int)
    for event in events:
        per_symbol[event.symbol] += 1
    assert set(per_symbol) == set(DEMO_SYMBOLS)  # every symbol ticks within 3 s


def test_fast_forward_delivers_closed_bars_without_stale_ticks(clock: SimClock) -> None:
    market = _market(clock)
    market.subscribe_sync(["SPY", "BTC/USD"])
    market.step(clock.advance(1))
    skipped = market.fast_forward(clock.advance(3600))
    assert all(isinstance(e, Bar) and e.closed for e in skipped)
    for symbol in ("SPY", "BTC/USD"):
        bars = closed_bars(skipped, symbol)
        assert len(bars) == 60
        assert [b.ts for b in bars] == list(range(bars[0].ts, bars[-1].ts + MINUTE, MINUTE))
        assert bars == market.history_sync(symbol, Timeframe.M1, limit=60)
    # The stream carries on from there, ticks first.
    after = market.step(clock.advance(1))
    assert trades(after) and all(t.ts > clock.now - 2 * SECOND for t in trades(after))
    assert market.fast_forward(clock.now - 10 * SECOND) == []  # never moves backwards


async def test_run_skips_the_ticks_of_a_stall(clock: SimClock) -> None:
    market = _market(clock)
    received: list[Event] = []
    market.set_market_sink(received.append)
    market.subscribe_sync(["ETH/USD"])
    task = asyncio.create_task(market.run())
    await asyncio.sleep(0.05)
    clock.advance(2 * 3600)  # the machine slept for two hours
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(closed_bars(received)) == 120
    # Only the last few seconds before "now" were streamed as ticks.
    assert 0 < len(trades(received)) <= 5 * 4 + 1
    assert all(t.ts >= clock.now - 6 * SECOND for t in trades(received))


def test_next_due_is_the_next_event(clock: SimClock) -> None:
    market = _market(clock)
    assert market.next_due_ns() is None
    market.subscribe_sync(["SPY"])
    due = market.next_due_ns()
    assert due is not None and due >= market.demo_ns()
    assert market.step(market.wall_ns(due) - 1) == []
    events = market.step(market.wall_ns(due))
    assert events and all(e.ts == due for e in events)
