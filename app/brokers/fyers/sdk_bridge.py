"""The fyers-apiv3 SDK behind a loop-friendly surface.

REST: ``FyersModel(is_async=True)``. Its async mode is usable: each call is a coroutine on an
aiohttp session it opens on first use (on our loop) and closes in ``close()``. Two quirks
are handled here: it never raises (a failed request returns its shared ``error_resp`` dict,
which we recognise by identity: that is a transport failure, not an answer from Fyers), and
it has no timeout (every call runs under ``asyncio.wait_for``).

URLs: the SDK reads the class attributes ``fyers_apiv3.fyersModel.Config.API`` and
``.DATA_API`` on every request (REST and the login's ``SessionModel``); there is no
per-client setting. ``point_sdk_at`` sets them for the process: one Fyers account per
process, and every ``FyersRest`` sets them to its config's base (the real one by default),
so a test emulator's address cannot leak into a later real session.

Logs: the SDK's loggers ("FyersAPI", "FyersAPIRequest") are process-wide and keep the file
handler of the FIRST client ever made; ``FyersRest`` re-points them at its own ``log_dir``
and closes those files in ``close()``.

Sockets: the SDK's sockets are thread-based (the data socket is a singleton whose
``connect()`` sleeps 2 s). They are built by an injectable ``SocketFactory`` (tests inject a
fake at this boundary), every blocking call runs in its own short-lived daemon thread under
a deadline (``run_blocking``), and their callbacks are handed to the loop with
``call_soon_threadsafe`` as ``SocketEvent``s on an asyncio queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from fyers_apiv3 import fyersModel

from app.brokers.fyers.config import FyersConfig
from app.brokers.fyers.errors import error_for, for_timeout, is_ok

log = logging.getLogger(__name__)
T = TypeVar("T")

REAL_API = "https://api-t1.fyers.in/api/v3"
REAL_DATA_API = "https://api-t1.fyers.in/data"
_SDK_LOGGERS = ("FyersAPI", "FyersAPIRequest")
_LOG_FILES = {"FyersAPI": "fyersApi.log", "FyersAPIRequest": "fyersRequests.log"}
_SOCKET_LOGGER = "FyersDataSocket"  # the SDK names the order socket's logger so too


def point_sdk_at(api_base: str | None) -> None:
    """Send the SDK's REST calls to ``api_base`` (e.g. http://127.0.0.1:PORT), or to Fyers."""
    if api_base is None:
        fyersModel.Config.API, fyersModel.Config.DATA_API = REAL_API, REAL_DATA_API
    else:
        base = api_base.rstrip("/")
        fyersModel.Config.API, fyersModel.Config.DATA_API = f"{base}/api/v3", f"{base}/data"


# --- blocking calls in threads ------------------------------------------------------------
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


def live_threads() -> list[threading.Thread]:
    """Threads started by ``run_blocking`` that have not finished yet."""
    with _threads_lock:
        return [t for t in _threads if t.is_alive()]


async def run_blocking(fn: Callable[[], T], *, timeout_s: float, name: str) -> T:
    """``fn()`` in a fresh daemon thread, awaited for at most ``timeout_s`` seconds.

    A thread per call, not the loop's shared executor: a hung SDK call cannot starve other
    work, and when it returns its thread is gone (closing leaves no pooled workers behind).
    A call that outlives its deadline raises TimeoutError here and finishes on its own."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def work() -> None:
        try:
            result = fn()
        except BaseException as exc:  # handed to the awaiting coroutine, not lost
            _post(loop, settle, False, exc)
        else:
            _post(loop, settle, True, result)
        finally:
            with _threads_lock:
                _threads.discard(threading.current_thread())

    thread = threading.Thread(target=work, name=f"fyers-{name}", daemon=True)
    with _threads_lock:
        _threads.add(thread)
    thread.start()
    try:
        return await asyncio.wait_for(future, timeout_s)
    finally:
        if future.done() and not future.cancelled():  # not after a timeout: it still runs
            await _ended(thread)


async def _ended(thread: threading.Thread) -> None:
    """The thread has handed over its result and is only returning: let it finish, so a
    caller that closes something sees no thread of ours left running."""
    for _ in range(1000):
        if not thread.is_alive():
            return
        await asyncio.sleep(0.001)


def _post(loop: asyncio.AbstractEventLoop, fn: Callable[..., None], *args: Any) -> None:
    """Hand ``fn(*args)`` to the loop from another thread; a closed loop means we are
    shutting down and the event has no one left to read it."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(fn, *args)


