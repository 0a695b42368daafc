"""The Optimise tab: the search (grid or random, ranges per parameter) and its results.

Each parameter gets a range field: empty means its declared range, ``lo:hi:step`` or
``lo:hi`` narrows it, ``a,b,c`` lists values, a single value pins it. The results table
holds one row per set (parameters, then metrics), sorts by any column (numbers as numbers),
and "Use these parameters" copies the selected row into the parameter form. The walk-forward
tab searches the same space.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.backtest.opt_rows import OptimizeResult, OptimizeRow
from app.strategies.base import Strategy
from app.strategies.params import ParamValue
from app.ui.backtest.results import NumberItem, metric_text, read_only_table

METRIC_COLUMNS = (
    "sharpe",
    "total_return",
    "cagr",
    "max_drawdown",
    "sortino",
    "win_rate",
    "profit_factor",
    "trades",
    "exposure",
)

LOWER_IS_BETTER = {"max_drawdown"}  # every other listed metric is better when higher


class SearchForm(QWidget):
    """Method, samples, seed and a range field per parameter of the chosen strategy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.method = QComboBox()
        self.method.addItem("grid (every combination)", "grid")
        self.method.addItem("random (seeded samples)", "random")
        self.samples = QSpinBox()
        self.samples.setRange(1, 100_000)
        self.samples.setValue(100)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(1)
        self.metric_box = QComboBox()
        for name in METRIC_COLUMNS:
            self.metric_box.addItem(name.replace("_", " "), name)
        self.ranges: dict[str, QLineEdit] = {}
        self._form = QFormLayout(self)
        self._form.addRow("Method", self.method)
        self._form.addRow("Samples (random)", self.samples)
        self._form.addRow("Seed (random)", self.seed)
        self._form.addRow("Best by", self.metric_box)
        self._fixed_rows = self._form.rowCount()

    def set_strategy(self, strategy: type[Strategy]) -> None:
        while self._form.rowCount() > self._fixed_rows:
            self._form.removeRow(self._fixed_rows)
        self.ranges = {}
        for p in strategy.params:
            edit = QLineEdit()
            if p.kind in (int, float):
                step = f":{p.step:g}" if p.step else ""
                edit.setPlaceholderText(f"{p.low:g}:{p.high:g}{step} (declared)")
            else:
                edit.setPlaceholderText(f"{', '.join(str(v) for v in p.grid())} (declared)")
            edit.setToolTip("lo:hi:step, lo:hi, a,b,c or one value; empty = declared range")
            self._form.addRow(p.name, edit)
            self.ranges[p.name] = edit

    def options(self) -> dict[str, Any]:
        ranges: dict[str, str] = {}
        fixed: dict[str, str] = {}
        for name, edit in self.ranges.items():
            text = edit.text().strip()
            if not text:
                continue
            if ":" in text or "," in text:
                ranges[name] = text
            else:
                fixed[name] = text
        return {
            "method": str(self.method.currentData()),
            "ranges": ranges,
            "fixed": fixed,
            "samples": self.samples.value(),
            "seed": self.seed.value(),
        }

    @property
    def metric_name(self) -> str:
        return str(self.metric_box.currentData())

    @property
    def descending(self) -> bool:
        """Best first means largest first, except for a drawdown."""
        return self.metric_name not in LOWER_IS_BETTER


class OptimiseTab(QWidget):
    def __init__(
        self, use_params: Callable[[Mapping[str, ParamValue]], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.use_params = use_params
        self.search = SearchForm()
        self.summary = QLabel("Run to backtest every parameter set on all cores.")
        self.summary.setWordWrap(True)
        self.table = read_only_table(["—"])
        self.table.doubleClicked.connect(lambda _index: self.use_selected())
        self.use_button = QPushButton("Use these parameters")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use_selected)
        self.table.itemSelectionChanged.connect(
            lambda: self.use_button.setEnabled(bool(self.table.selectedItems()))
        )
        self.rows: list[OptimizeRow] = []
        self._param_names: list[str] = []
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.use_button)
        right = QVBoxLayout()
        right.addLayout(buttons)
        right.addWidget(self.table, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.search)
        layout.addLayout(right, 1)

    def set_strategy(self, strategy: type[Strategy]) -> None:
        self.search.set_strategy(strategy)

    def show_result(self, result: OptimizeResult) -> None:
        self.rows = list(result.rows)
        params = list(result.rows[0].params) if result.rows else []
        self._param_names = params
        headers = [*params, *METRIC_COLUMNS]
        table = self.table
        table.setSortingEnabled(False)
        table.clear()
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels([h.replace("_", " ") for h in headers])
        table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, name in enumerate(params):
                value = row.params[name]
                number = float(value) if isinstance(value, int | float) else None
                item = NumberItem(str(value), number)
                item.setData(Qt.ItemDataRole.UserRole, r)  # back to the row whatever the sort
                table.setItem(r, c, item)
            for c, name in enumerate(METRIC_COLUMNS, start=len(params)):
                raw = None if row.metrics is None else row.metrics.get(name)
                text = row.error if row.metrics is None else metric_text(name, raw)
                table.setItem(r, c, NumberItem(text, row.value(name)))
        table.setSortingEnabled(True)
        metric = self.search.metric_name
        column = len(params) + METRIC_COLUMNS.index(metric)
        order = (
            Qt.SortOrder.DescendingOrder if self.search.descending else Qt.SortOrder.AscendingOrder
        )
        table.sortByColumn(column, order)
        self.summary.setText(
            f"{len(result.rows):,} sets on {result.workers} process(es); {result.skipped:,} "
            f"skipped by the strategy's rules. Sorted by {metric.replace('_', ' ')}; click a "
            "header to sort, double-click a row to use its parameters."
        )

    def column_values(self, name: str) -> list[float]:
        """The table's values of a column from top to bottom (as shown, sorted or not)."""
        headers = [*self._param_names, *METRIC_COLUMNS]
        col = headers.index(name)
        out = []
        for r in range(self.table.rowCount()):
            item = self.table.item(r, col)
            if isinstance(item, NumberItem):
                out.append(item.number)
        return out

    def selected_row(self) -> OptimizeRow | None:
        items = self.table.selectedItems()
        if not items:
            return None
        first = self.table.item(items[0].row(), 0)
        if first is None:
            return None
        index = first.data(Qt.ItemDataRole.UserRole)
        return self.rows[int(index)] if index is not None else None

    def use_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.use_params(row.params)
