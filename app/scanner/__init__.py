"""The market scanner: metrics per symbol over a universe, user filters and sorting.

Qt-free (the window's scanner panel sits in ``app.ui.scanner``); it may import the engine
and the strategies' indicators, never Qt, the UI or a broker.
"""

from app.scanner.filters import Filter, SortSpec, parse_filter, parse_sort, sort_rows
from app.scanner.metrics import FIELDS, MetricsConfig, RowStatus, ScanRow, compute_row
from app.scanner.scanner import ScanConfig, Scanner, ScanResult
from app.scanner.universe import (
    AllInstruments,
    DataClientHistory,
    HistoryProvider,
    MostLiquidUniverse,
    StaticUniverse,
    UniverseProvider,
    quote_volumes_from_tickers,
    top_by_quote_volume,
)

__all__ = [
    "FIELDS",
    "AllInstruments",
    "DataClientHistory",
    "Filter",
    "HistoryProvider",
    "MetricsConfig",
    "MostLiquidUniverse",
    "RowStatus",
    "ScanConfig",
    "ScanResult",
    "ScanRow",
    "Scanner",
    "SortSpec",
    "StaticUniverse",
    "UniverseProvider",
    "compute_row",
    "parse_filter",
    "parse_sort",
    "quote_volumes_from_tickers",
    "sort_rows",
    "top_by_quote_volume",
]
