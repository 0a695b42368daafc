"""The bot manager panel: every bot with its state and stats, the buttons that drive the
manager, and, for the selected bot, its log and its P&L curve.

The panel polls the manager on a timer (a handful of bots, twice a second) rather than
listening to every fill: stats are computed from the bot's fills and the latest marks.
Actions run as owned tasks (``run_action``) and report their outcome on the message line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.bots.manager import Bot, BotManager, BotState
from app.bots.stats import BotStats
from app.engine.domain.errors import ValidationError
from app.engine.trade_export import write_trades_csv
from app.strategies.base import Strategy
from app.ui.bots.dialog import BotDialog
from app.ui.context import UiContext
from app.ui.tables.feedback import MessageLine, run_action
from app.ui.tables.formatting import fmt_decimal, fmt_signed
from app.ui.tables.table_model import RIGHT, Column, RowTableModel, Tone, sign_tone
from app.ui.tables.table_view import RowSortProxy, make_table, select_key, selected_row

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BotRow:
    id: str
    name: str
    state: str
    strategy: str
    symbols: str
    timeframe: str
    pnl: Decimal
    trades: int
    win_rate: float | None
    max_drawdown: Decimal
    exposure: float
    error: str

    @classmethod
    def of(cls, bot: Bot, stats: BotStats) -> BotRow:
        return cls(
            bot.id,
            bot.config.name,
            bot.state.value,
            bot.config.strategy,
            ", ".join(bot.config.symbols),
            bot.config.timeframe.value,
            stats.pnl,
            stats.trades,
            stats.win_rate,
            stats.max_drawdown,
            stats.exposure,
            bot.error or "",
        )


def _pct(value: float | None, _row: BotRow) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def _money(value: Decimal, _row: BotRow) -> str:
    return fmt_signed(value)


def _dd(value: Decimal, _row: BotRow) -> str:
    return fmt_decimal(value, 2)


def _state_tone(value: str, _row: BotRow) -> Tone | None:
    return Tone.DOWN if value == BotState.ERRORED.value else None


def bot_columns() -> tuple[Column[BotRow], ...]:
    col = Column[BotRow]
    return (
        col("id", "Bot", lambda r: r.id),
        col("state", "State", lambda r: r.state, tone=_state_tone),
        col("strategy", "Strategy", lambda r: r.strategy),
        col("symbols", "Symbols", lambda r: r.symbols),
        col("timeframe", "TF", lambda r: r.timeframe),
        col("pnl", "P&L", lambda r: r.pnl, _money, RIGHT, tone=sign_tone, flash=True),
        col("trades", "Trades", lambda r: r.trades, align=RIGHT),
        col("win_rate", "Win rate", lambda r: r.win_rate, _pct, RIGHT),
        col("max_drawdown", "Max DD", lambda r: r.max_drawdown, _dd, RIGHT),
        col("exposure", "Exposure", lambda r: r.exposure, _pct, RIGHT),
        col("error", "Error", lambda r: r.error),
    )


class BotsPanel(QWidget):
    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        *,
        strategies: Mapping[str, type[Strategy]] | None = None,
        interval_ms: int = 500,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.manager: BotManager | None = ctx.bots
        self.message = MessageLine(self)
        self._strategies = strategies
        self.model = RowTableModel(bot_columns(), lambda r: r.id, self)
        self.proxy = RowSortProxy(self.model, self)
        self.view = make_table(self.proxy, self)
        self.dialog: BotDialog | None = None

        self.new_btn = QPushButton("New…")
        self.edit_btn = QPushButton("Edit…")
        self.delete_btn = QPushButton("Delete")
        self.start_btn = QPushButton("Start")
        self.stop_btn = QPushButton("Stop")
        self.pause_btn = QPushButton("Pause")
        self.resume_btn = QPushButton("Resume")
        self.export_btn = QPushButton("Export trades…")
        self.close_on_stop = QCheckBox("Close positions on stop")
        self.close_on_stop.setToolTip(
            "Off: stopping cancels the bot's entry orders and leaves its positions open with "
            "their stop-loss/take-profit. On: it also closes the bot's positions."
        )
        self.new_btn.clicked.connect(lambda: self.new_bot(""))
        self.edit_btn.clicked.connect(self.edit_bot)
        self.delete_btn.clicked.connect(self.delete_bot)
        self.start_btn.clicked.connect(self.start_bot)
        self.stop_btn.clicked.connect(self.stop_bot)
        self.pause_btn.clicked.connect(self.pause_bot)
        self.resume_btn.clicked.connect(self.resume_bot)
        self.export_btn.clicked.connect(self._ask_export)

        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(1000)
        self.log_view.setPlaceholderText("Select a bot to see its log")
        self.chart = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.chart.setMenuEnabled(False)
        self.chart.hideButtons()
        self.chart.setMinimumHeight(120)
        self.chart.getPlotItem().setTitle("P&L")
        self.curve = self.chart.plot([], [], pen=pg.mkPen("#26a269", width=1.5))
        self._shown_log: tuple[str, int] = ("", -1)

        bar = QHBoxLayout()
        for button in (
            self.new_btn,
            self.edit_btn,
            self.delete_btn,
            self.start_btn,
            self.stop_btn,
            self.pause_btn,
            self.resume_btn,
        ):
            bar.addWidget(button)
        bar.addWidget(self.close_on_stop)
        bar.addStretch(1)
        bar.addWidget(self.export_btn)
        details = QSplitter(Qt.Orientation.Horizontal)
        details.addWidget(self.log_view)
        details.addWidget(self.chart)
        details.setSizes([500, 300])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(details)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

        self.view.selectionModel().selectionChanged.connect(lambda *_: self.refresh())
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.refresh)
        if self.manager is None:
            for button in (self.new_btn, self.export_btn):
                button.setEnabled(False)
            self.message.show_info("Bots are not available in this session.")
        else:
            self.timer.start()
        self.refresh()

    # --- reading ----------------------------------------------------------------------------
    def strategies(self) -> Mapping[str, type[Strategy]]:
        if self._strategies is None:
            from app.strategies.registry import all_strategies

            self._strategies = all_strategies()
        return self._strategies

    def selected_id(self) -> str | None:
        row = selected_row(self.view, self.proxy)
        return row.id if isinstance(row, BotRow) else None

    def select(self, bot_id: str) -> bool:
        return select_key(self.view, self.proxy, bot_id)

    def refresh(self) -> None:
        manager = self.manager
        if manager is None:
            self._update_buttons(None)
            return
        rows = []
        for bot in manager.bots.values():
            try:
                rows.append(BotRow.of(bot, manager.stats(bot.id)))
            except Exception:  # a view must not die on one bot's figures
                log.exception("stats of bot %s failed", bot.id)
        self.model.apply(rows)
        gone = set(self.model.keys()) - {r.id for r in rows}
        if gone:
            self.model.remove(gone)
        selected = self.selected_id()
        chosen = manager.bots.get(selected) if selected else None
        self._update_buttons(chosen)
        self._show_details(chosen)

    def _update_buttons(self, bot: Bot | None) -> None:
        state = bot.state if bot is not None else None
        idle = state in (BotState.STOPPED, BotState.ERRORED)
        self.edit_btn.setEnabled(idle)
        self.delete_btn.setEnabled(idle)
        self.start_btn.setEnabled(idle)
        self.stop_btn.setEnabled(bot is not None)
        self.pause_btn.setEnabled(state is BotState.RUNNING)
        self.resume_btn.setEnabled(state is BotState.PAUSED)
        self.export_btn.setEnabled(bot is not None)

    def _show_details(self, bot: Bot | None) -> None:
        if bot is None:
            if self._shown_log[0]:
                self.log_view.clear()
                self.curve.setData([], [])
                self._shown_log = ("", -1)
            return
        if self._shown_log != (bot.id, bot.log.count):
            self.log_view.setPlainText(bot.log.text())
            self.log_view.verticalScrollBar().setValue(self.log_view.verticalScrollBar().maximum())
            self._shown_log = (bot.id, bot.log.count)
        points = bot.curve
        if points:
            n = len(points)
            x = np.fromiter((ts / 1e9 for ts, _ in points), dtype=np.float64, count=n)
            y = np.fromiter((float(v) for _, v in points), dtype=np.float64, count=n)
            self.curve.setData(x, y)
        else:
            self.curve.setData([], [])

    def curve_points(self) -> int:
        x, _ = self.curve.getData()
        return 0 if x is None else len(x)

    # --- actions ----------------------------------------------------------------------------
    def new_bot(self, symbol: str = "") -> BotDialog | None:
        """Open the create dialog, preset with ``symbol`` (the scanner connects here)."""
        return self._open_dialog(None, symbol or None)

    def edit_bot(self) -> BotDialog | None:
        bot_id = self.selected_id()
        if bot_id is None or self.manager is None:
            return None
        return self._open_dialog(self.manager.get(bot_id).config.id, None)

    def _open_dialog(self, bot_id: str | None, symbol: str | None) -> BotDialog | None:
        manager = self.manager
        if manager is None:
            return None
        try:
            strategies = self.strategies()
        except Exception as exc:
            self.message.show_error(f"strategies could not be loaded: {exc}")
            return None
        existing = manager.get(bot_id).config if bot_id else None

        def submit(raw: dict[str, object]) -> object:
            if existing is not None:
                return manager.edit(existing.id, raw)
            return manager.create(raw)

        dialog = BotDialog(
            strategies,
            sorted(self.ctx.engine.instruments),
            submit,
            existing=existing,
            preset_symbol=symbol,
            parent=self,
        )
        dialog.accepted.connect(lambda: self._dialog_done(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_done(self, dialog: BotDialog) -> None:
        self.refresh()
        bot = dialog.result_value
        if isinstance(bot, Bot):
            self.select(bot.id)
            self.message.show_info(f"bot {bot.id} saved")

    def delete_bot(self) -> None:
        bot_id = self.selected_id()
        if bot_id is None or self.manager is None:
            return
        try:
            self.manager.delete(bot_id)
        except ValidationError as exc:
            self.message.show_error(str(exc))
            return
        self.message.show_info(f"bot {bot_id} deleted")
        self.refresh()

    def start_bot(self) -> None:
        bot_id, manager = self.selected_id(), self.manager
        if bot_id is not None and manager is not None:
            run_action(self.ctx, manager.start(bot_id), f"start {bot_id}", self.message, self._done)

    def stop_bot(self) -> None:
        bot_id, manager = self.selected_id(), self.manager
        if bot_id is not None and manager is not None:
            close = self.close_on_stop.isChecked()
            run_action(
                self.ctx,
                manager.stop(bot_id, close_positions=close),
                f"stop {bot_id}",
                self.message,
                self._done,
            )

    def pause_bot(self) -> None:
        self._sync(lambda m, b: m.pause(b))

    def resume_bot(self) -> None:
        self._sync(lambda m, b: m.resume(b))

    def _sync(self, action: Callable[[BotManager, str], Bot]) -> None:
        bot_id, manager = self.selected_id(), self.manager
        if bot_id is None or manager is None:
            return
        try:
            bot = action(manager, bot_id)
        except ValidationError as exc:
            self.message.show_error(str(exc))
            return
        self.message.show_info(self._done(bot))
        self.refresh()

    def _done(self, bot: object) -> str:
        self.refresh()
        return f"bot {bot.id} is {bot.state.value}" if isinstance(bot, Bot) else "done"

    # --- export -----------------------------------------------------------------------------
    def export_trades(self, path: Path) -> int:
        """The selected bot's fills (from the journal) as the trades CSV; the row count."""
        bot_id = self.selected_id()
        if bot_id is None or self.manager is None:
            raise ValidationError("bot", "select a bot first")
        path = Path(path)
        if not path.parent.is_dir():
            raise FileNotFoundError(f"folder {path.parent} does not exist")
        source = self.manager.get(bot_id).config.source
        fills = self.ctx.engine.store.load_fills(source=source)
        return write_trades_csv(fills, path)

    def _ask_export(self) -> None:
        bot_id = self.selected_id()
        if bot_id is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Export the bot's trades",
            str(Path(self.ctx.settings.data_dir) / f"trades-{bot_id}.csv"),
            "CSV files (*.csv)",
        )
        if not name:
            return
        try:
            count = self.export_trades(Path(name))
        except (OSError, ValidationError) as exc:
            self.message.show_error(f"export failed: {exc}")
            return
        self.message.show_info(f"wrote {count} trades to {name}")
