"""Event-loop lag while the engine journals a burst of 1,000 orders.

A lag probe (a task that sleeps 1 ms and records how late it wakes) runs while 1,000 limit
orders go through the whole engine path at once: risk gate -> journal (durable before send)
-> paper venue -> acknowledgements journaled. Prints the probe's p50/p99/max, how long the
burst took and the orders per second. Then the same with market orders that fill, so fills
and positions are journaled too.

    uv run python bench/bench_order_burst.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench_live_path import build
from common import LagProbe, machine

from app.engine.domain.orders import OrderRequest, OrderSide, OrderType

ORDERS = 1_000


async def burst(kind: OrderType) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        journal, market, _venue, engine = build(Path(tmp))
        await engine.start(initial_deposit={"USD": Decimal("10000000")})
        await market.subscribe([i.symbol for i in market.instruments()])
        for event in market.step(market.start_ns + 5_000_000_000):
            engine.on_market(event)
        engine.set_limits(
            {
                "max_orders_per_minute": None,
                "max_open_positions": None,
                "max_position_notional": None,
                "max_order_notional": None,
            }
        )
        symbol = "BTC/USD"
        inst = engine.instruments[symbol]
        last = engine.portfolio.last_prices[symbol]
        probe = LagProbe()
        probe.start()
        await asyncio.sleep(0.2)  # a quiet baseline first
        requests = [
            OrderRequest(
                symbol,
                OrderSide.BUY,
                kind,
                "0.01",
                source="bot:burst",
                price=inst.make_price(last * Decimal("0.98")) - i * inst.tick_size
                if kind is OrderType.LIMIT
                else None,
            )
            for i in range(ORDERS)
        ]
        t0 = time.perf_counter()
        orders = await asyncio.gather(*(engine.place_order(r) for r in requests))
        await engine.journal_flush()
        dt = time.perf_counter() - t0
        await asyncio.sleep(0.1)
        await probe.stop()
        assert len(orders) == ORDERS
        print(
            f"{ORDERS} {kind.value} orders journaled and sent in {dt * 1000:.0f} ms "
            f"({ORDERS / dt:,.0f} orders/s); {probe.report()}"
        )
        await engine.stop()
        journal.close()


async def main() -> None:
    print(f"machine: {machine()}")
    await burst(OrderType.LIMIT)
    await burst(OrderType.MARKET)


if __name__ == "__main__":
    asyncio.run(main())
