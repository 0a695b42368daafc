"""A real HTTP server on 127.0.0.1 serving news feeds, broken feeds and failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures"
RSS = (FIXTURES / "crypto_news_rss.xml").read_bytes()
ATOM = (FIXTURES / "markets_atom.xml").read_bytes()
BIG = (
    b"<rss version='2.0'><channel>" + b"<item><title>x</title></item>" * 3000 + b"</channel></rss>"
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss version="2.0"><channel><item><title>&lol2;</title></item></channel></rss>"""


@dataclass
class FeedServer:
    base: str
    release: asyncio.Event
    flaky_failures: int = 0  # /flaky answers 500 this many times, then the RSS feed
    hits: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    release = asyncio.Event()
    state = FeedServer("", release)

    def xml(body: bytes, content_type: str = "application/rss+xml") -> web.Response:
        return web.Response(body=body, content_type=content_type)

    async def count(request: web.Request) -> None:
        state.hits[request.path] = state.hits.get(request.path, 0) + 1

    async def rss(request: web.Request) -> web.Response:
        await count(request)
        return xml(RSS)

    async def atom(request: web.Request) -> web.Response:
        return xml(ATOM, "application/atom+xml")

    async def bad(request: web.Request) -> web.Response:
        return xml(RSS[: len(RSS) // 2])  # cut off mid-document

    async def html(request: web.Request) -> web.Response:
        return xml(b"<html><body><h1>Not a feed</h1></body></html>", "text/html")

    async def error(request: web.Request) -> web.Response:
        return web.Response(status=500, text="internal error")

    async def big(request: web.Request) -> web.Response:
        return xml(BIG)

    async def big_streamed(request: web.Request) -> web.StreamResponse:
        # chunked, no Content-Length: the reader must count what it receives
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for start in range(0, len(BIG), 4096):
            await resp.write(BIG[start : start + 4096])
        await resp.write_eof()
        return resp

    async def slow(request: web.Request) -> web.Response:
        await release.wait()  # held until the test ends
        return xml(RSS)

    async def laughs(request: web.Request) -> web.Response:
        return xml(BILLION_LAUGHS)

    async def to_rss(request: web.Request) -> web.Response:
        raise web.HTTPFound("/rss.xml")

    async def to_file(request: web.Request) -> web.Response:
        raise web.HTTPFound("file:///etc/passwd")

    async def to_ftp(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("ftp://127.0.0.1/feed.xml")

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def flaky(request: web.Request) -> web.Response:
        await count(request)
        if state.flaky_failures > 0:
            state.flaky_failures -= 1
            return web.Response(status=500, text="try later")
        return xml(RSS)

    app = web.Application()
    app.router.add_get("/rss.xml", rss)
    app.router.add_get("/atom.xml", atom)
    app.router.add_get("/bad.xml", bad)
    app.router.add_get("/page.html", html)
    app.router.add_get("/500", error)
    app.router.add_get("/big.xml", big)
    app.router.add_get("/big-streamed.xml", big_streamed)
    app.router.add_get("/slow.xml", slow)
    app.router.add_get("/laughs.xml", laughs)
    app.router.add_get("/moved", to_rss)
    app.router.add_get("/to-file", to_file)
    app.router.add_get("/to-ftp", to_ftp)
    app.router.add_get("/loop", loop)
    app.router.add_get("/flaky.xml", flaky)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    state.base = f"http://{host}:{port}"
    try:
        yield state
    finally:
        release.set()
        await runner.cleanup()
