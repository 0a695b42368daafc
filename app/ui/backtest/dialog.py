"""The backtest window (non-modal): pick a strategy, its parameters, the bars and the costs;
run a backtest, an optimisation or a walk-forward analysis in a worker process with a
progress bar, the time left and Cancel; read the results; save a report or the trades.

Run does what the current tab is for. All work runs through ``JobRunner`` (a worker
process), so the window and the trading behind it stay responsive; one job at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.backtest.opt_rows import OptimizeResult
from app.backtest.trades import write_round_trips_csv
from app.backtest.wf_result import WalkForwardResult
from app.engine.domain.errors import ValidationError
from app.engine.jobs import Progress
from app.engine.series import BarSeries
from app.reports.performance import BacktestLike, PerformanceReport, from_backtest, save_report
from app.reports.walkforward import walkforward_report
from app.strategies.base import Strategy
from app.strategies.params import ParamValue
from app.strategies.registry import all_strategies
from app.ui.backtest.optimise_tab import OptimiseTab
from app.ui.backtest.results import CurvePlots, MetricsTable, TradesTable
from app.ui.backtest.setup import ConfigForm, DataPicker
from app.ui.backtest.walkforward_tab import WalkForwardTab
from app.ui.context import UiContext
from app.ui.jobs import JobRunner
from app.ui.param_form import ParamForm

BACKTEST, OPTIMISE, WALKFORWARD = 0, 1, 2
JOBS = "app.backtest.jobs:"  # named, not imported: see app.ui.jobs


class BacktestDialog(QDialog):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Backtest")
        self.setModal(False)
        self.resize(1400, 900)
        self.runner = JobRunner(self)
        self.strategies = all_strategies()
        self.series: BarSeries | None = None
        self.bt_result: BacktestLike | None = None
        self.opt_result: OptimizeResult | None = None
        self.wf_result: WalkForwardResult | None = None
        self.start_task: asyncio.Task[Any] | None = None
        #: where to save; tests replace it to answer without a file dialog
        self.ask_path: Callable[[str, str], Path | None] = self._ask_path
        self._build()
        self.runner.progressed.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.state_changed.connect(self._on_running)
        self._on_strategy()

    # --- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        self.strategy_box = QComboBox()
        for sid, cls in self.strategies.items():
            self.strategy_box.addItem(f"{cls.name or sid} ({sid})", sid)
        self.strategy_box.currentIndexChanged.connect(self._on_strategy)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.data = DataPicker(self.ctx)
        self.config_form = ConfigForm()
        self.params_box = QGroupBox("Parameters")
        self.params_layout = QVBoxLayout(self.params_box)
        self.param_form: ParamForm | None = None

        top = QFormLayout()
        top.addRow("Strategy", self.strategy_box)
        top.addRow("", self.summary)
        top.addRow("Data", self.data)
        setup = QWidget()
        column = QVBoxLayout(setup)
        column.addLayout(top)
        column.addWidget(self.params_box)
        costs = QGroupBox("Account and costs")
        QVBoxLayout(costs).addWidget(self.config_form)
        column.addWidget(costs)
        column.addStretch(1)

        self.metrics = MetricsTable()
        self.plots = CurvePlots(with_price=True)
        self.trades = TradesTable()
        results = QSplitter(Qt.Orientation.Horizontal)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.plots)
        right.addWidget(self.trades)
        right.setStretchFactor(0, 3)
        results.addWidget(self.metrics)
        results.addWidget(right)
        results.setStretchFactor(1, 4)
        self.optimise = OptimiseTab(self.use_params)
        self.walkforward = WalkForwardTab()
        self.tabs = QTabWidget()
        self.tabs.addTab(results, "Backtest")
        self.tabs.addTab(self.optimise, "Optimise")
        self.tabs.addTab(self.walkforward, "Walk-forward")
        self.tabs.currentChanged.connect(lambda _i: self._sync_buttons())

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.status = QLabel("Ready.")
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.report_button = QPushButton("Save report…")
        self.report_button.clicked.connect(self._save_report_clicked)
        self.export_button = QPushButton("Export trades…")
        self.export_button.clicked.connect(self._export_clicked)
        bar = QHBoxLayout()
        bar.addWidget(self.progress, 2)
        bar.addWidget(self.status, 3)
        for button in (self.run_button, self.cancel_button, self.report_button, self.export_button):
            bar.addWidget(button)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(setup)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 4)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(bar)
        self._sync_buttons()

    # --- inputs ---------------------------------------------------------------------------
    @property
    def strategy(self) -> type[Strategy]:
        return self.strategies[str(self.strategy_box.currentData())]

    def set_strategy(self, strategy_id: str) -> None:
        self.strategy_box.setCurrentIndex(self.strategy_box.findData(strategy_id))

    def _on_strategy(self) -> None:
        cls = self.strategy
        self.summary.setText(cls.summary)
        if self.param_form is not None:
            self.params_layout.removeWidget(self.param_form)
            self.param_form.deleteLater()
        self.param_form = ParamForm(cls.params)
        self.params_layout.addWidget(self.param_form)
        self.optimise.set_strategy(cls)

    def use_params(self, values: Mapping[str, ParamValue]) -> None:
        """Copy an optimisation row's parameters into the form and show the Backtest tab."""
        assert self.param_form is not None
        self.param_form.set_values(values)
        self.tabs.setCurrentIndex(BACKTEST)
        self.status.setText("Parameters copied from the optimisation; Run to backtest them.")

    def _params(self) -> dict[str, ParamValue]:
        assert self.param_form is not None
        values = self.param_form.values()
        try:
            return self.strategy.validated(values)
        except ValidationError as exc:
            self.param_form.show_validation_error(exc)
            raise

    # --- running --------------------------------------------------------------------------
    def run(self) -> asyncio.Task[Any] | None:
        """Start what the current tab is for; returns the task that starts the job (it
        ends once the job runs; ``runner.task`` then awaits the job itself)."""
        if self.runner.running or (self.start_task is not None and not self.start_task.done()):
            return None
        kind = self.tabs.currentIndex()
        self.start_task = self.ctx.spawn(self._start(kind), "backtest-window-start")
        return self.start_task

    async def _start(self, kind: int) -> None:
        try:
            params = self._params() if kind == BACKTEST else {}
            config = self.config_form.config(self.data.symbol())
            self.status.setText("Loading bars…")
            source = await self.data.source()
        except ValidationError as exc:
            self.status.setText(f"Cannot run: {exc}")
            return
        sid = self.strategy.id
        self.progress.setValue(0)
        if kind == BACKTEST:
            self.runner.start("backtest", JOBS + "backtest_job", sid, source, params, config)
        elif kind == OPTIMISE:
            options = self.optimise.search.options()
            self.runner.start("optimise", JOBS + "optimise_job", sid, source, config, options)
        else:
            options = self.optimise.search.options()
            options.update(self.walkforward.options())
            options["metric"] = self.optimise.search.metric_name
            options["descending"] = self.optimise.search.descending
            self.runner.start(
                "walk-forward", JOBS + "walkforward_job", sid, source, config, options
            )
        self.status.setText(f"Starting the {self.runner.label}…")

    def cancel(self) -> None:
        if self.runner.running:
            self.status.setText("Cancelling…")
            self.runner.cancel()

    def _on_running(self, running: bool) -> None:
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        running = self.runner.running
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        tab = self.tabs.currentIndex()
        has = {BACKTEST: self.bt_result, OPTIMISE: None, WALKFORWARD: self.wf_result}.get(tab)
        self.report_button.setEnabled(not running and has is not None)
        self.export_button.setEnabled(not running and has is not None)

    def _on_progress(self, progress: Progress) -> None:
        self.progress.setValue(round(progress.fraction * 1000))
        self.status.setText(progress.describe())

    def _on_finished(self, payload: Any) -> None:
        series, result = payload
        self.series = series
        self.progress.setValue(1000)
        if isinstance(result, OptimizeResult):
            self.opt_result = result
            self.optimise.show_result(result)
            self.status.setText(f"Optimisation done: {len(result.rows):,} sets.")
        elif isinstance(result, WalkForwardResult):
            self.wf_result = result
            self.walkforward.show_result(result)
            self.status.setText(f"Walk-forward done: {len(result.windows)} windows.")
        else:  # the runner's BacktestResult
            self.show_backtest(series, result)
        self._sync_buttons()

    def show_backtest(self, series: BarSeries, result: BacktestLike) -> None:
        self.bt_result = result
        self.metrics.show_metrics(result.metrics.to_dict())
        self.plots.show_curve(result.ts, result.equity)
        self.plots.show_price(series, result.trades)
        self.trades.show_trades(result.trades)
        m = result.metrics.to_dict()
        self.status.setText(
            f"Backtest done: {m['bars']:,} bars, {m['trades']:,} round trips, "
            f"return {float(m['total_return']) * 100:,.2f} %."
        )
        self._sync_buttons()

    def _on_failed(self, message: str) -> None:
        self.progress.setValue(0)
        self.status.setText(f"Failed: {message}")

    def _on_cancelled(self) -> None:
        self.progress.setValue(0)
        self.status.setText(f"The {self.runner.label} was cancelled; nothing was kept.")

    # --- saving ---------------------------------------------------------------------------
    def current_report(self) -> PerformanceReport | None:
        if self.tabs.currentIndex() == WALKFORWARD:
            return None if self.wf_result is None else walkforward_report(self.wf_result)
        return None if self.bt_result is None else from_backtest(self.bt_result)

    def save_report(self, path: Path) -> None:
        report = self.current_report()
        if report is None:
            raise ValidationError("report", "run a backtest or a walk-forward first")
        save_report(report, path)
        self.status.setText(f"Report saved to {path}.")

    def export_trades(self, path: Path) -> int:
        source = self.wf_result if self.tabs.currentIndex() == WALKFORWARD else self.bt_result
        if source is None:
            raise ValidationError("trades", "run a backtest or a walk-forward first")
        count = write_round_trips_csv(source.trades, path)
        self.status.setText(f"{count:,} round trips written to {path}.")
        return count

    def _save_report_clicked(self) -> None:
        path = self.ask_path("Save report", "HTML report (*.html);;JSON (*.json)")
        if path is not None:
            self._guard(lambda: self.save_report(path))

    def _export_clicked(self) -> None:
        path = self.ask_path("Export trades", "CSV (*.csv)")
        if path is not None:
            self._guard(lambda: self.export_trades(path))

    def _guard(self, action: Callable[[], object]) -> None:
        try:
            action()
        except (ValidationError, OSError) as exc:
            QMessageBox.warning(self, "Backtest", str(exc))

    def _ask_path(self, title: str, filters: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self, title, "", filters)
        return Path(name) if name else None

    def closeEvent(self, event: object) -> None:
        self.runner.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]
