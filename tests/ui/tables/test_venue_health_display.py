"""What a trader sees when a venue's data stops: the symbol is marked STALE in the watchlist
until its data resumes, and the status bar says which venue stream is down."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.engine.domain.events import ConnectionChanged, SymbolHealth, TradingState
from app.engine.loop_monitor import LoopLagMonitor
from app.engine.reconcile import BALANCE_HALT
from app.ui.context import UiContext
from app.ui.main_window import MainWindow
from app.ui.status_bar import StatusBar
from app.ui.tables.watchlist import WatchlistPanel
from app.ui.theme import DARK
from tests.ui.tables.helpers import eventually


async def test_stale_symbol_is_marked_until_fresh(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = WatchlistPanel(ui_ctx)
    qtbot.addWidget(panel)
    m = panel.model
    bus = ui_ctx.engine.bus
    bus.publish(SymbolHealth("demo", "ETH/USD", True, 12.5, 1))
    await eventually(lambda: m.text("ETH/USD", "symbol") == "ETH/USD  STALE")
    index = m.index(m.row_of("ETH/USD") or 0, m.column_of("symbol"))
    fresh = m.index(m.row_of("BTC/USD") or 0, m.column_of("symbol"))
    assert m.data(index, Qt.ItemDataRole.ForegroundRole) is not None  # drawn in the "down" red
    assert m.data(fresh, Qt.ItemDataRole.ForegroundRole) is None
    assert m.text("BTC/USD", "symbol") == "BTC/USD"
    bus.publish(SymbolHealth("demo", "ETH/USD", False, 0.0, 2))
    await eventually(lambda: m.text("ETH/USD", "symbol") == "ETH/USD")


async def test_status_bar_shows_a_stream_down_then_connected(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    bar = StatusBar(ui_ctx, LoopLagMonitor(), DARK)
    qtbot.addWidget(bar)
    bar.refresh()
    assert bar.venue.isHidden()  # the demo market reports no streams
    bus = ui_ctx.engine.bus
    bus.publish(ConnectionChanged("binance", "market", True, "connected", 1))
    bus.publish(ConnectionChanged("binance", "user", False, "WebSocket closed (1006)", 2))
    await eventually(lambda: ("binance", "user") in ui_ctx.bridge.streams)
    bar.refresh()
    assert bar.venue.text() == "binance: user stream DOWN, reconnecting"
    assert "1006" in bar.venue.toolTip()
    bus.publish(ConnectionChanged("binance", "user", True, "reconnected", 3))
    await eventually(lambda: ui_ctx.bridge.streams[("binance", "user")].connected)
    bar.refresh()
    assert bar.venue.text() == "binance: connected"


async def test_status_bar_says_reconciling_while_orders_wait(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    bar = StatusBar(ui_ctx, LoopLagMonitor(), DARK)
    qtbot.addWidget(bar)
    rule = "reconciling with binance after a reconnect: trading resumes when it is done"
    ui_ctx.engine.risk.paused = rule
    bar.refresh()
    assert bar.state.text() == "RECONCILING" and bar.state.toolTip() == rule
    ui_ctx.engine.risk.paused = None
    bar.refresh()
    assert bar.state.text() == "ACTIVE"


async def test_accepting_the_venue_balances_lifts_a_balance_halt(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    engine = ui_ctx.engine
    window = MainWindow(ui_ctx, [], LoopLagMonitor())
    qtbot.addWidget(window)
    asked: list[str] = []
    window.confirm = lambda title, text: asked.append(text) or True
    assert not window.accept_venue_balances()  # nothing to accept: not halted for balances
    engine.controls.set_state(
        TradingState.HALTED, BALANCE_HALT + "USD: venue 1 vs journal 2", engine.clock.now_ns()
    )
    assert window.accept_venue_balances()
    assert "USD: venue 1 vs journal 2" in asked[0]
    await eventually(lambda: engine.risk.state is TradingState.ACTIVE)
