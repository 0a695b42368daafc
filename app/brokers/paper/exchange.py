"""PaperExchange: a simulated venue behind the same ExecutionClient protocol as real ones.

It runs in-process and synchronously: ``submit`` validates, accepts and fills (when it can)
before it returns, and market data handed to ``on_quote`` / ``on_trade`` fills resting orders
before those return. Every state change is first appended to the record log (when a store is
given), then applied to the books, then reported; the constructor replays the log, so after a
restart the venue still knows every order it accepted and every fill it made.

Matching rules live in ``matching`` (documented there) and are applied by ``executor``;
filters and balance checks are in ``admission``, the books in ``state``, the log in ``records``.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal

from app.brokers.paper import messages
from app.brokers.paper.admission import admit_new, modify_refusal
from app.brokers.paper.config import PaperConfig
from app.brokers.paper.executor import Executor
from app.brokers.paper.fees import FeeSchedule
from app.brokers.paper.records import (
    Accepted,
    Canceled,
    Deposited,
    Modified,
    PaperStateError,
    Record,
    Rejected,
    decode,
    encode,
)
from app.brokers.paper.state import PaperState, VenueOrder
from app.engine.domain.events import (
    ExecutionReport,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from app.engine.domain.fills import Fill
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import Bar, QuoteTick, TradeTick
from app.engine.domain.orders import Order, OrderStatus
from app.engine.domain.values import ZERO
from app.engine.ports import (
    Capabilities,
    OrderNotFound,
    OrderRefused,
    ReportSink,
    VenueOrderState,
    VenueStateStore,
)

log = logging.getLogger(__name__)


class PaperExchange:
    """A simulated exchange. See the module docstring; public API:

    ExecutionClient: ``set_report_sink``, ``submit``, ``cancel``, ``modify``, ``query_order``,
    ``open_orders``, ``balances``. Market data: ``on_quote``, ``on_trade``, ``on_bar`` (ignored)
    and ``on_market`` (any of them; usable as a ``MarketSink``). Sync reads: ``available``,
    ``reserved``, ``total``.
    """

    def __init__(
        self,
        venue: str,
        instruments: Sequence[Instrument],
        config: PaperConfig,
        store: VenueStateStore | None,
        clock: Callable[[], int],
    ) -> None:
        self.venue = venue
        self.capabilities = Capabilities(
            stop_orders=True,
            stop_limit_orders=True,
            modify=True,
            shorting=config.shorting,
            native_oco=False,
            not_found_is_final=True,
        )
        self._config = config
        self._store = store
        self._clock = clock
        self._instruments = {instrument.symbol: instrument for instrument in instruments}
        self._fees = FeeSchedule(config.fee_currency, config.maker_fee, config.taker_fee)
        self._state = PaperState(venue, self._instruments, self._fees, config.shorting)
        self._sink: ReportSink | None = None
        # reports wait here until delivered: nothing is lost before a sink is set, and a sink
        # that calls back into the venue gets later reports after the current ones, in order
        self._outbox: deque[ExecutionReport] = deque()
        self._flushing = False
        self._now = 0  # the clock, read once per public call: one event, one timestamp

        raw_records = store.load_venue_records(venue) if store is not None else []
        for index, raw in enumerate(raw_records):
            try:
                self._state.apply(decode(raw))
            except PaperStateError as exc:
                raise PaperStateError(f"venue {venue!r}, record #{index}: {exc}") from exc
        # Seeded by the log length as well: a restarted venue does not replay the draws of
        # the first run, but the same log and the same inputs still give the same draws.
        rng = random.Random(f"{config.seed}:{len(raw_records)}")
        self._executor = Executor(self._state, config, rng, self._commit, lambda: self._now)
        if not raw_records:
            self._now = clock()
            for asset in sorted(config.initial_balances):
                amount = config.initial_balances[asset]
                if amount > 0:
                    self._commit(Deposited(asset, amount, self._now))

    # --- reads -----------------------------------------------------------------------------
    def total(self, asset: str) -> Decimal:
        return self._state.balances.total(asset)

    def available(self, asset: str) -> Decimal:
        """Total minus what working orders hold: what a new order may use."""
        return self._state.balances.available(asset)

    def reserved(self, asset: str) -> Decimal:
        return self._state.balances.reserved(asset)

    # --- ExecutionClient -------------------------------------------------------------------
    def set_report_sink(self, sink: ReportSink) -> None:
        self._sink = sink
        self._flush()

    async def submit(self, order: Order) -> None:
        """Accept (and fill what can fill now) or reject; refusals are reported, not raised."""
        self.submit_now(order)

    def submit_now(self, order: Order) -> None:
        """``submit`` as a plain call: the venue answers (reports delivered) before returning."""
        self._now = self._clock()
        try:
            self._submit(order)
        finally:
            self._flush()

    def synchronous_submit(self) -> Callable[[Order], None] | None:
        """``submit_now`` for a caller that wants no coroutine and no deadline per order (the
        OMS), or None when a subclass overrides ``submit``: its override (a delay, a lost
        reply in a test) must run, so it keeps the awaited path."""
        return self.submit_now if type(self).submit is PaperExchange.submit else None

    async def cancel(self, order: Order) -> None:
        self._now = self._clock()
        venue_order = self._open_order(order.client_id)
        try:
            self._commit(Canceled(venue_order.client_id, "", self._now))
        finally:
            self._flush()

    async def modify(
        self,
        order: Order,
        *,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        quantity: Decimal | None = None,
    ) -> None:
        """Change price, stop price and/or quantity, keeping the venue order id.

        A refused modification raises ``OrderRefused`` (the order stays as it was): the report
        types have no "modify rejected", and an ``OrderRejected`` would claim the live order
        is dead. A price that becomes marketable fills at once, as taker.
        """
        self._now = self._clock()
        venue_order = self._open_order(order.client_id)
        instrument = self._state.instrument_of(venue_order)
        refusal = modify_refusal(
            venue_order,
            instrument,
            self._state,
            self._config,
            self._executor.last_trades.get(venue_order.symbol),
            price=price,
            trigger_price=trigger_price,
            quantity=quantity,
        )
        if refusal is not None:
            raise OrderRefused(refusal)
        try:
            self._commit(Modified(venue_order.client_id, price, trigger_price, quantity, self._now))
            touch = self._executor.touches.get(venue_order.symbol)
            if touch is not None:
                self._executor.take(venue_order, instrument, touch)
        finally:
            self._flush()

    async def query_order(self, client_id: str, symbol: str | None = None) -> VenueOrderState:
        venue_order = self._state.orders.get(client_id)
        if venue_order is not None:
            return venue_order.snapshot()
        rejected = self._state.rejected.get(client_id)
        if rejected is not None:
            return VenueOrderState(client_id, None, OrderStatus.REJECTED, ZERO, (), rejected.reason)
        raise OrderNotFound(messages.NO_SUCH_ORDER)

    async def open_orders(self) -> Sequence[VenueOrderState]:
        working = sorted(self._state.open_orders(), key=lambda o: o.number)
        return [venue_order.snapshot() for venue_order in working]

    async def balances(self) -> dict[str, Decimal]:
        """Totals per asset (holds included; see ``available``)."""
        return self._state.balances.totals()

    async def recent_fills(self, symbols: Sequence[str], since_ns: int) -> Sequence[Fill]:
        wanted = set(symbols)
        fills = [
            fill
            for venue_order in self._state.orders.values()
            if venue_order.symbol in wanted
            for fill in venue_order.fills
            if fill.ts >= since_ns
        ]
        return sorted(fills, key=lambda f: f.ts)

    # --- market data -----------------------------------------------------------------------
    def on_market(self, event: TradeTick | QuoteTick | Bar) -> None:
        if isinstance(event, QuoteTick):
            self.on_quote(event)
        elif isinstance(event, TradeTick):
            self.on_trade(event)
        else:
            self.on_bar(event)

    def on_bar(self, bar: Bar) -> None:
        """Ignored: a bar does not say in which order its prices happened, so it cannot decide
        which of two orders filled first. Backtests feed quotes and trades."""

    def on_quote(self, quote: QuoteTick) -> None:
        """New top of book: fills waiting market orders (taker) and limits it crosses (maker)."""
        instrument = self._instruments.get(quote.symbol)
        if instrument is None:
            return
        self._now = self._clock()
        try:
            self._executor.on_quote(quote, instrument)
        finally:
            self._flush()

    def on_trade(self, trade: TradeTick) -> None:
        """A print: fills resting limits it went through (maker), then triggers stops."""
        instrument = self._instruments.get(trade.symbol)
        if instrument is None:
            return
        self._now = self._clock()
        try:
            self._executor.on_trade(trade, instrument)
        finally:
            self._flush()

    # --- order flow --------------------------------------------------------------------
    def _submit(self, order: Order) -> None:
        known = self._state.orders.get(order.client_id)
        if known is not None or order.client_id in self._state.rejected:
            self._echo(order.client_id)
            return
        instrument = self._instruments.get(order.symbol)
        admission = admit_new(
            order,
            self.venue,
            instrument,
            self._state,
            self._config,
            self._executor.touches.get(order.symbol),
            self._executor.last_trades.get(order.symbol),
        )
        if admission.refusal is not None or instrument is None:
            reason = admission.refusal or messages.INVALID_SYMBOL
            self._commit(Rejected(order.client_id, order.symbol, reason, self._now))
            return
        self._commit(
            Accepted(
                client_id=order.client_id,
                venue_order_id=f"PO-{self._state.order_count + 1}",
                symbol=order.symbol,
                side=order.side,
                type=order.type,
                quantity=order.quantity,
                price=order.price if order.type.has_price else None,
                trigger_price=order.trigger_price if order.type.has_trigger else None,
                tif=order.tif,
                reduce_only=order.reduce_only,
                hold_price=admission.hold_price,
                ts=self._now,
            )
        )
        venue_order = self._state.orders[order.client_id]
        if not venue_order.stop_pending:
            self._executor.arrive(venue_order, instrument)

    def _open_order(self, client_id: str) -> VenueOrder:
        order = self._state.orders.get(client_id)
        if order is None or not order.is_open:
            raise OrderNotFound(messages.UNKNOWN_ORDER)
        return order

    def _echo(self, client_id: str) -> None:
        """A client id the venue already knows: create nothing, and answer with that order's
        own reports so an engine that lost track converges on the venue's truth. An
        ``OrderRejected`` here would tell the engine a live order is dead."""
        log.warning("%s: known client id %s submitted again; resending", self.venue, client_id)
        rejected = self._state.rejected.get(client_id)
        if rejected is not None:
            self._outbox.append(OrderRejected(client_id, rejected.reason, rejected.ts))
            return
        order = self._state.orders[client_id]
        self._outbox.append(OrderAccepted(client_id, order.venue_order_id, order.accepted_ns))
        self._outbox.extend(OrderFilled(fill) for fill in order.fills)
        if order.status is OrderStatus.CANCELED:
            self._outbox.append(OrderCanceled(client_id, order.closed_ns, order.reason))
        elif order.status is OrderStatus.EXPIRED:
            self._outbox.append(OrderExpired(client_id, order.closed_ns, order.reason))

    # --- the record log and the reports ----------------------------------------------------
    def _commit(self, record: Record) -> None:
        """Journal, then apply, then queue the report: a crash after the append is repaired
        by the replay; one before it leaves no trace anywhere, as with a real venue."""
        if self._store is not None:
            self._store.append_venue_record(self.venue, encode(record))
        report = self._state.apply(record)
        if report is not None:
            self._outbox.append(report)

    def _flush(self) -> None:
        if self._sink is None or self._flushing:
            return
        self._flushing = True
        try:
            while self._outbox:
                report = self._outbox.popleft()
                try:
                    self._sink(report)
                except Exception:
                    # The venue's books are already right; a failing consumer must not stop the
                    # reports behind it, nor unwind the market data call that made them.
                    log.exception("%s: report sink failed on %r", self.venue, report)
        finally:
            self._flushing = False
