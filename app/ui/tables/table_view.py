"""Sorting and filtering over a RowTableModel, and the one table view every panel uses.

The proxy sorts by the raw values (Decimal, int, str) rather than the displayed text, so
"1,000.00" sorts after "999.00", empty cells sort first, and pinned rows (a totals row)
stay at the bottom in either direction. A panel may set a row filter: a predicate over its
row objects, which is simpler and safer than regular expressions over formatted text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.ui.tables.table_model import SORT_ROLE, RowTableModel

Index = QModelIndex | QPersistentModelIndex


class RowSortProxy(QSortFilterProxyModel):
    def __init__(self, model: RowTableModel[Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows_model = model
        self._filter: Callable[[Any], bool] | None = None
        self.setSourceModel(model)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_row_filter(self, predicate: Callable[[Any], bool] | None) -> None:
        self.beginFilterChange()
        self._filter = predicate
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self._filter is None:
            return True
        return self._filter(self.rows_model.row_at(source_row))

    def lessThan(self, left: Index, right: Index) -> bool:
        m = self.rows_model
        descending = self.sortOrder() == Qt.SortOrder.DescendingOrder
        # Qt swaps the arguments when sorting descending; answer so that pinned rows end last
        if m.is_pinned(left.row()):
            return descending and not m.is_pinned(right.row())
        if m.is_pinned(right.row()):
            return not descending
        a = m.sort_value(left.row(), left.column())
        b = m.sort_value(right.row(), right.column())
        if a is None or b is None:
            return a is None and b is not None
        try:
            return bool(a < b)
        except TypeError:  # mixed kinds in one column: still a stable order
            return str(a) < str(b)

    def visible_rows(self) -> list[Any]:
        """Row objects as the view shows them: filtered, in the current sort order."""
        m = self.rows_model
        return [m.row_at(self.mapToSource(self.index(i, 0)).row()) for i in range(self.rowCount())]

    def source_row(self, proxy_row: int) -> int:
        return self.mapToSource(self.index(proxy_row, 0)).row()


def set_tone_colors(root: QObject, up: str, down: str) -> None:
    """Give every table under ``root`` the theme's up/down colours (``app.ui.theme.Colors``);
    the models default to the dark theme's."""
    for model in root.findChildren(RowTableModel):
        model.set_colors(QColor(up), QColor(down))


def make_table(proxy: RowSortProxy, parent: QWidget | None = None) -> QTableView:
    view = QTableView(parent)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    # no column sorted at first: rows show in model order (a watchlist's own order)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setHighlightSections(False)
    return view


def selected_row(view: QTableView, proxy: RowSortProxy) -> Any | None:
    """The row object of the view's current selection, or None."""
    rows = view.selectionModel().selectedRows()
    if not rows:
        return None
    return proxy.rows_model.row_at(proxy.mapToSource(rows[0]).row())


def select_key(view: QTableView, proxy: RowSortProxy, key: Any) -> bool:
    """Select the row with ``key`` (used by tests and after a reorder keeps the selection)."""
    src = proxy.rows_model.row_of(key)
    if src is None:
        return False
    idx = proxy.mapFromSource(proxy.rows_model.index(src, 0))
    if not idx.isValid():
        return False
    view.selectRow(idx.row())
    return True
