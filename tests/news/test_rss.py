"""The RSS/Atom reader against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.engine.domain.errors import ValidationError
from app.news.rss import RssSource, check_url, parse_feed
from app.news.source import NewsError
from tests.news.conftest import FeedServer


def _ns(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    moment = datetime(year, month, day, hour, minute, tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000


async def test_reads_an_rss_2_feed(feed_server: FeedServer) -> None:
    url = feed_server.url("/rss.xml")
    headlines = await RssSource(url).fetch()
    assert [h.title for h in headlines][:3] == [
        "Bitcoin surges past $100,000 as spot ETF inflows hit a record high",
        "Ethereum slides as developers postpone network fork after testnet bug",
        "Crypto exchange hacked, $150 million in ether stolen from hot wallet",
    ]
    assert len(headlines) == 7
    first = headlines[0]
    assert first.link == "https://news.example.com/markets/2026/12/01/bitcoin-surges-past-100000"
    assert first.published_ns == _ns(2026, 12, 1, 9, 30)
    assert headlines[1].published_ns == _ns(2026, 12, 1, 8, 15)  # "+0000" zone form
    # HTML in CDATA and escaped HTML both come out as plain words
    assert first.summary == "Net inflows into US spot bitcoin funds topped $1.2 billion on Monday."
    assert headlines[2].summary == "The exchange has paused withdrawals while it investigates."
    assert all(h.source == url for h in headlines)


async def test_reads_an_atom_feed(feed_server: FeedServer) -> None:
    headlines = await RssSource(feed_server.url("/atom.xml")).fetch()
    assert [h.title for h in headlines] == [
        "Bitcoin rallies as the Fed signals rate cuts in the new year",
        "Regulators approve the first Solana ETF",
        "S&P 500 slips to a new low as recession fears grow",
        "Ether funds see record outflows for a third week",
    ]
    rally, solana, sp500, _ = headlines
    # the alternate link, not the "related" one
    assert rally.link == "https://briefing.example.org/2026/12/01/bitcoin-rallies-fed"
    assert rally.published_ns == _ns(2026, 12, 1, 9, 45)  # published wins over updated
    assert solana.published_ns == _ns(2026, 12, 1, 8, 30)  # only updated given
    assert sp500.published_ns == _ns(2026, 12, 1, 9, 0)  # -05:00 converted to UTC
    assert rally.summary == "Risk assets climbed after the statement."
    assert sp500.summary == "Defensive sectors held up best."


async def test_follows_an_http_redirect(feed_server: FeedServer) -> None:
    headlines = await RssSource(feed_server.url("/moved")).fetch()
    assert len(headlines) == 7
    assert feed_server.hits["/rss.xml"] == 1


@pytest.mark.parametrize("path", ["/to-file", "/to-ftp"])
async def test_never_follows_a_redirect_to_another_scheme(
    feed_server: FeedServer, path: str
) -> None:
    url = feed_server.url(path)
    with pytest.raises(NewsError) as err:
        await RssSource(url).fetch()
    assert err.value.source == url
    assert "refusing a redirect" in str(err.value) and url in str(err.value)


async def test_a_redirect_loop_ends(feed_server: FeedServer) -> None:
    with pytest.raises(NewsError, match="more than 5 redirects"):
        await RssSource(feed_server.url("/loop")).fetch()


async def test_bad_xml_names_the_url(feed_server: FeedServer) -> None:
    url = feed_server.url("/bad.xml")
    with pytest.raises(NewsError) as err:
        await RssSource(url).fetch()
    assert url in str(err.value)
    assert "not well-formed XML" in err.value.reason


async def test_a_page_that_is_not_a_feed_is_refused(feed_server: FeedServer) -> None:
    with pytest.raises(NewsError, match=r"not an RSS or Atom feed \(root element <html>\)"):
        await RssSource(feed_server.url("/page.html")).fetch()


async def test_http_500_is_an_error_naming_the_url(feed_server: FeedServer) -> None:
    url = feed_server.url("/500")
    with pytest.raises(NewsError) as err:
        await RssSource(url).fetch()
    assert err.value.reason == "HTTP 500 Internal Server Error"
    assert str(err.value) == f"news source {url}: HTTP 500 Internal Server Error"


@pytest.mark.parametrize("path", ["/big.xml", "/big-streamed.xml"])
async def test_an_oversized_body_is_refused(feed_server: FeedServer, path: str) -> None:
    with pytest.raises(NewsError, match="10000 byte limit"):
        await RssSource(feed_server.url(path), max_bytes=10_000).fetch()
    # the same feed is fine under the default cap
    assert len(await RssSource(feed_server.url(path)).fetch()) == 3000


async def test_a_server_that_never_answers_times_out(feed_server: FeedServer) -> None:
    url = feed_server.url("/slow.xml")
    with pytest.raises(NewsError) as err:
        await RssSource(url, timeout=0.2).fetch()
    assert err.value.reason == "no complete answer within 0.2 s"


async def test_nothing_listening_is_a_network_error() -> None:
    # port 9 (discard) on loopback: nothing listens there in the test environment
    with pytest.raises(NewsError, match="network error"):
        await RssSource("http://127.0.0.1:9/feed.xml", timeout=2).fetch()


async def test_entity_expansion_is_refused(feed_server: FeedServer) -> None:
    with pytest.raises(NewsError, match="DTD or entity"):
        await RssSource(feed_server.url("/laughs.xml")).fetch()


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/feed.xml", "javascript:alert(1)", "", "example.com"],
)
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValidationError) as err:
        RssSource(url)
    assert err.value.field == "url"
    assert check_url(" https://example.com/rss ") == "https://example.com/rss"


@pytest.mark.parametrize(
    ("field", "kw"), [("timeout", {"timeout": 0}), ("max_bytes", {"max_bytes": 0})]
)
def test_limits_are_validated(field: str, kw: dict[str, float]) -> None:
    with pytest.raises(ValidationError) as err:
        RssSource("https://example.com/rss", **kw)  # type: ignore[arg-type]
    assert err.value.field == field


def test_rss_1_rdf_feeds_parse_too() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://old.example.net/"><title>Old wire</title></channel>
  <item rdf:about="https://old.example.net/1">
    <title>Litecoin jumps after payment partnership</title>
    <link>https://old.example.net/1</link>
    <dc:date>2026-12-01T03:00:00Z</dc:date>
  </item>
</rdf:RDF>"""
    (h,) = parse_feed(body, "rdf-test")
    assert h.title == "Litecoin jumps after payment partnership"
    assert h.published_ns == _ns(2026, 12, 1, 3, 0)
    assert h.link == "https://old.example.net/1"


def test_items_without_a_title_or_a_date_are_handled() -> None:
    body = b"""<rss version="2.0"><channel>
      <item><description>no title here</description></item>
      <item><title>  Bitcoin   holds steady </title><pubDate>not a date</pubDate></item>
    </channel></rss>"""
    (h,) = parse_feed(body, "t")
    assert h.title == "Bitcoin holds steady"
    assert h.published_ns is None
    assert h.keys == ("bitcoin holds steady",)  # no link: the title identifies it
