"""Translation between domain objects and journal rows, and the synchronous reads.

Writes are snapshots: ``order_snapshot`` copies an Order's field values into a tuple at the
moment it is recorded, because the OMS keeps mutating the live object while the write waits
in the queue. Reads rebuild fresh domain objects; nothing here keeps state.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.domain.fills import Fill, Liquidity
from app.engine.domain.orders import Order, OrderSide, OrderStatus, OrderType, TimeInForce
from app.engine.store.models import (
    FillRow,
    KvRow,
    LedgerRow,
    OrderEventRow,
    OrderRow,
    VenueRecordRow,
)
from app.engine.store.types import money_text
from app.redaction import redact

History = list[tuple[int, OrderStatus, str]]
_OPEN_STATUSES = tuple(s.value for s in OrderStatus if not s.is_terminal)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One cash movement that is not a fill (deposit, withdrawal, adjustment)."""

    id: int
    ts_ns: int
    asset: str
    amount: Decimal
    kind: str
    note: str


# --- domain -> rows ----------------------------------------------------------------------
# Rows are plain tuples in these column orders, money turned into its TEXT, so sqlite3's
# executemany takes them as they are. writer.py checks the orders against the compiled
# statements. Immutable inputs (fills, venue records) and order snapshots are converted on
# the writer thread, so the event loop only pays for the copy.
ORDER_COLUMNS = (
    "client_id", "venue", "venue_order_id", "symbol", "side", "type", "quantity", "price",
    "trigger_price", "tif", "reduce_only", "source", "status", "filled_qty", "avg_fill_price",
    "fees", "parent_id", "role", "reason", "created_ns", "updated_ns",
)  # fmt: skip
ORDER_EVENT_COLUMNS = ("client_id", "ts_ns", "status", "detail")
FILL_COLUMNS = (
    "venue", "trade_id", "client_id", "venue_order_id", "symbol", "side", "quantity", "price",
    "fee", "fee_currency", "liquidity", "source", "realized_pnl", "ts_ns",
)  # fmt: skip
LEDGER_COLUMNS = ("ts_ns", "asset", "amount", "kind", "note")
KV_COLUMNS = ("key", "value", "updated_ns")
VENUE_RECORD_COLUMNS = ("venue", "ts_ns", "record")

Row = tuple[object, ...]


# An order is mutable, so what is queued for the writer must be copied at the call. The copy
# (a "snapshot") is the raw attribute values, all immutable; turning them into column values
# (money to TEXT, enums to their values) happens on the writer thread. Money is still checked
# at the call, so a float or a NaN is refused there, as before.
_ORDER_MONEY = tuple(
    ORDER_COLUMNS.index(c)
    for c in ("quantity", "price", "trigger_price", "filled_qty", "avg_fill_price", "fees")
)
_ORDER_ENUMS = tuple(ORDER_COLUMNS.index(c) for c in ("side", "type", "tif", "status"))
_REASON = ORDER_COLUMNS.index("reason")
_MONEY_TYPES = frozenset({Decimal, type(None)})
_is_finite = Decimal.is_finite


def order_snapshot(order: Order) -> Row:
    """The order's column values as they are now, unconverted (see ``order_row_of``).

    Raises TypeError/ValueError for money that is not a finite Decimal, like ``order_row``.
    """
    o = order
    money = (o.quantity, o.price, o.trigger_price, o.filled_qty, o.avg_fill_price, o.fees)
    # the common case checked in C (no Python call per value): only Decimals and Nones, and
    # every Decimal finite (zeros, which filter(None) drops, are finite)
    if not (set(map(type, money)) <= _MONEY_TYPES and all(map(_is_finite, filter(None, money)))):
        for value in money:
            money_text(value)  # raises for what it refuses (and accepts Decimal subclasses)
    # in ORDER_COLUMNS order (attribute loads: cheaper than an attrgetter on the hot path)
    return (
        o.client_id, o.venue, o.venue_order_id, o.symbol, o.side, o.type, o.quantity, o.price,
        o.trigger_price, o.tif, o.reduce_only, o.source, o.status, o.filled_qty,
        o.avg_fill_price, o.fees, o.parent_id, o.role, o.reason, o.created_ns, o.updated_ns,
    )  # fmt: skip


def order_row_of(snapshot: Row) -> Row:
    """The column values of an ``order_snapshot``."""
    values = list(snapshot)
    for i in _ORDER_MONEY:
        values[i] = money_text(values[i])  # type: ignore[arg-type]
    for i in _ORDER_ENUMS:
        values[i] = values[i].value  # type: ignore[attr-defined]
    if values[_REASON] is not None:  # a venue's error text: never a credential in the file
        values[_REASON] = redact(values[_REASON])  # type: ignore[arg-type]
    return tuple(values)


def order_row(order: Order) -> Row:
    return order_row_of(order_snapshot(order))


def order_event_snapshot(order: Order, detail: str) -> Row:
    """The order's event row as it is now, its status still an enum (see ``order_event_row_of``)."""
    return (order.client_id, order.updated_ns or order.created_ns, order.status, detail)


def order_event_row_of(snapshot: Row) -> Row:
    client_id, ts_ns, status, detail = snapshot
    return (client_id, ts_ns, status.value, redact(detail))  # type: ignore[attr-defined,arg-type]


def order_event_row(order: Order, detail: str) -> Row:
    return order_event_row_of(order_event_snapshot(order, detail))


