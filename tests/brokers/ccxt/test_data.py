"""Market data through the REAL ccxt.pro client against the emulator: streams, the order
book, stale symbols, dropped sockets, history pagination and the candle cache."""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.brokers.ccxt import CcxtVenue
from app.brokers.ccxt.data import CcxtDataClient
from app.brokers.ccxt.quirks import with_overrides
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import ConnectionChanged, SymbolHealth
from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick
from app.engine.store.candle_cache import SqliteCandleCache
from tests.emulators.binance import BinanceEmulator

from .conftest import CANDLES, config_for
from .helpers import until

HOUR_NS = 3_600_000_000_000


class Feed:
    def __init__(self) -> None:
        self.market: list[TradeTick | QuoteTick | Bar] = []
        self.status: list[object] = []

    def quotes(self, symbol: str = "BTC/USDT") -> list[QuoteTick]:
        return [e for e in self.market if isinstance(e, QuoteTick) and e.symbol == symbol]

    def trades(self) -> list[TradeTick]:
        return [e for e in self.market if isinstance(e, TradeTick)]

    def bars(self) -> list[Bar]:
        return [e for e in self.market if isinstance(e, Bar)]

    def health(self, symbol: str) -> list[bool]:
        return [s.stale for s in self.status if isinstance(s, SymbolHealth) and s.symbol == symbol]

    def market_links(self) -> list[bool]:
        return [
            s.connected
            for s in self.status
            if isinstance(s, ConnectionChanged) and s.stream == "market"
        ]


