"""Scanner panel: the scanner's rows in a sortable table, a filter line, a refresh schedule.

The scan runs as a supervised service task (``Scanner.run``) started the first time the
panel is shown; it repeats every N seconds (0 = only on "Refresh now"). A large universe is
computed in worker processes, so the window stays responsive; while a scan runs a progress
bar shows how far it is and the time left, with a Cancel button next to it.

The filter line takes the scanner's filter language (``app.scanner.filters``); a filter
that does not parse shows its error under the line and the last good filter stays applied.
Clicking a header sorts by that column's raw numbers. A row's context menu (and a
double-click, for the chart) emits ``symbol_selected``, ``add_to_watchlist`` or
``start_bot``; ``app.ui.panels`` connects them to the chart and ticket, the watchlist and
the bots panel.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.engine.domain.errors import ValidationError
from app.engine.domain.market import Timeframe
from app.engine.jobs import Cancelled, Progress
from app.scanner.filters import Filter, parse_filter
from app.scanner.metrics import FIELDS, ScanRow
from app.scanner.scanner import ScanConfig, Scanner, ScanResult
from app.scanner.universe import AllInstruments, DataClientHistory
from app.ui.context import UiContext
from app.ui.scanner.columns import scanner_columns
from app.ui.tables.feedback import MessageLine
from app.ui.tables.formatting import Precision
from app.ui.tables.table_model import RowTableModel
from app.ui.tables.table_view import RowSortProxy, make_table

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 30
PREFS_FILE = "scanner.ini"
_FILTER_DEBOUNCE_MS = 250
_PROGRESS_STEPS = 1000


def _key(row: ScanRow) -> str:
    return row.symbol


class ScannerPanel(QWidget):
    symbol_selected = Signal(str)  # open the chart (and the ticket) on this symbol
    add_to_watchlist = Signal(str)
    start_bot = Signal(str)  # the bots panel's ``new_bot(symbol)``
    #: a finished scan (for tests and anything that wants the raw rows)
    scanned = Signal(object)

    def __init__(
        self, ctx: UiContext, scanner: Scanner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.scanner = scanner or Scanner(AllInstruments(ctx.data), DataClientHistory(ctx.data))
        self.filter: Filter = parse_filter("")
        self.last_result: ScanResult | None = None
        self._service_state = _ServiceState(self.scanner)
        self._wake: asyncio.Event | None = None

        self.model = RowTableModel(scanner_columns(Precision(ctx.engine.instruments)), _key, self)
        self.proxy = RowSortProxy(self.model, self)
        self.view = make_table(self.proxy, self)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._on_context_menu)
        self.view.doubleClicked.connect(self._on_double_click)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("scannerFilter")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setPlaceholderText("Filter, e.g. rsi < 30 and volume_surge > 1.5")
        self.filter_edit.setToolTip(_filter_help())
        self.filter_error = QLabel("", self)
        self.filter_error.setObjectName("error_filter")
        self.filter_error.setProperty("role", "error")
        self.filter_error.setWordWrap(True)
        self.filter_error.setVisible(False)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(_FILTER_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(lambda _t: self._debounce.start())
        self.filter_edit.returnPressed.connect(self.apply_filter)

        self.timeframe = QComboBox(self)
        self.timeframe.addItems([t.value for t in Timeframe])
        self.timeframe.setCurrentText(self.scanner.config.timeframe.value)
        self.timeframe.setToolTip("Bar size the metrics are computed on")
        self.timeframe.currentTextChanged.connect(self._on_timeframe)
        self.interval = QSpinBox(self)
        self.interval.setRange(0, 24 * 3600)
        self.interval.setValue(DEFAULT_INTERVAL_S)
        self.interval.setSuffix(" s")
        self.interval.setSpecialValueText("manual")
        self.interval.setToolTip("Scan again every N seconds (0: only on Refresh now)")
        self.refresh_button = QPushButton("Refresh now", self)
        self.refresh_button.clicked.connect(self.refresh_now)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, _PROGRESS_STEPS)
        self.progress.setTextVisible(False)
        self.progress_label = QLabel("", self)
        self.progress_label.setProperty("role", "muted")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel_scan)
        self.status = QLabel("Not scanned yet", self)
        self.status.setProperty("role", "muted")
        self.message = MessageLine(self)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Bars", self))
        controls.addWidget(self.timeframe)
        controls.addWidget(QLabel("Every", self))
        controls.addWidget(self.interval)
        controls.addWidget(self.refresh_button)
        controls.addStretch(1)
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.progress_label)
        busy.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.filter_error)
        layout.addLayout(controls)
        layout.addLayout(busy)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        self._set_busy(False)

        # the trader's filter, schedule and bar size come back next time (per data folder)
        self.prefs = QSettings(
            str(Path(ctx.settings.data_dir) / PREFS_FILE), QSettings.Format.IniFormat
        )
        self._restore()
        self.interval.valueChanged.connect(lambda v: self.prefs.setValue("interval_s", v))

        # the widget may go before the session does: stop the service with it. The slot
        # holds only the service's state, not this panel, which is half-destroyed by then.
        self.destroyed.connect(self._service_state.stop)

    # --- the schedule ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        task = self._service_state.task
        return task is not None and not task.done()

    def start(self) -> None:
        """Start the periodic scans (the first one at once); a no-op when already running."""
        if self.running:
            return
        self._wake = asyncio.Event()
        self._service_state.task = self.ctx.engine.tasks.spawn(
            self._service(self._wake), "scanner", service=True
        )

    def stop(self) -> asyncio.Task[None] | None:
        """Stop the schedule (and any scan in progress); returns the task to await."""
        task = self._service_state.stop()
        self._set_busy(False)
        return task

    def refresh_now(self) -> None:
        if not self.running:
            self.start()
        elif self._wake is not None and not self.scanner.scanning:
            self._wake.set()

    def cancel_scan(self) -> None:
        if self.scanner.cancel_current():
            self.progress_label.setText("Cancelling…")

    async def _service(self, wake: asyncio.Event) -> None:
        scanner = self.scanner
        try:
            await scanner.run(
                self.interval.value,
                self._on_result,
                progress=self._on_progress,
                on_error=self._on_error,
                wake=wake,
            )
        finally:
            scanner.close()

    # --- scan outcomes --------------------------------------------------------------------
    def _on_progress(self, p: Progress) -> None:
        self._set_busy(True)
        self.progress.setValue(round(p.fraction * _PROGRESS_STEPS))
        self.progress_label.setText(p.describe())

    def _on_result(self, result: ScanResult) -> None:
        self._set_busy(False)
        self.show_result(result)

    def _on_error(self, exc: Exception) -> None:
        self._set_busy(False)
        if isinstance(exc, Cancelled):
            self.message.show_info("Scan cancelled; the table shows the previous scan.")
        else:
            self.message.show_error(f"Scan failed: {exc}")

    def show_result(self, result: ScanResult) -> None:
        """Put a scan's rows in the table: changed rows update in place (the sort and the
        selection survive), symbols no longer in the universe leave."""
        first = self.last_result is None
        self.last_result = result
        keep = {r.symbol for r in result.rows}
        gone = [k for k in self.model.keys() if k not in keep]  # noqa: SIM118 (a model, not a dict)
        self.model.remove(gone)
        self.model.apply(result.rows)
        if first:  # fit the columns once; later widths are the trader's
            self.view.resizeColumnsToContents()
        self.message.clear_message()
        self._update_status()
        self.scanned.emit(result)

    def _update_status(self) -> None:
        result = self.last_result
        if result is None:
            return
        when = datetime.fromtimestamp(result.started_ns / 1e9).strftime("%H:%M:%S")
        problems = sum(1 for r in result.rows if not r.has_metrics)
        shown = self.proxy.rowCount()
        text = (
            f"{len(result.rows)} symbols, {shown} shown · {result.timeframe.value} bars · "
            f"scanned {when} in {result.elapsed_s:.1f} s"
        )
        if result.in_pool:
            text += " (worker processes)"
        if problems:
            text += f" · {problems} without metrics"
        self.status.setText(text)

    def _set_busy(self, busy: bool) -> None:
        for w in (self.progress, self.progress_label, self.cancel_button):
            w.setVisible(busy)
        self.refresh_button.setEnabled(not busy)
        if not busy:
            self.progress.setValue(0)
            self.progress_label.setText("")

    # --- filter and settings --------------------------------------------------------------
    def set_filter(self, text: str) -> str | None:
        """Apply a filter line now; returns the error shown, or None."""
        self.filter_edit.blockSignals(True)
        self.filter_edit.setText(text)
        self.filter_edit.blockSignals(False)
        return self.apply_filter()

    def apply_filter(self) -> str | None:
        self._debounce.stop()
        try:
            parsed = parse_filter(self.filter_edit.text())
        except ValidationError as exc:
            self.filter_error.setText(exc.rule)
            self.filter_error.setVisible(True)
            return exc.rule
        self.filter_error.setText("")
        self.filter_error.setVisible(False)
        self.filter = parsed
        self.proxy.set_row_filter(None if parsed.node is None else parsed.matches)
        self.prefs.setValue("filter", parsed.text)
        self._update_status()
        return None

    def _on_timeframe(self, text: str) -> None:
        self.scanner.config = dataclasses.replace(self.scanner.config, timeframe=Timeframe(text))
        self.prefs.setValue("timeframe", text)
        self.refresh_now()

    def _restore(self) -> None:
        # a value edited by hand into something unusable is ignored, not trusted
        text = self.prefs.value("filter", "", str)
        if isinstance(text, str) and text:
            self.set_filter(text)
        try:
            interval = int(str(self.prefs.value("interval_s", DEFAULT_INTERVAL_S)))
        except (TypeError, ValueError):
            interval = DEFAULT_INTERVAL_S
        self.interval.setValue(min(max(interval, 0), self.interval.maximum()))
        frame = self.prefs.value("timeframe", "", str)
        if frame in {t.value for t in Timeframe}:
            self.set_config(dataclasses.replace(self.scanner.config, timeframe=Timeframe(frame)))

    def set_config(self, config: ScanConfig) -> None:
        self.scanner.config = config
        self.timeframe.blockSignals(True)
        self.timeframe.setCurrentText(config.timeframe.value)
        self.timeframe.blockSignals(False)

    # --- rows and their actions -----------------------------------------------------------
    def visible_symbols(self) -> list[str]:
        """Symbols as the table shows them: filtered and in the current sort order."""
        return [r.symbol for r in self.proxy.visible_rows()]

    def row_menu(self, symbol: str) -> QMenu:
        menu = QMenu(self)
        menu.addAction("Open chart", lambda: self.symbol_selected.emit(symbol))
        menu.addAction("Add to watchlist", lambda: self.add_to_watchlist.emit(symbol))
        menu.addAction("Start a bot…", lambda: self.start_bot.emit(symbol))
        return menu

    def report(self, text: str, *, error: bool = False) -> None:
        """A line under the controls (e.g. the watchlist's answer to an add)."""
        if error:
            self.message.show_error(text)
        else:
            self.message.show_info(text)

    def _symbol_at(self, index: QModelIndex) -> str | None:
        if not index.isValid():
            return None
        return self.model.row_at(self.proxy.source_row(index.row())).symbol

    def _on_double_click(self, index: QModelIndex) -> None:
        symbol = self._symbol_at(index)
        if symbol is not None:
            self.symbol_selected.emit(symbol)

    def _on_context_menu(self, pos: QPoint) -> None:
        symbol = self._symbol_at(self.view.indexAt(pos))
        if symbol is not None:
            self.row_menu(symbol).exec(self.view.viewport().mapToGlobal(pos))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # scanning starts when the trader first looks at the panel, not at start-up
        if self._service_state.task is None and _loop_running():
            self.start()


class _ServiceState:
    """The schedule's task and the scanner, apart from the widget so that teardown can run
    after the widget is gone."""

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        self.task: asyncio.Task[None] | None = None

    def stop(self) -> asyncio.Task[None] | None:
        task, self.task = self.task, None
        if task is not None and not task.done():
            # at exit the loop may be closed already: then there is nothing left to stop
            with contextlib.suppress(RuntimeError):
                task.cancel()
        self.scanner.close()
        return task


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _filter_help() -> str:
    fields = "\n".join(f"  {f.name}: {f.help}" for f in FIELDS.values())
    return (
        "Filters: comparisons (< <= > >= == !=) joined with and / or / not and brackets;\n"
        "a comma means 'and'. Yes/no fields stand alone: breakout_up, not breakout_down.\n"
        "Fields:\n" + fields
    )
