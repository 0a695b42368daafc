"""Throughput and tick-to-fill latency of the live path, in process.

Path: demo feed -> engine bus -> portfolio marking -> a do-nothing strategy -> emulated
stops -> paper venue matching -> (for fills) OMS -> portfolio -> journal queue.

1. Throughput with no orders: market events per second, (a) feed generation included,
   (b) events pre-generated so only the engine's share is timed.
2. Tick-to-fill: 3,000 resting limit buys sit at the paper venue one tick apart; a falling
   tape prints through one of them per trade. For each print: time from handing the trade to
   the engine until (a) the venue's fill report reaches the OMS and (b) the FillRecorded event
   is published (fill applied to the order and the portfolio, queued for the journal). The
   journal's fsync happens on its writer thread and is excluded, as the target says. Run
   twice: with Python's default collector settings, then with those the app applies at start
   (app/engine/gc_tuning.py), each on a fresh ladder; the collections during each run are
   printed. The machine's own stalls (interrupts, the hypervisor) are measured first: on a
   virtual machine they set a floor under any p99 (see ``machine_stalls``).

    uv run python bench/bench_live_path.py
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from common import machine, machine_stalls, pct

from app.brokers.demo import DemoMarket
from app.brokers.paper import PaperConfig, PaperExchange
from app.engine.bus import Priority
from app.engine.clock import LiveClock
from app.engine.domain.events import ExecutionReport, FillRecorded, OrderFilled
from app.engine.domain.market import Bar, QuoteTick, TradeTick
from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.engine.engine import TradingEngine
from app.engine.gc_tuning import tune_gc
from app.engine.store import Journal

SECONDS_OF_DEMO = 3_600  # one demo hour at high tick rates
LATENCY_SAMPLES = 3_000


def build(data_dir: Path) -> tuple[Journal, DemoMarket, PaperExchange, TradingEngine]:
    journal = Journal.open(data_dir)
    start = time.time_ns()
    market = DemoMarket(
        seed=3,
        speed=60.0,
        ticks_per_second=100.0,
        start_ns=start,
        clock=lambda: start,
        partial_bar_interval=0.5,
    )
    venue = PaperExchange(
        "paper",
        market.instruments(),
        PaperConfig(initial_balances={"USD": Decimal("10000000")}),
        journal,
        time.time_ns,
    )
    engine = TradingEngine(
        journal=journal,
        client=venue,
        instruments={i.symbol: i for i in market.instruments()},
        clock=LiveClock(),
        breaker_interval_s=3600,
    )
    engine.bus.subscribe(QuoteTick, venue.on_quote, priority=Priority.VENUE)
    engine.bus.subscribe(TradeTick, venue.on_trade, priority=Priority.VENUE)
    for kind in (TradeTick, QuoteTick, Bar):
        engine.bus.subscribe(kind, lambda e: None, priority=Priority.STRATEGY)  # do-nothing
    market.set_market_sink(engine.on_market)
    return journal, market, venue, engine


async def tick_to_fill(
    engine: TradingEngine, venue: PaperExchange, market: DemoMarket, label: str
) -> None:
    symbol = "BTC/USD"
    inst = engine.instruments[symbol]
    filled_at: list[int] = []
    reported_at: list[int] = []
    unsubscribe = engine.bus.subscribe(
        FillRecorded, lambda e: filled_at.append(time.perf_counter_ns()), priority=Priority.UI
    )
    sink = engine.oms.on_report

    def stamped(report: ExecutionReport) -> None:
        if isinstance(report, OrderFilled):
            reported_at.append(time.perf_counter_ns())
        sink(report)

    venue.set_report_sink(stamped)
    latencies: list[float] = []
    venue_latencies: list[float] = []
    # a ladder of resting buys one tick apart below the market, then a falling tape that
    # trades through one of them per print: each fill is measured on a warm, busy path
    last = engine.portfolio.last_prices[symbol]
    top = inst.make_price(last * Decimal("0.99"))
    for k in range(LATENCY_SAMPLES):
        await engine.place_order(
            OrderRequest(
                symbol,
                OrderSide.BUY,
                OrderType.LIMIT,
                "0.01",
                price=top - k * inst.tick_size,
                source="bot:bench",
            )
        )
    await engine.journal_flush()
    ts = market.last_trade(symbol).ts
    collections = [g["collections"] for g in gc.get_stats()]
    for k in range(LATENCY_SAMPLES):
        through = top - (k + 1) * inst.tick_size
        ts += 1_000_000
        tick = TradeTick(symbol, through, Decimal("0.01"), ts)
        filled_at.clear()
        reported_at.clear()
        t0 = time.perf_counter_ns()
        engine.on_market(tick)
        assert len(filled_at) == 1, "one resting order fills per print"
        latencies.append((filled_at[0] - t0) / 1000)
        venue_latencies.append((reported_at[0] - t0) / 1000)
    collections = [g["collections"] - c for g, c in zip(gc.get_stats(), collections, strict=True)]
    print(f"tick-to-fill, {label}: collections by generation during the run {collections}")
    for what, samples in (
        ("tick -> venue fill report reaches the OMS", venue_latencies[200:]),
        ("tick -> fill applied (order, portfolio, journal queue)", latencies[200:]),
    ):
        print(
            f"  {what} ({len(samples)} fills): p50 {pct(samples, 50):.1f} us, "
            f"p99 {pct(samples, 99):.1f} us, max {max(samples):.1f} us"
        )
    venue.set_report_sink(sink)
    unsubscribe()


async def main() -> None:
    print(f"machine: {machine()}")
    print(machine_stalls())
    with tempfile.TemporaryDirectory() as tmp:
        journal, market, venue, engine = build(Path(tmp))
        await engine.start(initial_deposit={"USD": Decimal("10000000")})
        await market.subscribe([i.symbol for i in market.instruments()])
        start = market.start_ns

        # (a) feed generation + engine, in one-second wall steps of the simulated clock
        t0 = time.perf_counter()
        n = 0
        for s in range(1, SECONDS_OF_DEMO // 60 + 1):
            events = market.step(start + s * 1_000_000_000)
            for event in events:
                engine.on_market(event)
            n += len(events)
        dt = time.perf_counter() - t0
        print(f"throughput, feed + engine, no orders: {n / dt:,.0f} events/s ({n:,} events)")

        # (b) engine only, events generated beforehand
        events = []
        for s in range(SECONDS_OF_DEMO // 60 + 1, 2 * SECONDS_OF_DEMO // 60 + 1):
            events.extend(market.step(start + s * 1_000_000_000))
        t0 = time.perf_counter()
        for event in events:
            engine.on_market(event)
        dt = time.perf_counter() - t0
        print(
            f"throughput, engine only, no orders:   {len(events) / dt:,.0f} events/s "
            f"({len(events):,} events)"
        )

        # tick-to-fill: first with Python's default collector settings, then with the ones
        # the app applies once its session is up (app/engine/gc_tuning.py); same path timed
        engine.set_limits(
            {
                "max_orders_per_minute": None,
                "price_band_pct": "50",
                "max_open_positions": None,
                "max_position_notional": None,
            }
        )
        await tick_to_fill(engine, venue, market, f"gc defaults {gc.get_threshold()}")
        tune_gc()
        await tick_to_fill(engine, venue, market, f"gc as the app sets it {gc.get_threshold()}")
        await engine.stop()
        journal.close()


if __name__ == "__main__":
    asyncio.run(main())
