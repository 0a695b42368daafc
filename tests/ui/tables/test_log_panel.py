from __future__ import annotations

import logging
import threading

import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from app.engine.domain.errors import ValidationError
from app.engine.domain.events import Alert
from app.engine.domain.orders import OrderRequest, OrderSide, OrderType
from app.ui.context import UiContext
from app.ui.tables.log_panel import LogPanel
from tests.ui.tables.helpers import eventually


async def test_logged_warning_shows_and_filters_by_level_and_source(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    panel = LogPanel(ui_ctx, interval_ms=20)
    qtbot.addWidget(panel)
    try:
        assert panel.handler in logging.getLogger().handlers
        log = logging.getLogger("tradedesk.test.panel")
        log.setLevel(logging.DEBUG)
        log.warning("feed %s is stale", "demo")
        log.info("connected")
        # a record from another thread is only queued there, shown by the GUI timer
        worker = threading.Thread(target=lambda: log.error("worker failed"))
        worker.start()
        worker.join()
        await eventually(lambda: len(panel.model.keys()) >= 3)
        mine = [e for e in panel.visible_entries() if e.source == "tradedesk.test.panel"]
        assert [(e.level_name, e.message) for e in mine] == [
            ("WARNING", "feed demo is stale"),
            ("INFO", "connected"),
            ("ERROR", "worker failed"),
        ]
        key = mine[0].seq
        assert panel.model.text(key, "level") == "WARNING"
        assert panel.model.text(key, "source") == "tradedesk.test.panel"
        panel.set_min_level("WARNING")
        mine = [e for e in panel.visible_entries() if e.source == "tradedesk.test.panel"]
        assert [e.message for e in mine] == ["feed demo is stale", "worker failed"]
        panel.set_min_level("ERROR")
        assert "feed demo is stale" not in [e.message for e in panel.visible_entries()]
        panel.set_min_level("DEBUG")
        panel.set_source_filter("TEST.PANEL")
        assert {e.source for e in panel.visible_entries()} == {"tradedesk.test.panel"}
    finally:
        panel.detach()
    assert panel.handler not in logging.getLogger().handlers


async def test_alerts_and_risk_denials_are_rows(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = LogPanel(ui_ctx, interval_ms=20, install=False)
    qtbot.addWidget(panel)
    engine = ui_ctx.engine
    engine.bus.publish(Alert("critical", "Kill switch", "Trading halted", engine.clock.now_ns()))
    with pytest.raises(ValidationError):
        await engine.place_order(
            OrderRequest("BTC/USD", OrderSide.BUY, OrderType.MARKET, "1000000")
        )
    await eventually(lambda: {e.source for e in panel.model.rows()} >= {"alerts", "risk"})
    by_source = {e.source: e for e in panel.model.rows()}
    assert by_source["alerts"].level_name == "CRITICAL"
    assert by_source["alerts"].message == "Kill switch: Trading halted"
    assert by_source["risk"].level_name == "WARNING"
    assert "denied buy 1000000 BTC/USD" in by_source["risk"].message


async def test_capacity_drops_the_oldest(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = LogPanel(ui_ctx, capacity=5, install=False)
    qtbot.addWidget(panel)
    for i in range(8):
        panel.handler.push(logging.INFO, "t", f"m{i}", i)
    panel.flush()
    assert [e.message for e in panel.model.rows()] == ["m3", "m4", "m5", "m6", "m7"]


async def test_handler_leaves_the_root_logger_with_the_panel(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    panel = LogPanel(ui_ctx)
    handler = panel.handler
    assert handler in logging.getLogger().handlers
    shiboken6.delete(panel)
    assert handler not in logging.getLogger().handlers


async def test_engine_orders_and_fills_reach_the_log_panel(ui_ctx: UiContext) -> None:
    app_logger = logging.getLogger("app")
    previous = app_logger.level
    app_logger.setLevel(logging.INFO)  # what the desktop app does at start
    panel = LogPanel(ui_ctx)
    try:
        await ui_ctx.engine.place_order(OrderRequest("SPY", OrderSide.BUY, OrderType.MARKET, "2"))
        panel.flush()
        messages = [e.message for e in panel.visible_entries() if e.source == "app.engine.oms"]
        assert any(m.startswith("fill buy 2 SPY @") for m in messages), messages
        assert any("→ filled" in m for m in messages), messages
    finally:
        panel.detach()
        app_logger.setLevel(previous)
