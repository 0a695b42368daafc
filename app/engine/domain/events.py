"""Events, named in the past tense.

Two families:
- execution reports a venue client sends to the engine (``Order*`` below), and
- engine notifications published on the bus for strategies, the UI and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from app.engine.domain.fastinit import fast_frozen_init
from app.engine.domain.fills import Fill

if TYPE_CHECKING:
    from app.engine.domain.orders import Order, OrderEventKind, OrderRequest
    from app.engine.domain.positions import Position


# --- execution reports (venue -> engine) -------------------------------------------------
@fast_frozen_init  # built for every order: see fastinit
@dataclass(frozen=True, slots=True)
class OrderAccepted:
    client_id: str
    venue_order_id: str
    ts: int


@dataclass(frozen=True, slots=True)
class OrderRejected:
    client_id: str
    reason: str
    ts: int


@dataclass(frozen=True, slots=True)
class OrderCanceled:
    client_id: str
    ts: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrderExpired:
    client_id: str
    ts: int
    reason: str = ""


@fast_frozen_init  # built for every fill: see fastinit
@dataclass(frozen=True, slots=True)
class OrderFilled:
    fill: Fill


@dataclass(frozen=True, slots=True)
class OrderModified:
    client_id: str
    ts: int
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    quantity: Decimal | None = None


ExecutionReport = (
    OrderAccepted | OrderRejected | OrderCanceled | OrderExpired | OrderFilled | OrderModified
)


# --- engine notifications (engine -> everyone) --------------------------------------------
@fast_frozen_init  # built for every fill: see fastinit
@dataclass(frozen=True, slots=True)
class OrderUpdated:
    """An order changed. ``order`` is the live object: read it, never mutate it."""

    order: Order
    kind: OrderEventKind
    ts: int


@fast_frozen_init  # built for every fill: see fastinit
@dataclass(frozen=True, slots=True)
class FillRecorded:
    """A new (de-duplicated) fill was applied to the portfolio and journaled."""

    fill: Fill


@fast_frozen_init  # built for every fill: see fastinit
@dataclass(frozen=True, slots=True)
class PositionChanged:
    position: Position
    ts: int


@dataclass(frozen=True, slots=True)
class AccountChanged:
    equity: Decimal
    cash: Decimal
    day_pnl: Decimal
    ts: int


class TradingState(StrEnum):
    ACTIVE = "active"  # everything allowed
    REDUCING = "reducing"  # only orders that reduce a position
    HALTED = "halted"  # nothing new is sent


@dataclass(frozen=True, slots=True)
class TradingStateChanged:
    state: TradingState
    reason: str
    ts: int


@dataclass(frozen=True, slots=True)
class OrderDenied:
    """The risk gate refused a request before anything was journaled or sent."""

    request: OrderRequest
    field: str
    rule: str
    ts: int
    needs_confirmation: bool = False


@dataclass(frozen=True, slots=True)
class Alert:
    """Something a trader should see now (breaker tripped, kill switch, feed stale...)."""

    level: str
    title: str
    message: str
    ts: int
    source: str = "engine"
    extra: dict[str, str] = field(default_factory=dict)


# --- venue health (adapter -> engine -> everyone) ----------------------------------------
@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """A venue stream (``stream``: "market" or "user") went down or came back.

    When a stream comes back the engine reconciles with the venue before trading resumes."""

    venue: str
    stream: str
    connected: bool
    reason: str
    ts: int


@dataclass(frozen=True, slots=True)
class SymbolHealth:
    """A symbol's market data became stale (no update for ``age_s`` seconds) or fresh again.
    While stale, market orders and bot signals on it are refused."""

    venue: str
    symbol: str
    stale: bool
    age_s: float
    ts: int


VenueStatus = ConnectionChanged | SymbolHealth | Alert
