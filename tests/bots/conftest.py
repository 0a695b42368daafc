"""Bot tests on a real engine: real SQLite journal, the real paper exchange, hand-made
market data (``Feed``) so every bar, price and fill is known."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.bots.manager import BotManager
from app.engine.domain.market import Bar, Timeframe
from tests.bots.strategies import resolve
from tests.engine.harness import START_NS, Harness

MINUTE_NS = 60_000_000_000


class Feed:
    """Publishes one-minute bars (and a quote + trade at the close, so orders fill there)."""

    def __init__(self, h: Harness, start_ns: int = START_NS - START_NS % (3600 * 10**9)) -> None:
        self.h = h
        self.next_ts: dict[str, int] = {}
        self.start_ns = start_ns
        self.history: dict[str, list[Bar]] = {}

    def bar(
        self, symbol: str, close: str, *, high: str | None = None, low: str | None = None
    ) -> Bar:
        ts = self.next_ts.get(symbol, self.start_ns)
        self.next_ts[symbol] = ts + MINUTE_NS
        c = Decimal(close)
        b = Bar(
            symbol,
            Timeframe.M1,
            c,
            Decimal(high) if high else c,
            Decimal(low) if low else c,
            c,
            Decimal("10"),
            ts,
            True,
        )
        self.h.market(symbol, close)
        self.h.engine.on_market(b)
        return b

    def past(self, symbol: str, closes: list[str]) -> None:
        """History bars before ``start_ns`` (what warm-up reads), oldest first."""
        n = len(closes)
        self.history[symbol] = [
            Bar(
                symbol,
                Timeframe.M1,
                Decimal(c),
                Decimal(c),
                Decimal(c),
                Decimal(c),
                Decimal("10"),
                self.start_ns - (n - i) * MINUTE_NS,
                True,
            )
            for i, c in enumerate(closes)
        ]

    def history_source(self, symbol: str, timeframe: Timeframe, limit: int) -> list[Bar]:
        if timeframe is not Timeframe.M1:
            return []  # the tests keep history at one minute only
        return self.history.get(symbol, [])[-limit:]


async def settle(h: Harness, mgr: BotManager) -> None:
    """Until every bot has handled its queued events and every order task has finished."""
    for _ in range(5):
        for _ in range(50):
            queues = [b.runner.queue for b in mgr.bots.values() if b.runner is not None]
            if not any(q.qsize() for q in queues):
                break
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        await h.settle()


@pytest.fixture
async def h(data_dir: Path) -> AsyncIterator[Harness]:
    harness = Harness(data_dir)
    await harness.start()
    for symbol, price in (("BTC/USD", "100.00"), ("ETH/USD", "50.00"), ("SPY", "200.00")):
        harness.market(symbol, price)
    yield harness
    await harness.close()


@pytest.fixture
def feed(h: Harness) -> Feed:
    return Feed(h)


@pytest.fixture
async def mgr(h: Harness, feed: Feed) -> AsyncIterator[BotManager]:
    manager = BotManager(h.engine, history=feed.history_source, resolve=resolve)
    yield manager
    await manager.close()


def bot(bot_id: str, strategy: str = "driven", **kw: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "id": bot_id,
        "name": bot_id,
        "strategy": strategy,
        "symbols": ["BTC/USD"],
        "timeframe": "1m",
        "params": {},
        "sizing": {"mode": "fixed_qty", "value": "0.5"},
    }
    raw.update(kw)
    return raw
