"""A backtest's results: metrics table, equity and drawdown curves, the price with entry and
exit markers, and the round trips.

pyqtgraph draws the curves: x is epoch seconds (a DateAxisItem under each plot, the three
plots x-linked); the price is a close line (a candle item per bar would cost far more for
100k bars and shows nothing more at this zoom). Markers: a triangle up at each entry, down
at each exit, at the round trip's average price.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.backtest.trades import RoundTrip
from app.engine.series import BarSeries
from app.engine.trade_export import iso_utc
from app.reports.curves import drawdown

NS = 1e9
MAX_TRADE_ROWS = 10_000  # the table is for reading; the CSV export has every trade
PERCENT = {"total_return", "cagr", "max_drawdown", "win_rate", "exposure"}
ENTRY_COLOUR, EXIT_COLOUR = "#2e9d5b", "#d9534f"


def metric_text(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "∞" if value > 0 else "—"
        return f"{value * 100:,.2f} %" if key in PERCENT else f"{value:,.4f}"
    return str(value)


class NumberItem(QTableWidgetItem):
    """A cell that sorts by its number, not its text (missing values sort first)."""

    def __init__(self, text: str, value: float | None) -> None:
        super().__init__(text)
        self.number = -math.inf if value is None or math.isnan(value) else value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, NumberItem):
            return self.number < other.number
        return super().__lt__(other)


def read_only_table(headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def date_plot() -> pg.PlotWidget:
    widget = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
    widget.showGrid(x=True, y=True, alpha=0.2)
    widget.getPlotItem().setMouseEnabled(x=True, y=False)
    return widget


class MetricsTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["Metric", "Value"])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

    def show_metrics(self, metrics: Mapping[str, Any]) -> None:
        self.setRowCount(len(metrics))
        for row, (key, value) in enumerate(metrics.items()):
            self.setItem(row, 0, QTableWidgetItem(key.replace("_", " ")))
            number = float(value) if isinstance(value, int | float) else None
            self.setItem(row, 1, NumberItem(metric_text(key, value), number))

    def value_text(self, name: str) -> str:
        for row in range(self.rowCount()):
            item = self.item(row, 0)
            if item is not None and item.text() == name.replace("_", " "):
                cell = self.item(row, 1)
                return cell.text() if cell is not None else ""
        raise KeyError(name)


class CurvePlots(QWidget):
    """Equity above drawdown, x-linked; optionally the price with trade markers on top."""

    def __init__(self, with_price: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.price: pg.PlotWidget | None = None
        if with_price:
            self.price = date_plot()
            self.price.setLabel("left", "price")
            self.price_curve = self.price.plot(pen=pg.mkPen("#8a94a6", width=1))
            self.entries = pg.ScatterPlotItem(size=10, pxMode=True, symbol="t1")
            self.exits = pg.ScatterPlotItem(size=10, pxMode=True, symbol="t")
            self.price.addItem(self.entries)
            self.price.addItem(self.exits)
            splitter.addWidget(self.price)
        self.equity = date_plot()
        self.equity.setLabel("left", "equity")
        self.equity_curve = self.equity.plot(pen=pg.mkPen("#1a73e8", width=1.5))
        self.drawdown = date_plot()
        self.drawdown.setLabel("left", "drawdown %")
        self.drawdown_curve = self.drawdown.plot(
            pen=pg.mkPen("#b3261e", width=1), fillLevel=0, brush=pg.mkBrush(179, 38, 30, 70)
        )
        self.drawdown.setXLink(self.equity)
        if self.price is not None:
            self.price.setXLink(self.equity)
        splitter.addWidget(self.equity)
        splitter.addWidget(self.drawdown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def show_curve(self, ts: np.ndarray, equity: np.ndarray) -> None:
        x = np.asarray(ts, dtype=np.float64) / NS
        self.equity_curve.setData(x, equity)
        self.drawdown_curve.setData(x, drawdown(equity) * 100.0)
        for plot in (self.equity, self.drawdown):
            plot.getPlotItem().enableAutoRange()

    def show_price(self, series: BarSeries, trades: Sequence[RoundTrip]) -> None:
        if self.price is None:
            return
        self.price_curve.setData(series.ts / NS, series.close)
        self.entries.setData(
            [t.entry_ts / NS for t in trades],
            [t.entry_price for t in trades],
            brush=pg.mkBrush(ENTRY_COLOUR),
        )
        closed = [t for t in trades if t.exit_ts is not None and t.exit_price is not None]
        self.exits.setData(
            [t.exit_ts / NS for t in closed],  # type: ignore[operator]
            [t.exit_price for t in closed],
            brush=pg.mkBrush(EXIT_COLOUR),
        )
        self.price.getPlotItem().enableAutoRange()


TRADE_HEADERS = ("Entry", "Exit", "Side", "Qty", "Entry price", "Exit price", "P&L", "Return %")


class TradesTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(TRADE_HEADERS), parent)
        self.setHorizontalHeaderLabels(list(TRADE_HEADERS))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)

    def show_trades(self, trades: Sequence[RoundTrip]) -> None:
        self.setSortingEnabled(False)
        shown = trades[:MAX_TRADE_ROWS]
        self.setRowCount(len(shown))
        for row, t in enumerate(shown):
            exit_text = "open" if t.exit_ts is None else iso_utc(t.exit_ts)[:16]
            cells: list[QTableWidgetItem] = [
                QTableWidgetItem(iso_utc(t.entry_ts)[:16].replace("T", " ")),
                QTableWidgetItem(exit_text.replace("T", " ")),
                QTableWidgetItem("long" if t.side > 0 else "short"),
                NumberItem(f"{t.qty:,.6g}", t.qty),
                NumberItem(f"{t.entry_price:,.4f}", t.entry_price),
                NumberItem("—" if t.exit_price is None else f"{t.exit_price:,.4f}", t.exit_price),
                NumberItem(f"{t.pnl:,.2f}", t.pnl),
                NumberItem(f"{t.return_pct:.2f}", t.return_pct),
            ]
            for col, item in enumerate(cells):
                self.setItem(row, col, item)
        self.setSortingEnabled(True)
