"""ThreadedBinanceEmulator: the emulator on its own loop in a thread.

For tests where the app runs as a subprocess (and may be SIGKILLed): the venue's state lives
in the test process and survives the app. Every control call is marshalled onto the
emulator's loop and waits for it, so it is safe from any thread, including a pytest loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

from .account import Balance
from .emulator import BinanceEmulator
from .faults import Faults
from .order_lists import OrderList
from .orders import Fill, Order

T = TypeVar("T")


class ThreadedBinanceEmulator:
    def __init__(self, call_timeout_s: float = 10.0, **kwargs: Any) -> None:
        """`kwargs` are BinanceEmulator's constructor arguments."""
        self._kwargs = kwargs
        self._timeout = call_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._emu: BinanceEmulator | None = None

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._emu = BinanceEmulator(**self._kwargs)
                loop.run_until_complete(self._emu.start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="binance-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(self._timeout):
            raise TimeoutError("ThreadedBinanceEmulator did not start in time")
        if failure:
            raise failure[0]

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or self._emu is None:
            return
        asyncio.run_coroutine_threadsafe(self._emu.stop(), loop).result(self._timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(self._timeout)
        self._loop = self._thread = None

    def __enter__(self) -> ThreadedBinanceEmulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- marshalling --------------------------------------------------------------------
    @property
    def emulator(self) -> BinanceEmulator:
        if self._emu is None:
            raise RuntimeError("ThreadedBinanceEmulator: call start() first")
        return self._emu

    def _call(self, fn: Callable[[], T]) -> T:
        loop = self._loop
        if loop is None:
            raise RuntimeError("ThreadedBinanceEmulator: call start() first")

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(self._timeout)

    # ---- the BinanceEmulator control API ------------------------------------------------
    @property
    def rest_url(self) -> str:
        return self.emulator.rest_url

    @property
    def ws_url(self) -> str:
        return self.emulator.ws_url

    @property
    def api_key(self) -> str:
        return self.emulator.api_key

    @property
    def faults(self) -> Faults:
        return self.emulator.faults  # Faults is thread-safe itself

    def ccxt_config(self) -> dict[str, Any]:
        return self.emulator.ccxt_config()

    def set_price(self, symbol: str, price: str | Decimal) -> None:
        self._call(lambda: self.emulator.set_price(symbol, price))

    def price(self, symbol: str) -> Decimal:
        return self._call(lambda: self.emulator.price(symbol))

    def fill_order(self, client_id: str, qty: str | Decimal | None = None) -> Order:
        return self._call(lambda: self.emulator.fill_order(client_id, qty))

    def cancel_order(self, client_id: str) -> Order:
        return self._call(lambda: self.emulator.cancel_order(client_id))

    def place_web_order(
        self,
        symbol: str,
        side: str,
        type: str,
        qty: str | Decimal,
        price: str | Decimal | None = None,
        stop_price: str | Decimal | None = None,
    ) -> str:
        return self._call(
            lambda: self.emulator.place_web_order(symbol, side, type, qty, price, stop_price)
        )

    def set_balance(self, asset: str, free: str | Decimal) -> None:
        self._call(lambda: self.emulator.set_balance(asset, free))

    @property
    def orders(self) -> dict[str, Order]:
        return self._call(lambda: self.emulator.orders)

    def order_list(self, list_client_id: str) -> OrderList:
        return self._call(lambda: self.emulator.order_list(list_client_id))

    @property
    def trades(self) -> list[Fill]:
        return self._call(lambda: self.emulator.trades)

    @property
    def balances(self) -> dict[str, Balance]:
        return self._call(lambda: self.emulator.balances)

    def wait_for_stream(self, stream: str, timeout_s: float = 5.0) -> None:
        self._wait(self.emulator.wait_for_stream(stream, timeout_s), timeout_s)

    def wait_for_user_stream(self, count: int = 1, timeout_s: float = 5.0) -> None:
        self._wait(self.emulator.wait_for_user_stream(count, timeout_s), timeout_s)

    def _wait(self, coro: Coroutine[Any, Any, None], timeout_s: float) -> None:
        loop = self._loop
        if loop is None:
            coro.close()
            raise RuntimeError("ThreadedBinanceEmulator: call start() first")
        asyncio.run_coroutine_threadsafe(coro, loop).result(timeout_s + 1)