@contextlib.asynccontextmanager
async def streaming(
    venue: CcxtVenue, streams: tuple[str, ...], symbols: tuple[str, ...] = ("BTC/USDT",)
) -> AsyncIterator[tuple[CcxtDataClient, Feed]]:
    cfg = config_for_venue(venue, symbols)
    data = CcxtDataClient(cfg, venue.calls, venue.data.instruments(), streams=streams)
    feed = Feed()
    data.set_market_sink(feed.market.append)
    data.set_status_sink(feed.status.append)
    task = asyncio.create_task(data.run())
    try:
        yield data, feed
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def config_for_venue(venue: CcxtVenue, symbols: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(venue.config, symbols=symbols)


@contextlib.asynccontextmanager
async def ticking(emu: BinanceEmulator, symbol: str = "BTC/USDT") -> AsyncIterator[None]:
    """A market that moves every 20 ms, as a live one does."""

    async def tick() -> None:
        price = Decimal("30000")
        step = Decimal("0.5")
        while True:
            price += step
            step = -step if abs(price - 30000) > 20 else step
            emu.set_price(symbol, price)
            await asyncio.sleep(0.02)

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_quotes_trades_and_forming_bars_stream(
    venue: CcxtVenue, emu: BinanceEmulator
) -> None:
    async with streaming(venue, ("quotes", "trades", "bars")) as (_, feed):
        await emu.wait_for_stream("btcusdt@bookTicker")
        await emu.wait_for_stream("btcusdt@trade")
        await emu.wait_for_stream("btcusdt@kline_1m")
        emu.set_price("BTC/USDT", "30100")
        await until(lambda: bool(feed.quotes() and feed.trades() and feed.bars()))
        quote = feed.quotes()[-1]
        assert quote.bid < Decimal("30100") < quote.ask
        assert feed.trades()[-1].price == Decimal("30100.00")
        bar = feed.bars()[-1]
        assert not bar.closed and bar.close == Decimal("30100.00")
        assert bar.timeframe is Timeframe.M1
        # a new minute starts: the previous bar comes again, closed
        emu.clock_offset_ms += 60_000
        emu.set_price("BTC/USDT", "30200")
        await until(lambda: any(b.closed for b in feed.bars()), what="closed bar")
        closed = [b for b in feed.bars() if b.closed]
        assert closed[0].ts == bar.ts and closed[0].close == Decimal("30100.00")
        assert feed.bars()[-1].ts == bar.ts + 60 * 1_000_000_000 and not feed.bars()[-1].closed
        assert feed.market_links() == [True]


async def test_silent_feed_goes_stale_then_fresh(venue: CcxtVenue, emu: BinanceEmulator) -> None:
    async with ticking(emu), streaming(venue, ("trades",)) as (data, feed):
        await until(lambda: len(feed.trades()) > 3)
        emu.faults.silent_feed(["BTC/USDT"])
        await until(lambda: feed.health("BTC/USDT") == [True], what="stale")
        assert data.stale.is_stale("BTC/USDT")
        emu.faults.clear()
        await until(lambda: feed.health("BTC/USDT") == [True, False], what="fresh again")


async def test_dropped_socket_reports_market_down_then_up_and_resumes(
    venue: CcxtVenue, emu: BinanceEmulator
) -> None:
    async with ticking(emu), streaming(venue, ("quotes", "trades")) as (_, feed):
        await until(lambda: len(feed.trades()) > 3 and len(feed.quotes()) > 3)
        emu.faults.close_ws(1006)
        await until(lambda: feed.market_links()[-2:] == [False, True], what="down, up")
        seen = len(feed.trades())
        await until(lambda: len(feed.trades()) > seen + 3, what="trades resumed")


async def test_order_book_resynchronises_after_a_sequence_gap(
    venue: CcxtVenue, emu: BinanceEmulator
) -> None:
    async with ticking(emu), streaming(venue, ("book",)) as (data, _):
        await until(lambda: data.order_book("BTC/USDT") is not None, what="first book")
        book = data.order_book("BTC/USDT")
        assert book is not None and book.bids[0][0] < book.asks[0][0]
        emu.faults.depth_gap()
        await until(lambda: data.book_resyncs.get("BTC/USDT") == 1, what="gap seen")
        await until(lambda: data.order_book("BTC/USDT") is not None, what="book rebuilt")
        rebuilt = data.order_book("BTC/USDT")
        assert rebuilt is not None and rebuilt.nonce is not None and book.nonce is not None
        assert rebuilt.nonce > book.nonce and rebuilt.bids[0][0] < rebuilt.asks[0][0]


def csv_bars() -> list[tuple[int, str]]:
    with CANDLES.open() as handle:
        return [(int(row["timestamp_ms"]), row["close"]) for row in csv.DictReader(handle)]


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[SqliteCandleCache]:
    store = SqliteCandleCache(tmp_path / "candles.sqlite")
    yield store
    store.close()


async def test_history_paginates_and_the_cache_answers_the_second_time(
    emu: BinanceEmulator, cache: SqliteCandleCache
) -> None:
    venue = await CcxtVenue.open(config_for(emu), cache=cache)
    try:
        venue.calls.quirks = with_overrides(venue.calls.quirks, ohlcv_page_limit=100)
        rows = csv_bars()
        end_ns = (rows[300][0] + 1) * 1_000_000  # inside bar 300: it is still forming
        bars = await venue.data.history("BTC/USDT", Timeframe.H1, end_ns=end_ns, limit=250)
        klines = emu.requests("GET", "/api/v3/klines")  # type: ignore[attr-defined]
        assert klines == 3  # 250 bars in pages of 100
        expected = [(ts * 1_000_000, close) for ts, close in rows if ts < rows[300][0]][-250:]
        assert [(b.ts, str(b.close)) for b in bars] == [
            (ts, str(Decimal(c).quantize(Decimal("0.01")))) for ts, c in expected
        ]
        assert all(b.closed for b in bars)
        again = await venue.data.history("BTC/USDT", Timeframe.H1, end_ns=end_ns, limit=250)
        assert again == bars
        assert emu.requests("GET", "/api/v3/klines") == klines  # type: ignore[attr-defined]
        # a window reaching two bars further fetches only those two
        later = end_ns + 2 * HOUR_NS
        more = await venue.data.history("BTC/USDT", Timeframe.H1, end_ns=later, limit=252)
        assert more[:250] == bars and len(more) == 252
        assert emu.requests("GET", "/api/v3/klines") == klines + 1  # type: ignore[attr-defined]
    finally:
        await venue.close()


async def test_listeners_end_when_the_venue_is_closed_under_them(emu: BinanceEmulator) -> None:
    venue = await CcxtVenue.open(config_for(emu))
    data = venue.data
    task = asyncio.create_task(data.run())
    try:
        await emu.wait_for_stream("btcusdt@trade")
        listeners = list(data._tasks.values())
        assert listeners
        await venue.close()
        await until(lambda: all(t.done() for t in listeners), what="listeners ended")
        assert all(not t.cancelled() and t.exception() is None for t in listeners)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await venue.close()


async def test_subscribe_adds_symbols_while_running(venue: CcxtVenue, emu: BinanceEmulator) -> None:
    async with ticking(emu, "ETH/USDT"), streaming(venue, ("trades",)) as (data, feed):
        await emu.wait_for_stream("btcusdt@trade")
        await data.subscribe(["ETH/USDT"])
        await until(lambda: any(t.symbol == "ETH/USDT" for t in feed.trades()), what="ETH")
        assert data.subscribed == ("BTC/USDT", "ETH/USDT")
        with pytest.raises(ValidationError) as err:
            await data.subscribe(["DOGE/USDT"])
        assert err.value.field == "symbol"


async def test_history_before_the_listing_is_not_asked_for_twice(
    emu: BinanceEmulator, cache: SqliteCandleCache
) -> None:
    venue = await CcxtVenue.open(config_for(emu), cache=cache)
    try:
        rows = csv_bars()
        end_ns = rows[10][0] * 1_000_000  # bars 0..9 are closed; asking for 50
        bars = await venue.data.history("BTC/USDT", Timeframe.H1, end_ns=end_ns, limit=50)
        assert [b.ts for b in bars] == [ts * 1_000_000 for ts, _ in rows[:10]]
        asked = emu.requests("GET", "/api/v3/klines")  # type: ignore[attr-defined]
        again = await venue.data.history("BTC/USDT", Timeframe.H1, end_ns=end_ns, limit=50)
        assert again == bars
        assert emu.requests("GET", "/api/v3/klines") == asked  # type: ignore[attr-defined]
    finally:
        await venue.close()
