"""The session's news service: configure feeds, poll a real feed server, reconfigure."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from app.engine.domain.errors import ValidationError
from app.engine.tasks import TaskSupervisor
from app.news.service import NewsService, validate_feeds
from tests.news.feeds import fresh_feed_server

SYMBOLS = ["BTC/USD", "ETH/USD", "AAPL"]


def _service(tasks: TaskSupervisor) -> NewsService:
    def spawn(coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        return tasks.spawn(coro, name, service=True)

    return NewsService(SYMBOLS, spawn, interval=3600)


async def test_polls_a_real_feed_and_scores_each_symbol() -> None:
    tasks = TaskSupervisor()
    news = _service(tasks)
    async with fresh_feed_server() as url:
        assert news.configure([url, url]) == (url,)  # duplicates collapse
        await news.poll_now()
        btc, aapl = news.sentiment("BTC/USD"), news.sentiment("AAPL")
        assert btc is not None and btc.score > 0 and btc.headlines == 1
        assert aapl is not None and aapl.score < 0
        assert news.sentiment("ETH/USD") is None  # no headline names it
        assert news.status().feeds == (url,) and news.status().polls >= 1
        news.configure([])
        assert news.sentiment("BTC/USD") is None and news.monitor is None
    await tasks.shutdown()


async def test_a_bad_address_changes_nothing() -> None:
    tasks = TaskSupervisor()
    news = _service(tasks)
    news.configure(["https://feeds.test/a.xml"])
    with pytest.raises(ValidationError) as err:
        news.configure(["https://feeds.test/b.xml", "file:///etc/passwd"])
    assert err.value.field == "news_feeds[2]" and "http" in err.value.rule
    assert news.feeds == ("https://feeds.test/a.xml",)
    news.close()
    await tasks.shutdown()


def test_validate_feeds_names_the_entry() -> None:
    with pytest.raises(ValidationError, match=r"feed\[1\]"):
        validate_feeds(["not a url"], "feed")


async def test_a_session_polls_the_configured_feeds_for_its_bots(data_dir) -> None:  # type: ignore[no-untyped-def]
    from app.bootstrap import PaperSession
    from app.settings import Settings

    async with fresh_feed_server() as url:
        settings = Settings(data_dir).updated({"news_feeds": [url], "news_poll_s": 60})
        session = await PaperSession.open(settings)
        try:
            assert session.news.feeds == (url,)
            await session.news.poll_now()
            # the bot manager hands this very source to every strategy context it builds
            assert session.bots.sentiment is not None
            sentiment = session.bots.sentiment("BTC/USD")
            assert sentiment is not None and sentiment.score > 0
        finally:
            await session.close()
