"""Fake FyersDataSocket / FyersOrderSocket at the SDK boundary.

They take the SDK's constructor keywords and call the SDK's callbacks with the dicts the
SDK would hand over (the shapes in /work/shared/data/exchange/fyers/ws), from their own
thread, like the SDK's websocket thread does. The data socket's binary framing is not
re-implemented (see SOURCES.md): this is where the SDK's parsing ends and ours begins.
"""

from __future__ import annotations

import copy
import queue
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from tests.emulators.fyers.server import APP_ID, FyersEmulator, shape

CLOSED = {"code": 200, "message": "Connection Closed", "s": "ok"}
_STOP = object()


class _FakeSocket:
    kind = "socket"

    def __init__(self, emulator: FyersEmulator, kwargs: dict[str, Any]) -> None:
        self.emulator = emulator
        self.kwargs = kwargs
        self.access_token: str = kwargs["access_token"]
        self.log_path: str = kwargs.get("log_path") or ""
        self._inbox: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.connected = False
        self.closed = False

    # --- the SDK's surface ---------------------------------------------------------------
    def connect(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"fake-fyers-{self.kind}", daemon=True
        )
        self._thread.start()
        app_id, _, token = self.access_token.partition(":")
        if app_id != APP_ID or token not in self.emulator.tokens:
            self._inbox.put(
                ("on_error", {"code": -99, "message": "Token is expired", "s": "error"})
            )
            self._inbox.put(("on_close", dict(CLOSED)))
            self._inbox.put(_STOP)
            return
        self.connected = True
        self._call("on_connect")  # the SDK calls it from connect(), in the caller's thread

    def close_connection(self) -> None:
        if self._thread is None or self.closed:
            return
        self.closed = True
        self._detach()
        self._inbox.put(("on_close", dict(CLOSED)))  # the SDK reports its own close too
        self._inbox.put(_STOP)
        self._thread.join()

    # --- test controls -----------------------------------------------------------------
    def push(self, callback: str, message: dict[str, Any]) -> None:
        self._inbox.put((callback, message))

    def drop(self) -> None:
        """The server went away: on_close from the socket thread, and the thread ends."""
        self.connected = False
        self._detach()
        self._inbox.put(("on_close", dict(CLOSED)))
        self._inbox.put(_STOP)

    @property
    def thread_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- internals ---------------------------------------------------------------------
    def _detach(self) -> None:
        pass

    def _run(self) -> None:
        while True:
            item = self._inbox.get()
            if item is _STOP:
                return
            callback, message = item  # type: ignore[misc]
            self._call(callback, message)

    def _call(self, callback: str, *args: Any) -> None:
        fn: Callable[..., None] | None = self.kwargs.get(callback)
        if fn is not None:
            fn(*args)


class FakeDataSocket(_FakeSocket):
    kind = "data"

    def __init__(self, emulator: FyersEmulator, kwargs: dict[str, Any]) -> None:
        super().__init__(emulator, kwargs)
        self.subscribed: list[str] = []

    def subscribe(self, symbols: list[str], data_type: str = "SymbolUpdate") -> None:
        self.subscribed.extend(symbols)
        events = copy.deepcopy(shape("ws/data_event_control.json"))
        self.push("on_message", events[1])  # {"type": "sub", ..., "message": "Subscribed"}
        for symbol in symbols:
            self.push("on_message", self.symbol_update(symbol))

    def symbol_update(self, symbol: str, **changes: Any) -> dict[str, Any]:
        """A full-mode "sf" update for ``symbol`` at the emulator's touch."""
        message: dict[str, Any] = copy.deepcopy(shape("ws/data_event_symbol_update.json"))
        state = self.emulator.book.symbols.get(symbol)
        message["symbol"] = symbol
        if state is not None:
            message.update(
                bid_price=float(state.bid), ask_price=float(state.ask), ltp=float(state.ltp)
            )
        message.update(changes)
        return message


class FakeOrderSocket(_FakeSocket):
    kind = "order"
    _CALLBACKS: ClassVar[dict[str, str]] = {
        "orders": "on_orders",
        "trades": "on_trades",
        "positions": "on_positions",
    }

    def __init__(self, emulator: FyersEmulator, kwargs: dict[str, Any]) -> None:
        super().__init__(emulator, kwargs)
        self.channels = ""

    def subscribe(self, data_type: str) -> None:
        self.channels = data_type
        self.emulator.book.listeners.append(self._on_book_event)

    def _on_book_event(self, channel: str, message: dict[str, Any]) -> None:
        self.push(self._CALLBACKS.get(channel, "on_general"), copy.deepcopy(message))

    def _detach(self) -> None:
        if self._on_book_event in self.emulator.book.listeners:
            self.emulator.book.listeners.remove(self._on_book_event)


class FakeSocketFactory:
    """The ``SocketFactory`` tests inject: every socket made is kept for inspection."""

    def __init__(self, emulator: FyersEmulator) -> None:
        self.emulator = emulator
        self.data_sockets: list[FakeDataSocket] = []
        self.order_sockets: list[FakeOrderSocket] = []

    def data_socket(self, **kwargs: Any) -> FakeDataSocket:
        sock = FakeDataSocket(self.emulator, kwargs)
        self.data_sockets.append(sock)
        return sock

    def order_socket(self, **kwargs: Any) -> FakeOrderSocket:
        sock = FakeOrderSocket(self.emulator, kwargs)
        self.order_sockets.append(sock)
        return sock

    def threads_alive(self) -> list[str]:
        return [s.kind for s in (*self.data_sockets, *self.order_sockets) if s.thread_alive]
