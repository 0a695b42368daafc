"""The running news feed of a session: which feeds the user configured, the monitor task
polling them, and what the status line and the bots read from it.

``configure`` swaps the feeds while the session runs (the monitor is replaced; sentiment
gathered so far is dropped with it, since it described other feeds). With no feed the
service is idle and ``sentiment`` answers None, which strategies that need news read as
"no news".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.news.monitor import SentimentMonitor
from app.news.rss import RssSource, check_url
from app.news.source import CombinedSource, NewsSource
from app.strategies.base import Sentiment

log = logging.getLogger(__name__)
Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]


@dataclass(frozen=True, slots=True)
class NewsStatus:
    feeds: tuple[str, ...]
    polls: int
    failures: int
    last_error: str | None


def validate_feeds(urls: Iterable[str], field: str = "news_feeds") -> tuple[str, ...]:
    """Each an absolute http(s) URL, no duplicates; the field named with the position."""
    out: list[str] = []
    for i, url in enumerate(urls, start=1):
        text = check_url(str(url), f"{field}[{i}]")
        if text not in out:
            out.append(text)
    return tuple(out)


class NewsService:
    def __init__(
        self,
        symbols: Sequence[str],
        spawn: Spawn,
        *,
        interval: float = 300.0,
        source_factory: Callable[[Sequence[str]], NewsSource] | None = None,
    ) -> None:
        self.symbols = tuple(symbols)
        self.interval = interval
        self._spawn = spawn
        self._source_factory = source_factory or _rss_sources
        self.feeds: tuple[str, ...] = ()
        self.monitor: SentimentMonitor | None = None
        self._task: asyncio.Task[Any] | None = None

    def configure(self, urls: Iterable[str]) -> tuple[str, ...]:
        """Validate and apply the feed list; returns it. Raises ValidationError naming the
        bad entry before anything changes."""
        feeds = validate_feeds(urls)
        self._stop()
        self.feeds = feeds
        if feeds:
            self.monitor = SentimentMonitor(
                self._source_factory(feeds),
                self.symbols,
                interval=self.interval,
                max_backoff=max(3600.0, self.interval),
            )
            self._task = self._spawn(self.monitor.run(), "news-monitor")
            log.info("news: polling %d feed(s) every %.0f s", len(feeds), self.interval)
        return feeds

    async def poll_now(self) -> int:
        """Fetch once right away (the dialog's "Test" button); headlines matched."""
        if self.monitor is None:
            return 0
        return await self.monitor.poll_once()

    def sentiment(self, symbol: str) -> Sentiment | None:
        return None if self.monitor is None else self.monitor.sentiment(symbol)

    def status(self) -> NewsStatus:
        m = self.monitor
        if m is None:
            return NewsStatus(self.feeds, 0, 0, None)
        return NewsStatus(self.feeds, m.polls, m.failures, m.last_error)

    def close(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._task = None
        self.monitor = None


def _rss_sources(urls: Sequence[str]) -> NewsSource:
    sources: list[NewsSource] = [RssSource(u) for u in urls]
    return sources[0] if len(sources) == 1 else CombinedSource(sources)
