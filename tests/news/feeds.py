"""A feed server with fresh headlines (dated now), for tests that run on the real clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import format_datetime

from aiohttp import web

HEADLINES = (
    "Bitcoin rallies to a record high as inflows surge",
    "Apple shares slump after weak iPhone sales",
)


def fresh_rss(titles: tuple[str, ...] = HEADLINES) -> bytes:
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>{t}</title><link>https://news.test/{i}</link><pubDate>{now}</pubDate></item>"
        for i, t in enumerate(titles)
    )
    return f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()


@asynccontextmanager
async def fresh_feed_server() -> AsyncIterator[str]:
    """Yields the URL of an RSS feed whose items are dated at request time."""

    async def rss(request: web.Request) -> web.Response:
        return web.Response(body=fresh_rss(), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", rss)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/feed.xml"
    finally:
        await runner.cleanup()
