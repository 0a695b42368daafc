"""The protocols venue adapters implement. The engine depends on these, never on a broker.

A venue adapter delivers everything that happens at the venue through the ``ReportSink`` it
is given: execution reports in the order the venue produced them. ``submit`` returns once the
request is handed over; its outcome arrives as a report. A request that may or may not have
reached the venue raises ``OutcomeUnknown``: the engine marks the order UNKNOWN and never
resends it; ``query_order`` later settles it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from app.engine.domain.events import ExecutionReport, VenueStatus
from app.engine.domain.fills import Fill
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick
from app.engine.domain.orders import Order, OrderSide, OrderStatus, OrderType
from app.engine.venue_errors import (  # re-exported: the port's error hierarchy
    AuthenticationFailed,
    BadRequest,
    InsufficientFunds,
    OrderNotFound,
    OrderRefused,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    VenueBanned,
    VenueError,
    VenueUnavailable,
)

__all__ = [
    "AuthenticationFailed",
    "BadRequest",
    "CandleCache",
    "Capabilities",
    "DataClient",
    "ExecutionClient",
    "InsufficientFunds",
    "KeyPermissions",
    "OrderNotFound",
    "OrderRefused",
    "OutcomeUnknown",
    "PermissionDenied",
    "RateLimited",
    "ReportsStatus",
    "StatusSink",
    "SubmitsOco",
    "VenueBanned",
    "VenueError",
    "VenueOrderState",
    "VenueUnavailable",
]

ReportSink = Callable[[ExecutionReport], None]
MarketSink = Callable[[TradeTick | QuoteTick | Bar], None]
#: connection changes, stale/fresh symbols and alerts (429 pauses, 418 bans) from an adapter
StatusSink = Callable[[VenueStatus], None]


@dataclass(frozen=True, slots=True)
class Capabilities:
    stop_orders: bool = True
    stop_limit_orders: bool = True
    modify: bool = True
    shorting: bool = False  # a spot account cannot sell what it does not hold
    native_oco: bool = False
    #: the venue's "order not found" is the final word (our in-process paper exchange): an
    #: order it does not know is rejected at once. A real venue's answer may lag its own
    #: matching engine, so there an order is only declared lost after repeated lookups.
    not_found_is_final: bool = False


@dataclass(frozen=True, slots=True)
class VenueOrderState:
    """The venue's view of one order, for reconciliation."""

    client_id: str
    venue_order_id: str | None
    status: OrderStatus
    filled_qty: Decimal
    fills: Sequence[Fill]
    reason: str = ""
    # what the order is: needed to adopt an order placed elsewhere (the venue's website)
    symbol: str = ""
    side: OrderSide | None = None
    type: OrderType | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None


@runtime_checkable
class ExecutionClient(Protocol):
    venue: str
    capabilities: Capabilities

    def set_report_sink(self, sink: ReportSink) -> None: ...

    async def submit(self, order: Order) -> None: ...

    async def cancel(self, order: Order) -> None: ...

    async def modify(
        self,
        order: Order,
        *,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        quantity: Decimal | None = None,
    ) -> None: ...

    async def query_order(self, client_id: str, symbol: str | None = None) -> VenueOrderState:
        """The venue's view of our order ``client_id`` (on ``symbol``, which venues such as
        Binance need to find it), with its fills. Raises OrderNotFound if it does not know it."""
        ...

    async def open_orders(self) -> Sequence[VenueOrderState]: ...

    async def balances(self) -> dict[str, Decimal]: ...

    async def recent_fills(self, symbols: Sequence[str], since_ns: int) -> Sequence[Fill]:
        """The account's fills on ``symbols`` since ``since_ns`` (ours and any placed
        elsewhere, e.g. on the venue's website), for reconciliation after a restart or a
        reconnect. ``Fill.client_id`` is the venue's client order id (or "" if none)."""
        ...


@runtime_checkable
class SubmitsOco(Protocol):
    """A venue that holds a stop-loss and a take-profit as one order list
    (one-cancels-the-other at the venue, funds reserved once). Declared by
    ``Capabilities.native_oco``.

    Both orders are on one symbol, side and quantity: ``stop`` is a STOP_MARKET or STOP_LIMIT,
    ``target`` a LIMIT that must rest (a price that would trade at once refuses the list).
    Reports arrive per order as usual; when one order fills (even partly) the venue expires
    the other, and canceling either cancels both. Refusals raise OrderRefused, doubt raises
    OutcomeUnknown (both orders are then looked up by their client ids)."""

    async def submit_oco(self, stop: Order, target: Order) -> None: ...


@runtime_checkable
class DataClient(Protocol):
    venue: str

    def instruments(self) -> Sequence[Instrument]: ...

    def set_market_sink(self, sink: MarketSink) -> None: ...

    async def subscribe(self, symbols: Sequence[str]) -> None: ...

    async def history(
        self, symbol: str, timeframe: Timeframe, *, end_ns: int | None = None, limit: int = 500
    ) -> list[Bar]: ...

    async def run(self) -> None:
        """Stream until cancelled."""
        ...


@runtime_checkable
class ReportsStatus(Protocol):
    """An adapter that reports its health (connections, stale symbols, rate-limit alerts)."""

    def set_status_sink(self, sink: StatusSink) -> None: ...


@dataclass(frozen=True, slots=True)
class KeyPermissions:
    """What an API key may do, as the venue reports it (Binance: apiRestrictions).

    ``None`` means the venue did not say. Turning on live trading with withdrawals enabled
    or without an IP restriction needs the trader's explicit acknowledgement."""

    can_trade: bool | None
    can_withdraw: bool | None
    ip_restricted: bool | None
    detail: str = ""

    def warnings(self) -> list[str]:
        out: list[str] = []
        if self.can_withdraw:
            out.append(
                "this API key can WITHDRAW funds: anyone who steals it can empty the account"
            )
        if self.ip_restricted is False:
            out.append("this API key has no IP restriction: it works from any computer")
        if self.can_trade is False:
            out.append("this API key cannot trade (spot trading is not enabled for it)")
        return out


class CandleCache(Protocol):
    """Durable cache of a venue's closed candles, so history is fetched once (SQLite).
    Keyed by (venue, symbol, timeframe, open time); bars are returned in time order."""

    def load_bars(
        self, venue: str, symbol: str, timeframe: Timeframe, start_ns: int, end_ns: int
    ) -> list[Bar]: ...

    def store_bars(self, venue: str, bars: Sequence[Bar]) -> None: ...


class VenueStateStore(Protocol):
    """Durable, append-only record log for a simulated venue (the paper exchange), so its books
    survive a restart the way a real exchange's do. The venue rebuilds itself by replaying its
    records in order. Implemented by the journal; injected by bootstrap. Appends are queued
    to the journal's writer in call order and never block the loop."""

    def append_venue_record(self, venue: str, record: dict[str, object]) -> None: ...

    def load_venue_records(self, venue: str) -> list[dict[str, object]]: ...
