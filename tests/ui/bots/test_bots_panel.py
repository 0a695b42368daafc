"""The bot manager panel on a real paper session (demo market, fast): create a bot through
the dialog and its generated parameter form, start it, watch state, stats and log update,
pause, stop, export its trades, edit it."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QSpinBox
from pytestqt.qtbot import QtBot

from app.bootstrap import PaperSession
from app.engine.trade_export import COLUMNS
from app.settings import Settings
from app.ui.bots.panel import BotsPanel
from app.ui.bridge import EngineBridge
from app.ui.context import UiContext
from tests.bots.strategies import ALL, resolve
from tests.ui.tables.helpers import eventually


@pytest.fixture
async def bots_ctx(data_dir: Path) -> AsyncIterator[UiContext]:
    settings = Settings(data_dir, demo_speed=600.0, ticks_per_second=8.0)
    session = await PaperSession.open(settings, strategies=resolve)
    session.bots.sample_interval_s = 0.05
    bridge = EngineBridge(session.engine.bus, session.engine.portfolio, interval_ms=20)
    yield UiContext(session.engine, session.market, bridge, settings, bots=session.bots)
    bridge.close()
    await session.close()  # cancels the feed with every other engine task


def start_feed(ctx: UiContext) -> None:
    """Prices start flowing from inside the test, while its loop runs: a feed started in
    the fixture would sit through pytest-qt's event pass between setup and the test."""
    ctx.engine.tasks.spawn(ctx.data.run(), "demo-feed", service=True)


def spin(dialog: object, name: str) -> QSpinBox:
    form = getattr(dialog, "param_form", None)
    assert form is not None
    editor = form.editor(name)
    assert isinstance(editor, QSpinBox)
    return editor


async def test_create_start_watch_stop(bots_ctx: UiContext, qtbot: QtBot, tmp_path: Path) -> None:
    start_feed(bots_ctx)
    manager = bots_ctx.bots
    assert manager is not None
    panel = BotsPanel(bots_ctx, strategies=ALL, interval_ms=50)
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    panel.show()

    dialog = panel.new_bot("ETH/USD")  # what the scanner's "new bot" does
    assert dialog is not None and dialog.isVisible()
    assert dialog.checked_symbols() == ["ETH/USD"]
    dialog.strategy_combo.setCurrentIndex(dialog.strategy_combo.findData("every_n"))
    assert dialog.summary.text() == ALL["every_n"].summary
    assert [p.name for p in dialog.param_form.params] == ["hold", "warm"]  # type: ignore[union-attr]

    # bad input: the error appears next to the field, the dialog stays open
    dialog.id_edit.setText("bad id!")
    dialog.sizing_value.setText("-5")
    assert not dialog.try_accept()
    assert "letters, digits" in dialog.error_text("id")
    assert dialog.isVisible() and not manager.bots
    dialog.id_edit.setText("ui1")
    assert not dialog.try_accept()
    assert "greater than 0" in dialog.error_text("sizing")
    assert dialog.error_text("id") == ""
    dialog.sizing_combo.setCurrentIndex(dialog.sizing_combo.findData("fixed_notional"))
    dialog.sizing_value.setText("1000")
    dialog.sl_edit.setText("abc")
    assert not dialog.try_accept()
    assert "must be a number" in dialog.error_text("stop_loss_pct")
    dialog.sl_edit.setText("4")
    dialog.show_error("params.hold", "a rule from the strategy")
    assert dialog.error_text("params.hold") == "a rule from the strategy"
    spin(dialog, "hold").setValue(1)
    spin(dialog, "warm").setValue(2)
    assert dialog.try_accept()
    assert not dialog.isVisible()

    bot = manager.get("ui1")
    assert bot.config.params == {"hold": 1, "warm": 2}
    assert bot.config.symbols == ("ETH/USD",) and str(bot.config.stop_loss_pct) == "4"
    panel.refresh()
    assert panel.selected_id() == "ui1"
    assert panel.model.text("ui1", "state") == "stopped"
    assert not panel.pause_btn.isEnabled() and panel.start_btn.isEnabled()

    panel.start_btn.click()
    await eventually(lambda: panel.model.text("ui1", "state") == "running", 10)
    await eventually(lambda: panel.model.value("ui1", "trades") >= 1, 20)
    assert panel.model.text("ui1", "win_rate").endswith("%")
    assert "warmed up on 22 1m bars" in panel.log_view.toPlainText()
    await eventually(lambda: "-> tdbui1-" in panel.log_view.toPlainText(), 5)
    await eventually(lambda: panel.curve_points() > 2, 5)
    assert panel.pause_btn.isEnabled() and not panel.edit_btn.isEnabled()

    panel.pause_btn.click()
    assert panel.model.text("ui1", "state") == "paused"
    panel.resume_btn.click()
    assert panel.model.text("ui1", "state") == "running"

    panel.close_on_stop.setChecked(True)
    panel.stop_btn.click()
    await eventually(lambda: panel.model.text("ui1", "state") == "stopped", 10)
    await eventually(lambda: bots_ctx.engine.portfolio.position_qty("ETH/USD") == 0, 10)
    await eventually(lambda: "stopped" in panel.log_view.toPlainText().splitlines()[-1], 5)

    out = tmp_path / "bot.csv"
    await bots_ctx.engine.journal_flush()
    count = panel.export_trades(out)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == COLUMNS and len(rows) == count + 1 and count == len(bot.fills)
    assert {r[8] for r in rows[1:]} == {"bot:ui1"}

    edit = panel.edit_bot()
    assert edit is not None and not edit.id_edit.isEnabled()
    assert spin(edit, "hold").value() == 1
    spin(edit, "hold").setValue(3)
    assert edit.try_accept()
    assert manager.get("ui1").config.params["hold"] == 3


