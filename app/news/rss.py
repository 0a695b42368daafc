"""Headlines from a user-configured RSS 2.0, RSS 1.0 (RDF) or Atom feed over HTTP(S).

The feed is untrusted input from the network, so the reader is defensive: only http and
https URLs (also for every redirect hop, which is why redirects are followed here rather
than by aiohttp), a total timeout, a cap on the body size read, and no DTDs or entity
declarations (the classic XML expansion attacks need them; real feeds never do). Every
failure is a NewsError that names the feed URL.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from app.engine.domain.errors import ValidationError
from app.news.source import Headline, NewsError

if TYPE_CHECKING:
    from aiohttp import ClientResponse

ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_HOPS = 5
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"\s+")
_LOOSE_PUNCT = re.compile(r"\s+([.,;:!?])")  # "word ." left where a tag was removed


def check_url(url: str, field: str = "url") -> str:
    """``url`` if it is an absolute http(s) address, else a ValidationError."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError(field, "must be an http:// or https:// address", url)
    return text


class RssSource:
    """Fetches and parses one feed. ``fetch`` raises NewsError on any failure."""

    def __init__(self, url: str, *, timeout: float = 15.0, max_bytes: int = 2_000_000) -> None:
        self.url = check_url(url)
        if not timeout > 0:
            raise ValidationError("timeout", "must be more than 0 seconds", timeout)
        if max_bytes < 1:
            raise ValidationError("max_bytes", "must be at least 1", max_bytes)
        self.timeout = timeout
        self.max_bytes = max_bytes

    @property
    def name(self) -> str:
        return self.url

    async def fetch(self) -> list[Headline]:
        return parse_feed(await self._download(), self.url)

    async def _download(self) -> bytes:
        import aiohttp  # on first fetch, not at start-up: the window opens without it

        timeout = aiohttp.ClientTimeout(total=self.timeout)
        headers = {
            "User-Agent": "Tradedesk news reader",
            "Accept": "application/rss+xml, "
            "application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
        }
        try:
            async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
                url = self.url
                for _ in range(_MAX_HOPS + 1):
                    async with session.get(url, allow_redirects=False) as resp:
                        if resp.status in _REDIRECTS:
                            url = self._next_hop(url, resp.headers.get("Location", ""))
                            continue
                        if resp.status != 200:
                            raise NewsError(
                                self.url, f"HTTP {resp.status} {resp.reason or ''}".strip()
                            )
                        return await self._read_capped(resp)
                raise NewsError(self.url, f"more than {_MAX_HOPS} redirects")
        except TimeoutError:
            raise NewsError(self.url, f"no complete answer within {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise NewsError(self.url, f"network error: {exc or type(exc).__name__}") from exc

    def _next_hop(self, current: str, location: str) -> str:
        if not location:
            raise NewsError(self.url, "redirect without a Location header")
        target = urljoin(current, location)
        scheme = urlsplit(target).scheme.lower()
        if scheme not in ("http", "https"):
            raise NewsError(self.url, f"refusing a redirect to a {scheme or 'relative'} URL")
        return target

    async def _read_capped(self, resp: ClientResponse) -> bytes:
        declared = resp.content_length
        if declared is not None and declared > self.max_bytes:
            raise NewsError(
                self.url, f"feed is {declared} bytes, over the {self.max_bytes} byte limit"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(65_536):
            size += len(chunk)
            if size > self.max_bytes:
                raise NewsError(self.url, f"feed is over the {self.max_bytes} byte limit")
            chunks.append(chunk)
        return b"".join(chunks)


# --- parsing ------------------------------------------------------------------------------


def parse_feed(body: bytes, source: str) -> list[Headline]:
    """Headlines of an RSS 2.0, RSS 1.0 or Atom document, in document order."""
    if _DTD.search(body):
        raise NewsError(source, "refusing XML with a DTD or entity declarations")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise NewsError(source, f"not well-formed XML ({exc})") from None
    if root.tag == "rss":
        channel = root.find("channel")
        items = channel.findall("item") if channel is not None else []
        return [h for h in (_rss_item(i, source) for i in items) if h is not None]
    if root.tag == f"{ATOM}feed":
        entries = root.findall(f"{ATOM}entry")
        return [h for h in (_atom_entry(e, source) for e in entries) if h is not None]
    if root.tag == f"{RDF}RDF":
        items = root.findall(f"{RSS1}item")
        return [h for h in (_rdf_item(i, source) for i in items) if h is not None]
    raise NewsError(source, f"not an RSS or Atom feed (root element <{_local(root.tag)}>)")


def _rss_item(item: ET.Element, source: str) -> Headline | None:
    title = _text(item.find("title"))
    if not title:
        return None
    published = _rfc822_ns(_text(item.find("pubDate"))) or _iso_ns(_text(item.find(f"{DC}date")))
    return Headline(
        title,
        published,
        _text(item.find("link")),
        _plain(_text(item.find("description"))),
        source,
    )


def _atom_entry(entry: ET.Element, source: str) -> Headline | None:
    title = _plain(_text(entry.find(f"{ATOM}title")))
    if not title:
        return None
    link = ""
    for node in entry.findall(f"{ATOM}link"):
        if node.get("rel", "alternate") == "alternate":
            link = node.get("href", "").strip()
            break
    published = _iso_ns(_text(entry.find(f"{ATOM}published"))) or _iso_ns(
        _text(entry.find(f"{ATOM}updated"))
    )
    summary = _text(entry.find(f"{ATOM}summary")) or _text(entry.find(f"{ATOM}content"))
    return Headline(title, published, link, _plain(summary), source)


def _rdf_item(item: ET.Element, source: str) -> Headline | None:
    title = _text(item.find(f"{RSS1}title"))
    if not title:
        return None
    return Headline(
        title,
        _iso_ns(_text(item.find(f"{DC}date"))),
        _text(item.find(f"{RSS1}link")),
        _plain(_text(item.find(f"{RSS1}description"))),
        source,
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(node: ET.Element | None) -> str:
    if node is None:
        return ""
    return _SPACE.sub(" ", "".join(node.itertext())).strip()


def _plain(text: str) -> str:
    """Feed descriptions often carry escaped HTML: keep the words only."""
    words = _SPACE.sub(" ", _TAG.sub(" ", text)).strip()
    return _LOOSE_PUNCT.sub(r"\1", words)


def _to_ns(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # a feed without a zone: read it as UTC
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000


def _rfc822_ns(text: str) -> int | None:
    if not text:
        return None
    try:
        return _to_ns(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _iso_ns(text: str) -> int | None:
    if not text:
        return None
    try:
        return _to_ns(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


__all__ = ["RssSource", "check_url", "parse_feed"]
