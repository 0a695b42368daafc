"""What we have told the engine about each order, so every report goes out once, in order.

The same facts reach us several ways (the create reply, the user stream's order and trade
events, polling, a query): ``ReportBook`` turns them into execution reports exactly once per
fact. An order is accepted before its first fill is reported; a fill is reported once per
trade id; a terminal state (canceled, expired, rejected) once, and only for the order's
current venue id (a cancel-replace cancels the old id while the order lives on). Reports
wait in an outbox until a sink is set.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from decimal import Decimal

from app.engine.domain.events import (
    ExecutionReport,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
)
from app.engine.domain.fills import Fill
from app.engine.domain.orders import OrderStatus
from app.engine.domain.values import ZERO
from app.engine.ports import ReportSink

log = logging.getLogger(__name__)

_MAX_TRADE_IDS = 20_000
_MAX_FINISHED = 2_000


@dataclass(slots=True)
class TrackedOrder:
    client_id: str
    symbol: str
    venue_order_id: str | None = None
    accepted: bool = False
    terminal: bool = False
    filled: Decimal = ZERO
    replaced_ids: set[str] = field(default_factory=set)
    modifying: bool = False


class ReportBook:
    def __init__(self, venue: str) -> None:
        self.venue = venue
        self._orders: dict[str, TrackedOrder] = {}
        self._by_venue_id: dict[str, str] = {}
        self._trade_ids: OrderedDict[str, None] = OrderedDict()
        self._finished: deque[str] = deque()
        self._outbox: deque[ExecutionReport] = deque()
        self._sink: ReportSink | None = None

    # --- sink -----------------------------------------------------------------------------
    def set_sink(self, sink: ReportSink) -> None:
        self._sink = sink
        self._flush()

    def _emit(self, report: ExecutionReport) -> None:
        self._outbox.append(report)
        self._flush()

    def _flush(self) -> None:
        sink = self._sink
        while sink is not None and self._outbox:
            report = self._outbox.popleft()
            try:
                sink(report)
            except Exception:
                log.exception("%s: the report sink raised on %r", self.venue, report)

    # --- lookups --------------------------------------------------------------------------
    def track(self, client_id: str, symbol: str) -> TrackedOrder:
        tracked = self._orders.get(client_id)
        if tracked is None:
            tracked = self._orders[client_id] = TrackedOrder(client_id, symbol)
        return tracked

    def adopt(
        self, client_id: str, symbol: str, venue_order_id: str | None, status: OrderStatus
    ) -> None:
        """Know an order the engine learnt of from a read (a query after a restart, an open
        order placed elsewhere), without reporting anything: the engine applies that state
        itself. Its later events (a cancel on the website, an expiry) are then reported."""
        tracked = self.track(client_id, symbol)
        self.link(client_id, venue_order_id)
        if status is not OrderStatus.REJECTED and venue_order_id:
            tracked.accepted = True
        if status.is_terminal and not tracked.terminal:
            tracked.terminal = True
            self._retire(client_id)

    def forget(self, client_id: str) -> None:
        """An order the venue refused: it will never have events."""
        tracked = self._orders.pop(client_id, None)
        if tracked is not None and tracked.venue_order_id:
            self._by_venue_id.pop(tracked.venue_order_id, None)

    def get(self, client_id: str) -> TrackedOrder | None:
        return self._orders.get(client_id)

    def client_for(self, venue_order_id: str | None) -> str | None:
        return self._by_venue_id.get(venue_order_id) if venue_order_id else None

    def working(self) -> list[TrackedOrder]:
        return [o for o in self._orders.values() if not o.terminal]

    def knows_trade(self, trade_id: str) -> bool:
        return trade_id in self._trade_ids

    def link(self, client_id: str, venue_order_id: str | None) -> None:
        """Remember that ``venue_order_id`` is (or was) our order ``client_id``."""
        if venue_order_id:
            self._by_venue_id[venue_order_id] = client_id
            tracked = self._orders.get(client_id)
            if tracked is not None and tracked.venue_order_id is None:
                tracked.venue_order_id = venue_order_id

    def replaced(self, client_id: str, new_venue_order_id: str | None) -> None:
        """A cancel-replace gave the order a new venue id; events for the old one are stale."""
        tracked = self._orders.get(client_id)
        if tracked is None or not new_venue_order_id:
            return
        if tracked.venue_order_id and tracked.venue_order_id != new_venue_order_id:
            tracked.replaced_ids.add(tracked.venue_order_id)
        tracked.venue_order_id = new_venue_order_id
        self._by_venue_id[new_venue_order_id] = client_id

    # --- facts ----------------------------------------------------------------------------
    def accepted(self, client_id: str, venue_order_id: str | None, ts: int) -> None:
        tracked = self._orders.get(client_id)
        if tracked is None:
            return
        self.link(client_id, venue_order_id)
        if not tracked.accepted and not tracked.terminal and tracked.venue_order_id:
            tracked.accepted = True
            self._emit(OrderAccepted(client_id, tracked.venue_order_id, ts))

    def modified(self, report: OrderModified) -> None:
        tracked = self._orders.get(report.client_id)
        if tracked is not None and not tracked.terminal:
            self._emit(report)

    def fill(self, fill: Fill) -> bool:
        """Report a fill once per trade id; returns False for one already reported."""
        if fill.trade_id in self._trade_ids:
            return False
        self._remember_trade(fill.trade_id)
        tracked = self._orders.get(fill.client_id)
        if tracked is not None:
            self.accepted(fill.client_id, fill.venue_order_id or tracked.venue_order_id, fill.ts)
            tracked.filled += fill.quantity
        self._emit(OrderFilled(fill))
        return True

    def seen_fill(self, fill: Fill) -> None:
        """A fill the engine learnt elsewhere (a query): count it, never report it."""
        if fill.trade_id in self._trade_ids:
            return
        self._remember_trade(fill.trade_id)
        tracked = self._orders.get(fill.client_id)
        if tracked is not None:
            tracked.filled += fill.quantity

    def finished(
        self, client_id: str, venue_order_id: str | None, status: OrderStatus, reason: str, ts: int
    ) -> None:
        """A terminal state (canceled, expired, rejected) of the order's current venue id."""
        tracked = self._orders.get(client_id)
        if tracked is None or tracked.terminal:
            return
        if venue_order_id and (
            venue_order_id in tracked.replaced_ids
            or (tracked.venue_order_id not in (None, venue_order_id))
        ):
            return  # the old half of a cancel-replace
        if tracked.modifying:
            return  # a replace in flight: its outcome settles the order
        if status is OrderStatus.REJECTED:
            report: ExecutionReport = OrderRejected(client_id, reason or "rejected", ts)
        elif status is OrderStatus.CANCELED:
            self.accepted(client_id, venue_order_id, ts)
            report = OrderCanceled(client_id, ts, reason)
        elif status is OrderStatus.EXPIRED:
            self.accepted(client_id, venue_order_id, ts)
            report = OrderExpired(client_id, ts, reason)
        else:
            return
        tracked.terminal = True
        self._emit(report)
        self._retire(client_id)

    def filled_completely(self, client_id: str) -> None:
        """The venue says FILLED and every fill has been reported: nothing more will come."""
        tracked = self._orders.get(client_id)
        if tracked is not None:
            tracked.terminal = True
            self._retire(client_id)

    def _remember_trade(self, trade_id: str) -> None:
        self._trade_ids[trade_id] = None
        while len(self._trade_ids) > _MAX_TRADE_IDS:
            self._trade_ids.popitem(last=False)

    def _retire(self, client_id: str) -> None:
        # finished orders stay known a while, so late events for them are still recognised
        self._finished.append(client_id)
        while len(self._finished) > _MAX_FINISHED:
            old = self._finished.popleft()
            tracked = self._orders.pop(old, None)
            if tracked is not None:
                for venue_id in (tracked.venue_order_id, *tracked.replaced_ids):
                    if venue_id:
                        self._by_venue_id.pop(venue_id, None)