# --- REST ------------------------------------------------------------------------------
class FyersRest:
    """One FyersModel in async mode; ``call`` returns the body or raises a VenueError."""

    def __init__(
        self,
        app_id: str,
        access_token: str,
        log_dir: Path,
        *,
        api_base: str | None,
        timeout_s: float,
    ) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        point_sdk_at(api_base)
        self.timeout_s = timeout_s
        self._model = fyersModel.FyersModel(
            client_id=app_id,
            token=access_token,
            is_async=True,
            log_path=str(log_dir),
            log_level="ERROR",  # its DEBUG lines hold whole responses (tokens included)
        )
        self._handlers = _repoint_sdk_logs(log_dir)
        for sdk_logger in (self._model.api_logger, self._model.request_logger):
            sdk_logger.logger_handler.close()  # its own file, replaced by ours above

    @classmethod
    def for_account(cls, config: FyersConfig) -> FyersRest:
        """The REST client of one account's settings (its token, log folder and deadline)."""
        return cls(
            config.app_id,
            config.access_token,
            config.log_dir,
            api_base=config.api_base,
            timeout_s=config.call_timeout_s,
        )

    async def call(
        self, method: str, data: Mapping[str, object] | None = None, *, write: bool = False
    ) -> dict[str, Any]:
        operation = method
        fn = getattr(self._model, method)
        try:
            coro: Awaitable[Any] = fn() if data is None else fn(dict(data))
            body = await asyncio.wait_for(coro, self.timeout_s)
        except TimeoutError:
            raise for_timeout(operation, self.timeout_s, write=write) from None
        transport = body is self._model.service.error_resp
        if not isinstance(body, dict):
            raise error_for(
                {"code": -99, "message": "unreadable reply"},
                operation=operation,
                write=write,
                transport=True,
            )
        body = dict(body)  # the SDK reuses its error dict: never keep a reference to it
        if transport or not is_ok(body):
            raise error_for(body, operation=operation, write=write, transport=transport)
        return body

    async def close(self) -> None:
        await self._model.close()
        for logger_name, handler in self._handlers:
            release_sdk_logger(logger_name, handler)
        self._handlers = []


def _repoint_sdk_logs(log_dir: Path) -> list[tuple[str, logging.Handler]]:
    return [own_sdk_logger(name, log_dir / _LOG_FILES[name]) for name in _SDK_LOGGERS]


def own_sdk_logger(name: str, path: Path, *spare: object) -> tuple[str, logging.Handler]:
    """Make ``path`` the only file the process-wide SDK logger ``name`` writes to, closing
    the files it wrote to before and ``spare`` (the SDK objects' own handlers, which the
    shared logger may never have attached)."""
    logger = logging.getLogger(name)
    for old in list(logger.handlers):
        if isinstance(old, logging.FileHandler):
            logger.removeHandler(old)
            old.close()
    for owner in spare:
        handler = getattr(owner, "logger_handler", None)
        if isinstance(handler, logging.Handler):
            handler.close()
    handler = logging.FileHandler(path, encoding="utf-8")
    logger.addHandler(handler)
    return name, handler


def release_sdk_logger(name: str, handler: logging.Handler) -> None:
    logging.getLogger(name).removeHandler(handler)
    handler.close()


# --- sockets -----------------------------------------------------------------------------
class DataSocket(Protocol):
    """What we use of ``FyersDataSocket`` (blocking methods, called from worker threads)."""

    def connect(self) -> None: ...

    def subscribe(self, symbols: list[str], data_type: str = ...) -> None: ...

    def close_connection(self) -> None: ...


class OrderSocket(Protocol):
    """What we use of ``FyersOrderSocket``."""

    def connect(self) -> None: ...

    def subscribe(self, data_type: str) -> None: ...

    def close_connection(self) -> None: ...


class SocketFactory(Protocol):
    """Builds the SDK's sockets with the SDK's own keyword arguments and callbacks."""

    def data_socket(self, **kwargs: Any) -> DataSocket: ...

    def order_socket(self, **kwargs: Any) -> OrderSocket: ...