def fill_row(fill: Fill) -> Row:
    return (
        fill.venue,
        fill.trade_id,
        fill.client_id,
        fill.venue_order_id,
        fill.symbol,
        fill.side.value,
        money_text(fill.quantity),
        money_text(fill.price),
        money_text(fill.fee),
        fill.fee_currency,
        fill.liquidity.value,
        fill.source,
        money_text(fill.realized_pnl),
        fill.ts,
    )


def ledger_row(ts_ns: int, asset: str, amount: Decimal, kind: str, note: str) -> Row:
    return (ts_ns, asset, money_text(amount), kind, note)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot journal a non-finite Decimal: {value!r}")
        return str(value)  # exact; read it back with Decimal(text)
    raise TypeError(f"cannot journal a {type(value).__name__} as JSON: {value!r}")


def to_json(value: object) -> str:
    """JSON text for kv values and venue records. Decimals become exact strings."""
    return json.dumps(value, default=_json_default, allow_nan=False, separators=(",", ":"))


def from_json(text: str) -> Any:
    return json.loads(text)


# --- rows -> domain ----------------------------------------------------------------------
def _order_from_row(row: OrderRow, history: History) -> Order:
    return Order(
        client_id=row.client_id,
        venue=row.venue,
        symbol=row.symbol,
        side=OrderSide(row.side),
        type=OrderType(row.type),
        quantity=row.quantity,
        price=row.price,
        trigger_price=row.trigger_price,
        tif=TimeInForce(row.tif),
        reduce_only=row.reduce_only,
        source=row.source,
        created_ns=row.created_ns,
        status=OrderStatus(row.status),
        venue_order_id=row.venue_order_id,
        filled_qty=row.filled_qty,
        avg_fill_price=row.avg_fill_price,
        fees=row.fees,
        parent_id=row.parent_id,
        role=row.role,
        reason=row.reason,
        updated_ns=row.updated_ns,
        history=history,
    )


def _fill_from_row(row: FillRow) -> Fill:
    return Fill(
        venue=row.venue,
        trade_id=row.trade_id,
        client_id=row.client_id,
        venue_order_id=row.venue_order_id,
        symbol=row.symbol,
        side=OrderSide(row.side),
        quantity=row.quantity,
        price=row.price,
        fee=row.fee,
        fee_currency=row.fee_currency,
        liquidity=Liquidity(row.liquidity),
        ts=row.ts_ns,
        source=row.source,
        realized_pnl=row.realized_pnl,
    )


def _histories(events: Iterable[OrderEventRow]) -> dict[str, History]:
    out: dict[str, History] = defaultdict(list)
    for ev in events:
        out[ev.client_id].append((ev.ts_ns, OrderStatus(ev.status), ev.detail))
    return out


# --- reads (one Session = one consistent snapshot) ---------------------------------------
def load_orders(session: Session, *, open_only: bool) -> list[Order]:
    orders = select(OrderRow).order_by(OrderRow.created_ns, OrderRow.client_id)
    events = select(OrderEventRow).order_by(OrderEventRow.id)
    if open_only:
        orders = orders.where(OrderRow.status.in_(_OPEN_STATUSES))
        open_ids = select(OrderRow.client_id).where(OrderRow.status.in_(_OPEN_STATUSES))
        events = events.where(OrderEventRow.client_id.in_(open_ids))
    histories = _histories(session.scalars(events))
    return [_order_from_row(r, histories.get(r.client_id, [])) for r in session.scalars(orders)]


def load_order_history(session: Session, client_id: str) -> History:
    stmt = (
        select(OrderEventRow).where(OrderEventRow.client_id == client_id).order_by(OrderEventRow.id)
    )
    return _histories(session.scalars(stmt)).get(client_id, [])


def load_fills(
    session: Session,
    *,
    since_ns: int | None,
    until_ns: int | None,
    source: str | None,
    symbol: str | None,
) -> list[Fill]:
    stmt = select(FillRow).order_by(FillRow.ts_ns, FillRow.id)
    if since_ns is not None:
        stmt = stmt.where(FillRow.ts_ns >= since_ns)
    if until_ns is not None:
        stmt = stmt.where(FillRow.ts_ns < until_ns)
    if source is not None:
        stmt = stmt.where(FillRow.source == source)
    if symbol is not None:
        stmt = stmt.where(FillRow.symbol == symbol)
    return [_fill_from_row(r) for r in session.scalars(stmt)]


def fill_keys(session: Session) -> set[tuple[str, str]]:
    return {(v, t) for v, t in session.execute(select(FillRow.venue, FillRow.trade_id))}


def load_ledger(session: Session) -> list[LedgerEntry]:
    stmt = select(LedgerRow).order_by(LedgerRow.ts_ns, LedgerRow.id)
    return [
        LedgerEntry(r.id, r.ts_ns, r.asset, r.amount, r.kind, r.note) for r in session.scalars(stmt)
    ]


def get_kv(session: Session, key: str) -> str | None:
    return session.scalar(select(KvRow.value).where(KvRow.key == key))


def load_venue_records(session: Session, venue: str) -> list[dict[str, object]]:
    stmt = (
        select(VenueRecordRow.record)
        .where(VenueRecordRow.venue == venue)
        .order_by(VenueRecordRow.id)
    )
    records: list[dict[str, object]] = []
    for text in session.scalars(stmt):
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError(f"venue record for {venue} is not a JSON object: {text[:80]}")
        records.append(value)
    return records
