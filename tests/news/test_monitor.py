"""The sentiment monitor end to end: HTTP server -> RSS reader -> monitor -> sentiment."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from app.engine.domain.errors import ValidationError
from app.news.lexicon import score_text
from app.news.monitor import SentimentMonitor, base_asset
from app.news.rss import RssSource
from app.news.source import CombinedSource, Headline, NewsError
from app.strategies.shadow import ShadowContext
from tests.news.conftest import FeedServer

HOUR = 3600 * 1_000_000_000
MINUTE = 60 * 1_000_000_000
SYMBOLS = ["BTC/USD", "ETH/USD", "LTC/USD", "AAPL", "DOGE/USD"]


def _ns(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    moment = datetime(year, month, day, hour, minute, tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000


class Clock:
    """A settable clock: the monitor's notion of "now", in ns."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class Attempts:
    """The monitor's ``on_poll`` reports, in order; ``until`` waits for the state wanted."""

    def __init__(self) -> None:
        self.results: list[bool] = []
        self._queue: asyncio.Queue[bool] = asyncio.Queue()

    def __call__(self, ok: bool) -> None:
        self.results.append(ok)
        self._queue.put_nowait(ok)

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(10):
            while not condition():
                await self._queue.get()


def _decayed(items: list[tuple[int, str]], now: int, half_life: int = 2 * HOUR) -> float:
    weights = [float(0.5 ** ((now - ts) / half_life)) for ts, _ in items]
    scores = [score_text(title) for _, title in items]
    return sum(w * s for w, s in zip(weights, scores, strict=True)) / sum(weights)


async def test_server_to_monitor_to_sentiment(feed_server: FeedServer) -> None:
    clock = Clock(_ns(2026, 12, 1, 10, 5))
    source = RssSource(feed_server.url("/rss.xml"))
    attempts = Attempts()
    monitor = SentimentMonitor(source, SYMBOLS, interval=0.02, clock=clock, on_poll=attempts)
    task = asyncio.create_task(monitor.run())
    try:
        await attempts.until(lambda: monitor.polls >= 2)
    finally:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()

    btc = monitor.sentiment("BTC/USD")
    assert btc is not None
    # two BTC stories in the six-hour window (the 20 November one is too old), counted once
    # although the feed was read at least twice
    assert btc.headlines == 2
    assert btc.ts == _ns(2026, 12, 1, 9, 30)
    expected = _decayed(
        [
            (
                _ns(2026, 12, 1, 9, 30),
                "Bitcoin surges past $100,000 as spot ETF inflows hit a record high",
            ),
            (
                _ns(2026, 12, 1, 6, 40),
                "BTC miners not bearish despite squeeze on margins after the halving",
            ),
        ],
        clock.now,
    )
    assert btc.score == pytest.approx(expected)
    assert btc.score > 0.6

    eth = monitor.sentiment("ETH/USD")  # "Ethereum slides..." and "...ether stolen..."
    assert eth is not None and eth.headlines == 2 and eth.score < -0.5
    ltc = monitor.sentiment("LTC/USD")
    assert ltc is not None and ltc.headlines == 1 and ltc.score == 0.0
    aapl = monitor.sentiment("AAPL")
    assert aapl is not None and aapl.score < -0.5
    assert monitor.sentiment("DOGE/USD") is None
    assert monitor.sentiment("NOT/WATCHED") is None

    # the strategies' side: a context handed the monitor's provider sees the same numbers
    ctx = ShadowContext("BTC/USD", sentiment=monitor.provider("BTC/USD"))
    assert ctx.sentiment() == btc

    # time passes: the older story leaves the window, then the newer one
    clock.now = _ns(2026, 12, 1, 13, 0)
    later = monitor.sentiment("BTC/USD")
    assert later is not None and later.headlines == 1
    assert later.score == pytest.approx(
        score_text("Bitcoin surges past $100,000 as spot ETF inflows hit a record high")
    )
    clock.now = _ns(2026, 12, 1, 16, 0)
    assert monitor.sentiment("BTC/USD") is None


