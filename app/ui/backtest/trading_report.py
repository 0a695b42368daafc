"""Tools → Trading performance report…: the ``report performance`` command in a small window.

The fills are the engine's (every fill of the account, the journal's included, restored at
start), filtered by source (all, manual, external or a bot) and an optional UTC date range;
the curve starts from the account's deposits unless another capital is given. The report is
built and written here: a few thousand fills take milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from app.engine.domain.errors import ValidationError
from app.engine.domain.fills import Fill
from app.reports.performance import PerformanceReport, from_fills, save_report
from app.ui.context import UiContext

ALL = ""


def _day_ns(day: QDate) -> int:
    moment = datetime(day.year(), day.month(), day.day(), tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000


class TradingReportDialog(QDialog):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Trading performance report")
        self.setModal(False)
        #: where to save; tests replace it to answer without a file dialog
        self.ask_path: Callable[[], Path | None] = self._ask_path
        self.source = QComboBox()
        self.source.addItem("All sources", ALL)
        for source in sorted({f.source for f in ctx.engine.oms.fills if f.source}):
            self.source.addItem(source, source)
        self.use_dates = QCheckBox("Only from … to (UTC, end exclusive)")
        today = QDate.currentDate()
        self.since = QDateEdit(today.addMonths(-1))
        self.until = QDateEdit(today.addDays(1))
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.capital = QDoubleSpinBox()
        self.capital.setRange(0.01, 1e12)
        self.capital.setDecimals(2)
        self.capital.setValue(float(ctx.engine.portfolio.deposits) or 10_000.0)
        self.capital.setToolTip("starting equity of the curve (default: the account's deposits)")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.save_button = QPushButton("Save report…")
        self.save_button.clicked.connect(self._save_clicked)
        form = QFormLayout(self)
        form.addRow("Source", self.source)
        form.addRow(self.use_dates)
        form.addRow("From", self.since)
        form.addRow("Until", self.until)
        form.addRow("Capital", self.capital)
        form.addRow(self.save_button)
        form.addRow(self.status)

    def fills(self) -> list[Fill]:
        source = str(self.source.currentData() or ALL)
        since, until = self._range()
        return [
            f
            for f in self.ctx.engine.oms.fills
            if (not source or f.source == source)
            and (since is None or f.ts >= since)
            and (until is None or f.ts < until)
        ]

    def _range(self) -> tuple[int | None, int | None]:
        if not self.use_dates.isChecked():
            return None, None
        since, until = _day_ns(self.since.date()), _day_ns(self.until.date())
        if since >= until:
            raise ValidationError("until", "must be after from")
        return since, until

    def report(self) -> PerformanceReport:
        since, until = self._range()
        source = str(self.source.currentData() or ALL)
        return from_fills(
            self.fills(),
            self.capital.value(),
            source=source or "all sources",
            since_ns=since,
            until_ns=until,
        )

    def save(self, path: Path) -> int:
        """Write the report (``.html`` or ``.json``); returns the number of fills in it."""
        report = self.report()
        save_report(report, path)
        count = int(report.metrics.get("fills", 0))
        self.status.setText(f"Report of {count:,} fills saved to {path}.")
        return count

    def _save_clicked(self) -> None:
        path = self.ask_path()
        if path is None:
            return
        try:
            self.save(path)
        except (ValidationError, OSError) as exc:
            self.status.setText(f"Not saved: {exc}")

    def _ask_path(self) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save report", "", "HTML report (*.html);;JSON (*.json)"
        )
        return Path(name) if name else None
