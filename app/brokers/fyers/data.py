"""FyersDataClient: instruments, live ticks from the data socket, history from REST."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence

from app.brokers.fyers import parsing
from app.brokers.fyers.config import VENUE, FyersConfig, check_symbol
from app.brokers.fyers.sdk_bridge import (
    DataSocket,
    FyersRest,
    SocketEvent,
    SocketFactory,
    SocketLink,
    data_socket_kwargs,
)
from app.brokers.fyers.streams import DEFAULT_BACKOFF, READ_BACKOFF, SocketStream
from app.brokers.retry import Backoff, retry_read
from app.brokers.staleness import StaleTracker
from app.engine.domain.errors import ValidationError
from app.engine.domain.events import Alert, VenueStatus
from app.engine.domain.instruments import Instrument
from app.engine.domain.market import Bar, QuoteTick, Timeframe, TradeTick
from app.engine.ports import MarketSink, StatusSink

log = logging.getLogger(__name__)
_DAY_S = 86_400
# Fyers serves at most 100 days of intraday candles, or 366 days of daily ones, per request
_WINDOW_S = {tf: 100 * _DAY_S for tf in Timeframe} | {Timeframe.D1: 365 * _DAY_S}
MAX_HISTORY_LIMIT = 5_000
_MAX_EMPTY_WINDOWS = 3  # markets close for weeks at most; three empty windows end the walk


class FyersDataClient:
    """``DataClient`` + ``ReportsStatus`` for Fyers. ``run()`` keeps the data socket up (with
    reconnects) and watches for stale symbols; ``subscribe`` works before and after."""

    venue = VENUE

    def __init__(
        self,
        config: FyersConfig,
        rest: FyersRest,
        factory: SocketFactory,
        instruments: Sequence[Instrument],
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
        read_backoff: Backoff = READ_BACKOFF,
        wall_ns: Callable[[], int] = time.time_ns,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._rest = rest
        self._instruments = {i.symbol: i for i in instruments}
        self._wall_ns = wall_ns
        self._read_backoff = read_backoff
        self._market_sink: MarketSink | None = None
        self._status_sink: StatusSink | None = None
        self._symbols: list[str] = []
        self._last_trade: dict[str, tuple[object, ...]] = {}
        self.stale = StaleTracker(VENUE, config.stale_after_s, clock=monotonic, wall_ns=wall_ns)
        self._stream: SocketStream[DataSocket] = SocketStream(
            venue=VENUE,
            stream="market",
            make_socket=lambda link: self._make_socket(factory, link),
            after_connect=self._resubscribe,
            on_message=self._on_event,
            on_status=self._status,
            timeout_s=config.call_timeout_s,
            backoff=backoff,
            wall_ns=wall_ns,
        )
        self._link: SocketLink | None = None

    # --- DataClient ------------------------------------------------------------------------
    def instruments(self) -> list[Instrument]:
        return list(self._instruments.values())

    def set_market_sink(self, sink: MarketSink) -> None:
        self._market_sink = sink

    def set_status_sink(self, sink: StatusSink) -> None:
        self._status_sink = sink
        self.stale.set_status_sink(sink)

    @property
    def connected(self) -> bool:
        return self._stream.connected

    async def subscribe(self, symbols: Sequence[str]) -> None:
        new = [check_symbol(s, "symbols") for s in symbols if s not in self._symbols]
        if not new:
            return
        self._symbols.extend(new)
        for symbol in new:
            self._instruments.setdefault(symbol, parsing.instrument(symbol))
        self.stale.track(new)
        socket = self._stream.socket
        if socket is not None and self._link is not None:
            await self._link.blocking(lambda: socket.subscribe(new, "SymbolUpdate"), "subscribe")

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._stream.run(), name="fyers-market-socket")
            group.create_task(self.stale.watch(), name="fyers-stale-watch")

    async def close(self) -> None:
        await self._stream.stop()

    async def history(
        self, symbol: str, timeframe: Timeframe, *, end_ns: int | None = None, limit: int = 500
    ) -> list[Bar]:
        """Up to ``limit`` closed bars opening before ``end_ns`` (default now), oldest first,
        fetched backwards window by window (Fyers caps each request's date range)."""
        check_symbol(symbol)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError("limit", "must be a whole number >= 1", limit)
        limit = min(limit, MAX_HISTORY_LIMIT)
        now = self._wall_ns()
        end = now if end_ns is None else min(end_ns, now)
        to_s = end // 1_000_000_000
        found: dict[int, Bar] = {}
        empty = 0
        while len(found) < limit and empty < _MAX_EMPTY_WINDOWS:
            from_s = to_s - _WINDOW_S[timeframe]
            body = await self._history_window(symbol, timeframe, from_s, to_s)
            bars = [
                b
                for b in parsing.bars_from_history(body, symbol, timeframe, now)
                if b.closed and b.ts + timeframe.nanos <= end
            ]
            empty = 0 if bars else empty + 1
            for bar in bars:
                found[bar.ts] = bar
            to_s = from_s - 1
        return [found[ts] for ts in sorted(found)][-limit:]

    async def quotes(self, symbols: Sequence[str]) -> list[QuoteTick]:
        """A REST snapshot of the touch for ``symbols`` (prices only)."""
        names = ",".join(check_symbol(s, "symbols") for s in symbols)
        body = await retry_read(
            lambda: self._rest.call("quotes", {"symbols": names}), "quotes", self._read_backoff
        )
        return parsing.quotes_from_rest(body)

    async def depth_quote(self, symbol: str) -> QuoteTick:
        data = {"symbol": check_symbol(symbol), "ohlcv_flag": "1"}
        body = await retry_read(lambda: self._rest.call("depth", data), "depth", self._read_backoff)
        return parsing.quote_from_depth(body, symbol)

    # --- internals ---------------------------------------------------------------------
    async def _history_window(
        self, symbol: str, timeframe: Timeframe, from_s: int, to_s: int
    ) -> Mapping[str, object]:
        data = {
            "symbol": symbol,
            "resolution": parsing.resolution_of(timeframe),
            "date_format": "0",  # epoch seconds
            "range_from": str(from_s),
            "range_to": str(to_s),
            "cont_flag": "1",
        }
        return await retry_read(
            lambda: self._rest.call("history", data), "history", self._read_backoff
        )

    def _make_socket(self, factory: SocketFactory, link: SocketLink) -> DataSocket:
        self._link = link
        return factory.data_socket(
            **data_socket_kwargs(link, self._config.auth_header, self._config.log_dir)
        )

    async def _resubscribe(self, socket: DataSocket) -> None:
        self._last_trade.clear()
        if self._symbols and self._link is not None:
            symbols = list(self._symbols)
            await self._link.blocking(
                lambda: socket.subscribe(symbols, "SymbolUpdate"), "subscribe"
            )

    def _on_event(self, event: SocketEvent) -> None:
        message = event.payload
        if not isinstance(message, Mapping):
            return
        if message.get("type") == "error" or message.get("s") == "error":
            self._alert(f"Fyers market data: {message.get('message', message)}")
            return
        for tick in parsing.market_events(message):
            if isinstance(tick, TradeTick) and not self._new_trade(tick, message):
                self.stale.seen(tick.symbol)
                continue
            self.stale.seen(tick.symbol)
            if self._market_sink is not None:
                try:
                    self._market_sink(tick)
                except Exception:  # a consumer's bug must not drop the ticks behind it
                    log.exception("fyers: market sink failed on %r", tick)

    def _new_trade(self, tick: TradeTick, message: Mapping[str, object]) -> bool:
        """The SDK repeats the last trade's fields in every symbol update (a quote change
        included); a trade is new when the day's volume (or the trade's time/price/size)
        moved."""
        key = (
            message.get("vol_traded_today"),
            message.get("last_traded_time"),
            tick.price,
            tick.size,
        )
        if self._last_trade.get(tick.symbol) == key:
            return False
        self._last_trade[tick.symbol] = key
        return True

    def _status(self, status: VenueStatus) -> None:
        if self._status_sink is not None:
            self._status_sink(status)

    def _alert(self, text: str) -> None:
        log.warning("%s", text)
        self._status(Alert("warning", "Fyers market data", text, self._wall_ns(), source=VENUE))
