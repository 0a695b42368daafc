"""``CcxtDataClient``: a venue's instruments, live market data and history through ccxt.pro.

``run()`` supervises one listener task per (symbol, stream): ``watch_ticker`` -> QuoteTick,
``watch_trades`` -> TradeTick, ``watch_ohlcv`` (1m) -> Bar (closed=False while forming; the
previous bar is re-emitted closed=True when a new one starts) and ``watch_order_book`` -> a
local book (``order_book(symbol)``). Each listener re-raises CancelledError; anything else
is logged, the market stream is reported down (``ConnectionChanged``), and it reconnects
after an exponential, jittered backoff (calling ``watch_*`` again makes ccxt.pro reconnect
and resubscribe); the stream is reported up when data flows again.

Order-book gaps: on Binance ccxt.pro checks each diff's first update id against the last one
applied; on a gap it drops its book and the subscription and fails the pending watch with
``ChecksumError``. The listener then watches again at once, which resubscribes and rebuilds
the book from a fresh REST snapshot; our copy is cleared meanwhile (never a book with a hole).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ccxt

from app.brokers.ccxt.calls import VenueCalls
from app.brokers.ccxt.config import CcxtConfig
from app.brokers.ccxt.connection import StreamHealth, await_watch, until_sockets_open
from app.brokers.ccxt.errors import scrub
from app.brokers.ccxt.history import history as fetch_history
from app.brokers.ccxt.parsing import (
    NS_PER_MS,
    bar_from_ohlcv,
    dec,
    quote_from_ticker,
    trade_tick,
)
from app.brokers.staleness import StaleTracker
from app.engine.domain.errors import ValidationError
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick
from app.engine.ports import CandleCache, MarketSink, StatusSink

log = logging.getLogger(__name__)

STREAMS = ("quotes", "trades", "bars", "book")
BOOK_DEPTH = 20


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """The top of a symbol's order book: (price, size) levels, best first."""

    symbol: str
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]
    nonce: int | None
    ts: int


