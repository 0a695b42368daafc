"""Tools → Trading performance report… on a real paper session's fills."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.engine.loop_monitor import LoopLagMonitor
from app.ui.backtest.trading_report import TradingReportDialog
from app.ui.main_window import MainWindow, PanelSpec


async def test_trading_report_of_the_session_fills(ui_ctx, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = ui_ctx.engine
    await engine.place_order(OrderRequest("SPY", OrderSide.BUY, OrderType.MARKET, "3"))
    await engine.place_order(OrderRequest("SPY", OrderSide.SELL, OrderType.MARKET, "3"))
    await engine.tasks.idle()
    manual = [f for f in engine.oms.fills if f.source == "manual"]
    assert len(manual) >= 2

    panels = [PanelSpec("chart", "Chart", QLabel("c"), Qt.DockWidgetArea.RightDockWidgetArea)]
    window = MainWindow(ui_ctx, panels, LoopLagMonitor())
    qtbot.addWidget(window)
    action = next(
        a for a in window.tools_menu.actions() if a.text() == "Trading performance report…"
    )
    action.trigger()
    dialog = next(w for w in window.findChildren(TradingReportDialog))
    assert dialog.isVisible() and not dialog.isModal()
    assert dialog.capital.value() == float(engine.portfolio.deposits)
    dialog.source.setCurrentIndex(dialog.source.findData("manual"))
    dialog.ask_path = lambda: tmp_path / "manual.json"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    data = json.loads((tmp_path / "manual.json").read_text(encoding="utf-8"))
    assert data["metrics"]["fills"] == len(manual)
    assert data["info"]["source"] == "manual"
    assert [t["open"] for t in data["trades"]] == [False]  # bought 3, sold 3: one round trip
    assert "saved" in dialog.status.text()

    # a date range that holds none of today's fills
    dialog.use_dates.setChecked(True)
    dialog.until.setDate(dialog.since.date().addDays(1))
    assert dialog.fills() == []
    dialog.ask_path = lambda: tmp_path / "none.pdf"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "Not saved" in dialog.status.text() and not (tmp_path / "none.pdf").exists()