async def test_an_errored_bot_shows_its_error(bots_ctx: UiContext, qtbot: QtBot) -> None:
    start_feed(bots_ctx)
    manager = bots_ctx.bots
    assert manager is not None
    panel = BotsPanel(bots_ctx, strategies=ALL, interval_ms=50)
    qtbot.addWidget(panel)
    manager.create(
        {"id": "bad", "strategy": "raiser", "symbols": ["BTC/USD"], "params": {"after": 2}}
    )
    await manager.start("bad")
    await eventually(lambda: panel.model.get("bad") is not None, 5)
    panel.select("bad")
    await eventually(lambda: panel.model.text("bad", "state") == "errored", 20)
    assert panel.model.text("bad", "error") == "RuntimeError: boom in strategy code"
    await eventually(lambda: "Traceback" in panel.log_view.toPlainText(), 5)
    assert panel.start_btn.isEnabled() and panel.edit_btn.isEnabled()


async def test_every_shipped_strategy_gets_a_form_that_validates(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    from app.bots.manager import BotManager
    from app.strategies.registry import all_strategies

    manager = BotManager(ui_ctx.engine)  # the registry's strategies
    ctx = UiContext(ui_ctx.engine, ui_ctx.data, ui_ctx.bridge, ui_ctx.settings, bots=manager)
    panel = BotsPanel(ctx, interval_ms=50)
    qtbot.addWidget(panel)
    dialog = panel.new_bot("BTC/USD")
    assert dialog is not None
    shipped = all_strategies()
    assert dialog.strategy_combo.count() == len(shipped)
    for i, (sid, cls) in enumerate(shipped.items()):
        dialog.strategy_combo.setCurrentIndex(i)
        assert dialog.strategy_id() == sid and dialog.summary.text() == cls.summary
        form = dialog.param_form
        assert form is not None and [p.name for p in form.params] == [p.name for p in cls.params]
        dialog.id_edit.setText(f"s{i}")
        config = manager.validate(dialog.mapping())  # the defaults as the form shows them
        assert config.strategy == sid and config.symbols == ("BTC/USD",)
    await manager.close()
