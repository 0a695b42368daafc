"""An in-memory journal for backtests: the engine's JournalPort without SQLite.

A backtest starts from nothing and leaves nothing behind, so nothing needs to be durable;
the engine still journals every order and fill through the same calls, which this store
keeps in lists (the run's own record). Writes complete at once: the awaitable they return
is already done and is safe to ignore (the engine does not await every write).
"""

from __future__ import annotations

from collections.abc import Generator
from decimal import Decimal
from typing import Any

from app.engine.domain.fills import Fill
from app.engine.domain.orders import Order


class _Done:
    """An awaitable that is already complete (no event loop needed, no warning if dropped)."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        yield from ()


_DONE = _Done()


class LedgerEntry:
    __slots__ = ("amount", "asset", "kind", "note", "ts_ns")

    def __init__(self, ts_ns: int, asset: str, amount: Decimal, kind: str, note: str) -> None:
        self.ts_ns = ts_ns
        self.asset = asset
        self.amount = amount
        self.kind = kind
        self.note = note


class MemoryJournal:
    """What ``TradingEngine`` reads and writes, kept in memory for one run."""

    def __init__(self) -> None:
        self.order_events = 0
        self.fills: list[Fill] = []
        self.ledger: list[LedgerEntry] = []
        self.kv: dict[str, Any] = {}

    # --- writes (JournalPort) ----------------------------------------------------------
    def record_order(self, order: Order, detail: str) -> _Done:
        # the live Order object stays in the OMS; a count is all a backtest needs from here
        self.order_events += 1
        return _DONE

    def record_fill(self, fill: Fill) -> _Done:
        self.fills.append(fill)
        return _DONE

    def note_order(self, order: Order, detail: str) -> None:
        self.order_events += 1

    def note_fill(self, fill: Fill) -> None:
        self.fills.append(fill)

    def append_ledger(
        self, ts_ns: int, asset: str, amount: Decimal, kind: str, note: str = ""
    ) -> _Done:
        self.ledger.append(LedgerEntry(ts_ns, asset, amount, kind, note))
        return _DONE

    def set_kv(self, key: str, value: Any) -> _Done:
        self.kv[key] = value
        return _DONE

    def get_kv(self, key: str, default: Any = None) -> Any:
        return self.kv.get(key, default)

    # --- reads at engine start (a fresh run has nothing to restore) ---------------------
    def load_ledger(self) -> list[LedgerEntry]:
        return []

    def load_fills(self) -> list[Fill]:
        return []

    def load_orders(self, open_only: bool = False) -> list[Order]:
        return []
