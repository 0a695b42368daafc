"""Tools → News feeds…: the RSS/Atom feeds whose headlines drive the news-aware bots.

One address per line. Save validates every line (the error names the line and the rule and
nothing changes), applies the feeds to the running session and writes them to the settings
file. "Fetch now" polls at once and shows what the headlines say per symbol.
"""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.domain.errors import ValidationError
from app.news.service import NewsService, validate_feeds
from app.ui.context import UiContext


class NewsFeedsDialog(QDialog):
    def __init__(self, ctx: UiContext, news: NewsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("News feeds")
        self.ctx = ctx
        self.news = news
        self._task: asyncio.Task[int] | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "RSS or Atom feeds, one address per line. Headlines that name a symbol "
                "(BTC, Bitcoin, Apple…) are scored offline and feed the news-aware bots."
            )
        )
        self.editor = QPlainTextEdit(self)
        self.editor.setPlaceholderText("https://example.com/markets.rss")
        self.editor.setPlainText("\n".join(news.feeds))
        layout.addWidget(self.editor)
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setStyleSheet("color: #e0554f")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.fetch_button = QPushButton("Fetch now", self)
        self.fetch_button.clicked.connect(self.fetch_now)
        layout.addWidget(self.fetch_button)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Symbol", "Sentiment", "Headlines"])
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 460)
        self.refresh()

    def urls(self) -> list[str]:
        return [line.strip() for line in self.editor.toPlainText().splitlines() if line.strip()]

    def save(self) -> bool:
        """Validate, apply and persist; False (with the error shown) when a line is bad."""
        try:
            feeds = validate_feeds(self.urls(), "feed")
            settings = self.ctx.settings.updated({"news_feeds": list(feeds)})
        except ValidationError as exc:
            self.error.setText(f"{exc.field.removeprefix('settings: ')}: {exc.rule}")
            return False
        self.error.clear()
        self.news.configure(feeds)
        settings.save()
        self.ctx.settings = settings
        self.refresh()
        return True

    def fetch_now(self) -> None:
        if not self.save() or self._task is not None:
            return
        self.fetch_button.setEnabled(False)
        self.status.setText("Fetching…")
        self._task = self.ctx.spawn(self.news.poll_now(), "news-fetch-now")
        self._task.add_done_callback(self._fetched)

    def _fetched(self, task: asyncio.Task[int]) -> None:
        self._task = None
        self.fetch_button.setEnabled(True)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.status.setText(f"Fetch failed: {exc}")
            return
        self.refresh(matched=task.result())

    def refresh(self, matched: int | None = None) -> None:
        st = self.news.status()
        if not st.feeds:
            text = "No feed configured: news-aware bots see no news and stay out."
        else:
            text = f"{len(st.feeds)} feed(s), {st.polls} successful poll(s)"
            if matched is not None:
                text += f"; this fetch matched {matched} new headline(s)"
            if st.last_error:
                text += f". Last error: {st.last_error}"
        if matched is None or not st.last_error:
            self.status.setText(text)
        rows = [(s, self.news.sentiment(s)) for s in self.news.symbols]
        self.table.setRowCount(len(rows))
        for r, (symbol, sentiment) in enumerate(rows):
            score = "—" if sentiment is None else f"{sentiment.score:+.2f}"
            count = "0" if sentiment is None else str(sentiment.headlines)
            for c, text_value in enumerate((symbol, score, count)):
                self.table.setItem(r, c, QTableWidgetItem(text_value))