async def test_the_monitor_backs_off_and_recovers_from_feed_errors(
    feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    feed_server.flaky_failures = 2
    url = feed_server.url("/flaky.xml")
    clock = Clock(_ns(2026, 12, 1, 10, 5))
    attempts = Attempts()
    monitor = SentimentMonitor(
        RssSource(url), ["BTC/USD"], interval=0.01, max_backoff=0.05, clock=clock, on_poll=attempts
    )
    errors: list[str] = []
    caplog.set_level(logging.WARNING, logger="app.news.monitor")
    task = asyncio.create_task(monitor.run())
    try:
        await attempts.until(lambda: monitor.failures > 0)
        errors.append(monitor.last_error or "")
        await attempts.until(lambda: monitor.polls >= 1)
    finally:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert attempts.results[:3] == [False, False, True]
    assert feed_server.hits["/flaky.xml"] >= 3
    assert errors[0] == f"news source {url}: HTTP 500 Internal Server Error"
    assert monitor.failures == 0 and monitor.last_error is None
    failures = [r.getMessage() for r in caplog.records if "news poll failed" in r.getMessage()]
    assert len(failures) == 2
    assert all(url in m for m in failures)
    sentiment = monitor.sentiment("BTC/USD")
    assert sentiment is not None and sentiment.score > 0


async def test_several_feeds_read_as_one(feed_server: FeedServer) -> None:
    now = _ns(2026, 12, 1, 10, 5)
    dead = feed_server.url("/500")
    source = CombinedSource(
        [RssSource(feed_server.url(p)) for p in ("/rss.xml", "/atom.xml")] + [RssSource(dead)]
    )
    monitor = SentimentMonitor(source, [*SYMBOLS, "SOL/USD", "SPY"], clock=Clock(now))
    # RSS: 6 recent stories name a watched asset; Atom: all 4 do
    assert await monitor.poll_once() == 10
    assert [e.source for e in source.errors if isinstance(e, NewsError)] == [dead]
    btc, eth = monitor.sentiment("BTC/USD"), monitor.sentiment("ETH/USD")
    assert btc is not None and btc.headlines == 3 and btc.score > 0.5
    assert eth is not None and eth.headlines == 3 and eth.score < -0.5
    sol, spy = monitor.sentiment("SOL/USD"), monitor.sentiment("SPY")
    assert sol is not None and sol.score > 0.5
    assert spy is not None and spy.score < -0.5
    # a syndicated copy of a story (same title, another link) counts once
    copy = Headline(
        "Bitcoin rallies as the Fed  signals rate cuts in the new year", now, "https://mirror/1"
    )
    assert monitor.ingest([copy]) == 0


async def test_a_combined_source_fails_only_when_every_feed_fails(
    feed_server: FeedServer,
) -> None:
    first = feed_server.url("/500")
    source = CombinedSource([RssSource(first), RssSource(feed_server.url("/bad.xml"))])
    with pytest.raises(NewsError) as err:
        await source.fetch()
    assert err.value.source == first
    assert len(source.errors) == 2
    with pytest.raises(ValidationError) as verr:
        CombinedSource([])
    assert verr.value.field == "sources"


class _BrokenOnce:
    """A source whose first fetch fails with a programming error, not a NewsError."""

    name = "broken-once"

    def __init__(self, headlines: list[Headline]) -> None:
        self.calls = 0
        self.headlines = headlines

    async def fetch(self) -> list[Headline]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("parser bug")
        return self.headlines


async def test_any_error_is_survived_not_only_feed_errors() -> None:
    now = _ns(2026, 12, 1, 12, 0)
    source = _BrokenOnce([Headline("Ethereum soars on ETF approval", now - MINUTE)])
    attempts = Attempts()
    monitor = SentimentMonitor(
        source, ["ETH/USD"], interval=0.01, max_backoff=0.02, clock=Clock(now), on_poll=attempts
    )
    task = asyncio.create_task(monitor.run())
    try:
        await attempts.until(lambda: monitor.polls >= 1)
    finally:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert attempts.results[:2] == [False, True]
    eth = monitor.sentiment("ETH/USD")
    assert eth is not None and eth.score > 0.5


def test_recent_news_outweighs_old_news() -> None:
    now = _ns(2026, 12, 1, 12, 0)
    monitor = SentimentMonitor(_BrokenOnce([]), ["BTC/USD"], clock=Clock(now))
    old = Headline("Bitcoin soars", now - 4 * HOUR, link="https://x/1")
    new = Headline("Bitcoin plunges", now, link="https://x/2")
    assert monitor.ingest([old, new]) == 2
    s = monitor.sentiment("BTC/USD")
    assert s is not None and s.headlines == 2
    # two half-lives apart: weights 1/4 and 1
    expected = (0.25 * score_text(old.title) + score_text(new.title)) / 1.25
    assert s.score == pytest.approx(expected)
    assert s.score < 0


def test_headlines_are_matched_by_whole_names() -> None:
    now = _ns(2026, 12, 1, 12, 0)
    monitor = SentimentMonitor(
        _BrokenOnce([]),
        ["BTC/USD", "ETH-USDT", "SPY", "NSE:SBIN-EQ"],
        aliases={"SBIN": ["State Bank of India"]},
        clock=Clock(now),
    )
    headlines = [
        Headline("Bitcoin's rally stalls", now, link="1"),  # BTC
        Headline("Ethical investing funds grow", now, link="2"),  # not ETH
        Headline("XBT futures surge", now, link="3"),  # BTC alias
        Headline("S&P 500 jumps to record high", now, link="4"),  # SPY
        Headline("State Bank of India beats estimates", now, link="5"),  # SBIN (custom alias)
        Headline("Bitcoinist newsletter launched", now, link="6"),  # not BTC
        Headline("Future-dated story: bitcoin gains", now + 5 * HOUR, link="7"),  # read as now
    ]
    assert monitor.ingest(headlines) == 5
    counts = {s: (monitor.sentiment(s) or None) for s in monitor.symbols}
    assert counts["BTC/USD"] is not None and counts["BTC/USD"].headlines == 3
    assert counts["BTC/USD"].ts == now
    assert counts["ETH-USDT"] is None
    assert counts["SPY"] is not None and counts["SPY"].score > 0
    assert counts["NSE:SBIN-EQ"] is not None and counts["NSE:SBIN-EQ"].score > 0
    # the same stories again change nothing
    assert monitor.ingest(headlines) == 0


@pytest.mark.parametrize(
    ("symbol", "base"),
    [("BTC/USD", "BTC"), ("eth-usdt", "ETH"), ("NSE:SBIN-EQ", "SBIN"), ("SPY", "SPY")],
)
def test_base_asset(symbol: str, base: str) -> None:
    assert base_asset(symbol) == base


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"interval": 0}, "interval"),
        ({"window": -1}, "window"),
        ({"half_life": 0}, "half_life"),
        ({"interval": 60, "max_backoff": 30}, "max_backoff"),
    ],
)
def test_settings_are_validated(kw: dict[str, float], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        SentimentMonitor(_BrokenOnce([]), ["BTC/USD"], **kw)  # type: ignore[arg-type]
    assert err.value.field == field
