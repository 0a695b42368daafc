"""Public market-data endpoints: ping, time, exchangeInfo, depth, trades, klines, tickers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors
from .candles import INTERVAL_MS
from .errors import ApiError
from .params import Endpoints, Params, int_param, opt_int
from .symbols import fmt

if TYPE_CHECKING:
    from .emulator import PublicTrade


class MarketApi(Endpoints):
    async def ping(self, p: Params) -> Any:
        return {}

    async def time(self, p: Params) -> Any:
        return {"serverTime": self.emu.server_ms()}

    async def exchange_info(self, p: Params) -> Any:
        wanted = self._symbols_param(p)
        return {
            "timezone": "UTC",
            "serverTime": self.emu.server_ms(),
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": 6000,
                },
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
                {
                    "rateLimitType": "RAW_REQUESTS",
                    "interval": "MINUTE",
                    "intervalNum": 5,
                    "limit": 61000,
                },
            ],
            "exchangeFilters": [],
            "symbols": [self.emu.specs[s].exchange_info() for s in wanted],
        }

    async def depth(self, p: Params) -> Any:
        sid = self._symbol(p)
        return self.emu.books[sid].snapshot(int_param(p, "limit", 100, 5000))

    async def trades(self, p: Params) -> Any:
        sid = self._symbol(p)
        limit = int_param(p, "limit", 500, 1000)
        return [t.rest() for t in list(self.emu.public_trades[sid])[-limit:]]

    def _trades_window(self, p: Params) -> list[PublicTrade]:
        trades = list(self.emu.public_trades[self._symbol(p)])
        from_id = opt_int(p, "fromId")
        start, end = opt_int(p, "startTime"), opt_int(p, "endTime")
        limit = int_param(p, "limit", 500, 1000)
        if from_id is not None:
            trades = [t for t in trades if t.trade_id >= from_id]
        if start is not None:
            trades = [t for t in trades if t.time_ms >= start]
        if end is not None:
            trades = [t for t in trades if t.time_ms <= end]
        anchored = from_id is not None or start is not None
        return trades[:limit] if anchored else trades[-limit:]

    async def agg_trades(self, p: Params) -> Any:
        # every emulated trade is its own aggregate
        return [
            {
                "a": t.trade_id,
                "p": fmt(t.price),
                "q": fmt(t.qty),
                "f": t.trade_id,
                "l": t.trade_id,
                "T": t.time_ms,
                "m": t.buyer_maker,
                "M": True,
            }
            for t in self._trades_window(p)
        ]

    async def historical_trades(self, p: Params) -> Any:
        return [t.rest() for t in self._trades_window(p)]

    async def klines(self, p: Params) -> Any:
        sid = self._symbol(p)
        interval = p.get("interval")
        if not interval:
            raise errors.mandatory("interval")
        if interval not in INTERVAL_MS:
            raise ApiError(-1120, "Invalid interval.")
        start = opt_int(p, "startTime")
        end = opt_int(p, "endTime")
        bars = self.emu.candles[sid].query(interval, start, end, int_param(p, "limit", 500, 1000))
        return [b.rest() for b in bars]

    async def avg_price(self, p: Params) -> Any:
        sid = self._symbol(p)
        return {
            "mins": 5,
            "price": str(self.emu.venue.prices[sid]),
            "closeTime": self.emu.server_ms(),
        }

    async def ticker_24hr(self, p: Params) -> Any:
        if "symbol" in p:
            return self.emu.ticker_24h(self._symbol(p))
        return [self.emu.ticker_24h(s) for s in self._symbols_param(p)]

    async def ticker_price(self, p: Params) -> Any:
        def one(sid: str) -> dict[str, str]:
            return {"symbol": sid, "price": fmt(self.emu.venue.prices[sid])}

        if "symbol" in p:
            return one(self._symbol(p))
        return [one(s) for s in self._symbols_param(p)]

    async def book_ticker(self, p: Params) -> Any:
        def one(sid: str) -> dict[str, str]:
            top = self.emu.books[sid].snapshot(1)
            return {
                "symbol": sid,
                "bidPrice": top["bids"][0][0],
                "bidQty": top["bids"][0][1],
                "askPrice": top["asks"][0][0],
                "askQty": top["asks"][0][1],
            }

        if "symbol" in p:
            return one(self._symbol(p))
        return [one(s) for s in self._symbols_param(p)]
