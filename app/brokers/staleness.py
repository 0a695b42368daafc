"""Which symbols' market data has gone quiet.

Adapters call ``seen(symbol)`` on every update and run ``watch()``; a symbol with no update
for ``threshold_s`` is reported stale once (``SymbolHealth(stale=True)``), and fresh again on
its next update. The engine refuses market orders and bot signals on stale symbols.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from app.engine.domain.events import SymbolHealth
from app.engine.ports import StatusSink


class StaleTracker:
    def __init__(
        self,
        venue: str,
        threshold_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.venue = venue
        self.threshold_s = threshold_s
        self._clock = clock
        self._wall_ns = wall_ns
        self._last: dict[str, float] = {}
        self._stale: set[str] = set()
        self._sink: StatusSink | None = None

    def set_status_sink(self, sink: StatusSink) -> None:
        self._sink = sink

    def track(self, symbols: Iterable[str]) -> None:
        """Start the clock for symbols just subscribed (no data yet counts from now)."""
        now = self._clock()
        for symbol in symbols:
            self._last.setdefault(symbol, now)

    def seen(self, symbol: str) -> None:
        self._last[symbol] = self._clock()
        if symbol in self._stale:
            self._stale.discard(symbol)
            self._emit(symbol, stale=False, age=0.0)

    def is_stale(self, symbol: str) -> bool:
        return symbol in self._stale

    @property
    def stale(self) -> frozenset[str]:
        return frozenset(self._stale)

    def check(self) -> list[str]:
        """Mark symbols quiet for longer than the threshold; returns the newly stale ones."""
        now = self._clock()
        newly = []
        for symbol, last in self._last.items():
            age = now - last
            if age > self.threshold_s and symbol not in self._stale:
                self._stale.add(symbol)
                newly.append(symbol)
                self._emit(symbol, stale=True, age=age)
        return newly

    async def watch(self, interval_s: float | None = None) -> None:
        """Check periodically until cancelled."""
        period = interval_s if interval_s is not None else max(0.05, self.threshold_s / 4)
        while True:
            await asyncio.sleep(period)
            self.check()

    def _emit(self, symbol: str, *, stale: bool, age: float) -> None:
        if self._sink is not None:
            self._sink(SymbolHealth(self.venue, symbol, stale, round(age, 3), self._wall_ns()))