class SdkSocketFactory:
    """The real sockets. ``reconnect=False``: the adapter reconnects itself (with backoff and
    ConnectionChanged events), because the SDK's own retry sleeps in its socket thread and
    never tells anyone the stream was down. Both SDK sockets log through one process-wide
    logger named "FyersDataSocket"; it is pointed at ``log_dir`` and released on close."""

    def data_socket(self, **kwargs: Any) -> DataSocket:
        from fyers_apiv3.FyersWebsocket.data_ws import FyersDataSocket

        sock = FyersDataSocket(**kwargs)
        return _SdkSocket(sock, _socket_log(kwargs, sock.data_logger))

    def order_socket(self, **kwargs: Any) -> OrderSocket:
        from fyers_apiv3.FyersWebsocket.order_ws import FyersOrderSocket

        sock = FyersOrderSocket(**kwargs)
        return _SdkSocket(sock, _socket_log(kwargs, sock.order_logger), keep_alive=True)


def _socket_log(kwargs: Mapping[str, Any], sdk_logger: object) -> tuple[str, logging.Handler]:
    return own_sdk_logger(
        _SOCKET_LOGGER, Path(kwargs["log_path"]) / "fyersDataSocket.log", sdk_logger
    )


class _SdkSocket:
    """An SDK socket with a clean close: FyersOrderSocket's ``close_connection`` joins a
    keep-alive thread that only ``keep_running()`` starts (so it is started with the
    connection), and the log file is released."""

    def __init__(
        self, sock: Any, log: tuple[str, logging.Handler], *, keep_alive: bool = False
    ) -> None:
        self._sock = sock
        self._log = log
        self._keep_alive = keep_alive

    def connect(self) -> None:
        self._sock.connect()
        if self._keep_alive:
            self._sock.keep_running()

    def subscribe(self, *args: Any, **kwargs: Any) -> None:
        self._sock.subscribe(*args, **kwargs)

    def close_connection(self) -> None:
        try:
            if self._keep_alive:
                self._sock.stop_running()
            self._sock.close_connection()
        finally:
            release_sdk_logger(*self._log)


@dataclass(frozen=True, slots=True)
class SocketEvent:
    """A socket callback as it reached the loop: ``kind`` is "connect", "message", "error"
    or "close"; ``channel`` is the order socket's callback ("orders", "trades", ...)."""

    kind: str
    payload: object = None
    channel: str = ""


class SocketLink:
    """One SDK socket bridged to the loop: callbacks become SocketEvents on ``events``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout_s: float, name: str) -> None:
        self.events: asyncio.Queue[SocketEvent] = asyncio.Queue()
        self._loop = loop
        self._timeout_s = timeout_s
        self._name = name
        self.closing = False
        self.closed = asyncio.Event()

    def callback(self, kind: str, channel: str = "") -> Callable[..., None]:
        def handler(payload: object = None, *_: object) -> None:
            if not self.closing or kind != "close":
                _post(self._loop, self.events.put_nowait, SocketEvent(kind, payload, channel))

        return handler

    async def blocking(self, fn: Callable[[], T], what: str) -> T:
        return await run_blocking(fn, timeout_s=self._timeout_s, name=f"{self._name}-{what}")


def data_socket_kwargs(link: SocketLink, auth_header: str, log_dir: Path) -> dict[str, Any]:
    return {
        "access_token": auth_header,
        "log_path": str(log_dir),
        "litemode": False,
        "write_to_file": False,
        "reconnect": False,
        "on_connect": link.callback("connect"),
        "on_message": link.callback("message"),
        "on_error": link.callback("error"),
        "on_close": link.callback("close"),
    }


def order_socket_kwargs(link: SocketLink, auth_header: str, log_dir: Path) -> dict[str, Any]:
    return {
        "access_token": auth_header,
        "log_path": str(log_dir),
        "write_to_file": False,
        "reconnect": False,
        "on_connect": link.callback("connect"),
        "on_orders": link.callback("message", "orders"),
        "on_trades": link.callback("message", "trades"),
        "on_positions": link.callback("message", "positions"),
        "on_general": link.callback("message", "general"),
        "on_error": link.callback("error"),
        "on_close": link.callback("close"),
    }
