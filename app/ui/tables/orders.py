"""Orders panel: working orders (Cancel, Cancel all, Modify…) and the history of every order
with the states the selected one went through.

Starts from ``ctx.engine.oms.orders`` and follows the bridge's ``orders`` batches (latest
state per order id). An order leaves the Working tab the moment it is no longer working and
stays in History.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.engine.domain.orders import Order, OrderStatus
from app.ui.context import UiContext
from app.ui.tables.feedback import MessageLine, run_action
from app.ui.tables.formatting import Precision, fmt_datetime, fmt_decimal, fmt_time
from app.ui.tables.modify_dialog import ModifyDialog
from app.ui.tables.table_model import RIGHT, Column, RowTableModel
from app.ui.tables.table_view import RowSortProxy, make_table, selected_row


@dataclass(frozen=True, slots=True)
class StateRow:
    """One entry of ``Order.history``; ``seq`` is its position, so new states append."""

    seq: int
    ts: int
    status: OrderStatus
    detail: str


#: TradingEngine.where_held -> what the Held column shows (a stop held in the app dies
#: with it; a trader must see which ones)
HELD = {"app": "app", "oco": "OCO list", "": "venue"}


def order_columns(
    precision: Precision, *, history: bool, where_held: Callable[[str], str] | None = None
) -> tuple[Column[Order], ...]:
    def price(value: Decimal | None, row: Order) -> str:
        return fmt_decimal(value, precision.price(row.symbol))

    def qty(value: Decimal | None, row: Order) -> str:
        return fmt_decimal(value, precision.qty(row.symbol))

    col = Column[Order]
    when = fmt_datetime if history else fmt_time
    held_column: tuple[Column[Order], ...] = ()
    if where_held is not None:
        held = where_held
        held_column = (col("held", "Held", lambda o: HELD.get(held(o.client_id), "")),)
    head = (
        col("time", "Time", lambda o: o.created_ns, lambda v, _o: when(v)),
        col("symbol", "Symbol", lambda o: o.symbol),
        col("side", "Side", lambda o: o.side.value),
        col("type", "Type", lambda o: o.type.value),
        *held_column,
        col("quantity", "Qty", lambda o: o.quantity, qty, RIGHT),
        col("filled", "Filled", lambda o: o.filled_qty, qty, RIGHT),
        col("price", "Price", lambda o: o.price, price, RIGHT),
        col("trigger", "Trigger", lambda o: o.trigger_price, price, RIGHT),
    )
    extra = (col("avg_fill", "Avg fill", lambda o: o.avg_fill_price, price, RIGHT),)
    tail = (
        col("status", "Status", lambda o: o.status.value),
        col("source", "Source", lambda o: o.source),
        col("role", "Role", lambda o: o.role or ""),
    )
    reason = (col("reason", "Reason", lambda o: o.reason or ""),)
    ident = (col("id", "Id", lambda o: o.client_id),)
    if history:
        return head + extra + tail + reason + ident
    return head + tail + ident


STATE_COLUMNS: tuple[Column[StateRow], ...] = (
    Column[StateRow]("time", "Time", lambda s: s.ts, lambda v, _s: fmt_datetime(v)),
    Column[StateRow]("status", "Status", lambda s: s.status.value),
    Column[StateRow]("detail", "Detail", lambda s: s.detail),
)


def state_rows(order: Order) -> list[StateRow]:
    return [StateRow(i, ts, status, detail) for i, (ts, status, detail) in enumerate(order.history)]


def _order_key(order: Order) -> str:
    return order.client_id


class OrdersPanel(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        precision = Precision(ctx.engine.instruments)
        self.working_model = RowTableModel(
            order_columns(precision, history=False, where_held=ctx.engine.where_held),
            _order_key,
            self,
        )
        self.working_proxy = RowSortProxy(self.working_model, self)
        self.working_view = make_table(self.working_proxy, self)
        self.history_model = RowTableModel(order_columns(precision, history=True), _order_key, self)
        self.history_proxy = RowSortProxy(self.history_model, self)
        self.history_view = make_table(self.history_proxy, self)
        self.states_model = RowTableModel(STATE_COLUMNS, lambda s: s.seq, self)
        self.states_proxy = RowSortProxy(self.states_model, self)
        self.states_view = make_table(self.states_proxy, self)
        self.states_title = QLabel("Select an order to see its states")
        self.states_title.setProperty("role", "muted")
        self.history_view.selectionModel().currentRowChanged.connect(self._on_history_current)
        self.selected_history: str | None = None

        self.cancel_btn = QPushButton("Cancel")
        self.cancel_all_btn = QPushButton("Cancel all")
        self.modify_btn = QPushButton("Modify…")
        self.cancel_btn.clicked.connect(self.cancel_selected)
        self.cancel_all_btn.clicked.connect(self.cancel_all)
        self.modify_btn.clicked.connect(self.open_modify)
        self.working_view.doubleClicked.connect(lambda _i: self.open_modify())
        self.message = MessageLine(self)
        self.dialog: ModifyDialog | None = None

        working = QWidget()
        buttons = QHBoxLayout()
        for b in (self.cancel_btn, self.cancel_all_btn, self.modify_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        wl = QVBoxLayout(working)
        wl.setContentsMargins(0, 0, 0, 0)
        wl.addLayout(buttons)
        wl.addWidget(self.message)
        wl.addWidget(self.working_view, 1)
        states = QWidget()
        sl = QVBoxLayout(states)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.states_title)
        sl.addWidget(self.states_view, 1)
        history = QSplitter(Qt.Orientation.Vertical)
        history.addWidget(self.history_view)
        history.addWidget(states)
        history.setStretchFactor(0, 3)
        history.setStretchFactor(1, 2)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(working, "Working")
        self.tabs.addTab(history, "History")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tabs)

        # newest first in History: the order a trader looks for is the one just placed
        self.history_proxy.sort(0, Qt.SortOrder.DescendingOrder)
        self.history_view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.update_orders(ctx.engine.oms.orders.values())
        ctx.bridge.orders.connect(self.update_orders)

    # --- public API ------------------------------------------------------------------------
    def update_orders(self, orders: Iterable[Order]) -> None:
        batch = list(orders)
        self.history_model.apply(batch)
        self.working_model.apply(o for o in batch if o.is_working)
        self.working_model.remove(o.client_id for o in batch if not o.is_working)
        if self.selected_history is not None:
            chosen = next((o for o in batch if o.client_id == self.selected_history), None)
            if chosen is not None:
                self.states_model.apply(state_rows(chosen))

    def show_states(self, client_id: str) -> None:
        order = self.ctx.engine.oms.orders.get(client_id) or self.history_model.get(client_id)
        self.selected_history = client_id
        if order is None:
            self.states_model.replace([])
            return
        self.states_title.setText(f"States of {order.client_id} ({order.symbol})")
        self.states_model.replace(state_rows(order))

    def selected_working(self) -> Order | None:
        row = selected_row(self.working_view, self.working_proxy)
        return row if isinstance(row, Order) else None

    def cancel_selected(self) -> asyncio.Task[Any] | None:
        order = self._need_order()
        if order is None:
            return None
        cid = order.client_id
        return run_action(
            self.ctx,
            self.ctx.engine.cancel(cid),
            f"Cancel {cid}",
            self.message,
            lambda _r: f"Cancel {cid}: requested",
        )

    def cancel_all(self) -> asyncio.Task[Any]:
        return run_action(
            self.ctx,
            self.ctx.engine.cancel_all(),
            "Cancel all",
            self.message,
            lambda n: f"Cancel all: {n} order(s)",
        )

    def open_modify(self) -> ModifyDialog | None:
        """Open the modify dialog for the selected working order (window-modal, not blocking
        the loop: the engine keeps running while it is open)."""
        order = self._need_order()
        if order is None:
            return None
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = ModifyDialog(self.ctx, order, self)
        self.dialog.open()
        return self.dialog

    # --- internals -------------------------------------------------------------------------
    def _need_order(self) -> Order | None:
        order = self.selected_working()
        if order is None:
            self.message.show_error("Select a working order first")
        return order

    def _on_history_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            row = self.history_model.row_at(self.history_proxy.source_row(current.row()))
            self.show_states(row.client_id)
