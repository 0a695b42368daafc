"""What the engine needs from its journal. The SQLite implementation lives in engine.store;
tests and benchmarks may pass any object with these methods."""

from __future__ import annotations

from collections.abc import Awaitable
from decimal import Decimal
from typing import Any, Protocol

from app.engine.domain.fills import Fill
from app.engine.domain.orders import Order


class JournalPort(Protocol):
    def record_order(self, order: Order, detail: str) -> Awaitable[None]: ...

    def record_fill(self, fill: Fill) -> Awaitable[None]: ...

    def append_ledger(
        self, ts_ns: int, asset: str, amount: Decimal, kind: str, note: str = ""
    ) -> Awaitable[None]: ...

    def set_kv(self, key: str, value: Any) -> Awaitable[None]: ...

    def get_kv(self, key: str, default: Any = None) -> Any: ...
