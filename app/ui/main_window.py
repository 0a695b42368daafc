"""The main window: every panel is a dock (movable, floatable, closable, restorable from the
View menu); the layout and theme are saved per user and restored at start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QWidget,
)

from app.engine.loop_monitor import LoopLagMonitor
from app.engine.reconcile import BALANCE_HALT
from app.ui.context import UiContext
from app.ui.shortcuts import SHORTCUTS, HelpDialog
from app.ui.status_bar import StatusBar
from app.ui.tables.table_view import set_tone_colors
from app.ui.theme import apply_theme

LAYOUT_VERSION = 1
Area = Qt.DockWidgetArea


@dataclass(slots=True)
class PanelSpec:
    key: str  # object name: the layout is saved under it
    title: str
    widget: QWidget
    area: Area
    tab_with: str | None = None  # share a tabbed dock with this panel
    beside: str | None = None  # sit to the right of this panel, in its area
    width: int | None = None  # preferred size in the default layout
    height: int | None = None
    scroll: bool = False  # a tall form: let the dock shrink and scroll instead


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(
        self,
        ctx: UiContext,
        panels: list[PanelSpec],
        lag: LoopLagMonitor,
        *,
        actions: dict[str, Callable[[], None]] | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(f"Tradedesk — {ctx.account_title}")
        self.setDockNestingEnabled(True)
        self.settings = QSettings(
            str(Path(ctx.settings.data_dir) / "layout.ini"), QSettings.Format.IniFormat
        )
        self.dark = self.settings.value("theme", "dark") != "light"
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.colors = apply_theme(app, self.dark)
        #: asks the trader; tests replace it to answer without a modal dialog
        self.confirm: Callable[[str, str], bool] = self._ask
        self.backtest_dialog: QDialog | None = None
        self.docks: dict[str, QDockWidget] = {}
        center = QLabel("")
        center.setMaximumSize(0, 0)
        self.setCentralWidget(center)
        self._build_menus()
        self._build_toolbar()
        for spec in panels:
            self._add_dock(spec)
        self._specs = panels
        self._arrange_tabs(panels)
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._saved_state: QByteArray | None = None
        self._shown = False
        self.status = StatusBar(ctx, lag, self.colors, self)
        self.setStatusBar(self.status)
        self.actions_by_id: dict[str, QAction] = {}
        self.panels: object = None  # the panel set, kept alive with the window
        self._bind_shortcuts(actions or {})
        self.restore_layout()
        self.set_dark(self.dark, restyle=False)  # panels take the saved theme's colours

    # --- docks ----------------------------------------------------------------------------
    def _add_dock(self, spec: PanelSpec) -> None:
        dock = QDockWidget(spec.title, self)
        dock.setObjectName(spec.key)
        if spec.scroll:
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QScrollArea.Shape.NoFrame)
            area.setWidget(spec.widget)
            dock.setWidget(area)
        else:
            dock.setWidget(spec.widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(spec.area, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        self.docks[spec.key] = dock

    def _arrange_tabs(self, panels: list[PanelSpec]) -> None:
        for spec in panels:
            if spec.beside in self.docks:
                self.splitDockWidget(
                    self.docks[spec.beside], self.docks[spec.key], Qt.Orientation.Horizontal
                )
        for spec in panels:
            if spec.tab_with in self.docks:
                self.tabifyDockWidget(self.docks[spec.tab_with], self.docks[spec.key])
        for spec in panels:  # the first panel of each tab group is the one shown
            if spec.tab_with is None and any(p.tab_with == spec.key for p in panels):
                self.docks[spec.key].raise_()

    def _arrange_sizes(self, panels: list[PanelSpec]) -> None:
        # widths across areas in one call (left column vs right column); heights per area,
        # since Qt shares them out within one area's vertical splitter
        wide = [s for s in panels if s.width]
        if wide:
            self.resizeDocks(
                [self.docks[s.key] for s in wide],
                [s.width or 0 for s in wide],
                Qt.Orientation.Horizontal,
            )
        for area in {s.area for s in panels}:
            tall = [s for s in panels if s.area == area and s.height]
            if tall:
                self.resizeDocks(
                    [self.docks[s.key] for s in tall],
                    [s.height or 0 for s in tall],
                    Qt.Orientation.Vertical,
                )

    def _build_toolbar(self) -> None:
        """Always in view, whatever the layout: the kill switch and the panic buttons."""
        bar = self.addToolBar("Trading")
        bar.setObjectName("tradingToolbar")
        bar.setMovable(False)
        kill = QPushButton("KILL SWITCH")
        kill.setObjectName("killSwitch")
        kill.setToolTip("Halt trading, cancel every working order, flatten (Ctrl+Shift+K)")
        kill.clicked.connect(self.kill_switch)
        cancel = QPushButton("Cancel all")
        cancel.clicked.connect(self.cancel_all)
        flatten = QPushButton("Flatten all")
        flatten.clicked.connect(self.flatten_all)
        for widget in (kill, cancel, flatten):
            bar.addWidget(widget)
        self.kill_button = kill

    def restore_layout(self) -> None:
        geometry = self.settings.value("geometry")
        state = self.settings.value("state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1600, 960)
        if isinstance(state, QByteArray):
            self._saved_state = state  # applied once the window is laid out (showEvent)
            self.restoreState(state, LAYOUT_VERSION)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if self._shown:
            return
        self._shown = True
        # dock sizes only mean something once the window is laid out at its real size
        QTimer.singleShot(0, self._settle_layout)

    def _settle_layout(self) -> None:
        self._arrange_sizes(self._specs)
        self._default_state = self.saveState(LAYOUT_VERSION)
        if self._saved_state is not None:
            self.restoreState(self._saved_state, LAYOUT_VERSION)

    def save_layout(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("state", self.saveState(LAYOUT_VERSION))
        self.settings.setValue("theme", "dark" if self.dark else "light")
        self.settings.sync()

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, LAYOUT_VERSION)

    def closeEvent(self, event: object) -> None:
        self.save_layout()
        if self.backtest_dialog is not None:
            self.backtest_dialog.close()  # cancels its job: quitting never waits for one
        super().closeEvent(event)  # type: ignore[arg-type]
        # the session ends with its window (run_gui waits on this: Qt itself is told not to
        # quit on the last window, so the engine can shut down first)
        self.closed.emit()

    # --- menus and shortcuts --------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.view_menu = bar.addMenu("&View")
        reset = self.view_menu.addAction("Reset layout")
        reset.triggered.connect(self.reset_layout)
        theme = self.view_menu.addAction("Dark theme")
        theme.setCheckable(True)
        theme.setChecked(self.dark)
        theme.toggled.connect(self.set_dark)
        self.theme_action = theme
        self.view_menu.addSeparator()
        self.trade_menu = bar.addMenu("&Trade")
        self.tools_menu = bar.addMenu("T&ools")
        accounts = self.tools_menu.addAction("Accounts…")
        accounts.triggered.connect(self.open_accounts)
        accounts.setEnabled(self.ctx.accounts is not None)
        self.tools_menu.addAction("Backtest…").triggered.connect(self.open_backtest)
        report = self.tools_menu.addAction("Trading performance report…")
        report.triggered.connect(self.open_trading_report)
        news = self.tools_menu.addAction("News feeds…")
        news.triggered.connect(self.open_news_feeds)
        news.setEnabled(self.ctx.news is not None)
        accept = self.trade_menu.addAction("Accept the venue's balances…")
        accept.triggered.connect(self.accept_venue_balances)
        self.trade_menu.addSeparator()
        self.help_menu = bar.addMenu("&Help")

    def set_dark(self, dark: bool, *, restyle: bool = True) -> None:
        """Switch theme; ``restyle`` False when the application already wears it (start-up:
        restyling the whole application costs a noticeable part of the launch)."""
        self.dark = dark
        if restyle:
            app = QApplication.instance()
            assert isinstance(app, QApplication)
            self.colors = apply_theme(app, dark)
        self.status.set_colors(self.colors)
        set_tone_colors(self, self.colors.up, self.colors.down)
        for dock in self.docks.values():
            widget = dock.widget()
            inner = widget.widget() if isinstance(widget, QScrollArea) else widget
            setter = getattr(inner, "set_dark", None)
            if callable(setter):
                setter(dark)

    def _bind_shortcuts(self, actions: dict[str, Callable[[], None]]) -> None:
        built_in: dict[str, Callable[[], None]] = {
            "cancel_all": self.cancel_all,
            "flatten": self.flatten_all,
            "kill_switch": self.kill_switch,
            "help": self.show_help,
        }
        built_in.update(actions)
        for sc in SHORTCUTS:
            handler = built_in.get(sc.action)
            if handler is None:
                continue
            menu = self.help_menu if sc.action == "help" else self.trade_menu
            action = menu.addAction(sc.description)
            action.setShortcut(QKeySequence(sc.keys))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            action.triggered.connect(handler)
            self.actions_by_id[sc.action] = action

    def open_backtest(self) -> QDialog:
        """The backtest window (non-modal, one per main window, kept between openings)."""
        if self.backtest_dialog is None:
            from app.ui.backtest.dialog import BacktestDialog  # its imports load on first use

            self.backtest_dialog = BacktestDialog(self.ctx, self)
        self.backtest_dialog.show()
        self.backtest_dialog.raise_()
        self.backtest_dialog.activateWindow()
        return self.backtest_dialog

    def open_accounts(self) -> QDialog | None:
        """Add, edit, remove and switch trading accounts; keys go to the OS keychain."""
        if self.ctx.accounts is None:
            return None
        from app.ui.accounts import open_accounts_dialog

        return open_accounts_dialog(self, self.ctx)

    def open_news_feeds(self) -> QDialog | None:
        """The RSS/Atom feeds behind the news-aware bots (saved in the settings)."""
        if self.ctx.news is None:
            return None
        from app.ui.news_dialog import NewsFeedsDialog

        dialog = NewsFeedsDialog(self.ctx, self.ctx.news, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def open_trading_report(self) -> QDialog:
        """Metrics, equity, drawdown and monthly returns of the account's fills, saved."""
        from app.ui.backtest.trading_report import TradingReportDialog

        dialog = TradingReportDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_help(self) -> None:
        HelpDialog(self).exec()

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # --- trading actions ------------------------------------------------------------------
    def cancel_all(self) -> None:
        self.ctx.spawn(self.ctx.engine.cancel_all(), "ui-cancel-all")

    def flatten_all(self) -> None:
        if self.confirm("Flatten all", "Close every open position at market?"):
            self.ctx.spawn(self.ctx.engine.flatten_all(), "ui-flatten")

    def accept_venue_balances(self) -> bool:
        """After a balance mismatch halted trading: take the venue's figures as ours (ledger
        adjustments, journaled) and resume. The trader reads the differences first."""
        reason = self.ctx.engine.controls.reason or ""
        if BALANCE_HALT not in reason:
            self.status.showMessage("Trading is not halted for a balance difference", 5000)
            return False
        if not self.confirm("Accept the venue's balances", reason.replace("; ", "\n")):
            return False
        self.ctx.spawn(self.ctx.engine.accept_venue_balances(), "ui-accept-balances")
        return True

    def kill_switch(self) -> None:
        if self.confirm(
            "Kill switch", "Halt trading, cancel every working order and flatten all positions?"
        ):
            self.ctx.spawn(self.ctx.engine.kill_switch(flatten=True), "ui-kill-switch")
