"""The scanner panel on a real paper session over the demo market (and, for progress and
cancellation, over a large universe)."""

from __future__ import annotations

import asyncio
import statistics

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from app.engine.domain.market import Timeframe
from app.engine.series import BarSeries
from app.scanner import ScanConfig, Scanner, StaticUniverse
from app.ui.context import UiContext
from app.ui.panels import create_panels
from app.ui.scanner.panel import ScannerPanel
from tests.ui.tables.helpers import eventually


async def _scanned(panel: ScannerPanel, qtbot: QtBot) -> None:
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()  # the first show starts the schedule
    await eventually(lambda: panel.last_result is not None, within=20)
    await asyncio.sleep(0.05)  # let the view lay out its rows


async def _stop(panel: ScannerPanel) -> None:
    task = panel.stop()
    if task is not None:
        await asyncio.gather(task, return_exceptions=True)


def _trigger(menu: QMenu, text: str) -> None:
    action = next(a for a in menu.actions() if a.text() == text)
    action.trigger()


async def test_the_panel_scans_the_demo_universe(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = ScannerPanel(ui_ctx)
    await _scanned(panel, qtbot)
    try:
        symbols = sorted(ui_ctx.engine.instruments)
        assert sorted(panel.model.keys()) == symbols  # type: ignore[type-var]
        assert panel.proxy.rowCount() == len(symbols)
        for symbol in symbols:
            assert panel.model.text(symbol, "status") == "ok"
            assert panel.model.value(symbol, "rsi") is not None
            rsi = panel.model.text(symbol, "rsi")
            assert rsi and 0 <= float(rsi) <= 100
            assert panel.model.text(symbol, "atr_pct").endswith("%")
            assert panel.model.value(symbol, "bars") == 300
        assert panel.status.text().startswith(f"{len(symbols)} symbols, {len(symbols)} shown")
        assert not panel.progress.isVisible()  # idle: no progress bar
        assert panel.refresh_button.isEnabled()
    finally:
        await _stop(panel)


async def test_filter_narrows_and_a_bad_filter_shows_its_error(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    panel = ScannerPanel(ui_ctx)
    await _scanned(panel, qtbot)
    try:
        rows = panel.last_result.rows  # type: ignore[union-attr]
        median = statistics.median(r.rsi for r in rows if r.rsi is not None)
        assert panel.set_filter(f"rsi <= {median}") is None
        want = sorted(r.symbol for r in rows if r.rsi is not None and r.rsi <= median)
        assert 0 < len(want) < len(rows)
        assert sorted(panel.visible_symbols()) == want
        assert f"{len(want)} shown" in panel.status.text()

        # typing into the line edit applies after a short pause
        panel.filter_edit.setText('symbol == "ETH/USD"')
        await eventually(lambda: panel.visible_symbols() == ["ETH/USD"])
        assert not panel.filter_error.isVisible()

        error = panel.set_filter("rsj < 30")
        assert error is not None and "unknown field 'rsj'" in error
        assert panel.filter_error.isVisible()
        assert "known fields: symbol, price" in panel.filter_error.text()
        assert panel.visible_symbols() == ["ETH/USD"]  # the last good filter stays
        panel.filter_edit.clear()
        await eventually(lambda: len(panel.visible_symbols()) == len(rows))
        assert not panel.filter_error.isVisible()
    finally:
        await _stop(panel)


async def test_clicking_a_header_sorts_by_the_numbers(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = ScannerPanel(ui_ctx)
    await _scanned(panel, qtbot)
    try:
        header = panel.view.horizontalHeader()
        column = panel.model.column_of("change_pct")
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        QTest.mouseClick(
            header.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            header.rect().center().__class__(x, header.height() // 2),
        )
        values = [panel.model.value(s, "change_pct") for s in panel.visible_symbols()]
        assert values == sorted(values) or values == sorted(values, reverse=True)
        first = values
        QTest.mouseClick(
            header.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            header.rect().center().__class__(x, header.height() // 2),
        )
        again = [panel.model.value(s, "change_pct") for s in panel.visible_symbols()]
        assert again == list(reversed(first))  # a second click turns the order around
    finally:
        await _stop(panel)


async def test_double_click_and_row_menu_emit_the_actions(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = ScannerPanel(ui_ctx)
    await _scanned(panel, qtbot)
    try:
        opened: list[str] = []
        listed: list[str] = []
        bots: list[str] = []
        panel.symbol_selected.connect(opened.append)
        panel.add_to_watchlist.connect(listed.append)
        panel.start_bot.connect(bots.append)
        index = panel.proxy.mapFromSource(panel.model.index(panel.model.row_of("SPY") or 0, 0))
        rect = panel.view.visualRect(index)
        # a real double-click is press, release, then the double-click event
        QTest.mouseClick(
            panel.view.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            rect.center(),
        )
        QTest.mouseDClick(
            panel.view.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            rect.center(),
        )
        assert opened == ["SPY"]
        menu = panel.row_menu("LTC/USD")
        assert [a.text() for a in menu.actions()] == [
            "Open chart",
            "Add to watchlist",
            "Start a bot…",
        ]
        _trigger(menu, "Open chart")
        _trigger(menu, "Add to watchlist")
        _trigger(menu, "Start a bot…")
        assert opened == ["SPY", "LTC/USD"] and listed == ["LTC/USD"] and bots == ["LTC/USD"]
    finally:
        await _stop(panel)


async def test_wired_panels_add_to_the_watchlist_and_open_the_chart(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    panels = create_panels(ui_ctx)
    for widget in (panels.watchlist, panels.chart, panels.ticket, panels.scanner, panels.bots):
        qtbot.addWidget(widget)
    scanner = panels.scanner
    try:
        await _scanned(scanner, qtbot)
        assert panels.watchlist.add_list("From scanner") is None
        assert panels.watchlist.current_symbols() == []
        _trigger(scanner.row_menu("ETH/USD"), "Add to watchlist")
        assert panels.watchlist.current_symbols() == ["ETH/USD"]
        assert panels.watchlist.model.keys() == ["ETH/USD"]
        assert scanner.message.text() == "ETH/USD added to watchlist 'From scanner'"
        _trigger(scanner.row_menu("ETH/USD"), "Add to watchlist")
        assert scanner.message.text() == "ETH/USD is already in 'From scanner'"
        assert panels.watchlist.current_symbols() == ["ETH/USD"]

        _trigger(scanner.row_menu("SPY"), "Open chart")
        assert panels.chart.symbol == "SPY"
        assert panels.ticket.symbol.currentText() == "SPY"
        # the bots panel's new_bot is wired (this session runs no bot manager, so no dialog)
        _trigger(scanner.row_menu("SPY"), "Start a bot…")
    finally:
        await _stop(scanner)


class _SlowHistory:
    """Bars for a large synthetic universe, each request taking a moment like a venue's."""

    def __init__(self, n: int, short: str | None = None) -> None:
        self.short = short
        self.n = n

    async def history(self, symbol: str, timeframe: Timeframe, limit: int) -> BarSeries:
        await asyncio.sleep(0.002)
        bars = 20 if symbol == self.short else limit
        rng = np.random.default_rng(abs(hash(symbol)) % 2**32)
        close = 50 * np.exp(np.cumsum(rng.normal(0, 0.003, bars)))
        ts = np.arange(bars, dtype=np.int64) * timeframe.nanos + 1_700_000_000 * 10**9
        vol = rng.uniform(1, 5, bars)
        return BarSeries(ts, close, close * 1.001, close * 0.999, close, vol, symbol, "1m")


async def test_a_long_scan_shows_progress_and_can_be_cancelled(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    symbols = [f"S{i:03d}" for i in range(400)]
    scanner = Scanner(
        StaticUniverse(symbols),
        _SlowHistory(400),
        ScanConfig(fetch_concurrency=2, progress_interval_s=0.0, pool_threshold=1000),
    )
    panel = ScannerPanel(ui_ctx, scanner)
    qtbot.addWidget(panel)
    panel.interval.setValue(0)  # manual
    panel.resize(900, 500)
    panel.show()
    try:
        await eventually(lambda: panel.progress.isVisible() and panel.progress.value() > 0)
        assert panel.cancel_button.isVisible() and not panel.refresh_button.isEnabled()
        await eventually(lambda: "left" in panel.progress_label.text())
        assert panel.progress_label.text().startswith("Fetching history: ")
        QTest.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
        await eventually(lambda: "Scan cancelled" in panel.message.text())
        assert not panel.progress.isVisible() and panel.refresh_button.isEnabled()
        assert panel.last_result is None and panel.model.rowCount() == 0
        assert panel.running  # the schedule survives a cancelled scan
    finally:
        await _stop(panel)


async def test_rows_without_metrics_say_why(ui_ctx: UiContext, qtbot: QtBot) -> None:
    scanner = Scanner(StaticUniverse(["LONG", "SHORT"]), _SlowHistory(2, short="SHORT"))
    panel = ScannerPanel(ui_ctx, scanner)
    await _scanned(panel, qtbot)
    try:
        assert panel.model.text("SHORT", "status") == "insufficient history: 20 of 51 bars"
        assert panel.model.text("SHORT", "rsi") == "—"
        assert panel.model.text("SHORT", "breakout") == "—"
        assert panel.model.text("LONG", "status") == "ok"
        assert "1 without metrics" in panel.status.text()
        # a filter leaves out what could not be measured
        panel.set_filter("rsi >= 0")
        assert panel.visible_symbols() == ["LONG"]
    finally:
        await _stop(panel)


async def test_refresh_now_and_a_new_timeframe_rescan(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = ScannerPanel(ui_ctx)
    panel.interval.setValue(0)  # manual: only the button (and settings) scan
    await _scanned(panel, qtbot)
    try:
        first = panel.last_result
        QTest.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
        await eventually(lambda: panel.last_result is not first, within=20)
        second = panel.last_result
        panel.timeframe.setCurrentText("5m")
        await eventually(lambda: panel.last_result is not second, within=20)
        assert panel.last_result is not None
        assert panel.last_result.timeframe is Timeframe.M5
        assert "5m bars" in panel.status.text()
    finally:
        await _stop(panel)


async def test_filter_schedule_and_bar_size_come_back(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = ScannerPanel(ui_ctx)
    qtbot.addWidget(panel)
    assert panel.set_filter("rsi < 40 or breakout_up") is None
    assert panel.set_filter("rsi <") is not None  # a bad filter is not saved
    panel.interval.setValue(120)
    panel.timeframe.setCurrentText("15m")
    await _stop(panel)
    panel.prefs.sync()

    again = ScannerPanel(ui_ctx)
    qtbot.addWidget(again)
    assert again.filter_edit.text() == "rsi < 40 or breakout_up"
    assert again.filter.text == "rsi < 40 or breakout_up" and not again.filter_error.isVisible()
    assert again.interval.value() == 120
    assert again.timeframe.currentText() == "15m"
    assert again.scanner.config.timeframe is Timeframe.M15


async def test_a_hand_edited_prefs_file_is_not_trusted(ui_ctx: UiContext, qtbot: QtBot) -> None:
    (ui_ctx.settings.data_dir / "scanner.ini").write_text(
        "[General]\nfilter=rsi <<< 3\ninterval_s=soon\ntimeframe=7m\n", encoding="utf-8"
    )
    panel = ScannerPanel(ui_ctx)
    qtbot.addWidget(panel)
    assert panel.filter.node is None  # nothing applied
    assert panel.filter_error.text().startswith("'rsi <<< 3'")  # and the trader is told why
    assert panel.interval.value() == 30
    assert panel.scanner.config.timeframe is Timeframe.M1
