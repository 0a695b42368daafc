"""Log panel: the application's log records, the engine's alerts and the risk gate's
refusals in one table, filtered by minimum level and by source.

``QueueLogHandler`` is installed on the root logger. Its ``emit`` only renders the message
and appends to a bounded deque (thread-safe), because records come from any thread and a
handler that touched Qt there would crash; a QTimer on the GUI thread drains the queue into
the model a few times a second. The table keeps the newest ``capacity`` rows.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.domain.events import Alert, OrderDenied
from app.ui.context import UiContext
from app.ui.tables.formatting import fmt_datetime
from app.ui.tables.table_model import Column, RowTableModel, Tone
from app.ui.tables.table_view import RowSortProxy, make_table

CAPACITY = 5000
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    ts: int  # epoch ns
    level: int
    source: str
    message: str

    @property
    def level_name(self) -> str:
        return logging.getLevelName(self.level)


class QueueLogHandler(logging.Handler):
    """Queues records for the GUI thread; safe to call from any thread."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        super().__init__(logging.NOTSET)
        # bounded: if the GUI stalls, the oldest records go rather than memory
        self._queue: deque[LogEntry] = deque(maxlen=capacity)
        self._seq = itertools.count()
        self._exc = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()  # now: the args may change after the call
            if record.exc_info:
                message += "\n" + self._exc.formatException(record.exc_info)
        except Exception:
            self.handleError(record)
            return
        self.push(record.levelno, record.name, message, int(record.created * 1e9))

    def push(self, level: int, source: str, message: str, ts: int) -> None:
        self._queue.append(LogEntry(next(self._seq), ts, level, source, message))

    def drain(self) -> list[LogEntry]:
        out: list[LogEntry] = []
        while True:
            try:
                out.append(self._queue.popleft())
            except IndexError:
                return out


def _level_tone(value: object, _row: LogEntry) -> Tone | None:
    return Tone.DOWN if isinstance(value, int) and value >= logging.ERROR else None


LOG_COLUMNS: tuple[Column[LogEntry], ...] = (
    Column[LogEntry]("time", "Time", lambda e: e.ts, lambda v, _e: fmt_datetime(v)),
    Column[LogEntry](
        "level", "Level", lambda e: e.level, lambda _v, e: e.level_name, tone=_level_tone
    ),
    Column[LogEntry]("source", "Source", lambda e: e.source),
    Column[LogEntry]("message", "Message", lambda e: e.message),
)

_ALERT_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


class LogPanel(QWidget):
    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        *,
        capacity: int = CAPACITY,
        install: bool = True,
        interval_ms: int = 200,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.capacity = capacity
        self.handler = QueueLogHandler(capacity)
        self._installed_on: logging.Logger | None = None
        if install:
            self.attach(logging.getLogger())
        self.model = RowTableModel(LOG_COLUMNS, lambda e: e.seq, self)
        self.proxy = RowSortProxy(self.model, self)
        self.view = make_table(self.proxy, self)

        self.level_combo = QComboBox()
        self.level_combo.addItems(list(LEVELS))
        self.level_combo.setCurrentText("INFO")
        self.level_combo.setToolTip("Minimum level")
        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("Source contains…")
        self.source_edit.setClearButtonEnabled(True)
        clear_btn = QPushButton("Clear")
        clear_btn.clicked.connect(self.clear)
        self.level_combo.currentTextChanged.connect(self._apply_filter)
        self.source_edit.textChanged.connect(self._apply_filter)
        bar = QHBoxLayout()
        bar.addWidget(self.level_combo)
        bar.addWidget(self.source_edit, 1)
        bar.addWidget(clear_btn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self._apply_filter()

        ctx.bridge.alerts.connect(self._on_alerts)
        ctx.bridge.denied.connect(self._on_denied)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self._timer.start()

    # --- public API ------------------------------------------------------------------------
    def attach(self, logger: logging.Logger) -> None:
        self.detach()
        logger.addHandler(self.handler)
        self._installed_on = logger
        # a panel dropped without detach() must not leave its handler on the logger; the
        # slot holds the logger and handler only, never the (then deleted) widget
        handler = self.handler
        self.destroyed.connect(lambda *_: logger.removeHandler(handler))

    def detach(self) -> None:
        """Remove the handler from its logger (call before the panel is destroyed)."""
        if self._installed_on is not None:
            self._installed_on.removeHandler(self.handler)
            self._installed_on = None

    def flush(self) -> None:
        """Move queued records into the table, keeping at most ``capacity`` rows."""
        entries = self.handler.drain()
        if not entries:
            return
        bar = self.view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum()
        self.model.apply(entries)
        excess = self.model.rowCount() - self.capacity
        if excess > 0:
            self.model.remove(self.model.keys()[:excess])
        if at_bottom:
            self.view.scrollToBottom()

    def clear(self) -> None:
        self.model.remove(self.model.keys())

    def set_min_level(self, name: str) -> None:
        self.level_combo.setCurrentText(name)

    def set_source_filter(self, text: str) -> None:
        self.source_edit.setText(text)

    def visible_entries(self) -> list[LogEntry]:
        return list(self.proxy.visible_rows())

    # --- internals -------------------------------------------------------------------------
    def _apply_filter(self, *_: object) -> None:
        minimum = logging.getLevelName(self.level_combo.currentText())
        needle = self.source_edit.text().strip().lower()

        def accept(entry: LogEntry) -> bool:
            return entry.level >= minimum and (not needle or needle in entry.source.lower())

        self.proxy.set_row_filter(accept)

    def _on_alerts(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            level = _ALERT_LEVELS.get(alert.level.lower(), logging.WARNING)
            text = f"{alert.title}: {alert.message}" if alert.message else alert.title
            self.handler.push(level, "alerts", text, alert.ts)

    def _on_denied(self, denied: list[OrderDenied]) -> None:
        for d in denied:
            r = d.request
            what = f"{r.side.value} {r.quantity} {r.symbol} {r.type.value} ({r.source})"
            self.handler.push(logging.WARNING, "risk", f"denied {what}: {d.field}: {d.rule}", d.ts)
