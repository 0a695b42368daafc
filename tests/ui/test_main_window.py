"""The main window's own behaviour: docks, View menu, layout persistence, themes,
shortcuts and the trading actions, with simple stand-in panels."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.engine.domain.events import TradingState
from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.engine.loop_monitor import LoopLagMonitor
from app.ui.context import UiContext
from app.ui.main_window import MainWindow, PanelSpec
from app.ui.shortcuts import SHORTCUTS, HelpDialog

Area = Qt.DockWidgetArea


def window(ctx: UiContext, qtbot: QtBot) -> MainWindow:
    panels = [
        PanelSpec("watchlist", "Watchlist", QLabel("w"), Area.LeftDockWidgetArea),
        PanelSpec("chart", "Chart", QLabel("c"), Area.RightDockWidgetArea),
        PanelSpec("orders", "Orders", QLabel("o"), Area.BottomDockWidgetArea),
    ]
    w = MainWindow(ctx, panels, LoopLagMonitor())
    w.confirm = lambda title, text: True
    qtbot.addWidget(w)
    return w


async def test_docks_view_menu_and_layout_persistence(ui_ctx: UiContext, qtbot: QtBot) -> None:
    w = window(ui_ctx, qtbot)
    w.show()
    assert set(w.docks) == {"watchlist", "chart", "orders"}
    titles = [a.text() for a in w.view_menu.actions()]
    assert {"Watchlist", "Chart", "Orders", "Reset layout"} <= set(titles)
    w.docks["orders"].toggleViewAction().trigger()  # closed from the View menu
    assert not w.docks["orders"].isVisible()
    w.set_dark(False)
    w.close()  # saves layout and theme

    w2 = window(ui_ctx, qtbot)
    w2.show()
    assert not w2.docks["orders"].isVisible() and not w2.dark
    w2.reset_layout()
    assert w2.docks["orders"].isVisible()
    w2.close()


async def test_shortcuts_and_help(ui_ctx: UiContext, qtbot: QtBot) -> None:
    w = window(ui_ctx, qtbot)
    for sc in SHORTCUTS:
        if sc.action in w.actions_by_id:
            assert w.actions_by_id[sc.action].shortcut().toString() == sc.keys
    assert {"cancel_all", "flatten", "kill_switch", "help"} <= set(w.actions_by_id)
    dialog = HelpDialog(w)
    assert dialog.table.rowCount() == len(SHORTCUTS)


async def test_kill_switch_action_and_status_bar(ui_ctx: UiContext, qtbot: QtBot) -> None:
    w = window(ui_ctx, qtbot)
    w.show()
    await ui_ctx.engine.place_order(OrderRequest("SPY", OrderSide.BUY, OrderType.MARKET, "3"))
    await asyncio.sleep(0.8)  # prices flow; the engine publishes the account every 0.5 s
    w.status.refresh()
    assert w.status.feed.text() == "feed: live"
    assert w.status.equity.text().startswith("equity: ")
    assert w.status.state.text() == "ACTIVE"
    w.actions_by_id["kill_switch"].trigger()
    await ui_ctx.engine.tasks.idle()
    await asyncio.sleep(0.1)
    assert ui_ctx.engine.risk.state is TradingState.HALTED
    assert ui_ctx.engine.portfolio.position_qty("SPY") == 0
    assert w.status.state.text() == "HALTED"


async def test_closing_the_window_says_so(ui_ctx: UiContext, qtbot: QtBot) -> None:
    """run_gui ends the session when the window closes; Qt is told not to quit by itself, so
    a window that closed silently would leave the process running with no window."""
    w = window(ui_ctx, qtbot)
    w.show()
    with qtbot.waitSignal(w.closed, timeout=1000):
        w.close()
