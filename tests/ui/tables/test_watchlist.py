from __future__ import annotations

import asyncio
import json

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.ui.context import UiContext
from app.ui.tables.table_model import Tone
from app.ui.tables.table_view import select_key, set_tone_colors
from app.ui.tables.watchlist import WatchlistPanel
from tests.ui.tables.helpers import eventually


async def test_default_list_has_every_instrument_and_live_prices(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    panel = WatchlistPanel(ui_ctx)
    qtbot.addWidget(panel)
    assert panel.lists.current == "Demo"
    assert panel.current_symbols() == sorted(ui_ctx.engine.instruments)
    m = panel.model
    await eventually(lambda: m.value("BTC/USD", "last") is not None)
    await eventually(lambda: m.value("BTC/USD", "bid") is not None)
    text = m.text("BTC/USD", "last")
    assert text and "." in text and len(text.split(".")[1]) == 2  # tick 0.01
    assert m.value("BTC/USD", "spread") == m.value("BTC/USD", "ask") - m.value("BTC/USD", "bid")


async def test_add_unknown_remove_reorder_and_persist(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = WatchlistPanel(ui_ctx)
    qtbot.addWidget(panel)
    assert panel.add_list("Mine") is None
    assert panel.current_symbols() == []
    # the completer's text, typed then Enter
    panel.search.setText("btc/usd")
    QTest.keyClick(panel.search, Qt.Key.Key_Return)
    assert panel.current_symbols() == ["BTC/USD"]
    assert panel.model.keys() == ["BTC/USD"]
    panel.search.setText("DOGE/XYZ")
    QTest.keyClick(panel.search, Qt.Key.Key_Return)
    assert "DOGE/XYZ" in panel.message.text() and "Unknown symbol" in panel.message.text()
    assert panel.current_symbols() == ["BTC/USD"]
    panel.search.setText("eth")
    panel.search.completer().activated.emit("ETH/USD")  # picked from the popup
    await eventually(lambda: "ETH/USD" in panel.current_symbols())
    assert panel.search.text() == "" and not panel.message.isVisible()
    assert panel.add_symbol("SPY") is None
    assert panel.current_symbols() == ["BTC/USD", "ETH/USD", "SPY"]
    assert "already" in (panel.add_symbol("spy") or "")
    # reorder through the buttons' path: select SPY, move it up
    assert select_key(panel.view, panel.proxy, "SPY")
    panel._move_selected(-1)
    assert panel.current_symbols() == ["BTC/USD", "SPY", "ETH/USD"]
    assert panel.model.keys() == ["BTC/USD", "SPY", "ETH/USD"]
    assert panel.move_symbol("BTC/USD", 1)
    assert panel.model.keys() == ["SPY", "BTC/USD", "ETH/USD"]
    assert not panel.move_symbol("ETH/USD", 1)
    assert panel.remove_symbol("BTC/USD")
    assert panel.model.keys() == ["SPY", "ETH/USD"]
    assert panel.rename_list("Mine", "Core") is None
    assert "already exists" in (panel.add_list("Demo") or "")

    saved = json.loads((ui_ctx.settings.data_dir / "watchlists.json").read_text())
    assert saved["current"] == "Core"
    again = WatchlistPanel(ui_ctx)
    qtbot.addWidget(again)
    assert list(again.lists.lists) == ["Demo", "Core"]
    assert again.lists.current == "Core"
    assert again.current_symbols() == ["SPY", "ETH/USD"]
    assert again.model.keys() == ["SPY", "ETH/USD"]
    again.select_list("Demo")
    assert again.model.keys() == sorted(ui_ctx.engine.instruments)
    assert again.delete_list("Core") is None
    assert "last watchlist" in (again.delete_list("Demo") or "")


async def test_malformed_file_is_reported_and_kept(ui_ctx: UiContext, qtbot: QtBot) -> None:
    path = ui_ctx.settings.data_dir / "watchlists.json"
    path.write_text('{"lists": [{"name": "A", "symbols": [1, 2]}]}')
    original = path.read_text()
    panel = WatchlistPanel(ui_ctx)
    qtbot.addWidget(panel)
    message = panel.message.text()
    assert "watchlists.json" in message and "symbols must be a list of strings" in message
    assert panel.current_symbols() == sorted(ui_ctx.engine.instruments)  # defaults
    panel.add_list("New")
    assert path.read_text() == original
    path.write_text("{not json")
    broken = WatchlistPanel(ui_ctx)
    qtbot.addWidget(broken)
    assert "not valid JSON (line 1" in broken.message.text()


async def test_click_emits_symbol_selected(ui_ctx: UiContext, qtbot: QtBot) -> None:
    panel = WatchlistPanel(ui_ctx)
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    await asyncio.sleep(0.1)  # let the view lay out its rows
    row = panel.proxy.mapFromSource(panel.model.index(panel.model.row_of("ETH/USD") or 0, 0))
    rect = panel.view.visualRect(row)
    seen: list[str] = []
    panel.symbol_selected.connect(seen.append)
    QTest.mouseClick(
        panel.view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        rect.center(),
    )
    assert seen == ["ETH/USD"]
    panel.focus_search()


async def test_prices_flash_and_theme_colours_reach_the_model(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    panel = WatchlistPanel(ui_ctx)
    qtbot.addWidget(panel)
    m = panel.model
    resets: list[int] = []
    m.modelReset.connect(lambda: resets.append(1))
    flashed: set[str] = set()

    def watch(*_: object) -> None:
        for col in ("last", "bid", "ask"):
            if m.flash_of("BTC/USD", col) is not None:
                flashed.add(col)

    m.dataChanged.connect(watch)
    await eventually(lambda: flashed)
    assert resets == []  # live prices update cells, never reset the table
    set_tone_colors(panel, "#010203", "#040506")
    # the model is a child of the panel, so the theme reaches it
    assert m._tone_colors[Tone.UP].name() == "#010203"
