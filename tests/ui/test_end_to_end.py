"""End to end on the demo market, through the real window: pick a symbol in the watchlist,
BUY with one click, see the fill, the position and its P&L move, attach a stop-loss by
dragging on the chart, close the position, find the trades, export CSV and read it back."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.engine.loop_monitor import LoopLagMonitor
from app.engine.trade_export import COLUMNS
from app.ui.context import UiContext
from app.ui.main_window import MainWindow
from app.ui.panels import create_panels
from tests.ui.tables.helpers import eventually

SYMBOL = "BTC/USD"


async def test_trader_round_trip(ui_ctx: UiContext, qtbot: QtBot, tmp_path: Path) -> None:
    engine = ui_ctx.engine
    panels = create_panels(ui_ctx)
    window = MainWindow(ui_ctx, panels.specs(), LoopLagMonitor(), actions=panels.actions())
    window.panels = panels
    qtbot.addWidget(window)
    window.show()

    # 1. pick the symbol in the watchlist: the chart and the ticket follow
    wl = panels.watchlist
    await eventually(lambda: wl.model.row_of(SYMBOL) is not None and wl.model.text(SYMBOL, "last"))
    panels.chart.set_symbol("ETH/USD")
    panels.ticket.set_symbol("ETH/USD")
    row = wl.proxy.mapFromSource(wl.model.index(wl.model.row_of(SYMBOL) or 0, 0))
    qtbot.mouseClick(
        wl.view.viewport(), Qt.MouseButton.LeftButton, pos=wl.view.visualRect(row).center()
    )
    await eventually(lambda: panels.chart.symbol == SYMBOL)
    assert panels.ticket.form().symbol == SYMBOL

    # 2. BUY with one click
    panels.ticket.quantity.setText("0.05")
    await eventually(lambda: panels.ticket.buy_button.isEnabled())
    qtbot.mouseClick(panels.ticket.buy_button, Qt.MouseButton.LeftButton)
    await eventually(lambda: engine.portfolio.position_qty(SYMBOL) == Decimal("0.05"))

    # 3. the position and its P&L show, and the P&L moves with the market
    pos_model = panels.positions.model
    key = ("manual", SYMBOL)
    await eventually(lambda: pos_model.row_of(key) is not None)
    assert pos_model.value(key, "quantity") == Decimal("0.05")
    first = pos_model.value(key, "unrealized")
    await eventually(lambda: pos_model.value(key, "unrealized") != first, within=15)

    # 4. attach a stop-loss by dragging the position's line down on the chart
    last = engine.portfolio.last_prices[SYMBOL]
    stop_price = engine.instruments[SYMBOL].make_price(last * Decimal("0.9"))
    await panels.chart.drag_position_line_to(float(stop_price))
    stops = [o for o in engine.oms.working(SYMBOL) if o.role == "stop_loss"]
    assert len(stops) == 1 and stops[0].trigger_price == stop_price
    await eventually(lambda: panels.chart.line_for(stops[0].client_id) is not None)
    assert "stop-loss" in panels.chart.toast.text().lower()

    # 5. close the position from the positions panel
    select = pos_model.row_of(key)
    assert select is not None
    panels.positions.view.selectRow(
        panels.positions.proxy.mapFromSource(pos_model.index(select, 0)).row()
    )
    qtbot.mouseClick(panels.positions.close_btn, Qt.MouseButton.LeftButton)
    await eventually(lambda: engine.portfolio.position_qty(SYMBOL) == 0)
    await eventually(lambda: not stops[0].is_working)

    # 6. the trades panel lists the buy and the sell; export them and read the file back
    trades = panels.trades
    trades.set_filters(symbol=SYMBOL)
    await eventually(lambda: len(trades.filtered_fills()) == 2)
    out = tmp_path / "trades.csv"
    assert trades.export_csv(out) == 2
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == COLUMNS
    assert [r["side"] for r in rows] == ["buy", "sell"]
    assert all(r["symbol"] == SYMBOL and Decimal(r["qty"]) == Decimal("0.05") for r in rows)
    assert rows[1]["realized_pnl"] != "" and rows[0]["source"] == "manual"
    window.close()
