"""Watchlist panel: named lists of symbols with live prices.

Lists are chosen in a combo (New / Rename / Delete next to it); symbols are added through a
search field completing over the engine's instruments, removed, and moved up/down. Prices
come from the bridge's ``quotes`` batches; Last/Bid/Ask flash when they move. Selecting a row
emits ``symbol_selected(symbol)`` for the chart and the order ticket.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.bridge import MarketSnapshot
from app.ui.context import UiContext
from app.ui.tables import watchlist_store as store
from app.ui.tables.feedback import MessageLine
from app.ui.tables.formatting import Precision, fmt_decimal, fmt_pct
from app.ui.tables.table_model import RIGHT, Column, RowTableModel, Tone, sign_tone
from app.ui.tables.table_view import RowSortProxy, make_table, select_key, selected_row

log = logging.getLogger(__name__)
DEFAULT_LIST = "Demo"
VENUE_LIST = "Watchlist"


def watchlist_columns(precision: Precision) -> tuple[Column[MarketSnapshot], ...]:
    def price(value: Decimal | None, row: MarketSnapshot) -> str:
        return fmt_decimal(value, precision.price(row.symbol))

    def qty(value: Decimal | None, row: MarketSnapshot) -> str:
        return fmt_decimal(value, precision.qty(row.symbol))

    def pct(value: Decimal | None, _row: MarketSnapshot) -> str:
        return fmt_pct(value)

    col = Column[MarketSnapshot]
    return (
        col("symbol", "Symbol", _symbol_text, tone=_stale_tone),
        col("last", "Last", lambda s: s.last, price, RIGHT, flash=True),
        col("change", "Chg %", lambda s: s.change_pct, pct, RIGHT, tone=sign_tone),
        col("bid", "Bid", lambda s: s.bid, price, RIGHT, flash=True),
        col("ask", "Ask", lambda s: s.ask, price, RIGHT, flash=True),
        col("spread", "Spread", lambda s: s.spread, price, RIGHT),
        col("volume", "Volume", lambda s: s.volume, qty, RIGHT),
    )


def _symbol_text(snapshot: MarketSnapshot) -> str:
    return f"{snapshot.symbol}  STALE" if snapshot.stale else snapshot.symbol


def _stale_tone(_value: object, snapshot: MarketSnapshot) -> Tone | None:
    return Tone.DOWN if snapshot.stale else None


class WatchlistPanel(QWidget):
    symbol_selected = Signal(str)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # each account has its own lists: a venue's symbols are not the demo market's
        self.path = (ctx.state_dir or ctx.settings.data_dir) / store.FILE_NAME
        self.default_list = DEFAULT_LIST if ctx.state_dir is None else VENUE_LIST
        self.symbols = sorted(ctx.engine.instruments)
        #: False after a malformed file was found: the trader's file is kept, not overwritten
        self.can_save = True
        self.lists = self._load()

        self.model = RowTableModel(watchlist_columns(Precision(ctx.engine.instruments)), _key, self)
        self.proxy = RowSortProxy(self.model, self)
        self.view = make_table(self.proxy, self)
        self.view.selectionModel().currentRowChanged.connect(self._on_current)

        self.list_combo = QComboBox()
        self.list_combo.setToolTip("Watchlist")
        new_btn, rename_btn, delete_btn = (QPushButton(t) for t in ("New…", "Rename…", "Delete"))
        new_btn.clicked.connect(self._ask_new)
        rename_btn.clicked.connect(self._ask_rename)
        delete_btn.clicked.connect(lambda: self._report(self.delete_list(self.lists.current)))
        self.search = QLineEdit()
        self.search.setPlaceholderText("Add symbol…")
        self.search.setClearButtonEnabled(True)
        completer = QCompleter(self.symbols, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self._on_pick)
        self._picked: str | None = None
        self.search.setCompleter(completer)
        self.search.returnPressed.connect(self._commit_search)
        up_btn, down_btn, remove_btn = (QPushButton(t) for t in ("▲", "▼", "Remove"))
        up_btn.setToolTip("Move up")
        down_btn.setToolTip("Move down")
        up_btn.clicked.connect(lambda: self._move_selected(-1))
        down_btn.clicked.connect(lambda: self._move_selected(1))
        remove_btn.clicked.connect(self._remove_selected)
        self.message = MessageLine(self)

        top = QHBoxLayout()
        top.addWidget(self.list_combo, 1)
        for b in (new_btn, rename_btn, delete_btn):
            top.addWidget(b)
        edit = QHBoxLayout()
        edit.addWidget(self.search, 1)
        for b in (up_btn, down_btn, remove_btn):
            edit.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addLayout(edit)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)

        self._refresh_combo()
        self.list_combo.currentTextChanged.connect(self._on_list_chosen)
        self._show_current()
        ctx.bridge.quotes.connect(self._on_quotes)

    # --- public API (main window, tests) --------------------------------------------------
    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def current_symbols(self) -> list[str]:
        return list(self.lists.lists[self.lists.current])

    def select_list(self, name: str) -> None:
        if name in self.lists.lists:
            self.list_combo.setCurrentText(name)

    def add_symbol(self, text: str) -> str | None:
        """Add ``text`` (any case) to the current list; returns an error message or None."""
        wanted = text.strip()
        if not wanted:
            return None
        symbol = next((s for s in self.symbols if s.upper() == wanted.upper()), None)
        if symbol is None:
            return f"Unknown symbol {wanted!r}: not an instrument of this venue"
        symbols = self.lists.lists[self.lists.current]
        if symbol in symbols:
            return f"{symbol} is already in {self.lists.current!r}"
        symbols.append(symbol)
        self.model.apply([self._snapshot(symbol)])
        self.search.clear()
        self._save()
        return None

    def remove_symbol(self, symbol: str) -> bool:
        symbols = self.lists.lists[self.lists.current]
        if symbol not in symbols:
            return False
        symbols.remove(symbol)
        self.model.remove([symbol])
        self._save()
        return True

    def move_symbol(self, symbol: str, delta: int) -> bool:
        """Move a symbol up (-1) or down (+1) in the current list."""
        symbols = self.lists.lists[self.lists.current]
        if symbol not in symbols:
            return False
        i = symbols.index(symbol)
        j = i + delta
        if not 0 <= j < len(symbols):
            return False
        # a sorted view would hide the move: show the list's own order again
        self.proxy.sort(-1)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        symbols.insert(j, symbols.pop(i))
        self.model.move(symbol, delta)
        self._save()
        return True

    def add_list(self, name: str) -> str | None:
        name = name.strip()
        if not name:
            return "A watchlist needs a name"
        if name in self.lists.lists:
            return f"A watchlist named {name!r} already exists"
        self.lists.lists[name] = []
        self._refresh_combo()
        self.list_combo.setCurrentText(name)
        self._save()
        return None

    def rename_list(self, old: str, new: str) -> str | None:
        new = new.strip()
        if old not in self.lists.lists:
            return f"No watchlist named {old!r}"
        if not new:
            return "A watchlist needs a name"
        if new != old and new in self.lists.lists:
            return f"A watchlist named {new!r} already exists"
        # rebuild the dict so the renamed list keeps its place in the combo
        self.lists.lists = {(new if k == old else k): v for k, v in self.lists.lists.items()}
        if self.lists.current == old:
            self.lists.current = new
        self._refresh_combo()
        self._save()
        return None

    def delete_list(self, name: str) -> str | None:
        if name not in self.lists.lists:
            return f"No watchlist named {name!r}"
        if len(self.lists.lists) == 1:
            return "The last watchlist cannot be deleted"
        del self.lists.lists[name]
        if self.lists.current == name:
            self.lists.current = next(iter(self.lists.lists))
        self._refresh_combo()
        self._show_current()
        self._save()
        return None

    # --- loading and saving ----------------------------------------------------------------
    def _defaults(self) -> store.Watchlists:
        return store.Watchlists({self.default_list: list(self.symbols)}, self.default_list)

    def _load(self) -> store.Watchlists:
        self.load_error: str | None = None
        try:
            loaded = store.load(self.path)
        except store.WatchlistFileError as exc:
            self.load_error = (
                f"{exc}. Showing the default list; the file is left as it is and changes "
                "here are not saved until it is fixed or removed."
            )
            log.error("watchlists: %s", exc)
            self.can_save = False
            return self._defaults()
        return loaded if loaded is not None else self._defaults()

    def _save(self) -> None:
        if not self.can_save:
            return
        try:
            store.save(self.path, self.lists)
        except OSError as exc:
            log.error("watchlists not saved: %s", exc)
            self._report(f"Watchlists not saved: {exc}")

    # --- internals -------------------------------------------------------------------------
    def _snapshot(self, symbol: str) -> MarketSnapshot:
        return self.ctx.bridge.snapshots.get(symbol) or MarketSnapshot(symbol)

    def _refresh_combo(self) -> None:
        self.list_combo.blockSignals(True)
        self.list_combo.clear()
        self.list_combo.addItems(list(self.lists.lists))
        self.list_combo.setCurrentText(self.lists.current)
        self.list_combo.blockSignals(False)

    def _on_list_chosen(self, name: str) -> None:
        if name and name in self.lists.lists and name != self.lists.current:
            self.lists.current = name
            self._show_current()
            self._save()

    def _show_current(self) -> None:
        self.model.replace(self._snapshot(s) for s in self.lists.lists[self.lists.current])
        self._report(self.load_error)

    def _on_quotes(self, batch: dict[str, MarketSnapshot]) -> None:
        shown = [snap for symbol, snap in batch.items() if self.model.row_of(symbol) is not None]
        if shown:
            self.model.apply(shown)

    def _report(self, message: str | None) -> None:
        if message:
            self.message.show_error(message)
        else:
            self.message.clear_message()

    def _on_pick(self, text: str) -> None:
        self._report(self.add_symbol(text))
        # Enter in the popup also reaches the line edit (returnPressed), and the line edit
        # copies the completion into itself after this signal: neither may add it twice
        self._picked = text
        QTimer.singleShot(0, self._after_pick)

    def _after_pick(self) -> None:
        if self._picked is not None and self.search.text().strip().upper() == self._picked.upper():
            self.search.clear()
        self._picked = None

    def _commit_search(self) -> None:
        text = self.search.text().strip()
        if not text or (self._picked is not None and text.upper() == self._picked.upper()):
            return
        self._report(self.add_symbol(text))

    def _selected_symbol(self) -> str | None:
        row = selected_row(self.view, self.proxy)
        return None if row is None else str(row.symbol)

    def _move_selected(self, delta: int) -> None:
        symbol = self._selected_symbol()
        if symbol is not None and self.move_symbol(symbol, delta):
            select_key(self.view, self.proxy, symbol)

    def _remove_selected(self) -> None:
        symbol = self._selected_symbol()
        if symbol is not None:
            self.remove_symbol(symbol)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # the current index moves before the selection does, so read the row from it
        if current.isValid():
            row = self.model.row_at(self.proxy.source_row(current.row()))
            self.symbol_selected.emit(row.symbol)

    def _ask_new(self) -> None:
        name, ok = QInputDialog.getText(self, "New watchlist", "Name:")
        if ok:
            self._report(self.add_list(name))

    def _ask_rename(self) -> None:
        old = self.lists.current
        name, ok = QInputDialog.getText(self, "Rename watchlist", "Name:", text=old)
        if ok:
            self._report(self.rename_list(old, name))


def _key(snapshot: MarketSnapshot) -> str:
    return snapshot.symbol
