"""BinanceEmulator: the REST server, the streams and the venue behind one control API."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from .account import Account, Balance
from .auth import Authenticator
from .book import DepthBook
from .candles import INTERVAL_MS, CandleStore, load_csv
from .faults import Faults
from .order_lists import OrderList, OrderLists
from .orders import Fill, Order
from .rest import RestApi
from .streams import StreamHub
from .symbols import SymbolSpec, fmt
from .venue import OrderRequest, Venue

DEFAULT_PRICES = {"BTC": Decimal("30000"), "ETH": Decimal("2000")}


@dataclass(frozen=True, slots=True)
class PublicTrade:
    trade_id: int
    price: Decimal
    qty: Decimal
    buyer_maker: bool
    time_ms: int

    def rest(self) -> dict[str, Any]:
        return {
            "id": self.trade_id,
            "price": fmt(self.price),
            "qty": fmt(self.qty),
            "quoteQty": fmt(self.price * self.qty),
            "time": self.time_ms,
            "isBuyerMaker": self.buyer_maker,
            "isBestMatch": True,
        }


class BinanceEmulator:
    """A loopback Binance spot venue for the real ccxt client; start it on the running loop.

    symbols      unified "BASE/QUOTE" names, default filters (or `specs` for custom ones)
    balances     starting free balances, e.g. {"USDT": "10000"}
    candles_csv  kline history: one CSV for the first symbol, or {symbol: path}; the last
                 close is that symbol's starting price unless `prices` names one;
                 `candles_end_now` shifts it to end at start-up (a live-looking chart)
    prices       starting reference prices; default BTC 30000, ETH 2000, others 100
    spread_bps   touch = price -/+ half of this (bps); commission_rate: of quote value
    seed         makes trade sizes, book sizes and generated ids repeatable
    Control: set_price, fill_order, cancel_order, place_web_order, set_balance,
    clock_offset_ms (the venue's clock ahead of ours), api_restrictions (dict), faults,
    wait_for_stream / wait_for_user_stream; state: orders, orders_by_id, order_list, trades,
    balances, request_counts.
    """

    def __init__(
        self,
        symbols: Iterable[str] = ("BTC/USDT",),
        balances: Mapping[str, str | Decimal] | None = None,
        api_key: str = "emu-api-key",
        secret: str = "emu-secret",
        candles_csv: str | Path | Mapping[str, str | Path] | None = None,
        seed: int = 1,
        *,
        prices: Mapping[str, str | Decimal] | None = None,
        specs: Iterable[SymbolSpec] | None = None,
        spread_bps: str | Decimal = "10",
        commission_rate: str | Decimal = "0.001",
        host: str = "127.0.0.1",
        port: int = 0,
        candles_end_now: bool = False,
    ) -> None:
        spec_list = (
            list(specs) if specs is not None else [SymbolSpec.from_unified(s) for s in symbols]
        )
        self.specs = {s.id: s for s in spec_list}
        self.api_key = api_key
        self.secret = secret
        self.host, self.port = host, port
        self.clock_offset_ms = 0
        self.api_restrictions: dict[str, Any] = {
            "ipRestrict": False,
            "createTime": 1698645219000,
            "enableReading": True,
            "enableWithdrawals": False,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enableSpotAndMarginTrading": True,
            "enablePortfolioMarginTrading": False,
        }
        self.candles = {sid: CandleStore() for sid in self.specs}
        self._candles_end_ms = int(time.time() * 1000) if candles_end_now else None
        self._load_candles(candles_csv)
        start_prices = self._start_prices(prices)
        self.account = Account(balances or {"USDT": "10000"})
        for spec in spec_list:
            self.account.credit(spec.base, Decimal(0))
            self.account.credit(spec.quote, Decimal(0))
        self.venue = Venue(
            spec_list,
            start_prices,
            self.account,
            self,
            spread_bps=Decimal(spread_bps),
            commission_rate=Decimal(commission_rate),
            seed=seed,
        )
        self.order_lists = OrderLists(self.venue)
        self.books = {sid: DepthBook(spec, self.venue.rng) for sid, spec in self.specs.items()}
        self.public_trades: dict[str, deque[PublicTrade]] = {
            sid: deque(maxlen=10_000) for sid in self.specs
        }
        self.open_prices = dict(start_prices)
        self.listen_keys: set[str] = set()
        self.auth = Authenticator(api_key, secret)
        self.hub = StreamHub(self.auth, self.server_ms, self.listen_keys)
        self.faults = Faults(self._close_ws_threadsafe)
        self.rest = RestApi(self)
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        for sid in self.specs:
            self.books[sid].rebuild(self.venue.bid(sid), self.venue.ask(sid))

    # ---- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        app = web.Application(middlewares=[self.rest.middleware])
        app.add_routes(self.rest.routes() + self.hub.routes())
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None and isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self.hub.close_all(1001)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def ccxt_config(self) -> dict[str, Any]:
        """Config for ccxt.async_support.binance / ccxt.pro.binance pointed at this emulator."""
        rest, ws = self.rest_url, self.ws_url
        return {
            "apiKey": self.api_key,
            "secret": self.secret,
            "enableRateLimit": False,
            "urls": {
                "api": {
                    "public": f"{rest}/api/v3",
                    "private": f"{rest}/api/v3",
                    "v1": f"{rest}/api/v1",
                    "sapi": f"{rest}/sapi/v1",
                    "sapiV2": f"{rest}/sapi/v2",
                    "sapiV3": f"{rest}/sapi/v3",
                    "sapiV4": f"{rest}/sapi/v4",
                    "ws": {
                        "spot": f"{ws}/ws",
                        "margin": f"{ws}/ws",
                        "ws-api": {"spot": f"{ws}/ws-api/v3"},
                    },
                }
            },
            "options": {
                "defaultType": "spot",
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
            },
        }

    # ---- test control -------------------------------------------------------------------
    def server_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    def set_price(self, symbol: str, price: str | Decimal) -> None:
        """Move the market: publishes trade/kline/ticker/book, fills crossed limits, fires stops."""
        self.venue.set_price(self._sid(symbol), Decimal(price), self.server_ms())

    def price(self, symbol: str) -> Decimal:
        return self.venue.prices[self._sid(symbol)]

    def fill_order(self, client_id: str, qty: str | Decimal | None = None) -> Order:
        """A fill that happened while the app was away (maker, at the order's price)."""
        amount = None if qty is None else Decimal(qty)
        return self.venue.force_fill(client_id, amount, self.server_ms())

    def cancel_order(self, client_id: str) -> Order:
        """Canceled on the website: the user stream sees it, nobody asked through the API."""
        order = self.venue.by_client_id.get(client_id)
        if order is None:
            raise KeyError(f"client_id {client_id!r}: no such order")
        return self.venue.cancel(order.symbol, order.order_id, None, None, self.server_ms())

    def place_web_order(
        self,
        symbol: str,
        side: str,
        type: str,
        qty: str | Decimal,
        price: str | Decimal | None = None,
        stop_price: str | Decimal | None = None,
    ) -> str:
        """An order placed from the website; returns its client id ("web_...")."""
        req = OrderRequest(
            symbol=self._sid(symbol),
            side=side.upper(),
            type=type.upper(),
            qty=Decimal(qty),
            price=None if price is None else Decimal(price),
            stop_price=None if stop_price is None else Decimal(stop_price),
            time_in_force="GTC" if type.upper().endswith("LIMIT") else None,
            client_id=f"web_{self.venue.rng.getrandbits(64):016x}",
        )
        return self.venue.place(req, self.server_ms()).client_id

    def set_balance(self, asset: str, free: str | Decimal) -> None:
        """A deposit or withdrawal on the website; the user stream sees the new balance."""
        self.account.set(asset.upper(), Decimal(free))
        self.balances_changed({asset.upper()}, self.server_ms())

    @property
    def request_counts(self) -> Counter[tuple[str, str]]:
        """REST requests received, by (method, path), faulted ones included."""
        return self.rest.counts

    @property
    def orders(self) -> dict[str, Order]:
        """Latest order per client id."""
        return dict(self.venue.by_client_id)

    def order_list(self, list_client_id: str) -> OrderList:
        """The OCO list with this listClientOrderId (its legs are `.legs`, stop leg first)."""
        found = self.order_lists.by_client_id.get(list_client_id)
        if found is None:
            raise KeyError(f"listClientOrderId {list_client_id!r}: no such order list")
        return found

    @property
    def orders_by_id(self) -> dict[int, Order]:
        return dict(self.venue.orders)

    @property
    def trades(self) -> list[Fill]:
        """The account's fills, oldest first."""
        return list(self.venue.fills)

    @property
    def balances(self) -> dict[str, Balance]:
        return self.account.snapshot()

    async def wait_for_stream(self, stream: str, timeout_s: float = 5.0) -> None:
        """Until some client subscribed to `stream` (e.g. "btcusdt@ticker")."""
        await self.hub.wait_until(lambda: self.hub.subscribed(stream), timeout_s)

    async def wait_for_user_stream(self, count: int = 1, timeout_s: float = 5.0) -> None:
        """Until `count` user-data listeners (ws-api subscription or listenKey socket) exist."""
        await self.hub.wait_until(lambda: self.hub.user_listeners() >= count, timeout_s)

    # ---- venue listener -----------------------------------------------------------------
    def order_changed(
        self, order: Order, exec_type: str, fill: Fill | None, cancel_client_id: str | None
    ) -> None:
        now = fill.time_ms if fill else self.server_ms()
        self.hub.publish_user(order.execution_report(exec_type, now, fill, cancel_client_id))

    def list_status(self, event: dict[str, Any]) -> None:
        self.hub.publish_user(event)

    def balances_changed(self, assets: set[str], time_ms: int) -> None:
        self.hub.publish_user(
            {
                "e": "outboundAccountPosition",
                "E": time_ms,
                "u": time_ms,
                "B": [
                    {"a": a, "f": fmt(self.account.free(a)), "l": fmt(self.account.locked(a))}
                    for a in sorted(assets)
                ],
            }
        )

    def public_trade(
        self,
        spec: SymbolSpec,
        trade_id: int,
        price: Decimal,
        qty: Decimal,
        buyer_maker: bool,
        time_ms: int,
    ) -> None:
        sid, low = spec.id, spec.id.lower()
        self.public_trades[sid].append(PublicTrade(trade_id, price, qty, buyer_maker, time_ms))
        touched = self.candles[sid].add_trade(price, qty, time_ms)
        if self.faults.is_silent(sid):
            return
        base = {
            "E": time_ms,
            "s": sid,
            "p": fmt(price),
            "q": fmt(qty),
            "T": time_ms,
            "m": buyer_maker,
            "M": True,
        }
        self.hub.publish((f"{low}@trade",), {"e": "trade", **base, "t": trade_id})
        self.hub.publish(
            (f"{low}@aggTrade",),
            {"e": "aggTrade", **base, "a": trade_id, "f": trade_id, "l": trade_id},
        )
        for interval in INTERVAL_MS:
            name = f"{low}@kline_{interval}"
            if self.hub.subscribed(name):
                self.hub.publish((name,), touched[interval].stream(sid, interval, time_ms))
        if self.hub.subscribed(f"{low}@ticker"):
            self.hub.publish((f"{low}@ticker",), self._ws_ticker(sid, time_ms))
        if self.hub.subscribed(f"{low}@miniTicker"):
            t = self.ticker_24h(sid)
            self.hub.publish(
                (f"{low}@miniTicker",),
                {
                    "e": "24hrMiniTicker",
                    "E": time_ms,
                    "s": sid,
                    "c": t["lastPrice"],
                    "o": t["openPrice"],
                    "h": t["highPrice"],
                    "l": t["lowPrice"],
                    "v": t["volume"],
                    "q": t["quoteVolume"],
                },
            )

    def quote_changed(self, spec: SymbolSpec, time_ms: int) -> None:
        sid, low = spec.id, spec.id.lower()
        book = self.books[sid]
        diff = book.rebuild(self.venue.bid(sid), self.venue.ask(sid), self.faults.take_depth_gap())
        if self.faults.is_silent(sid):
            return
        self.hub.publish(
            (f"{low}@depth", f"{low}@depth@100ms", f"{low}@depth@1000ms"),
            {"e": "depthUpdate", "E": time_ms, "s": sid, **diff},
        )
        for levels in (5, 10, 20):
            names = tuple(f"{low}@depth{levels}{r}" for r in ("", "@100ms", "@1000ms"))
            self.hub.publish(names, book.snapshot(levels))
        top = book.snapshot(1)
        self.hub.publish(
            (f"{low}@bookTicker",),
            {
                "u": book.last_update_id,
                "s": sid,
                "b": top["bids"][0][0],
                "B": top["bids"][0][1],
                "a": top["asks"][0][0],
                "A": top["asks"][0][1],
            },
        )

    # ---- market statistics ----------------------------------------------------------------
    def ticker_24h(self, sid: str) -> dict[str, Any]:
        now = self.server_ms()
        trades = [t for t in self.public_trades[sid] if t.time_ms >= now - 86_400_000]
        last = self.venue.prices[sid]
        open_ = trades[0].price if trades else self.open_prices[sid]
        volume = sum((t.qty for t in trades), Decimal(0))
        quote_volume = sum((t.qty * t.price for t in trades), Decimal(0))
        book = self.books[sid].snapshot(1)
        change = last - open_
        return {
            "symbol": sid,
            "priceChange": fmt(change),
            "priceChangePercent": str((change / open_ * 100).quantize(Decimal("0.001"))),
            "weightedAvgPrice": fmt(quote_volume / volume if volume else last),
            "prevClosePrice": fmt(open_),
            "lastPrice": fmt(last),
            "lastQty": fmt(trades[-1].qty if trades else Decimal(0)),
            "bidPrice": book["bids"][0][0],
            "bidQty": book["bids"][0][1],
            "askPrice": book["asks"][0][0],
            "askQty": book["asks"][0][1],
            "openPrice": fmt(open_),
            "highPrice": fmt(max((t.price for t in trades), default=last)),
            "lowPrice": fmt(min((t.price for t in trades), default=last)),
            "volume": fmt(volume),
            "quoteVolume": fmt(quote_volume),
            "openTime": now - 86_400_000,
            "closeTime": now,
            "firstId": trades[0].trade_id if trades else -1,
            "lastId": trades[-1].trade_id if trades else -1,
            "count": len(trades),
        }

    def _ws_ticker(self, sid: str, time_ms: int) -> dict[str, Any]:
        t = self.ticker_24h(sid)
        return {
            "e": "24hrTicker",
            "E": time_ms,
            "s": sid,
            "p": t["priceChange"],
            "P": t["priceChangePercent"],
            "w": t["weightedAvgPrice"],
            "x": t["prevClosePrice"],
            "c": t["lastPrice"],
            "Q": t["lastQty"],
            "b": t["bidPrice"],
            "B": t["bidQty"],
            "a": t["askPrice"],
            "A": t["askQty"],
            "o": t["openPrice"],
            "h": t["highPrice"],
            "l": t["lowPrice"],
            "v": t["volume"],
            "q": t["quoteVolume"],
            "O": t["openTime"],
            "C": t["closeTime"],
            "F": t["firstId"],
            "L": t["lastId"],
            "n": t["count"],
        }

    # ---- helpers ----------------------------------------------------------------------
    def _sid(self, symbol: str) -> str:
        sid = symbol.replace("/", "").upper()
        if sid not in self.specs:
            raise KeyError(f"symbol {symbol!r}: not one of {sorted(self.specs)}")
        return sid

    def _load_candles(self, candles_csv: str | Path | Mapping[str, str | Path] | None) -> None:
        if candles_csv is None:
            return
        if isinstance(candles_csv, Mapping):
            for symbol, path in candles_csv.items():
                self.candles[self._sid(symbol)] = CandleStore(load_csv(path, self._candles_end_ms))
        else:
            first = next(iter(self.specs))
            self.candles[first] = CandleStore(load_csv(candles_csv, self._candles_end_ms))

    def _start_prices(self, prices: Mapping[str, str | Decimal] | None) -> dict[str, Decimal]:
        given = {self._sid(k): Decimal(v) for k, v in (prices or {}).items()}
        out: dict[str, Decimal] = {}
        for sid, spec in self.specs.items():
            history = self.candles[sid].history
            if sid in given:
                out[sid] = given[sid]
            elif history:
                out[sid] = spec.round_price_down(history[-1].close)
            else:
                out[sid] = DEFAULT_PRICES.get(spec.base, Decimal(100))
        return out

    def _close_ws_threadsafe(self, code: int) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop and code == 1006:
            self.hub.abort_all()
        elif running is loop:
            self._spawn(self.hub.close_all(code))
        else:
            asyncio.run_coroutine_threadsafe(self.hub.close_all(code), loop).result(5)

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
