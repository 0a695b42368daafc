"""Order management: the life of every order, from request to final state.

Deadlines use ``asyncio.timeout``, not ``asyncio.wait_for``: on Python 3.11 ``wait_for`` can
swallow a cancellation that arrives as the awaited call completes, which left a cancelled
task running (and a session unable to stop).

Rules this module keeps (see DESIGN.md):
- every request passes the risk gate; nothing denied is journaled or sent;
- an order is journaled (status SUBMITTED, durable) before the venue hears of it;
- fills are applied once per (venue, trade id), whatever the venue repeats;
- a request that may or may not have reached the venue makes the order UNKNOWN; it is never
  resent, and a lookup (``settle``) settles it from the venue's answer;
- a real venue's "not found" may lag its matching engine: an order it does not know stays
  UNKNOWN, is looked up again (unknown_orders.py) and is declared lost only after repeated
  answers over time (lost_orders.py). Where "not found" is final (paper) it is rejected at once;
- an event that does not fit an order's state is logged and skipped, never fatal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from app.engine import order_settlement
from app.engine.bus import Bus
from app.engine.domain.errors import InvalidTransition, ValidationError
from app.engine.domain.events import (
    ExecutionReport,
    FillRecorded,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
    OrderUpdated,
    PositionChanged,
)
from app.engine.domain.fills import Fill
from app.engine.domain.ids import EXTERNAL, new_client_order_id
from app.engine.domain.orders import (
    Order,
    OrderEventKind,
    OrderRequest,
    OrderStatus,
    OrderType,
)
from app.engine.journal_port import JournalPort
from app.engine.lost_orders import LostOrderTracker
from app.engine.oms_ports import (
    EMULATED_PREFIX,
    OrderEmulatorPort,
    PairModifier,
    SubmitsAtOnce,
    is_emulated,
)
from app.engine.portfolio import Portfolio
from app.engine.ports import (
    ExecutionClient,
    OrderNotFound,
    OrderRefused,
    VenueError,
    VenueOrderState,
)
from app.engine.reservations import Reservations
from app.engine.risk import RiskDenied, RiskGate

log = logging.getLogger(__name__)
_INFO = logging.INFO
K = OrderEventKind
_WORKING = frozenset(s for s in OrderStatus if s.is_working)  # OrderStatus.is_working, as a set
# Enum members as module constants: on Python 3.11 ``OrderSide.BUY`` goes through
# ``EnumType.__getattr__``'s slow lookup hook every time, and these run for every fill.
_FILLED = K.FILLED


class OrderManager:
    def __init__(
        self,
        bus: Bus,
        journal: JournalPort,
        portfolio: Portfolio,
        risk: RiskGate,
        client: ExecutionClient,
        clock: Callable[[], int],
        *,
        request_timeout_s: float = 10.0,
        reservations: Reservations | None = None,
        lost_after_lookups: int = 3,
        lost_after_s: float = 120.0,
    ) -> None:
        self.bus = bus
        self.journal = journal
        self.portfolio = portfolio
        self.risk = risk
        self.client = client
        self.clock = clock
        self.request_timeout_s = request_timeout_s
        self.reservations = reservations
        self.lost = LostOrderTracker(lost_after_lookups, lost_after_s)
        self.orders: dict[str, Order] = {}
        self._working: dict[str, Order] = {}  # index of orders still working
        self.fill_keys: set[tuple[str, str]] = set()
        self.fills: list[Fill] = []
        self._cancel_reasons: dict[str, str] = {}  # why we asked, shown when the venue confirms
        # journaled but not yet handed to the venue (the journal write is awaited first): a
        # cancel in that window cannot reach the venue, so it is kept here and honoured
        # before sending, instead of asking a venue that has never heard of the order
        self._unsent: dict[str, str | None] = {}  # client id -> cancel reason once asked
        self._sending: set[str] = set()  # handed to the venue, its reply not yet back
        # cancels asked for while the venue did not know the order: sent once it finds it
        self._cancel_when_found: dict[str, str] = {}
        #: told of every order that becomes UNKNOWN (the engine's re-query watcher)
        self.on_unknown: Callable[[Order], None] | None = None
        #: holds engine-side stops; set by the engine after construction
        self.emulator: OrderEmulatorPort | None = None
        self.partners: dict[str, str] = {}  # venue-held OCO pairs: client id -> the other's
        self.pair_modifier: PairModifier | None = None  # replaces a pair (set by the engine)
        # a venue in this process that answers before returning (paper) is called directly:
        # no coroutine and no deadline per order, since there is nothing to wait for
        self._submit_now = (
            client.synchronous_submit() if isinstance(client, SubmitsAtOnce) else None
        )
        client.set_report_sink(self.on_report)

    # --- queries --------------------------------------------------------------------------
    def add(self, order: Order) -> None:
        """Track an order (new, or restored from the journal)."""
        self.orders[order.client_id] = order
        self._index(order)

    def _index(self, order: Order) -> None:
        if order.status in _WORKING:
            self._working[order.client_id] = order
        else:
            self._working.pop(order.client_id, None)
        if self.reservations is not None:
            venue_id = order.venue_order_id  # is_emulated(order), inlined for the fill path
            emulated = bool(venue_id and venue_id.startswith(EMULATED_PREFIX))
            self.reservations.update(order, held_at_venue=not emulated)

    def working(self, symbol: str | None = None, source: str | None = None) -> list[Order]:
        return [
            o
            for o in self._working.values()
            if (symbol is None or o.symbol == symbol) and (source is None or o.source == source)
        ]

    def venue_working(self) -> Iterable[Order]:
        """Working orders that hold funds at the venue (emulated stops do not)."""
        return (o for o in self._working.values() if not is_emulated(o))

    def adopt(self, order: Order, venue_order_id: str | None) -> None:
        """Track an order found open at the venue that we did not place (reconciliation):
        journaled and published as SUBMITTED then ACCEPTED, so it shows and can be canceled."""
        order.apply(K.SUBMITTED, self.clock(), reason="adopted from the venue")
        self.add(order)
        self.journal.note_order(order, order.history[-1][2])
        self._publish(order, K.SUBMITTED)
        self._apply(order, K.ACCEPTED, venue_order_id=venue_order_id)

    def link_pair(self, first: Order, second: Order) -> None:
        """The two are one venue list: canceling one cancels both; funds reserved once."""
        self.partners[first.client_id] = second.client_id
        self.partners[second.client_id] = first.client_id
        if self.reservations is not None:
            self.reservations.pair(first, second)

    def working_partner(self, client_id: str) -> Order | None:
        partner = self.orders.get(self.partners.get(client_id, ""))
        return partner if partner is not None and partner.status in _WORKING else None

    # --- placing --------------------------------------------------------------------------
    def new_order(self, req: OrderRequest) -> Order:
        """Run the risk gate and build the order; raises RiskDenied (published too)."""
        try:
            checked = self.risk.check(req)
        except RiskDenied as exc:
            self.bus.publish(
                OrderDenied(req, exc.field, exc.rule, self.clock(), exc.needs_confirmation)
            )
            raise
        now = self.clock()
        return Order(
            client_id=new_client_order_id(checked.source, now // 1_000_000),
            venue=self.client.venue,
            symbol=checked.instrument.symbol,
            side=checked.side,
            type=checked.type,
            quantity=checked.quantity,
            price=checked.price,
            trigger_price=checked.trigger_price,
            tif=checked.tif,
            reduce_only=checked.reduce_only,
            source=checked.source,
            created_ns=now,
            parent_id=req.parent_id,
            role=req.role,
        )

    async def submit(
        self, req: OrderRequest, *, emulate: bool = False, trail_pct: Decimal | None = None
    ) -> Order:
        """Check, journal, then send. Returns the order (its outcome arrives as reports)."""
        order = self.new_order(req)
        if await self.enter((order,), "submitted") is not None:
            return order  # canceled while it was being journaled
        caps = self.client.capabilities
        needs_emulation = order.type.has_trigger and (
            emulate
            or not caps.stop_orders
            or (order.type is OrderType.STOP_LIMIT and not caps.stop_limit_orders)
        )
        if needs_emulation and self.emulator is not None:
            self._apply(order, K.ACCEPTED, venue_order_id=EMULATED_PREFIX + order.client_id)
            self.emulator.hold(order, trail_pct)
            return order
        await self.send(order)
        return order

    async def enter(self, orders: Sequence[Order], detail: str) -> str | None:
        """Track ``orders`` as SUBMITTED and journal them, durably, before the venue hears of
        them. A cancel asked meanwhile cannot reach the venue: it is kept and honoured here
        (all of ``orders`` are then CANCELED, as one request) and its reason returned."""
        now = self.clock()
        unsent = self._unsent
        for order in orders:
            order.apply(K.SUBMITTED, now)
            self.add(order)
            unsent[order.client_id] = None
        try:
            for order in orders:
                await self.journal.record_order(order, detail)
        finally:
            asked = [unsent.pop(order.client_id, None) for order in orders]
        canceled = None
        for order, why in zip(orders, asked, strict=True):
            self._publish(order, K.SUBMITTED)
            canceled = canceled or why
        if canceled is not None:
            for order in orders:
                self._apply(order, K.CANCELED, reason=canceled)
        return canceled

    async def send(self, order: Order, *, as_type: OrderType | None = None) -> None:
        """Hand a journaled order to the venue. Never retried: a doubt means UNKNOWN."""
        wire = order if as_type is None else replace(order, type=as_type, trigger_price=None)
        submit_now = self._submit_now
        if submit_now is not None:  # answered before it returns: no deadline, no coroutine
            await self.hand_over((order,), lambda: submit_now(wire))
        else:
            await self.hand_over((order,), lambda: self.client.submit(wire))

    async def hand_over(
        self, orders: Sequence[Order], request: Callable[[], Awaitable[None] | None]
    ) -> None:
        """Send journaled ``orders`` to the venue in one request (``request`` either answers
        at once or returns what to await, under the request deadline). Never retried: a
        refusal rejects them all, a doubt makes them all UNKNOWN until lookups settle them."""
        sending = self._sending
        for order in orders:
            sending.add(order.client_id)
        outcome: tuple[OrderEventKind, str] | None = None
        try:
            pending = request()
            if pending is not None:
                async with asyncio.timeout(self.request_timeout_s):
                    await pending
        except OrderRefused as exc:
            outcome = (K.REJECTED, str(exc))
        except asyncio.CancelledError:
            for order in orders:
                self._apply(order, K.UNKNOWN, reason="send interrupted")
            raise
        except (TimeoutError, VenueError, OSError) as exc:
            outcome = (K.UNKNOWN, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug in an adapter must not lose track of the orders
            log.exception("venue client failed submitting %s", orders[0].client_id)
            outcome = (K.UNKNOWN, f"{type(exc).__name__}: {exc}")
        finally:
            for order in orders:
                sending.discard(order.client_id)
        if outcome is not None:
            kind, reason = outcome
            for order in orders:
                self._apply(order, kind, reason=reason)

    # --- cancel / modify ------------------------------------------------------------------
    async def cancel(self, client_id: str, reason: str = "") -> None:
        order = self._get(client_id)
        if not order.is_working:
            raise ValidationError("order", f"is {order.status.value}; only working orders cancel")
        if client_id in self._unsent:
            self._unsent[client_id] = reason or "canceled before it was sent"
            return
        if is_emulated(order):
            if self.emulator is not None:
                self.emulator.release(order.client_id)
            self._apply(order, K.CANCELED, reason=reason or "canceled")
            return
        if reason:
            self._cancel_reasons[client_id] = reason
            partner = self.working_partner(client_id)
            if partner is not None:  # the venue cancels the pair: say why on both
                self._cancel_reasons[partner.client_id] = f"{reason} (one-cancels-the-other)"
        try:
            async with asyncio.timeout(self.request_timeout_s):
                await self.client.cancel(order)
        except OrderNotFound:
            await self.settle(order)
            if order.is_working and order.status is not OrderStatus.UNKNOWN:
                # the lookup found it working (the venue's cancel path lagged): ask once more
                async with asyncio.timeout(self.request_timeout_s):
                    await self.client.cancel(order)
            elif order.status is OrderStatus.UNKNOWN:
                # it may still surface at the venue: cancel it then, rather than leave it live
                self._cancel_when_found[client_id] = reason or "canceled by trader"
                log.warning(
                    "%s: the venue does not know it yet; canceling it if it does", client_id
                )
        except (TimeoutError, VenueError, OSError) as exc:
            log.warning("cancel of %s not confirmed: %s", client_id, exc)
            raise

    async def cancel_all(
        self, *, symbol: str | None = None, source: str | None = None, keep_protective: bool = False
    ) -> int:
        targets = [
            o
            for o in self.working(symbol, source)
            if not (keep_protective and o.role in ("stop_loss", "take_profit"))
        ]
        results = await asyncio.gather(
            *(self.cancel(o.client_id, "cancel all") for o in targets), return_exceptions=True
        )
        for order, result in zip(targets, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("cancel-all: %s stayed %s: %s", order.client_id, order.status, result)
        return len(targets)

    async def modify(
        self,
        client_id: str,
        *,
        price: object = None,
        trigger_price: object = None,
        quantity: object = None,
    ) -> None:
        """Change a working order's price, trigger or quantity, through the risk gate."""
        order = self._get(client_id)
        if not order.is_working or order.status is OrderStatus.UNKNOWN:
            raise ValidationError("order", f"is {order.status.value}; it cannot be modified")
        inst = self.risk.instruments[order.symbol]
        new_price = inst.check_price(price, "price") if price is not None else None
        new_trigger = (
            inst.check_price(trigger_price, "trigger_price") if trigger_price is not None else None
        )
        new_qty = inst.check_qty(quantity) if quantity is not None else None
        if new_price is not None and not order.type.has_price:
            raise ValidationError("price", f"a {order.type.value} order has no limit price")
        if new_trigger is not None and not order.type.has_trigger:
            raise ValidationError("trigger_price", f"a {order.type.value} order has no trigger")
        if new_qty is not None and new_qty <= order.filled_qty:
            raise ValidationError("quantity", f"must be above the filled {order.filled_qty}")
        if order.role not in ("stop_loss", "take_profit"):
            last = self.portfolio.last_prices.get(order.symbol)
            self.risk._check_band(inst, last, new_price, "price")
            self.risk._check_band(inst, last, new_trigger, "trigger_price")
        if self.working_partner(client_id) is not None:
            if self.pair_modifier is None:
                raise ValidationError("order", "is one of a pair and cannot be changed alone")
            await self.pair_modifier(order, new_price, new_trigger, new_qty)
            return
        if is_emulated(order):
            self._apply(
                order, K.MODIFIED, new_price=new_price, new_trigger=new_trigger, new_qty=new_qty
            )
            return
        async with asyncio.timeout(self.request_timeout_s):
            await self.client.modify(
                order, price=new_price, trigger_price=new_trigger, quantity=new_qty
            )

    def shrink(self, order: Order, quantity: Decimal) -> None:
        """Lower an engine-held order's quantity locally (before it reaches the venue)."""
        self._apply(order, K.MODIFIED, new_qty=quantity)

    # --- reports from the venue -----------------------------------------------------------
    def on_report(self, report: ExecutionReport) -> None:
        try:
            self._on_report(report)
        except Exception:
            log.exception("failed to apply %r", report)

    def _on_report(self, report: ExecutionReport) -> None:
        if isinstance(report, OrderFilled):
            self.apply_fill(report.fill)
            return
        order = self.orders.get(report.client_id)
        if order is None:
            log.warning("report for an order we do not know: %r", report)
            return
        if isinstance(report, OrderAccepted):
            if order.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED):
                # an emulated stop released to the venue: same order, now resting there
                order.venue_order_id = report.venue_order_id
                self._index(order)
                self.journal.note_order(order, "released to the venue")
                return
            self._apply(order, K.ACCEPTED, venue_order_id=report.venue_order_id)
        elif isinstance(report, OrderRejected):
            self._apply(order, K.REJECTED, reason=report.reason)
        elif isinstance(report, OrderCanceled):
            asked = self._cancel_reasons.pop(order.client_id, "")
            self._apply(order, K.CANCELED, reason=asked or report.reason or "canceled by venue")
        elif isinstance(report, OrderExpired):
            self._apply(order, K.EXPIRED, reason=report.reason or "expired")
        elif isinstance(report, OrderModified):
            self._apply(
                order,
                K.MODIFIED,
                new_price=report.price,
                new_trigger=report.trigger_price,
                new_qty=report.quantity,
            )

    def apply_fill(self, fill: Fill) -> bool:
        """Apply a venue fill once. Returns False for a duplicate."""
        key = (fill.venue, fill.trade_id)  # fill.key, without a property call per fill
        if key in self.fill_keys:
            return False
        self.fill_keys.add(key)
        order = self.orders.get(fill.client_id)
        source = fill.source or (order.source if order is not None else EXTERNAL)
        realized = self.portfolio.apply_fill(fill, source)
        fill = fill.attributed(source, realized)
        self.fills.append(fill)
        self.journal.note_fill(fill)
        if log.isEnabledFor(_INFO):
            log.info(
                "fill %s %s %s @ %s fee %s %s [%s]",
                fill.side.value,
                fill.quantity,
                fill.symbol,
                fill.price,
                fill.fee,
                fill.fee_currency,
                fill.source,
            )
        if order is not None:
            # _apply's work, with only the arguments a fill has: this runs for every fill
            try:
                order.apply(
                    _FILLED,
                    self.clock(),
                    venue_order_id=fill.venue_order_id,
                    fill_qty=fill.quantity,
                    fill_price=fill.price,
                    fee=fill.fee,
                )
            except InvalidTransition as exc:
                log.warning("skipped: %s", exc)
            else:
                self._applied(order, _FILLED)
        else:
            log.warning(
                "fill %s of %s for an order we do not know (%s): recorded as external",
                fill.trade_id,
                fill.venue,
                fill.client_id,
            )
        publish = self.bus.publish
        publish(FillRecorded(fill))
        publish(PositionChanged(self.portfolio.positions[fill.symbol], fill.ts))
        return True

    # --- reconciliation (order_settlement.py) ---------------------------------------------
    async def settle(self, order: Order) -> None:
        """Ask the venue what became of ``order`` and apply its answer."""
        await order_settlement.settle(self, order)

    def apply_venue_state(self, order: Order, state: VenueOrderState) -> None:
        order_settlement.apply_venue_state(self, order, state)

    async def reconcile(self) -> list[str]:
        """Settle every working order with the venue (one lookup each); the changes as
        human-readable lines. The full reconciliation is ``reconcile.Reconciler``."""
        return await order_settlement.reconcile(self)

    # --- internals ------------------------------------------------------------------------
    def _get(self, client_id: str) -> Order:
        order = self.orders.get(client_id)
        if order is None:
            raise ValidationError("order", f"no order with id {client_id!r}")
        return order

    def _apply(
        self,
        order: Order,
        kind: OrderEventKind,
        *,
        venue_order_id: str | None = None,
        fill_qty: Decimal | None = None,
        fill_price: Decimal | None = None,
        fee: Decimal | None = None,
        reason: str | None = None,
        new_price: Decimal | None = None,
        new_trigger: Decimal | None = None,
        new_qty: Decimal | None = None,
    ) -> bool:
        try:
            order.apply(
                kind,
                self.clock(),
                venue_order_id=venue_order_id,
                fill_qty=fill_qty,
                fill_price=fill_price,
                fee=fee,
                reason=reason,
                new_price=new_price,
                new_trigger=new_trigger,
                new_qty=new_qty,
            )
        except InvalidTransition as exc:
            log.warning("skipped: %s", exc)
            return False
        self._applied(order, kind)
        if kind is K.UNKNOWN and self.on_unknown is not None:
            self.on_unknown(order)  # looked up again until the venue settles it
        return True

    def _applied(self, order: Order, kind: OrderEventKind) -> None:
        """After ``order`` took event ``kind``: index, log, journal and publish it."""
        self._index(order)
        if log.isEnabledFor(_INFO):  # the trader's log panel shows every state change
            log.info(
                "order %s %s %s %s %s → %s%s",
                order.client_id,
                order.side.value,
                order.quantity,
                order.symbol,
                order.type.value,
                order.status.value,
                f" ({order.reason})" if order.reason and kind is not _FILLED else "",
            )
        self.journal.note_order(order, order.history[-1][2])
        self.bus.publish(OrderUpdated(order, kind, order.updated_ns or self.clock()))  # _publish

    def _publish(self, order: Order, kind: OrderEventKind) -> None:
        self.bus.publish(OrderUpdated(order, kind, order.updated_ns or self.clock()))
