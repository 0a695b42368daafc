"""A synthetic market for UI benchmarks: N symbols, random-walk trades and quotes at a fixed
rate per symbol, and deep one-minute history. Implements the engine's DataClient port."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from app.engine.domain.instruments import Instrument
from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick
from app.engine.ports import MarketSink

MINUTE_NS = 60_000_000_000


def make_instruments(n: int) -> list[Instrument]:
    return [
        Instrument(
            f"SYM{i:02d}/USD",
            "bench",
            f"SYM{i:02d}",
            "USD",
            Decimal("0.01"),
            Decimal("0.001"),
            Decimal("0.001"),
            Decimal("1"),
        )
        for i in range(n)
    ]


class SyntheticMarket:
    venue = "bench"

    def __init__(
        self,
        instruments: Sequence[Instrument],
        ticks_per_second: float,
        history_bars: int,
        seed: int = 1,
    ) -> None:
        self._instruments = list(instruments)
        self._rate = ticks_per_second
        self._history_bars = history_bars
        self._rng = random.Random(seed)
        self._prices = {i.symbol: 100.0 + 10 * k for k, i in enumerate(self._instruments)}
        self._sink: MarketSink | None = None
        self._symbols: list[str] = []
        self.events = 0

    def instruments(self) -> list[Instrument]:
        return self._instruments

    def set_market_sink(self, sink: MarketSink) -> None:
        self._sink = sink

    async def subscribe(self, symbols: Sequence[str]) -> None:
        self._symbols = list(symbols)

    async def history(
        self, symbol: str, timeframe: Timeframe, *, end_ns: int | None = None, limit: int = 500
    ) -> list[Bar]:
        end = (end_ns or time.time_ns()) // MINUTE_NS * MINUTE_NS
        n = min(limit, self._history_bars)
        rng = np.random.default_rng(7)
        closes = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
        opens = np.concatenate(([closes[0]], closes[:-1]))
        spread = np.abs(rng.normal(0, 0.0008, n)) * closes
        highs = np.maximum(opens, closes) + spread
        lows = np.minimum(opens, closes) - spread
        vols = rng.integers(1, 500, n)
        q = Decimal("0.01")
        return [
            Bar(
                symbol,
                Timeframe.M1,
                Decimal(f"{opens[k]:.2f}"),
                Decimal(f"{highs[k]:.2f}"),
                Decimal(f"{lows[k]:.2f}"),
                Decimal(f"{closes[k]:.2f}").quantize(q),
                Decimal(int(vols[k])),
                end - (n - k) * MINUTE_NS,
            )
            for k in range(n)
        ]

    async def run(self) -> None:
        period = 1.0 / self._rate
        while True:
            start = time.perf_counter()
            now = time.time_ns()
            for symbol in self._symbols:
                price = self._prices[symbol] * (1 + self._rng.gauss(0, 0.0005))
                self._prices[symbol] = price
                p = Decimal(f"{price:.2f}")
                tick = Decimal("0.01")
                assert self._sink is not None
                self._sink(QuoteTick(symbol, p - tick, p + tick, Decimal(5), Decimal(5), now))
                self._sink(TradeTick(symbol, p, Decimal("0.5"), now))
                self.events += 2
            await asyncio.sleep(max(0.0, period - (time.perf_counter() - start)))
