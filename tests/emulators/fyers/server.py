"""The Fyers v3 REST emulator: aiohttp on 127.0.0.1, the real SDK pointed at it.

Paths as the SDK builds them (``Config.API`` = <base>/api/v3, ``Config.DATA_API`` =
<base>/data). Every call but the login's needs ``Authorization: app_id:access_token``; a
wrong or expired token gets Fyers' real error body (errors/error_invalid_token.json) with
HTTP 401. Faults, queued with ``fault(kind, times, path)``: "rate_limit" (HTTP 429, Fyers'
limit message), "server_error" (HTTP 502 with an HTML page, as a proxy in front of Fyers
would answer), "drop" (the request takes effect, then the connection is cut without a
reply), "hang" (no reply for ``hang_s`` seconds, then the request is handled) and "slow"
(handled at once, the reply held ``hang_s`` seconds: socket events overtake it).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.emulators.fyers.book import Book, RefusedError

SHAPES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "exchange" / "fyers"
APP_ID = "XB12345-100"
SECRET = "emu-secret-key"
TOKEN = "emu-access-token-0001"
EXPIRED_TOKEN = "emu-access-token-expired"
HISTORY_WINDOW_S = {"1D": 366 * 86_400}
INTRADAY_WINDOW_S = 100 * 86_400


def shape(name: str) -> Any:
    return json.loads((SHAPES / name).read_text(encoding="utf-8"))


@dataclass
class Fault:
    kind: str
    path: str | None


class FyersEmulator:
    def __init__(self, now_s: Callable[[], int], *, hang_s: float = 5.0) -> None:
        self.book = Book(now_s)
        self.now_s = now_s
        self.hang_s = hang_s
        self.faults: deque[Fault] = deque()
        self.requests: list[tuple[str, str]] = []
        self.auth_codes: set[str] = set()
        self.tokens = {TOKEN}
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    # --- control -------------------------------------------------------------------------
    def fault(self, kind: str, times: int = 1, path: str | None = None) -> None:
        for _ in range(times):
            self.faults.append(Fault(kind, path))

    async def start(self) -> str:
        app = web.Application(middlewares=[self._faults_mw, self._auth_mw])
        r = app.router
        r.add_get("/api/v3/generate-authcode", self._authcode)
        r.add_post("/api/v3/validate-authcode", self._validate)
        r.add_get("/api/v3/profile", self._profile)
        r.add_get("/api/v3/funds", self._funds)
        r.add_get("/api/v3/orders", self._orderbook)
        r.add_get("/api/v3/tradebook", self._tradebook)
        r.add_get("/api/v3/positions", self._positions)
        r.add_get("/api/v3/holdings", self._holdings)
        r.add_post("/api/v3/orders/sync", self._place)
        r.add_patch("/api/v3/orders/sync", self._modify)
        r.add_delete("/api/v3/orders/sync", self._cancel)
        r.add_get("/data/quotes", self._quotes)
        r.add_get("/data/quotes/", self._quotes)
        r.add_get("/data/depth", self._depth)
        r.add_get("/data/depth/", self._depth)
        r.add_get("/data/history", self._history)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- middlewares ---------------------------------------------------------------------
    @web.middleware
    async def _faults_mw(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        fault = None
        if self.faults and self.faults[0].path in (None, request.path):
            fault = self.faults.popleft()
        if fault is None:
            return await handler(request)
        if fault.kind == "rate_limit":
            return _json({"s": "error", "code": 429, "message": "request limit reached"}, 429)
        if fault.kind == "server_error":
            return web.Response(
                status=502,
                text="<html><body>502 Bad Gateway</body></html>",
                content_type="text/html",
            )
        if fault.kind == "hang":
            await asyncio.sleep(self.hang_s)
            return await handler(request)
        if fault.kind == "slow":
            response = await handler(request)  # it takes effect now; the reply comes later
            await asyncio.sleep(self.hang_s)
            return response
        if fault.kind == "drop":
            await handler(request)  # it takes effect; only the reply is lost
            assert request.transport is not None
            request.transport.abort()
            raise ConnectionResetError("reply dropped by the emulator")
        raise AssertionError(f"unknown fault {fault.kind}")

    @web.middleware
    async def _auth_mw(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.endswith(("/generate-authcode", "/validate-authcode")):
            return await handler(request)
        header = request.headers.get("Authorization", "")
        app_id, _, token = header.partition(":")
        if app_id != APP_ID or token not in self.tokens:
            return _json(shape("errors/error_invalid_token.json"), 401)
        return await handler(request)

    # --- login ---------------------------------------------------------------------------
    async def _authcode(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != APP_ID or q.get("response_type") != "code":
            return _json({"s": "error", "code": -16, "message": "invalid client_id"}, 400)
        code = secrets.token_hex(8)
        self.auth_codes.add(code)
        params = {"s": "ok", "code": "200", "auth_code": code, "state": q.get("state", "")}
        raise web.HTTPFound(f"{q.get('redirect_uri')}?{urlencode(params)}")

    async def _validate(self, request: web.Request) -> web.Response:
        body = await request.json()
        expected = hashlib.sha256(f"{APP_ID}:{SECRET}".encode()).hexdigest()
        if body.get("appIdHash") != expected:
            return _json(
                {
                    "s": "error",
                    "code": -371,
                    "message": "Please provide sha256 hash of appId and app secret",
                },
                400,
            )
        if body.get("code") not in self.auth_codes:
            return _json(
                {"s": "error", "code": -374, "message": "Please provide authorization code."}, 400
            )
        self.auth_codes.discard(body["code"])
        return _json(
            {
                "s": "ok",
                "code": 200,
                "message": "",
                "access_token": TOKEN,
                "refresh_token": "emu-refresh-token",
            }
        )

    # --- account -------------------------------------------------------------------------
    async def _profile(self, request: web.Request) -> web.Response:
        return _json(shape("errors/profile_success.json"))

    async def _funds(self, request: web.Request) -> web.Response:
        body = shape("rest/funds_response_success.json")
        book = self.book
        values = {
            1: book.cash,
            2: book.cash - book.available(),
            3: book.cash,
            9: book.start_cash,
            10: book.available(),
        }
        for line in body["fund_limit"]:
            if line["id"] in values:
                line["equityAmount"] = float(values[line["id"]])
            elif line["id"] == 4:
                line["equityAmount"] = 0
        return _json(body)

    async def _orderbook(self, request: web.Request) -> web.Response:
        orders = list(self.book.orders.values())
        if "id" in request.query:
            orders = [o for o in orders if o["id"] == request.query["id"]]
        return _json({"s": "ok", "code": 200, "message": "", "orderBook": orders})

    async def _tradebook(self, request: web.Request) -> web.Response:
        return _json({"s": "ok", "code": 200, "message": "", "tradeBook": self.book.trades})

    async def _holdings(self, request: web.Request) -> web.Response:
        rows = list(self.book.holdings.values())
        return _json(
            {
                "s": "ok",
                "code": 200,
                "message": "",
                "holdings": rows,
                "overall": {"count_total": len(rows)},
            }
        )

    async def _positions(self, request: web.Request) -> web.Response:
        rows = list(self.book.positions.values())
        return _json(
            {
                "s": "ok",
                "code": 200,
                "message": "",
                "netPositions": rows,
                "overall": {"count_total": len(rows), "count_open": len(rows)},
            }
        )

    # --- orders --------------------------------------------------------------------------
    async def _place(self, request: web.Request) -> web.Response:
        try:
            order_id = self.book.place(await request.json())
        except RefusedError as exc:
            return _json({"s": "error", "code": exc.code, "message": exc.message}, exc.status)
        return _json(
            {
                "s": "ok",
                "code": 1101,
                "id": order_id,
                "message": f"Order submitted successfully. Your Order Ref. No.{order_id}",
            }
        )

    async def _modify(self, request: web.Request) -> web.Response:
        try:
            order_id = self.book.modify(await request.json())
        except RefusedError as exc:
            return _json({"s": "error", "code": exc.code, "message": exc.message}, exc.status)
        return _json(
            {"s": "ok", "code": 1102, "id": order_id, "message": "Successfully modified order"}
        )

    async def _cancel(self, request: web.Request) -> web.Response:
        try:
            order_id = self.book.cancel(await request.json())
        except RefusedError as exc:
            return _json({"s": "error", "code": exc.code, "message": exc.message}, exc.status)
        body = shape("errors/order_cancel_success.json")
        body["id"] = order_id
        return _json(body)

    # --- market data -------------------------------------------------------------------
    async def _quotes(self, request: web.Request) -> web.Response:
        out = []
        for name in request.query.get("symbols", "").split(","):
            sym = self.book.symbols.get(name)
            if sym is None:
                out.append({"n": name, "s": "error", "v": {"errmsg": "invalid symbol"}})
                continue
            out.append(
                {
                    "n": name,
                    "s": "ok",
                    "v": {
                        "ch": 0,
                        "chp": 0,
                        "lp": float(sym.ltp),
                        "spread": float(sym.ask - sym.bid),
                        "ask": float(sym.ask),
                        "bid": float(sym.bid),
                        "volume": sym.volume,
                        "short_name": name.split(":")[1],
                        "exchange": "NSE",
                        "description": sym.description,
                        "original_name": name,
                        "symbol": name,
                        "tt": str(self.now_s()),
                    },
                }
            )
        return _json({"s": "ok", "code": 200, "message": "", "d": out})

    async def _depth(self, request: web.Request) -> web.Response:
        name = request.query.get("symbol", "")
        sym = self.book.symbols.get(name)
        if sym is None:
            return _json(shape("rest/status_error.json"), 400)
        body = shape("rest/depth_response_success.json")
        entry = body["d"].pop("NSE:SBIN-EQ")
        entry["bids"] = [{"price": float(sym.bid), "volume": 4738, "ord": 5}]
        entry["ask"] = [{"price": float(sym.ask), "volume": 2193, "ord": 4}]
        entry["tick_Size"] = float(sym.tick)
        entry["ltp"] = float(sym.ltp)
        entry["ltt"] = self.now_s()
        body["d"][name] = entry
        return _json(body)

    async def _history(self, request: web.Request) -> web.Response:
        q = request.query
        sym = self.book.symbols.get(q.get("symbol", ""))
        resolution = q.get("resolution", "")
        if sym is None or q.get("date_format") != "0":
            return _json(shape("rest/status_error.json"), 400)
        start, end = int(q["range_from"]), int(q["range_to"])
        window = HISTORY_WINDOW_S.get(resolution, INTRADAY_WINDOW_S)
        if end - start > window:
            return _json(
                {"s": "error", "code": -50, "message": "Invalid input: range too long"}, 400
            )
        return _json({"s": "ok", "candles": candles(sym.ltp, resolution, start, end)})


def candles(level: Decimal, resolution: str, start: int, end: int) -> list[list[float]]:
    """Candles on NSE trading hours (09:15-15:30 IST = 03:45-10:00 UTC) on weekdays, or
    one per weekday at 00:00 UTC for "1D" (as in Fyers' history sample); prices wander
    deterministically around ``level``."""
    step = 86_400 if resolution == "1D" else int(resolution) * 60
    out = []
    t = start - start % step
    while t <= end:
        if t >= start and _trading(t, daily=resolution == "1D"):
            base = float(level) * (1 + 0.01 * math.sin(t / 7_200))
            o, c = round(base, 2), round(base * 1.001, 2)
            out.append([t, o, round(max(o, c) * 1.002, 2), round(min(o, c) * 0.998, 2), c, 1000])
        t += step
    return out


def _trading(t: int, *, daily: bool) -> bool:
    weekday = (t // 86_400 + 3) % 7  # 1970-01-01 was a Thursday (3)
    if weekday >= 5:
        return False
    seconds = t % 86_400
    return daily or 13_500 <= seconds < 36_000


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)
