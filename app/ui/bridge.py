"""The one way engine updates reach the widgets.

The bridge subscribes to the engine's bus (at UI priority, after the portfolio and order
state are current), keeps the latest snapshot per key — per symbol for prices, per order id
for orders — and hands a batch to Qt on a timer (20 Hz by default). Widgets never poll the
engine and are never called per tick, so a slow widget cannot slow the engine down.

Signals (each carries one batch):
    quotes(dict[str, MarketSnapshot])   latest prices of symbols that changed
    bars(list[Bar])                     every bar event since the last flush, in order
    orders(list[Order])                 orders that changed (latest state, one per id)
    fills(list[Fill])                   new fills, in order
    positions(list[Position])           every position of the account (when any changed)
    account(AccountChanged)             latest equity / cash / day P&L
    trading_state(TradingStateChanged)  latest trading state
    alerts(list[Alert])                 alerts since the last flush
    denied(list[OrderDenied])           risk-gate refusals since the last flush
    connections(list[ConnectionChanged])  venue streams that went down or came back

A symbol whose data the venue adapter reports stale is marked on its snapshot (``stale``)
until its next update; ``connections`` keeps the latest state of every venue stream.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QObject, QTimer, Signal

from app.engine.bus import Bus, Priority
from app.engine.domain.events import (
    AccountChanged,
    Alert,
    ConnectionChanged,
    FillRecorded,
    OrderDenied,
    OrderUpdated,
    PositionChanged,
    SymbolHealth,
    TradingStateChanged,
)
from app.engine.domain.fills import Fill
from app.engine.domain.market import Bar, QuoteTick, TradeTick
from app.engine.domain.orders import Order
from app.engine.domain.values import ZERO
from app.engine.portfolio import Portfolio


@dataclass(slots=True)
class MarketSnapshot:
    """What a watchlist row shows. ``open`` is the first price seen this session, the
    reference for change %."""

    symbol: str
    last: Decimal | None = None
    bid: Decimal | None = None
    ask: Decimal | None = None
    volume: Decimal = ZERO
    open: Decimal | None = None
    ts: int = 0
    stale: bool = False  # the venue's data for it stopped: market orders are refused

    @property
    def change_pct(self) -> Decimal | None:
        if self.last is None or not self.open:
            return None
        return (self.last - self.open) / self.open * 100

    @property
    def spread(self) -> Decimal | None:
        return None if self.bid is None or self.ask is None else self.ask - self.bid


class EngineBridge(QObject):
    quotes = Signal(object)
    bars = Signal(object)
    orders = Signal(object)
    fills = Signal(object)
    positions = Signal(object)
    account = Signal(object)
    trading_state = Signal(object)
    alerts = Signal(object)
    denied = Signal(object)
    connections = Signal(object)

    def __init__(self, bus: Bus, portfolio: Portfolio, interval_ms: int = 50) -> None:
        super().__init__()
        self.snapshots: dict[str, MarketSnapshot] = {}
        self._portfolio = portfolio
        self._dirty_quotes: set[str] = set()
        self._bars: list[Bar] = []
        self._orders: dict[str, Order] = {}
        self._fills: list[Fill] = []
        self._positions_dirty = False
        self._account: AccountChanged | None = None
        self._state: TradingStateChanged | None = None
        self._alerts: list[Alert] = []
        self._denied: list[OrderDenied] = []
        #: (venue, stream) -> its latest state
        self.streams: dict[tuple[str, str], ConnectionChanged] = {}
        self._streams_changed: list[ConnectionChanged] = []
        self.flushes = 0
        self.last_market_wall: float | None = None  # time.monotonic() of the latest tick
        self.market_events = 0
        ui = Priority.UI
        self._unsubscribe = [
            bus.subscribe(TradeTick, self._on_trade, priority=ui),
            bus.subscribe(QuoteTick, self._on_quote, priority=ui),
            bus.subscribe(Bar, self._bars.append, priority=ui),
            bus.subscribe(OrderUpdated, self._on_order, priority=ui),
            bus.subscribe(FillRecorded, self._on_fill, priority=ui),
            bus.subscribe(PositionChanged, self._on_position, priority=ui),
            bus.subscribe(AccountChanged, self._on_account, priority=ui),
            bus.subscribe(TradingStateChanged, self._on_state, priority=ui),
            bus.subscribe(Alert, self._alerts.append, priority=ui),
            bus.subscribe(OrderDenied, self._denied.append, priority=ui),
            bus.subscribe(SymbolHealth, self._on_health, priority=ui),
            bus.subscribe(ConnectionChanged, self._on_connection, priority=ui),
        ]
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self._timer.start()

    def close(self) -> None:
        self._timer.stop()
        for off in self._unsubscribe:
            off()

    # --- bus side (cheap: remember, do not render) ------------------------------------
    def _snapshot(self, symbol: str) -> MarketSnapshot:
        snap = self.snapshots.get(symbol)
        if snap is None:
            snap = self.snapshots[symbol] = MarketSnapshot(symbol)
        return snap

    def _on_trade(self, tick: TradeTick) -> None:
        self.last_market_wall = time.monotonic()
        self.market_events += 1
        snap = self._snapshot(tick.symbol)
        snap.last = tick.price
        snap.volume += tick.size
        snap.ts = tick.ts
        if snap.open is None:
            snap.open = tick.price
        self._dirty_quotes.add(tick.symbol)

    def _on_quote(self, quote: QuoteTick) -> None:
        snap = self._snapshot(quote.symbol)
        snap.bid = quote.bid
        snap.ask = quote.ask
        snap.ts = quote.ts
        self._dirty_quotes.add(quote.symbol)

    def _on_order(self, event: OrderUpdated) -> None:
        self._orders[event.order.client_id] = event.order

    def _on_fill(self, event: FillRecorded) -> None:
        self._fills.append(event.fill)

    def _on_position(self, event: PositionChanged) -> None:
        self._positions_dirty = True

    def _on_account(self, event: AccountChanged) -> None:
        self._account = event

    def _on_state(self, event: TradingStateChanged) -> None:
        self._state = event

    def _on_health(self, event: SymbolHealth) -> None:
        self._snapshot(event.symbol).stale = event.stale
        self._dirty_quotes.add(event.symbol)

    def _on_connection(self, event: ConnectionChanged) -> None:
        self.streams[(event.venue, event.stream)] = event
        self._streams_changed.append(event)

    # --- Qt side ----------------------------------------------------------------------
    def flush(self) -> None:
        """Emit everything gathered since the last flush, one signal per kind."""
        self.flushes += 1
        if self._dirty_quotes:
            batch = {s: self.snapshots[s] for s in self._dirty_quotes}
            self._dirty_quotes = set()
            self.quotes.emit(batch)
        if self._bars:
            bars, self._bars[:] = list(self._bars), []
            self.bars.emit(bars)
        if self._orders:
            orders, self._orders = list(self._orders.values()), {}
            self.orders.emit(orders)
        if self._fills:
            fills, self._fills[:] = list(self._fills), []
            self.fills.emit(fills)
        if self._positions_dirty:
            self._positions_dirty = False
            self.positions.emit(list(self._portfolio.positions.values()))
        if self._account is not None:
            account, self._account = self._account, None
            self.account.emit(account)
        if self._state is not None:
            state, self._state = self._state, None
            self.trading_state.emit(state)
        if self._alerts:
            alerts, self._alerts[:] = list(self._alerts), []
            self.alerts.emit(alerts)
        if self._denied:
            denied, self._denied[:] = list(self._denied), []
            self.denied.emit(denied)
        if self._streams_changed:
            changed, self._streams_changed[:] = list(self._streams_changed), []
            self.connections.emit(changed)
