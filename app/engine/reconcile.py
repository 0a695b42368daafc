"""Reconciliation: bring the journal in line with what the venue says, and say what changed.

Run at start, after every reconnect (trading pauses until it is done) and periodically on a
real venue. One run, in order:

1. settle every working order (``query_order`` with its symbol);
2. adopt orders open at the venue that we did not place (placed on its website, by another
   program) as EXTERNAL orders: journaled, published, cancelable like ours;
3. apply the account's fills since the last sync (``recent_fills``): fills we already hold
   are skipped by (venue, trade id), fills of orders we do not know are recorded as external;
4. compare balances. An account whose journal has no ledger yet takes the venue's balances
   as its opening ledger; afterwards a difference halts trading with the list of differences,
   until the trader accepts the venue's figures (``accept_venue_balances``), which records
   ledger adjustments and lifts that halt.

Findings come back as human-readable lines and are logged. ``catch_up`` is the journal's
own consistency step at a restart, before any of this.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from app.engine.controls import TradingControls
from app.engine.domain.events import TradingState
from app.engine.domain.fills import Fill
from app.engine.domain.ids import EXTERNAL
from app.engine.domain.orders import Order, OrderEventKind, OrderType, TimeInForce
from app.engine.domain.values import ZERO
from app.engine.journal_port import JournalPort
from app.engine.oms import OrderManager
from app.engine.ports import VenueError, VenueOrderState
from app.engine.risk import RiskGate

log = logging.getLogger(__name__)
SYNC_KEY = "venue_sync"  # kv: {venue: clock ns of the last fill sync}
#: fills are fetched from a little before the last sync: venues stamp fills with their own
#: clock, and replays are harmless (fills are unique per trade id)
SYNC_OVERLAP_NS = 300 * 1_000_000_000
BALANCE_HALT = "balances differ from the venue: "
DEFAULT_RETRY_S: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


def catch_up(oms: OrderManager, fills: Iterable[Fill]) -> list[str]:
    """After a restart: bring orders up to the fills the journal holds.

    A fill is journaled before its order's new state, so a crash between the two leaves
    an order row that lags its own fills. Each order takes the journaled fills beyond
    what its row already counted, in time order. Returns the orders it changed."""
    by_order: dict[str, list[Fill]] = {}
    for fill in fills:
        by_order.setdefault(fill.client_id, []).append(fill)
    changed: list[str] = []
    for client_id, own in by_order.items():
        order = oms.orders.get(client_id)
        if order is None or order.filled_qty >= sum(f.quantity for f in own):
            continue
        counted = order.filled_qty
        seen = Decimal(0)
        for fill in sorted(own, key=lambda f: f.ts):
            seen += fill.quantity
            if seen <= counted:
                continue
            oms._apply(
                order,
                OrderEventKind.FILLED,
                venue_order_id=fill.venue_order_id,
                fill_qty=min(fill.quantity, seen - counted),
                fill_price=fill.price,
                fee=fill.fee,
            )
            counted = order.filled_qty
        changed.append(f"{client_id}: caught up to {order.filled_qty} filled")
    return changed


class Reconciler:
    def __init__(
        self,
        *,
        oms: OrderManager,
        controls: TradingControls,
        risk: RiskGate,
        journal: JournalPort,
        clock: Callable[[], int],
        symbols: Sequence[str],
        retry_s: Sequence[float] = DEFAULT_RETRY_S,
    ) -> None:
        self.oms = oms
        self.client = oms.client
        self.controls = controls
        self.risk = risk
        self.journal = journal
        self.clock = clock
        self.symbols = tuple(symbols)
        self.retry_s = tuple(retry_s) or DEFAULT_RETRY_S
        #: False until the journal holds a ledger: the first run takes the venue's balances
        self.has_ledger = True
        self._lock = asyncio.Lock()  # one run at a time
        self._pauses = 0  # reconnect runs waiting or running; trading resumes at zero
        self._synced: dict[str, int] | None = None  # SYNC_KEY's value, read once

    @property
    def venue(self) -> str:
        return self.client.venue

    # --- runs -----------------------------------------------------------------------------
    async def run(self, why: str) -> list[str]:
        """One full reconciliation. Raises the venue's error if it cannot be reached."""
        async with self._lock:
            findings = await self.oms.reconcile()
            findings += await self._adopt_open_orders()
            findings += await self._apply_missed_fills()
            findings += await self.check_balances(confirm=why != "start")
        for line in findings:
            log.warning("reconciliation with %s (%s): %s", self.venue, why, line)
        if not findings:
            log.info("reconciliation with %s (%s): the journal agrees", self.venue, why)
        return findings

    def after_reconnect(self, venue: str) -> Coroutine[Any, Any, list[str]]:
        """Pause new orders at once and return the coroutine that reconciles (retrying until
        the venue answers) and then lets trading resume. The caller owns it as a task."""
        self._pauses += 1
        self.risk.paused = (
            f"reconciling with {venue} after a reconnect: trading resumes when it is done"
        )
        log.warning("%s reconnected: new orders wait for reconciliation", venue)
        return self._reconcile_then_resume(venue)

    async def _reconcile_then_resume(self, venue: str) -> list[str]:
        try:
            attempt = 0
            while True:
                try:
                    return await self.run(f"{venue} reconnected")
                except (TimeoutError, VenueError, OSError) as exc:
                    delay = self.retry_s[min(attempt, len(self.retry_s) - 1)]
                    attempt += 1
                    log.warning(
                        "reconciliation with %s failed (%s); retrying in %.0f s", venue, exc, delay
                    )
                    await asyncio.sleep(delay)
        finally:
            self._pauses -= 1
            if self._pauses == 0:
                self.risk.paused = None
                log.info("reconciliation with %s done: trading resumes", venue)

    async def run_periodically(self, interval_s: float) -> None:
        """Until cancelled: reconcile every ``interval_s`` seconds; failures are logged."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.run("periodic")
            except asyncio.CancelledError:
                raise
            except (TimeoutError, VenueError, OSError) as exc:
                log.warning("periodic reconciliation with %s failed: %s", self.venue, exc)
            except Exception:
                log.exception("periodic reconciliation with %s failed", self.venue)

    # --- step 2: orders placed elsewhere --------------------------------------------------
    async def _adopt_open_orders(self) -> list[str]:
        findings: list[str] = []
        by_venue_id = {o.venue_order_id: o for o in self.oms.orders.values() if o.venue_order_id}
        for state in await self.client.open_orders():
            known = self.oms.orders.get(state.client_id) if state.client_id else None
            if known is None and state.venue_order_id:
                known = by_venue_id.get(state.venue_order_id)
            if known is not None:
                if known.is_terminal:
                    line = (
                        f"{known.client_id}: open at {self.venue} although the journal has it "
                        f"{known.status.value}; cancel it there if it should not trade"
                    )
                    log.error(line)
                    findings.append(line)
                continue
            order = self._external_order(state)
            if order is None:
                findings.append(
                    f"{self.venue} has an open order {state.client_id or state.venue_order_id} "
                    "we cannot adopt: the venue did not say its symbol, side and quantity"
                )
                continue
            self.oms.adopt(order, state.venue_order_id)
            for fill in state.fills:
                if fill.client_id != order.client_id:  # the venue's fill names no client id
                    fill = replace(fill, client_id=order.client_id)
                self.oms.apply_fill(fill)
            findings.append(
                f"adopted external order {order.client_id}: {order.side.value} "
                f"{order.quantity} {order.symbol} {order.type.value}"
                + (f" @ {order.price}" if order.price is not None else "")
            )
        return findings

    def _external_order(self, state: VenueOrderState) -> Order | None:
        """An Order for a venue order we did not place, from what the venue says it is (its
        symbol and side may also come from its fills)."""
        first = state.fills[0] if state.fills else None
        symbol = state.symbol or (first.symbol if first else "")
        side = state.side or (first.side if first else None)
        if not symbol or side is None or state.quantity is None:
            return None
        if symbol not in self.risk.instruments:
            return None
        otype = state.type or (OrderType.LIMIT if state.price else OrderType.MARKET)
        return Order(
            client_id=state.client_id or f"ext-{state.venue_order_id}",
            venue=self.venue,
            symbol=symbol,
            side=side,
            type=otype,
            quantity=state.quantity,
            price=state.price,
            trigger_price=state.trigger_price,
            tif=TimeInForce.GTC,
            reduce_only=False,
            source=EXTERNAL,
            created_ns=self.clock(),
        )

    # --- step 3: fills we missed ----------------------------------------------------------
    async def _apply_missed_fills(self) -> list[str]:
        now = self.clock()
        if self._synced is None:
            self._synced = dict(self.journal.get_kv(SYNC_KEY) or {})
        synced = self._synced
        last = synced.get(self.venue)
        if last is None:
            # never synced: a fresh account starts from the venue's balances (fills before
            # now are already in them); an existing journal from its newest fill
            newest = max((f.ts for f in self.oms.fills), default=None)
            last = now if not self.has_ledger or newest is None else newest
        since = max(0, last - SYNC_OVERLAP_NS)
        fills = await self.client.recent_fills(self.symbols, since)
        applied = [f for f in sorted(fills, key=lambda f: f.ts) if self.oms.apply_fill(f)]
        synced[self.venue] = now
        self.journal.set_kv(SYNC_KEY, dict(synced))
        return [
            f"missed fill {f.trade_id}: {f.side.value} {f.quantity} {f.symbol} @ {f.price} "
            f"({f.client_id or 'no client id'})"
            for f in applied
        ]

    # --- step 4: balances -----------------------------------------------------------------
    async def check_balances(self, *, confirm: bool = False) -> list[str]:
        """Compare the venue's balances with ours; a difference halts trading. Returns the
        differences. ``confirm`` re-reads fills and balances once before halting, so a fill
        that landed between the two reads is not taken for a discrepancy."""
        venue = await self.client.balances()
        if not self.has_ledger:
            return self._open_ledger(venue)
        diffs = self._differences(venue)
        if diffs and confirm:
            await self._apply_missed_fills()
            venue = await self.client.balances()
            diffs = self._differences(venue)
        if diffs:
            message = BALANCE_HALT + "; ".join(diffs)
            message += " (accept the venue's balances to resume)"
            log.error(message)
            self.controls.set_state(TradingState.HALTED, message, self.clock())
        return diffs

    def _differences(self, venue: Mapping[str, Decimal]) -> list[str]:
        ours = self.oms.portfolio.balances
        return [
            f"{asset}: venue {venue.get(asset, ZERO)} vs journal {ours.get(asset, ZERO)}"
            for asset in sorted(set(venue) | set(ours))
            if venue.get(asset, ZERO) != ours.get(asset, ZERO)
        ]

    def _open_ledger(self, venue: Mapping[str, Decimal]) -> list[str]:
        note = f"opening balances from {self.venue}"
        lines = self._adjust_to(venue, "deposit", note)
        self.has_ledger = True
        log.info("%s: %s", note, "; ".join(lines) or "none")
        return [f"{note}: " + ("; ".join(lines) or "none")]

    async def accept_venue_balances(self) -> list[str]:
        """Record ledger adjustments that bring our balances to the venue's, and lift a halt
        the balance check caused. Returns the adjustments made."""
        venue = await self.client.balances()
        lines = self._adjust_to(venue, "adjustment", f"accepted {self.venue}'s balance")
        now = self.clock()
        reason = self.controls.reason
        if self.controls.state is TradingState.HALTED and reason.startswith(BALANCE_HALT):
            self.controls.resume(now)
        self.has_ledger = True
        return lines

    def _adjust_to(self, venue: Mapping[str, Decimal], kind: str, note: str) -> list[str]:
        portfolio = self.oms.portfolio
        now = self.clock()
        lines: list[str] = []
        for asset in sorted(set(venue) | set(portfolio.balances)):
            delta = venue.get(asset, ZERO) - portfolio.balances.get(asset, ZERO)
            if delta == 0:
                continue
            self.journal.append_ledger(now, asset, delta, kind, note)
            portfolio.deposit(asset, delta)
            lines.append(f"{asset} {delta:+}")
        return lines
