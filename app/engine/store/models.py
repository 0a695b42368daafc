"""The journal's tables as SQLAlchemy 2.0 typed models.

The schema itself is created by the Alembic migrations in ``migrations/versions``; these
models must describe the same tables (tests compare them). Timestamps are INTEGER epoch
nanoseconds, money is exact TEXT (see ``types.DecimalText``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, MetaData, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.engine.store.types import DecimalText

# Deterministic constraint names, so later migrations can refer to them by name.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {Decimal: DecimalText(), str: Text()}


class OrderRow(Base):
    """The latest state of each order, keyed by our client order id."""

    __tablename__ = "orders"
    __table_args__ = (Index(None, "status"), Index(None, "symbol"))

    client_id: Mapped[str] = mapped_column(primary_key=True)
    venue: Mapped[str]
    venue_order_id: Mapped[str | None]
    symbol: Mapped[str]
    side: Mapped[str]
    type: Mapped[str]
    quantity: Mapped[Decimal]
    price: Mapped[Decimal | None]
    trigger_price: Mapped[Decimal | None]
    tif: Mapped[str]
    reduce_only: Mapped[bool]
    source: Mapped[str]
    status: Mapped[str]
    filled_qty: Mapped[Decimal]
    avg_fill_price: Mapped[Decimal | None]
    fees: Mapped[Decimal]
    parent_id: Mapped[str | None]
    role: Mapped[str | None]
    reason: Mapped[str | None]
    created_ns: Mapped[int]
    updated_ns: Mapped[int]


class OrderEventRow(Base):
    """Every state an order went through: one row per ``Journal.record_order`` call."""

    __tablename__ = "order_events"
    # AUTOINCREMENT: ids never reused, so id order is write order for the life of the file.
    __table_args__ = (Index(None, "client_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("orders.client_id"))
    ts_ns: Mapped[int]
    status: Mapped[str]
    detail: Mapped[str]


class FillRow(Base):
    """Executions; (venue, trade_id) is unique so recording a fill twice changes nothing."""

    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("venue", "trade_id"),
        Index(None, "ts_ns"),
        Index(None, "source"),
        Index(None, "symbol"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    venue: Mapped[str]
    trade_id: Mapped[str]
    # No foreign key: fills of external orders (placed outside Tradedesk) have no order row.
    client_id: Mapped[str]
    venue_order_id: Mapped[str | None]
    symbol: Mapped[str]
    side: Mapped[str]
    quantity: Mapped[Decimal]
    price: Mapped[Decimal]
    fee: Mapped[Decimal]
    fee_currency: Mapped[str]
    liquidity: Mapped[str]
    source: Mapped[str]
    realized_pnl: Mapped[Decimal | None]
    ts_ns: Mapped[int]


class LedgerRow(Base):
    """Cash movements that are not fills: deposits, withdrawals, adjustments."""

    __tablename__ = "ledger"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    ts_ns: Mapped[int]
    asset: Mapped[str]
    amount: Mapped[Decimal]
    kind: Mapped[str]
    note: Mapped[str]


class KvRow(Base):
    """Small named pieces of state (risk limits, breaker state...) as JSON text."""

    __tablename__ = "kv"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[str]
    updated_ns: Mapped[int]


class VenueRecordRow(Base):
    """Append-only log a simulated venue replays at start (``VenueStateStore``)."""

    __tablename__ = "venue_records"
    __table_args__ = (Index(None, "venue", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    venue: Mapped[str]
    ts_ns: Mapped[int]
    record: Mapped[str]