class CcxtDataClient:
    """DataClient + ReportsStatus for one ccxt venue (see the module docstring)."""

    def __init__(
        self,
        config: CcxtConfig,
        calls: VenueCalls,
        instruments: Sequence[Instrument],
        *,
        cache: CandleCache | None = None,
        streams: Sequence[str] = STREAMS,
        book_depth: int = BOOK_DEPTH,
    ) -> None:
        unknown = [s for s in streams if s not in STREAMS]
        if unknown:
            raise ValidationError("streams", f"must be among {', '.join(STREAMS)}", unknown)
        self.venue = config.venue
        self._config = config
        self._calls = calls
        self._exchange = calls.exchange
        self._instruments = {i.symbol: i for i in instruments}
        self._cache = cache
        self._streams = tuple(streams)
        self._book_depth = book_depth
        self._sink: MarketSink | None = None
        self.health = StreamHealth(self.venue, "market")
        self.stale = StaleTracker(self.venue, config.stale_after_s)
        self._subscribed: list[str] = [s for s in config.symbols if s in self._instruments]
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._group: asyncio.TaskGroup | None = None
        self._forming: dict[str, list[Any]] = {}
        self._books: dict[str, BookSnapshot] = {}
        self.book_resyncs: dict[str, int] = {}
        self._history_starts: dict[tuple[str, str], int] = {}

    # --- DataClient ---------------------------------------------------------------------
    def instruments(self) -> list[Instrument]:
        return list(self._instruments.values())

    def instrument(self, symbol: str) -> Instrument:
        instrument = self._instruments.get(symbol)
        if instrument is None:
            raise ValidationError("symbol", f"is not a market of {self.venue}", symbol)
        return instrument

    def set_market_sink(self, sink: MarketSink) -> None:
        self._sink = sink

    def set_status_sink(self, sink: StatusSink) -> None:
        self.health.set_status_sink(sink)
        self.stale.set_status_sink(sink)
        self._calls.throttle.set_status_sink(sink)

    @property
    def subscribed(self) -> tuple[str, ...]:
        return tuple(self._subscribed)

    async def subscribe(self, symbols: Sequence[str]) -> None:
        """Stream these symbols too (all are checked before any is added)."""
        names = [symbols] if isinstance(symbols, str) else list(symbols)
        for symbol in names:
            self.instrument(symbol)
        for symbol in names:
            if symbol not in self._subscribed:
                self._subscribed.append(symbol)
                if self._group is not None:
                    self._start(self._group, symbol)

    async def history(
        self, symbol: str, timeframe: Timeframe, *, end_ns: int | None = None, limit: int = 500
    ) -> list[Bar]:
        return await fetch_history(
            self._calls,
            self.instrument(symbol),
            timeframe,
            end_ns=end_ns,
            limit=limit,
            page_limit=self._calls.quirks.ohlcv_page_limit,
            cache=self._cache,
            starts=self._history_starts,
        )

    async def run(self) -> None:
        """Stream the subscribed symbols until cancelled."""
        if self._group is not None:
            raise RuntimeError(f"{self.venue} market data is already running")
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                group.create_task(self.stale.watch(), name=f"{self.venue}-stale")
                for symbol in self._subscribed:
                    self._start(group, symbol)
                await asyncio.Future()  # until cancelled
        finally:
            self._group = None
            self._tasks.clear()

    # --- order book -----------------------------------------------------------------------
    def order_book(self, symbol: str) -> BookSnapshot | None:
        """The latest synchronised book (None before the first snapshot or during a resync)."""
        self.instrument(symbol)
        return self._books.get(symbol)

    # --- listeners ------------------------------------------------------------------------
    def _start(self, group: asyncio.TaskGroup, symbol: str) -> None:
        self.stale.track([symbol])
        exchange = self._exchange
        loops: dict[str, tuple[Callable[[], Awaitable[Any]], Callable[[Any], None]]] = {
            "quotes": (self._quote_watcher(symbol), self._on_ticker),
            "trades": (lambda: exchange.watch_trades(symbol), self._on_trades),
            "bars": (
                lambda: exchange.watch_ohlcv(symbol, "1m"),
                lambda r: self._on_bars(symbol, r),
            ),
            "book": (
                lambda: exchange.watch_order_book(symbol),
                lambda b: self._on_book(symbol, b),
            ),
        }
        for kind in self._streams:
            key = (kind, symbol)
            if key in self._tasks:
                continue
            watch, handle = loops[kind]
            self._tasks[key] = group.create_task(
                self._listen(f"{kind}:{symbol}", symbol, watch, handle),
                name=f"{self.venue}-{kind}-{symbol}",
            )

    def _quote_watcher(self, symbol: str) -> Callable[[], Awaitable[Any]]:
        """Best bid/ask: the book-ticker stream where the venue has one (Binance's 24h ticker
        stream, which ccxt.pro's watch_ticker uses, carries no bid/ask), else the ticker."""
        exchange = self._exchange
        has = getattr(exchange, "has", {}) or {}
        if has.get("watchBidsAsks"):

            async def bids_asks() -> Any:
                tickers = await exchange.watch_bids_asks([symbol])
                # the freshest in ccxt's cache: an update that came in the same read as the
                # one that woke us found no waiting watch and is only there
                cached = (getattr(exchange, "bidsasks", None) or {}).get(symbol)
                return cached or tickers.get(symbol) or next(iter(tickers.values()), {})

            return bids_asks
        return lambda: exchange.watch_ticker(symbol)

    async def _listen(
        self,
        name: str,
        symbol: str,
        watch: Callable[[], Awaitable[Any]],
        handle: Callable[[Any], None],
    ) -> None:
        failures = 0
        gaps = 0
        failing = False
        while True:
            pending: asyncio.Future[Any] = asyncio.ensure_future(watch())
            try:
                if failing and await until_sockets_open(self._exchange, pending):
                    failing = False
                    self.health.up(name)  # reconnected, even if the market is quiet
                result = await await_watch(pending)
            except asyncio.CancelledError:
                pending.cancel()
                raise
            except ccxt.ChecksumError as exc:
                # a sequence gap in the depth stream: ccxt dropped its book and subscription;
                # watching again resubscribes and rebuilds it from a fresh snapshot
                self._books.pop(symbol, None)
                self.book_resyncs[symbol] = self.book_resyncs.get(symbol, 0) + 1
                log.warning("%s %s: order book gap, resynchronising (%s)", self.venue, symbol, exc)
                if gaps:  # gap after gap: do not hammer the snapshot endpoint
                    await asyncio.sleep(self._config.backoff.delay(gaps - 1))
                gaps += 1
                continue
            except Exception as exc:
                if self._calls.closed:
                    return  # the venue was closed under us: nothing to reconnect to
                reason = scrub(f"{type(exc).__name__}: {exc}")
                failing = True
                self.health.down(name, reason)
                delay = self._config.backoff.delay(failures)
                failures += 1
                log.warning(
                    "%s %s failed (%s); reconnecting in %.2f s", self.venue, name, reason, delay
                )
                await asyncio.sleep(delay)
                continue
            failures = gaps = 0
            failing = False
            self.health.up(name)
            self.stale.seen(symbol)
            try:
                handle(result)
            except Exception:
                log.exception("%s %s: could not handle an update", self.venue, name)

    def _emit(self, event: TradeTick | QuoteTick | Bar) -> None:
        if self._sink is None:
            return
        try:
            self._sink(event)
        except Exception:
            log.exception("%s: the market sink raised on %r", self.venue, event)

    def _on_ticker(self, ticker: dict[str, Any]) -> None:
        symbol = ticker.get("symbol")
        quote = quote_from_ticker(ticker, self._instruments.get(str(symbol)))
        if quote is not None:
            if quote.ts == 0:
                quote = QuoteTick(
                    quote.symbol,
                    quote.bid,
                    quote.ask,
                    quote.bid_size,
                    quote.ask_size,
                    time.time_ns(),
                )
            self._emit(quote)

    def _on_trades(self, trades: Sequence[dict[str, Any]]) -> None:
        for trade in trades:
            self._emit(trade_tick(trade, self._instruments.get(str(trade.get("symbol")))))

    def _on_bars(self, symbol: str, rows: Sequence[Sequence[Any]]) -> None:
        instrument = self._instruments.get(symbol)
        for row in sorted((list(r) for r in rows), key=lambda r: int(r[0])):
            forming = self._forming.get(symbol)
            if forming is not None and int(row[0]) < int(forming[0]):
                continue  # an update of a bar already closed: ignore
            if forming is not None and int(row[0]) > int(forming[0]):
                self._emit(bar_from_ohlcv(forming, symbol, Timeframe.M1, instrument, closed=True))
            self._forming[symbol] = row
            self._emit(bar_from_ohlcv(row, symbol, Timeframe.M1, instrument, closed=False))

    def _on_book(self, symbol: str, book: dict[str, Any]) -> None:
        depth = self._book_depth

        def levels(side: Sequence[Sequence[Any]]) -> tuple[tuple[Decimal, Decimal], ...]:
            return tuple(
                (dec(level[0], "book.price"), dec(level[1], "book.size")) for level in side[:depth]
            )

        stamp = book.get("timestamp")
        self._books[symbol] = BookSnapshot(
            symbol=symbol,
            bids=levels(book.get("bids") or ()),
            asks=levels(book.get("asks") or ()),
            nonce=book.get("nonce"),
            ts=int(stamp) * NS_PER_MS if isinstance(stamp, int) else time.time_ns(),
        )
