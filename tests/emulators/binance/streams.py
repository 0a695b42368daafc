"""WebSocket side: market streams (/ws, /ws/<name>, /stream), user data (/ws/<listenKey>) and
the WebSocket API (/ws-api/v3) that ccxt.pro uses for spot user data."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .auth import Authenticator
from .errors import ApiError

log = logging.getLogger(__name__)

_STREAM = re.compile(
    r"^[a-z0-9]+@(trade|aggTrade|bookTicker|ticker|miniTicker|depth(5|10|20)?(@(100|1000)ms)?"
    r"|kline_(1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M))$"
)


@dataclass(eq=False)
class Conn:
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    combined: bool = False
    user: bool = False  # a /ws/<listenKey> stream: raw user events
    ws_api_subscription: int | None = None  # a /ws-api/v3 client subscribed to user data
    streams: set[str] = field(default_factory=set)
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)


class StreamHub:
    """Owns every connection; publishing is synchronous (queued per connection, in order)."""

    def __init__(
        self, auth: Authenticator, server_ms: Callable[[], int], listen_keys: set[str]
    ) -> None:
        self.auth = auth
        self.server_ms = server_ms
        self.listen_keys = listen_keys
        self.conns: set[Conn] = set()
        self._next_subscription = 0
        self._changed = asyncio.Event()

    # ---- routes -----------------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/ws", self._market),
            web.get("/ws/{name}", self._market),
            web.get("/stream", self._market),
            web.get("/ws-api/v3", self._ws_api),
        ]

    async def _market(self, request: web.Request) -> web.WebSocketResponse:
        name = request.match_info.get("name")
        conn = await self._open(request)
        conn.combined = request.path.startswith("/stream")
        if name is not None and name in self.listen_keys:
            conn.user = True
        elif name is not None and _STREAM.match(name):
            conn.streams.add(name)
        for stream in request.query.get("streams", "").split("/"):
            if _STREAM.match(stream):
                conn.streams.add(stream)
        return await self._serve(conn, self._on_market_message)

    async def _ws_api(self, request: web.Request) -> web.WebSocketResponse:
        conn = await self._open(request)
        return await self._serve(conn, self._on_api_message)

    async def _open(self, request: web.Request) -> Conn:
        # a short close timeout: stop() must not wait on a client that stopped reading
        ws = web.WebSocketResponse(autoping=True, timeout=1.0)
        await ws.prepare(request)
        return Conn(ws=ws, transport=request.transport)

    async def _serve(
        self, conn: Conn, on_message: Callable[[Conn, dict[str, Any]], None]
    ) -> web.WebSocketResponse:
        self.conns.add(conn)
        self._notify()
        writer = asyncio.create_task(self._writer(conn), name="binance-emu-ws-writer")
        try:
            async for msg in conn.ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    conn.queue.put_nowait(json.dumps({"error": {"code": 3, "msg": "Invalid JSON"}}))
                    continue
                if isinstance(data, dict):
                    on_message(conn, data)
        finally:
            self.conns.discard(conn)
            self._notify()
            conn.queue.put_nowait(None)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return conn.ws

    async def _writer(self, conn: Conn) -> None:
        while (text := await conn.queue.get()) is not None:
            try:
                await conn.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    # ---- market stream protocol -------------------------------------------------------
    def _on_market_message(self, conn: Conn, data: dict[str, Any]) -> None:
        method, req_id = data.get("method"), data.get("id")
        params = data.get("params") or []
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            bad = [p for p in params if not isinstance(p, str) or not _STREAM.match(p)]
            if bad:
                reply: dict[str, Any] = {
                    "error": {"code": 2, "msg": f"Invalid request: invalid stream {bad[0]}"},
                    "id": req_id,
                }
            else:
                if method == "SUBSCRIBE":
                    conn.streams.update(params)
                else:
                    conn.streams.difference_update(params)
                reply = {"result": None, "id": req_id}
            self._notify()
        elif method == "LIST_SUBSCRIPTIONS":
            reply = {"result": sorted(conn.streams), "id": req_id}
        elif method in ("SET_PROPERTY", "GET_PROPERTY"):
            reply = {"result": None if method == "SET_PROPERTY" else False, "id": req_id}
        else:
            reply = {"error": {"code": 1, "msg": "Invalid request: unknown method"}, "id": req_id}
        conn.queue.put_nowait(json.dumps(reply))

    # ---- WebSocket API ----------------------------------------------------------------
    def _on_api_message(self, conn: Conn, data: dict[str, Any]) -> None:
        req_id, method = data.get("id"), data.get("method")
        params = data.get("params") or {}
        try:
            result = self._api_call(conn, str(method), params)
            reply: dict[str, Any] = {"id": req_id, "status": 200, "result": result}
        except ApiError as exc:
            reply = {"id": req_id, "status": exc.status, "error": exc.body()}
        reply["rateLimits"] = [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 6000,
                "count": 2,
            }
        ]
        conn.queue.put_nowait(json.dumps(reply))

    def _api_call(self, conn: Conn, method: str, params: dict[str, Any]) -> Any:
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": self.server_ms()}
        if method == "userDataStream.subscribe.signature":
            self.auth.check_ws_params(params, self.server_ms())
            conn.ws_api_subscription = self._next_subscription
            self._next_subscription += 1
            self._notify()
            return {"subscriptionId": conn.ws_api_subscription}
        if method == "userDataStream.unsubscribe":
            conn.ws_api_subscription = None
            self._notify()
            return {}
        raise ApiError(-1000, f"Unsupported method {method} in the emulator.")

    # ---- publishing -------------------------------------------------------------------
    def publish(self, names: tuple[str, ...], payload: dict[str, Any]) -> None:
        """Send `payload` to every connection subscribed to one of the alias `names`."""
        text = ""
        for conn in self.conns:
            hit = next((n for n in names if n in conn.streams), None)
            if hit is None:
                continue
            if conn.combined:
                conn.queue.put_nowait(json.dumps({"stream": hit, "data": payload}))
            else:
                text = text or json.dumps(payload)
                conn.queue.put_nowait(text)

    def publish_user(self, event: dict[str, Any]) -> None:
        raw = json.dumps(event)
        for conn in self.conns:
            if conn.user:
                conn.queue.put_nowait(raw)
            elif conn.ws_api_subscription is not None:
                wrapped = {"subscriptionId": conn.ws_api_subscription, "event": event}
                conn.queue.put_nowait(json.dumps(wrapped))

    def subscribed(self, stream: str) -> bool:
        return any(stream in c.streams for c in self.conns)

    def user_listeners(self) -> int:
        return sum(1 for c in self.conns if c.user or c.ws_api_subscription is not None)

    async def wait_until(self, condition: Callable[[], bool], timeout_s: float) -> None:
        async with asyncio.timeout(timeout_s):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()

    def abort_all(self) -> None:
        """1006 means no close frame: abort the TCP connection under each WebSocket."""
        for conn in list(self.conns):
            if conn.transport is not None:
                conn.transport.abort()

    async def close_all(self, code: int) -> None:
        if code == 1006:
            self.abort_all()
            return
        for conn in list(self.conns):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.close(code=code, message=b"emulator close_ws")
