"""Small helpers for the integration tests: orders, a report recorder, waiting on a condition."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from decimal import Decimal

from app.engine.domain.events import ExecutionReport, OrderFilled
from app.engine.domain.orders import Order, OrderSide, OrderType, TimeInForce

_ids = itertools.count(1)


def order(
    kind: OrderType = OrderType.MARKET,
    side: OrderSide = OrderSide.BUY,
    qty: str = "0.01",
    price: str | None = None,
    trigger: str | None = None,
    symbol: str = "BTC/USDT",
    tif: TimeInForce = TimeInForce.GTC,
) -> Order:
    return Order(
        client_id=f"tdm-test-{next(_ids)}",
        venue="binance",
        symbol=symbol,
        side=side,
        type=kind,
        quantity=Decimal(qty),
        price=Decimal(price) if price else None,
        trigger_price=Decimal(trigger) if trigger else None,
        tif=tif,
        reduce_only=False,
        source="manual",
        created_ns=1,
    )


class Reports(list[ExecutionReport]):
    def of(self, client_id: str) -> list[ExecutionReport]:
        return [
            r
            for r in self
            if (r.fill.client_id if isinstance(r, OrderFilled) else r.client_id) == client_id
        ]

    def kinds(self, client_id: str) -> list[str]:
        return [type(r).__name__ for r in self.of(client_id)]

    def fills(self, client_id: str | None = None) -> list[OrderFilled]:
        return [
            r
            for r in self
            if isinstance(r, OrderFilled) and (client_id is None or r.fill.client_id == client_id)
        ]


async def until(
    condition: Callable[[], bool],
    timeout_s: float = 5.0,
    what: str | Callable[[], object] = "",
) -> None:
    """Wait (polling the loop) until ``condition()``; fail the test after ``timeout_s``
    (``what`` describes it, or is called then to show the state)."""
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():  # noqa: ASYNC110 - the condition is another system's state
                await asyncio.sleep(0.01)
    except TimeoutError:
        shown = what() if callable(what) else what
        raise AssertionError(f"not within {timeout_s} s: {shown}") from None
