"""A synthetic order book around the touch, with Binance's update ids for diff-depth sync."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from .symbols import SymbolSpec, fmt

LEVELS = 20


class DepthBook:
    """Rebuilt at every quote change; the diff against the last book is one depthUpdate."""

    def __init__(self, spec: SymbolSpec, rng: random.Random) -> None:
        self.spec = spec
        self.rng = rng
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.last_update_id = 1000

    def _qty(self) -> Decimal:
        return self.spec.step_size * self.rng.randint(100, 100_000)

    def rebuild(self, bid: Decimal, ask: Decimal, skip_ids: int = 0) -> dict[str, Any]:
        """New levels; returns the diff as {"U", "u", "b", "a"} (U..u spans the changes)."""
        tick = self.spec.tick_size
        bids = {bid - tick * i: self._qty() for i in range(LEVELS) if bid - tick * i > 0}
        asks = {ask + tick * i: self._qty() for i in range(LEVELS)}
        diff_b = [[fmt(p), fmt(q)] for p, q in bids.items()]
        diff_b += [[fmt(p), fmt(Decimal(0))] for p in self.bids if p not in bids]
        diff_a = [[fmt(p), fmt(q)] for p, q in asks.items()]
        diff_a += [[fmt(p), fmt(Decimal(0))] for p in self.asks if p not in asks]
        self.bids, self.asks = bids, asks
        first = self.last_update_id + 1 + skip_ids
        self.last_update_id = first + len(diff_b) + len(diff_a) - 1
        return {"U": first, "u": self.last_update_id, "b": diff_b, "a": diff_a}

    def snapshot(self, limit: int) -> dict[str, Any]:
        """GET /api/v3/depth and the partial `@depthN` stream payload."""
        bids = sorted(self.bids.items(), reverse=True)[:limit]
        asks = sorted(self.asks.items())[:limit]
        return {
            "lastUpdateId": self.last_update_id,
            "bids": [[fmt(p), fmt(q)] for p, q in bids],
            "asks": [[fmt(p), fmt(q)] for p, q in asks],
        }
