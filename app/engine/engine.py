"""The trading engine: one object that owns the bus, portfolio, risk gate, OMS, emulated
stops, brackets and trading controls, restores them from the journal, and offers the one
facade every client (CLI, UI, bots) uses to trade. It knows nothing of Qt or of any venue
SDK: the venue comes in through the ExecutionClient port, and its health through the
ReportsStatus port (``attach_status``).

Reconciliation with the venue (reconcile.py) runs at start, after every reconnect (new orders
wait for it) and, on a real venue, every ``reconcile_every_s`` seconds. UNKNOWN orders are
looked up again with backoff (unknown_orders.py) until the venue settles them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.engine.brackets import BracketManager, validate_bracket
from app.engine.bus import Bus, Priority
from app.engine.clock import Clock
from app.engine.controls import TradingControls
from app.engine.domain.events import (
    AccountChanged,
    FillRecorded,
    OrderUpdated,
    PositionChanged,
)
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import Bar, QuoteTick, TradeTick
from app.engine.domain.orders import (
    Order,
    OrderEventKind,
    OrderRequest,
    OrderStatus,
    OrderType,
)
from app.engine.domain.positions import Position
from app.engine.domain.values import to_decimal
from app.engine.emulator import OrderEmulator
from app.engine.flatten import close_position, flatten_all, reverse_position
from app.engine.journal_port import JournalPort
from app.engine.oms import OrderManager
from app.engine.oms_ports import is_emulated
from app.engine.portfolio import Portfolio
from app.engine.ports import ExecutionClient, ReportsStatus
from app.engine.reconcile import DEFAULT_RETRY_S, Reconciler, catch_up
from app.engine.reservations import Reservations
from app.engine.risk import CheckedOrder, RiskGate
from app.engine.risk_limits import RiskLimits
from app.engine.tasks import TaskSupervisor
from app.engine.unknown_orders import DEFAULT_BACKOFF_S, UnknownOrderWatcher
from app.engine.venue_health import VenueHealth

log = logging.getLogger(__name__)
LIMITS_KEY = "risk_limits"


@dataclass(frozen=True, slots=True)
class AccountSummary:
    equity: Decimal
    cash: Decimal
    day_pnl: Decimal
    realized: Decimal
    unrealized: Decimal
    fees: Decimal
    state: str
    positions: tuple[Position, ...]
    balances: tuple[tuple[str, Decimal], ...]


class TradingEngine:
    def __init__(
        self,
        *,
        journal: Any,
        client: ExecutionClient,
        instruments: Mapping[str, Instrument],
        clock: Clock,
        currency: str = "USD",
        breaker_interval_s: float = 0.5,
        reconcile_every_s: float | None = 60.0,
        unknown_backoff_s: Sequence[float] = DEFAULT_BACKOFF_S,
        reconnect_retry_s: Sequence[float] = DEFAULT_RETRY_S,
        lost_after_lookups: int = 3,
        lost_after_s: float = 120.0,
    ) -> None:
        """``reconcile_every_s``: periodic reconciliation (None: never). A venue whose
        "not found" is final (the in-process paper exchange) cannot drift from the journal,
        so it is never reconciled periodically. ``lost_after_*``: when an order the venue
        keeps not finding is declared lost (see OrderManager)."""
        self.journal: JournalPort = journal
        self.store = journal  # the concrete journal, for reads (fills, orders) at startup
        self.client = client
        self.instruments = dict(instruments)
        self.clock = clock
        self.breaker_interval_s = breaker_interval_s
        self.bus = Bus()
        self.tasks = TaskSupervisor()
        self.portfolio = Portfolio(self.instruments, currency)
        self.oms: OrderManager
        self.reservations = Reservations(self.instruments, self.portfolio.last_prices.get)
        self.risk = RiskGate(
            self.instruments,
            self.portfolio,
            self.reservations.reserved,
            clock.now_ns,
            shorting=client.capabilities.shorting,
        )
        self.oms = OrderManager(
            self.bus,
            journal,
            self.portfolio,
            self.risk,
            client,
            clock.now_ns,
            reservations=self.reservations,
            lost_after_lookups=lost_after_lookups,
            lost_after_s=lost_after_s,
        )
        self.unknown_orders = UnknownOrderWatcher(self.oms, backoff_s=unknown_backoff_s)
        self.oms.on_unknown = self.unknown_orders.watch
        self.emulator = OrderEmulator(
            release=self._release_stop,
            modify_trigger=self._trail_stop,
            tick_size=lambda s: self.instruments[s].tick_size,
            spawn=self.tasks.spawn,
        )
        self.oms.emulator = self.emulator
        self.brackets = BracketManager(self.oms, journal, self.tasks.spawn)
        self.oms.pair_modifier = self.brackets.modify_pair
        self.controls = TradingControls(self.bus, journal, self.risk, self.portfolio, self.oms)
        self.reconciler = Reconciler(
            oms=self.oms,
            controls=self.controls,
            risk=self.risk,
            journal=journal,
            clock=clock.now_ns,
            symbols=list(self.instruments),
            retry_s=reconnect_retry_s,
        )
        self.reconcile_every_s = (
            None if client.capabilities.not_found_is_final else reconcile_every_s
        )
        self.health = VenueHealth(
            self.bus, self.risk, self.controls, clock.now_ns, self._reconcile_after_reconnect
        )
        self._started = False
        b = self.bus
        b.subscribe(TradeTick, self._mark, priority=Priority.CORE)
        b.subscribe(TradeTick, self.emulator.on_trade, priority=Priority.RISK)
        b.subscribe(FillRecorded, self.brackets.on_fill, priority=Priority.RISK)
        b.subscribe(OrderUpdated, self.brackets.on_order, priority=Priority.RISK)
        b.subscribe(PositionChanged, self.brackets.on_position, priority=Priority.RISK)

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self, *, initial_deposit: Mapping[str, Decimal] | None = None) -> list[str]:
        """Restore state from the journal, reconcile with the venue, start supervision.

        Returns reconciliation findings (empty when the venue and the journal agree)."""
        now = self.clock.now_ns()
        ledger = self.store.load_ledger()
        if not ledger and initial_deposit:
            for asset, amount in initial_deposit.items():
                self.journal.append_ledger(now, asset, amount, "deposit", "paper account opened")
                self.portfolio.deposit(asset, amount)
        # a real account's journal starts from the venue's balances (reconciliation)
        self.reconciler.has_ledger = bool(ledger or initial_deposit)
        for entry in ledger:
            self.portfolio.deposit(entry.asset, entry.amount)
        for fill in self.store.load_fills():
            self.oms.fill_keys.add(fill.key)
            self.portfolio.apply_fill(fill)
            self.oms.fills.append(fill)
        for order in self.store.load_orders(open_only=False):
            self.oms.add(order)
        saved_limits = self.journal.get_kv(LIMITS_KEY)
        if saved_limits:
            self.risk.limits = RiskLimits.from_mapping(saved_limits)
        findings = catch_up(self.oms, self.oms.fills)
        self.brackets.restore()
        self.controls.restore(now)
        opening = not self.reconciler.has_ledger
        findings.extend(await self.reconciler.run("start"))
        if opening:  # the venue's balances just opened the ledger: today opens with them
            self.controls.roll_day(now)
        for order in self.oms.working():
            if is_emulated(order):
                self.emulator.hold(order, self.brackets.trail_of(order.client_id))
            elif order.status is OrderStatus.UNKNOWN:
                self.unknown_orders.watch(order)
        self.tasks.spawn(self._breaker_loop(), "breaker", service=True)
        self.tasks.spawn(self.unknown_orders.run(), "unknown-orders", service=True)
        if self.reconcile_every_s is not None:
            self.tasks.spawn(
                self.reconciler.run_periodically(self.reconcile_every_s),
                "reconcile",
                service=True,
            )
        self._started = True
        return findings

    async def stop(self) -> None:
        await self.tasks.shutdown()
        await self.journal_flush()

    async def journal_flush(self) -> None:
        flush = getattr(self.store, "flush", None)
        if flush is not None:
            await flush()

    async def _check_balances(self) -> list[str]:
        """Compare the venue's balances with ours; a mismatch halts trading."""
        return await self.reconciler.check_balances()

    # --- venue: reconciliation and health -------------------------------------------------
    async def reconcile(self) -> list[str]:
        """Reconcile with the venue now (as at start). Returns the findings."""
        return await self.reconciler.run("asked")

    async def accept_venue_balances(self) -> list[str]:
        """Take the venue's balances as ours (ledger adjustments) and lift the halt a balance
        mismatch caused. Returns the adjustments, e.g. ``["USDT +12.5"]``."""
        return await self.reconciler.accept_venue_balances()

    def attach_status(self, source: ReportsStatus) -> None:
        """Receive ``source``'s connection changes, stale symbols and alerts."""
        source.set_status_sink(self.health.on_status)

    def _reconcile_after_reconnect(self, venue: str) -> None:
        if not self._started:
            return  # start() reconciles anyway, once the journal is loaded
        if venue != self.client.venue:
            return  # another venue's feed (market data only): nothing of ours to reconcile
        # the pause starts now, before the task first runs: no order slips in between
        self.tasks.spawn(self.reconciler.after_reconnect(venue), f"reconcile-{venue}")

    # --- market data in -------------------------------------------------------------------
    def on_market(self, event: TradeTick | QuoteTick | Bar) -> None:
        self.bus.publish(event)

    def _mark(self, tick: TradeTick) -> None:
        self.portfolio.mark(tick.symbol, tick.price)

    # --- facade: orders -------------------------------------------------------------------
    async def place_order(self, req: OrderRequest) -> Order:
        """The one way to trade. Raises ValidationError/RiskDenied naming the field at fault."""
        if req.bracket is not None and not req.bracket.empty:
            self._check_bracket(req)
        order = await self.oms.submit(req)
        if req.bracket is not None and not req.bracket.empty:
            self.brackets.attach(order, req.bracket)
            if order.filled_qty > 0:  # filled before we could attach (market order)
                self.tasks.spawn(self.brackets._ensure_children(order.client_id), "bracket")
        return order

    def preview_order(self, req: OrderRequest) -> CheckedOrder:
        """Run the risk gate on ``req`` without sending or remembering anything, so an order
        ticket can show the verdict next to the field at fault before the trader clicks."""
        if req.bracket is not None and not req.bracket.empty:
            self._check_bracket(req)
        return self.risk.check(req, record=False)

    def _check_bracket(self, req: OrderRequest) -> None:
        assert req.bracket is not None
        inst = self.instruments.get(req.symbol)
        ref = self.portfolio.last_prices.get(req.symbol)
        limit_price = req.price if req.type is OrderType.LIMIT else None
        if inst is not None and (limit_price is not None or ref is not None):
            reference = inst.make_price(limit_price, "price") if limit_price is not None else ref
            assert reference is not None
            validate_bracket(req.bracket, req.side, reference)

    async def cancel(self, client_id: str) -> None:
        order = self.oms.orders.get(client_id)
        if order is not None and await self.brackets.cancel_one(order, "canceled by trader"):
            return  # one order of a venue list: its other order was kept
        await self.oms.cancel(client_id, "canceled by trader")

    async def cancel_all(self, *, symbol: str | None = None, source: str | None = None) -> int:
        return await self.oms.cancel_all(symbol=symbol, source=source)

    async def modify(
        self,
        client_id: str,
        *,
        price: object = None,
        trigger_price: object = None,
        quantity: object = None,
    ) -> None:
        await self.oms.modify(
            client_id, price=price, trigger_price=trigger_price, quantity=quantity
        )

    async def protect_position(
        self, symbol: str, *, stop_loss: object = None, take_profit: object = None
    ) -> list[Order]:
        """Attach (or move) a stop-loss and/or take-profit on an open position."""
        return await self.brackets.protect(
            symbol,
            stop_loss=None if stop_loss is None else to_decimal(stop_loss, "stop_loss"),
            take_profit=None if take_profit is None else to_decimal(take_profit, "take_profit"),
            now_ns=self.clock.now_ns(),
        )

    async def close_position(self, symbol: str) -> list[Order]:
        return await close_position(self.oms, symbol)

    async def reverse_position(self, symbol: str) -> Order:
        return await reverse_position(self.oms, symbol)

    async def flatten_all(self) -> list[Order]:
        return await flatten_all(self.oms)

    async def kill_switch(self, *, flatten: bool = False) -> int:
        return await self.controls.kill_switch(self.clock.now_ns(), flatten=flatten)

    def resume_trading(self) -> None:
        self.controls.resume(self.clock.now_ns())

    def set_limits(self, values: Mapping[str, object]) -> RiskLimits:
        """Validate and apply risk limits at once; persisted for the next start."""
        limits = RiskLimits.from_mapping(values, self.risk.limits)
        self.risk.limits = limits
        self.journal.set_kv(LIMITS_KEY, limits.to_mapping())
        return limits

    def where_held(self, client_id: str) -> str:
        """Where a working order lives: "app" for a stop held here until it triggers (it
        works only while the app runs), "oco" for one order of a venue-held one-cancels-the-
        other list, "" for an ordinary order at the venue."""
        order = self.oms.orders.get(client_id)
        if order is None:
            return ""
        if is_emulated(order):
            return "app"
        return "oco" if self.oms.working_partner(client_id) is not None else ""

    # --- figures --------------------------------------------------------------------------
    def summary(self) -> AccountSummary:
        p = self.portfolio
        return AccountSummary(
            equity=p.equity(),
            cash=p.cash,
            day_pnl=self.controls.day_pnl(),
            realized=p.realized_pnl(),
            unrealized=p.unrealized_pnl(),
            fees=p.fees(),
            state=self.risk.state.value,
            positions=tuple(p.open_positions()),
            balances=tuple(sorted((a, v) for a, v in p.balances.items() if v != 0)),
        )

    # --- internals ------------------------------------------------------------------------
    async def _release_stop(self, order: Order, as_type: OrderType) -> None:
        if await self.brackets.before_release(order):
            await self.oms.send(order, as_type=as_type)

    def _trail_stop(self, order: Order, trigger: Decimal) -> None:
        self.oms._apply(order, OrderEventKind.MODIFIED, new_trigger=trigger)

    def publish_account(self) -> AccountChanged:
        p = self.portfolio
        equity = p.equity()
        day_pnl = self.controls.day_pnl(equity)
        event = AccountChanged(equity, p.cash, day_pnl, self.clock.now_ns())
        self.bus.publish(event)
        return event

    async def _breaker_loop(self) -> None:
        """The account monitor: publishes equity and checks the daily-loss breaker."""
        while True:
            await asyncio.sleep(self.breaker_interval_s)
            try:
                self.publish_account()
                await self.controls.check_breaker(self.clock.now_ns())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("account monitor failed")
