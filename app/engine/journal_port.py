"""What the engine needs from its journal. The SQLite implementation lives in engine.store;
tests and benchmarks may pass any object with these methods."""

from __future__ import annotations

from collections.abc import Awaitable
from decimal import Decimal
from typing import Any, Protocol

from app.engine.domain.fills import Fill
from app.engine.domain.orders import Order


class JournalPort(Protocol):
    """``record_*`` return an awaitable that completes once the write is durable (the OMS
    awaits it before sending an order). ``note_*`` queue the same write, in order with every
    other, without making anything to await: for the writes nobody waits for (every state
    change and fill after the first), which on the live path would otherwise each leave an
    unawaited future for the writer to settle. A failed ``note_*`` write is logged by the
    journal and reported by its next flush."""

    def record_order(self, order: Order, detail: str) -> Awaitable[None]: ...

    def record_fill(self, fill: Fill) -> Awaitable[None]: ...

    def note_order(self, order: Order, detail: str) -> None: ...

    def note_fill(self, fill: Fill) -> None: ...

    def append_ledger(
        self, ts_ns: int, asset: str, amount: Decimal, kind: str, note: str = ""
    ) -> Awaitable[None]: ...

    def set_kv(self, key: str, value: Any) -> Awaitable[None]: ...

    def get_kv(self, key: str, default: Any = None) -> Any: ...
