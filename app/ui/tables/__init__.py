"""Table panels (watchlist, positions, orders, trades, log) over one generic table model.

Each panel is a QWidget built from a UiContext; the main window docks them.
"""

from app.ui.tables.log_panel import LogPanel, QueueLogHandler
from app.ui.tables.orders import OrdersPanel
from app.ui.tables.positions import PositionsPanel
from app.ui.tables.table_model import Column, RowTableModel
from app.ui.tables.table_view import RowSortProxy, make_table
from app.ui.tables.trades import TradesPanel
from app.ui.tables.watchlist import WatchlistPanel

__all__ = [
    "Column",
    "LogPanel",
    "OrdersPanel",
    "PositionsPanel",
    "QueueLogHandler",
    "RowSortProxy",
    "RowTableModel",
    "TradesPanel",
    "WatchlistPanel",
    "make_table",
]
