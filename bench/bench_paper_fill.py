"""How long from market data reaching the paper venue to the engine's sink holding the fill?

For a resting limit buy, measures the in-process latency from calling ``on_trade`` (a print
through the order) or ``on_quote`` (an ask crossing it) to the report sink receiving the
``OrderFilled``. Each case runs with an empty book and with 200 other resting orders on the
symbol (they are scanned and sorted on every event), and once with a record log attached
(records encoded and appended to a list: the cost the venue adds before the journal's own
queue). Prints p50/p99/max in microseconds.

    uv run python bench/bench_paper_fill.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.brokers.paper import PaperConfig, PaperExchange
from app.engine.domain.events import ExecutionReport, OrderFilled
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import QuoteTick, TradeTick
from app.engine.domain.orders import (
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)

ITERATIONS = 5_000
WARMUP = 200
D = Decimal
VENUE = "paper"
BTC = Instrument(
    symbol="BTC/USDT",
    venue=VENUE,
    base="BTC",
    quote="USDT",
    tick_size=D("0.01"),
    lot_size=D("0.001"),
    min_qty=D("0.001"),
    min_notional=D("10"),
)


class ListStore:
    """Stands in for the journal's non-blocking append: keeps the encoded records."""

    def __init__(self) -> None:
        self.records: list[dict[str, object]] = []

    def append_venue_record(self, venue: str, record: dict[str, object]) -> None:
        self.records.append(record)

    def load_venue_records(self, venue: str) -> list[dict[str, object]]:
        return list(self.records)


def run(coro: Coroutine[Any, Any, None]) -> None:
    """The paper venue never suspends, so its coroutines complete on the first send."""
    try:
        coro.send(None)
    except StopIteration:
        return
    raise RuntimeError("paper venue suspended")


def limit_buy(client_id: str, price: str) -> Order:
    return Order(
        client_id=client_id,
        venue=VENUE,
        symbol=BTC.symbol,
        side=OrderSide.BUY,
        type=OrderType.LIMIT,
        quantity=D("0.2"),
        price=D(price),
        trigger_price=None,
        tif=TimeInForce.GTC,
        reduce_only=False,
        source="manual",
        created_ns=0,
        status=OrderStatus.SUBMITTED,
    )


def measure(kind: str, others: int, with_log: bool) -> list[float]:
    received: list[int] = []

    def sink(report: ExecutionReport) -> None:
        if isinstance(report, OrderFilled):
            received.append(time.perf_counter_ns())

    config = PaperConfig(initial_balances={"USDT": D("100000000")})
    exchange = PaperExchange(VENUE, [BTC], config, ListStore() if with_log else None, time.time_ns)
    exchange.set_report_sink(sink)
    exchange.on_quote(QuoteTick(BTC.symbol, D("100.00"), D("100.10"), D("5"), D("5"), 0))
    for i in range(others):  # far below the market: scanned on every event, never filled
        run(exchange.submit(limit_buy(f"other-{i}", str(D("90.00") - D(i) / 100))))

    through = TradeTick(BTC.symbol, D("98.99"), D("1"), 0)
    cross = QuoteTick(BTC.symbol, D("98.90"), D("98.95"), D("5"), D("5"), 0)
    back = QuoteTick(BTC.symbol, D("100.00"), D("100.10"), D("5"), D("5"), 0)
    samples: list[float] = []
    for i in range(WARMUP + ITERATIONS):
        run(exchange.submit(limit_buy(f"bench-{i}", "99.00")))
        received.clear()
        if kind == "trade":
            start = time.perf_counter_ns()
            exchange.on_trade(through)
        else:
            start = time.perf_counter_ns()
            exchange.on_quote(cross)
        if len(received) != 1:
            raise RuntimeError(f"expected one fill, got {len(received)}")
        if i >= WARMUP:
            samples.append((received[0] - start) / 1_000)
        if kind == "quote":
            exchange.on_quote(back)
    return samples


def main() -> None:
    print(f"paper venue: market data -> OrderFilled at the sink, {ITERATIONS} samples each")
    print(f"{'case':<54}{'p50 µs':>10}{'p99 µs':>10}{'max µs':>10}")
    for kind, label in (
        ("trade", "on_trade through a resting buy"),
        ("quote", "on_quote crossing a resting buy"),
    ):
        for others, with_log in ((0, False), (200, False), (0, True)):
            samples = sorted(measure(kind, others, with_log))
            p50 = statistics.median(samples)
            p99 = samples[int(len(samples) * 0.99) - 1]
            extra = f", {others} other orders" if others else ""
            extra += ", record log" if with_log else ""
            print(f"{label + extra:<54}{p50:>10.1f}{p99:>10.1f}{samples[-1]:>10.1f}")


if __name__ == "__main__":
    main()
