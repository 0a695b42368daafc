"""The Walk-forward tab: window sizes, then one row per window (dates, chosen parameters,
in-sample metric, out-of-sample return) and the stitched out-of-sample curve with its
metrics. The search space and the metric are the Optimise tab's."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.backtest.wf_result import WalkForwardResult
from app.engine.trade_export import iso_utc
from app.ui.backtest.results import CurvePlots, MetricsTable, NumberItem, read_only_table

WINDOW_HEADERS = (
    "#",
    "In-sample",
    "Out-of-sample",
    "Best parameters",
    "IS metric",
    "OOS return %",
    "End equity",
)


class WalkForwardTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.in_sample = QSpinBox()
        self.in_sample.setRange(2, 10_000_000)
        self.in_sample.setValue(2000)
        self.in_sample.setSuffix(" bars")
        self.out_of_sample = QSpinBox()
        self.out_of_sample.setRange(1, 10_000_000)
        self.out_of_sample.setValue(500)
        self.out_of_sample.setSuffix(" bars")
        self.step = QSpinBox()
        self.step.setRange(0, 10_000_000)
        self.step.setSpecialValueText("= out-of-sample")
        self.step.setSuffix(" bars")
        self.anchored = QCheckBox("Anchored (in-sample always starts at the first bar)")
        form = QFormLayout()
        form.addRow("In-sample", self.in_sample)
        form.addRow("Out-of-sample", self.out_of_sample)
        form.addRow("Step", self.step)
        form.addRow(self.anchored)
        note = QLabel(
            "Search space and metric: the Optimise tab. Each out-of-sample run warms its "
            "indicators up on the bars just before it and trades only out-of-sample; the "
            "windows' curves are chained from one ending equity to the next."
        )
        note.setWordWrap(True)
        form.addRow(note)
        left = QWidget()
        left.setLayout(form)
        self.windows = read_only_table(WINDOW_HEADERS)
        self.metrics = MetricsTable()
        self.plots = CurvePlots(with_price=False)
        self.summary = QLabel("")
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.metrics)
        bottom.addWidget(self.plots)
        bottom.setStretchFactor(1, 3)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.windows)
        right.addWidget(bottom)
        column = QVBoxLayout()
        column.addWidget(self.summary)
        column.addWidget(right, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addLayout(column, 1)

    def options(self) -> dict[str, Any]:
        return {
            "in_sample": self.in_sample.value(),
            "out_of_sample": self.out_of_sample.value(),
            "step": self.step.value() or None,
            "anchored": self.anchored.isChecked(),
        }

    def show_result(self, result: WalkForwardResult) -> None:
        table = self.windows
        table.setSortingEnabled(False)
        table.setRowCount(len(result.windows))
        for r, w in enumerate(result.windows):
            params = (
                "no set ran"
                if w.best is None
                else ", ".join(f"{k}={v}" for k, v in w.best.params.items())
            )
            ret = w.oos_metrics.get("total_return")
            cells = [
                NumberItem(str(w.window.index + 1), w.window.index + 1),
                NumberItem(f"{iso_utc(w.is_from_ts)[:10]} → {iso_utc(w.is_to_ts)[:10]}", r),
                NumberItem(f"{iso_utc(w.oos_from_ts)[:10]} → {iso_utc(w.oos_to_ts)[:10]}", r),
                NumberItem(params, r),
                NumberItem("—" if w.is_metric is None else f"{w.is_metric:,.4f}", w.is_metric),
                NumberItem("—" if ret is None else f"{ret * 100:,.2f}", ret),
                NumberItem(f"{w.end_equity:,.2f}", w.end_equity),
            ]
            for c, item in enumerate(cells):
                table.setItem(r, c, item)
        table.setSortingEnabled(True)
        self.metrics.show_metrics(result.metrics)
        self.plots.show_curve(result.ts, result.equity)
        self.summary.setText(
            f"{len(result.windows)} windows, best in-sample {result.metric}; stitched "
            f"out-of-sample: {len(result.ts):,} bars, {len(result.trades):,} round trips"
        )
