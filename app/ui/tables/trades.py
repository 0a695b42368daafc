"""Trades panel: every fill, filtered by symbol, source and date range, and exported to the
same CSV the CLI writes (``app.engine.trade_export``), limited to the rows on screen.

Starts from ``ctx.engine.oms.fills`` and appends the bridge's ``fills`` batches; fills are
keyed by (venue, trade id), so one seen twice is shown once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.domain.fills import Fill
from app.engine.trade_export import write_trades_csv
from app.ui.context import UiContext
from app.ui.tables.feedback import MessageLine
from app.ui.tables.formatting import Precision, fmt_datetime, fmt_decimal, fmt_signed
from app.ui.tables.table_model import RIGHT, Column, RowTableModel, sign_tone
from app.ui.tables.table_view import RowSortProxy, make_table

log = logging.getLogger(__name__)
ALL = ""  # the combos' "any" entry carries an empty value


def trade_columns(precision: Precision) -> tuple[Column[Fill], ...]:
    def price(value: Decimal | None, row: Fill) -> str:
        return fmt_decimal(value, precision.price(row.symbol))

    def qty(value: Decimal | None, row: Fill) -> str:
        return fmt_decimal(value, precision.qty(row.symbol))

    def exact(value: Decimal | None, _row: Fill) -> str:
        return fmt_decimal(value)

    def pnl(value: Decimal | None, _row: Fill) -> str:
        return fmt_signed(value)

    col = Column[Fill]
    return (
        col("time", "Time", lambda f: f.ts, lambda v, _f: fmt_datetime(v)),
        col("symbol", "Symbol", lambda f: f.symbol),
        col("side", "Side", lambda f: f.side.value),
        col("quantity", "Qty", lambda f: f.quantity, qty, RIGHT),
        col("price", "Price", lambda f: f.price, price, RIGHT),
        col("fee", "Fee", lambda f: f.fee, exact, RIGHT),
        col("fee_currency", "Fee ccy", lambda f: f.fee_currency),
        col("realized", "Real P&L", lambda f: f.realized_pnl, pnl, RIGHT, tone=sign_tone),
        col("source", "Source", lambda f: f.source),
        col("order_id", "Order", lambda f: f.client_id),
        col("trade_id", "Trade id", lambda f: f.trade_id),
        col("liquidity", "Liq.", lambda f: f.liquidity.value),
    )


def local_date(ns: int) -> date:
    return datetime.fromtimestamp(ns / 1e9).date()


class TradesPanel(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = RowTableModel(
            trade_columns(Precision(ctx.engine.instruments)), lambda f: f.key, self
        )
        self.proxy = RowSortProxy(self.model, self)
        self.view = make_table(self.proxy, self)

        self.symbol_combo = QComboBox()
        self.symbol_combo.addItem("All symbols", ALL)
        for symbol in sorted(ctx.engine.instruments):
            self.symbol_combo.addItem(symbol, symbol)
        self.source_combo = QComboBox()
        self.source_combo.addItem("All sources", ALL)
        self.dates = QCheckBox("From")
        today = QDate.currentDate()
        self.date_from = QDateEdit(today)
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
            edit.dateChanged.connect(self._apply_filter)
        self.dates.toggled.connect(self._on_dates_toggled)
        self.symbol_combo.currentIndexChanged.connect(self._apply_filter)
        self.source_combo.currentIndexChanged.connect(self._apply_filter)
        self.export_btn = QPushButton("Export CSV…")
        self.export_btn.clicked.connect(self._ask_export)
        self.count = QLabel("")
        self.count.setProperty("role", "muted")
        self.message = MessageLine(self)

        bar = QHBoxLayout()
        bar.addWidget(self.symbol_combo)
        bar.addWidget(self.source_combo)
        bar.addWidget(self.dates)
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.date_to)
        bar.addStretch(1)
        bar.addWidget(self.count)
        bar.addWidget(self.export_btn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)

        self.proxy.sort(0, Qt.SortOrder.DescendingOrder)  # newest first
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.add_fills(ctx.engine.oms.fills)
        self._apply_filter()
        ctx.bridge.fills.connect(self.add_fills)

    # --- public API ------------------------------------------------------------------------
    def add_fills(self, fills: Iterable[Fill]) -> None:
        batch = list(fills)
        self.model.apply(batch)
        known = {self.source_combo.itemData(i) for i in range(self.source_combo.count())}
        for source in sorted({f.source for f in batch} - known):
            self.source_combo.addItem(source, source)
        self._update_count()

    def set_filters(
        self,
        *,
        symbol: str = ALL,
        source: str = ALL,
        start: date | None = None,
        end: date | None = None,
    ) -> None:
        """Set every filter at once (ALL / None means no filter on that field)."""
        self.symbol_combo.setCurrentIndex(max(0, self.symbol_combo.findData(symbol)))
        self.source_combo.setCurrentIndex(max(0, self.source_combo.findData(source)))
        self.dates.setChecked(start is not None or end is not None)
        if start is not None:
            self.date_from.setDate(QDate(start.year, start.month, start.day))
        if end is not None:
            self.date_to.setDate(QDate(end.year, end.month, end.day))
        self._apply_filter()

    def filtered_fills(self) -> list[Fill]:
        """The fills the filters let through, oldest first (the CSV's order)."""
        accept = self._predicate()
        return sorted((f for f in self.model.rows() if accept(f)), key=lambda f: f.ts)

    def export_csv(self, path: Path) -> int:
        """Write the filtered fills with ``write_trades_csv``; returns the row count."""
        path = Path(path)
        if not path.parent.is_dir():
            raise FileNotFoundError(f"folder {path.parent} does not exist")
        return write_trades_csv(self.filtered_fills(), path)

    # --- internals -------------------------------------------------------------------------
    def _predicate(self) -> _FillFilter:
        start = end = None
        if self.dates.isChecked():
            start = self.date_from.date().toPython()
            end = self.date_to.date().toPython()
        return _FillFilter(
            str(self.symbol_combo.currentData() or ALL),
            str(self.source_combo.currentData() or ALL),
            start if isinstance(start, date) else None,
            end if isinstance(end, date) else None,
        )

    def _apply_filter(self, *_: object) -> None:
        self.proxy.set_row_filter(self._predicate())
        self._update_count()

    def _update_count(self) -> None:
        self.count.setText(f"{self.proxy.rowCount()} of {self.model.rowCount()} trades")

    def _on_dates_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self._apply_filter()

    def _ask_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Export trades",
            str(Path(self.ctx.settings.data_dir) / "trades.csv"),
            "CSV files (*.csv)",
        )
        if not name:
            return
        try:
            count = self.export_csv(Path(name))
        except OSError as exc:
            log.error("trades export failed: %s", exc)
            self.message.show_error(f"Export failed: {exc}")
            return
        self.message.show_info(f"Wrote {count} trade(s) to {name}")


class _FillFilter:
    """The filters as a predicate over fills (a class, so the proxy can call it per row)."""

    def __init__(self, symbol: str, source: str, start: date | None, end: date | None) -> None:
        self.symbol, self.source, self.start, self.end = symbol, source, start, end

    def __call__(self, fill: Fill) -> bool:
        if self.symbol and fill.symbol != self.symbol:
            return False
        if self.source and fill.source != self.source:
            return False
        if self.start is not None or self.end is not None:
            day = local_date(fill.ts)
            if self.start is not None and day < self.start:
                return False
            if self.end is not None and day > self.end:
                return False
        return True
