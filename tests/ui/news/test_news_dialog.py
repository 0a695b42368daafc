"""Tools → News feeds…: edit, validate, save to settings, fetch and show sentiment."""

from __future__ import annotations

import asyncio
import json

from app.news.service import NewsService
from app.settings import SETTINGS_FILE
from app.ui.news_dialog import NewsFeedsDialog
from tests.news.feeds import fresh_feed_server


async def test_feeds_are_validated_saved_and_fetched(ui_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx = ui_ctx
    news = NewsService(
        sorted(ctx.engine.instruments),
        lambda coro, name: ctx.engine.tasks.spawn(coro, name, service=True),
        interval=3600,
    )
    dialog = NewsFeedsDialog(ctx, news)
    qtbot.addWidget(dialog)
    dialog.editor.setPlainText("https://ok.test/feed.xml\nftp://nope.test/feed.xml")
    assert dialog.save() is False
    assert "feed[2]" in dialog.error.text() and "http" in dialog.error.text()
    assert news.feeds == () and not (ctx.settings.data_dir / SETTINGS_FILE).exists()

    async with fresh_feed_server() as url:
        dialog.editor.setPlainText(url)
        dialog.fetch_button.click()
        for _ in range(200):
            if dialog.fetch_button.isEnabled():
                break
            await asyncio.sleep(0.02)
        saved = json.loads((ctx.settings.data_dir / SETTINGS_FILE).read_text())
        assert saved["news_feeds"] == [url] and ctx.settings.news_feeds == (url,)
        rows = {
            dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
            for r in range(dialog.table.rowCount())
        }
        assert rows["BTC/USD"].startswith("+") and rows["ETH/USD"] == "—"
        assert "matched" in dialog.status.text()
    news.close()


async def test_tools_menu_opens_the_news_feeds(ui_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    from app.engine.loop_monitor import LoopLagMonitor
    from app.ui.main_window import MainWindow, PanelSpec

    spec = PanelSpec("log", "Log", QLabel("x"), Qt.DockWidgetArea.RightDockWidgetArea)
    no_news = MainWindow(ui_ctx, [spec], LoopLagMonitor())
    qtbot.addWidget(no_news)
    titles = {a.text(): a for a in no_news.tools_menu.actions()}
    assert not titles["News feeds…"].isEnabled()  # a session without a news service

    ui_ctx.news = NewsService(
        ["BTC/USD"], lambda coro, name: ui_ctx.engine.tasks.spawn(coro, name, service=True)
    )
    w = MainWindow(ui_ctx, [PanelSpec("log", "Log", QLabel("y"), spec.area)], LoopLagMonitor())
    qtbot.addWidget(w)
    action = {a.text(): a for a in w.tools_menu.actions()}["News feeds…"]
    assert action.isEnabled()
    action.trigger()
    dialogs = [d for d in w.findChildren(NewsFeedsDialog) if d.isVisible()]
    assert len(dialogs) == 1 and dialogs[0].news is ui_ctx.news
    dialogs[0].close()
