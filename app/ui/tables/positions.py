"""Positions panel: one row per (source, symbol) book, so P&L shows where it was made (the
trader's manual orders, each bot), and a totals row for the account pinned at the bottom.

Rows are rebuilt from ``ctx.engine.portfolio.books`` when the bridge reports position or
price changes; the generic model turns that into dataChanged for the cells that moved.
Close and Reverse act on the selected row's symbol (the account position, every book of
it), Flatten all on everything; each runs as an owned task and the engine's answer is
shown under the buttons.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.engine.domain.fills import Fill
from app.engine.domain.positions import Position
from app.engine.domain.values import ZERO
from app.ui.bridge import MarketSnapshot
from app.ui.context import UiContext
from app.ui.tables.feedback import MessageLine, run_action
from app.ui.tables.formatting import Precision, fmt_decimal, fmt_pct, fmt_signed
from app.ui.tables.pnl_basis import ClosedBasis
from app.ui.tables.table_model import RIGHT, Column, RowTableModel, sign_tone
from app.ui.tables.table_view import RowSortProxy, make_table, selected_row

TOTAL_KEY = ("", "")
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class PositionRow:
    source: str
    symbol: str
    quantity: Decimal | None
    side: str
    avg_price: Decimal | None
    last: Decimal | None
    unrealized: Decimal
    unrealized_pct: Decimal | None
    realized: Decimal
    realized_pct: Decimal | None
    fees: Decimal
    is_total: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return TOTAL_KEY if self.is_total else (self.source, self.symbol)


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole * HUNDRED if whole else None


def book_row(book: Position, closed_basis: Decimal) -> PositionRow:
    open_ = book.quantity != 0
    return PositionRow(
        source=book.source,
        symbol=book.symbol,
        quantity=book.quantity,
        side=book.side,
        avg_price=book.avg_price if open_ else None,
        last=book.last_price,
        unrealized=book.unrealized_pnl,
        unrealized_pct=_pct(book.unrealized_pnl, abs(book.cost)) if open_ else None,
        realized=book.realized_pnl,
        realized_pct=_pct(book.realized_pnl, closed_basis),
        fees=book.fees,
    )


def total_row(books: list[Position], basis: ClosedBasis) -> PositionRow:
    unrealized = sum((b.unrealized_pnl for b in books), ZERO)
    realized = sum((b.realized_pnl for b in books), ZERO)
    open_cost = sum((abs(b.cost) for b in books if b.quantity != 0), ZERO)
    closed = sum((basis.basis((b.source, b.symbol)) for b in books), ZERO)
    return PositionRow(
        source="Total",
        symbol="",
        quantity=None,
        side="",
        avg_price=None,
        last=None,
        unrealized=unrealized,
        unrealized_pct=_pct(unrealized, open_cost),
        realized=realized,
        realized_pct=_pct(realized, closed),
        fees=sum((b.fees for b in books), ZERO),
        is_total=True,
    )


def position_columns(precision: Precision) -> tuple[Column[PositionRow], ...]:
    def price(value: Decimal | None, row: PositionRow) -> str:
        return fmt_decimal(value, precision.price(row.symbol))

    def qty(value: Decimal | None, row: PositionRow) -> str:
        return fmt_decimal(value, precision.qty(row.symbol))

    def money(value: Decimal | None, _row: PositionRow) -> str:
        return fmt_signed(value)

    def pct(value: Decimal | None, _row: PositionRow) -> str:
        return fmt_pct(value)

    col = Column[PositionRow]
    return (
        col("source", "Source", lambda r: r.source),
        col("symbol", "Symbol", lambda r: r.symbol),
        col("side", "Side", lambda r: r.side),
        col("quantity", "Qty", lambda r: r.quantity, qty, RIGHT),
        col("avg_price", "Avg price", lambda r: r.avg_price, price, RIGHT),
        col("last", "Last", lambda r: r.last, price, RIGHT, flash=True),
        col("unrealized", "Unrl P&L", lambda r: r.unrealized, money, RIGHT, tone=sign_tone),
        col("unrealized_pct", "Unrl %", lambda r: r.unrealized_pct, pct, RIGHT, tone=sign_tone),
        col("realized", "Real P&L", lambda r: r.realized, money, RIGHT, tone=sign_tone),
        col("realized_pct", "Real %", lambda r: r.realized_pct, pct, RIGHT, tone=sign_tone),
        col("fees", "Fees", lambda r: r.fees, money, RIGHT),
    )


class PositionsPanel(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.basis = ClosedBasis()
        self.basis.add(ctx.engine.oms.fills)
        self.model = RowTableModel(
            position_columns(Precision(ctx.engine.instruments)),
            lambda r: r.key,
            self,
            pinned=lambda r: r.is_total,
        )
        self.proxy = RowSortProxy(self.model, self)
        self.view = make_table(self.proxy, self)

        self.close_btn = QPushButton("Close")
        self.close_btn.setToolTip("Close the selected symbol's position with a market order")
        self.reverse_btn = QPushButton("Reverse")
        self.reverse_btn.setToolTip("Turn the selected symbol's position around (margin only)")
        self.flatten_btn = QPushButton("Flatten all")
        self.flatten_btn.setToolTip("Close every open position with market orders")
        self.hide_flat = QCheckBox("Hide flat")
        self.hide_flat.toggled.connect(self._apply_filter)
        self.close_btn.clicked.connect(self.close_selected)
        self.reverse_btn.clicked.connect(self.reverse_selected)
        self.flatten_btn.clicked.connect(self.flatten_all)
        self.message = MessageLine(self)

        buttons = QHBoxLayout()
        for w in (self.close_btn, self.reverse_btn, self.flatten_btn):
            buttons.addWidget(w)
        buttons.addStretch(1)
        buttons.addWidget(self.hide_flat)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)

        self.refresh()
        ctx.bridge.fills.connect(self._on_fills)
        ctx.bridge.positions.connect(self._on_positions)
        ctx.bridge.quotes.connect(self._on_quotes)

    # --- public API ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Bring every row up to the portfolio's books (cheap: a handful of books)."""
        books = list(self.ctx.engine.portfolio.books.values())
        rows = [book_row(b, self.basis.basis((b.source, b.symbol))) for b in books]
        rows.append(total_row(books, self.basis))
        self.model.apply(rows)

    def selected_symbol(self) -> str | None:
        row = selected_row(self.view, self.proxy)
        if row is None or row.is_total:
            return None
        return str(row.symbol)

    def close_selected(self) -> asyncio.Task[Any] | None:
        symbol = self._need_symbol()
        if symbol is None:
            return None
        return run_action(
            self.ctx,
            self.ctx.engine.close_position(symbol),
            f"Close {symbol}",
            self.message,
            lambda orders: f"Close {symbol}: {len(orders)} order(s) sent",
        )

    def reverse_selected(self) -> asyncio.Task[Any] | None:
        symbol = self._need_symbol()
        if symbol is None:
            return None
        return run_action(
            self.ctx,
            self.ctx.engine.reverse_position(symbol),
            f"Reverse {symbol}",
            self.message,
            lambda order: f"Reverse {symbol}: order {order.client_id} sent",
        )

    def flatten_all(self) -> asyncio.Task[Any]:
        return run_action(
            self.ctx,
            self.ctx.engine.flatten_all(),
            "Flatten all",
            self.message,
            lambda orders: f"Flatten all: {len(orders)} order(s) sent",
        )

    # --- internals -------------------------------------------------------------------------
    def _need_symbol(self) -> str | None:
        symbol = self.selected_symbol()
        if symbol is None:
            self.message.show_error("Select a position row first")
        return symbol

    def _apply_filter(self, hide: bool) -> None:
        self.proxy.set_row_filter(
            (lambda r: r.is_total or (r.quantity is not None and r.quantity != 0)) if hide else None
        )

    def _on_fills(self, fills: list[Fill]) -> None:
        self.basis.add(fills)

    def _on_positions(self, _positions: list[Position]) -> None:
        self.refresh()

    def _on_quotes(self, batch: dict[str, MarketSnapshot]) -> None:
        held = {symbol for _, symbol in self.ctx.engine.portfolio.books}
        if held.intersection(batch):
            self.refresh()
