"""User data for the execution client: ccxt.pro's ``watch_orders`` and ``watch_my_trades``,
or polling (open orders' states and the account's trades every ``poll_interval_s``) where
the venue has no such streams or they fail.

A failing stream is reported down (``ConnectionChanged(venue, "user", False)``); while it is
down one polling round runs before each reconnect attempt, so fills keep arriving. The
stream is reported up again once ccxt.pro's WebSocket is connected (the engine reconciles
when it sees connected=True after a drop). A failure that is not a dropped connection (a
refused subscription) switches to polling for good.

ccxt.pro hands an update only to a watch that is waiting; one that arrives while none waits
stays in its cache until the next update. So each listener watches again before handling a
result, and the handlers also sweep ccxt's order and trade caches (reports are idempotent).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import ccxt

from app.brokers.ccxt.account_trades import fetch_my_trades
from app.brokers.ccxt.config import CcxtConfig
from app.brokers.ccxt.connection import (
    StreamHealth,
    WatchCancelled,
    await_watch,
    until_sockets_open,
)
from app.brokers.ccxt.errors import scrub
from app.brokers.ccxt.parsing import NS_PER_MS
from app.engine.venue_errors import OrderNotFound

if TYPE_CHECKING:
    from app.brokers.ccxt.execution import CcxtExecutionClient

log = logging.getLogger(__name__)


class StreamsUnusable(Exception):
    """The user streams failed in a way reconnecting cannot fix; poll instead."""


_OVERLAP_MS = 2_000  # trades re-read across polls: the book drops repeats by trade id
_CONFIRM_S = 0.3  # a refused subscription fails a watch within this long


class UserDataFeed:
    def __init__(
        self, client: CcxtExecutionClient, config: CcxtConfig, health: StreamHealth
    ) -> None:
        self._client = client
        self._config = config
        self._health = health
        self._since_ms = 0
        self.polling = False  # True while polling replaces (or backs up) the streams
        self.polls = 0
        self._order_marks: dict[str, tuple[object, ...]] = {}

    def _streams_available(self) -> bool:
        exchange = self._client.calls.exchange
        has = getattr(exchange, "has", {}) or {}
        return bool(
            self._client.calls.quirks.user_streams
            and has.get("watchOrders")
            and has.get("watchMyTrades")
        )

    async def run(self) -> None:
        self._since_ms = time.time_ns() // NS_PER_MS - _OVERLAP_MS
        if not self._streams_available():
            self.polling = True
            await self._poll_forever()
            return
        exchange = self._client.calls.exchange
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(
                    self._listen("orders", lambda: exchange.watch_orders(), self._on_orders),
                    name=f"{self._config.venue}-user-orders",
                )
                group.create_task(
                    self._listen("trades", lambda: exchange.watch_my_trades(), self._on_trades),
                    name=f"{self._config.venue}-user-trades",
                )
        except* StreamsUnusable as group_error:
            reason = str(group_error.exceptions[0])
            log.error(
                "%s: user streams unusable (%s); polling every %.1f s instead",
                self._config.venue,
                reason,
                self._config.poll_interval_s,
            )
            self._health.down("streams", reason)
            for loop in ("streams", "orders", "trades"):
                self._health.forget(loop)  # polling's first success reports the link back
            self.polling = True
            await self._poll_forever()

    # --- streams --------------------------------------------------------------------------
    async def _listen(
        self,
        name: str,
        watch: Callable[[], Awaitable[Any]],
        handle: Callable[[Any], Awaitable[None]],
    ) -> None:
        failures = 0
        pending: asyncio.Future[Any] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(watch())
                try:
                    if self._health.connected is not True and await until_sockets_open(
                        self._client.calls.exchange, pending
                    ):
                        # the socket is open; a refused subscription (bad signature) fails
                        # the watch within moments: wait that long before saying it is back
                        await asyncio.wait({pending}, timeout=_CONFIRM_S)
                        if not pending.done() or (
                            not pending.cancelled() and pending.exception() is None
                        ):
                            self.polling = False
                            self._health.up(name)
                    result = await await_watch(pending)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    pending = None
                    if self._client.calls.closed:
                        return  # the venue was closed under us: nothing to reconnect to
                    await self._after_failure(name, exc, failures)
                    failures += 1
                    continue
                # Watch again BEFORE handling: ccxt.pro hands an update only to a watch that
                # is waiting; one arriving while none waits stays in its cache until the
                # next update (the sweeps in the handlers pick those up).
                pending = asyncio.ensure_future(watch())
                await asyncio.sleep(0)
                failures = 0
                self.polling = False
                self._health.up(name)
                try:
                    await handle(result)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception(
                        "%s user %s: could not handle an update", self._config.venue, name
                    )
        finally:
            if pending is not None:
                pending.cancel()

    async def _after_failure(self, name: str, exc: Exception, failures: int) -> None:
        reason = scrub(f"{type(exc).__name__}: {exc}")
        if not isinstance(exc, ccxt.NetworkError | WatchCancelled):
            # not a dropped connection: a refused subscription (ccxt 4.5.90 turns a bad
            # ws-api signature into KeyError, and a second watch then hangs) or a client
            # bug. Polling over REST works and reports its errors plainly.
            raise StreamsUnusable(reason) from None
        self._health.down(name, reason)
        self.polling = True
        await self._poll_once_logged()
        delay = self._config.backoff.delay(failures)
        log.warning(
            "%s user %s failed (%s); reconnecting in %.2f s",
            self._config.venue,
            name,
            reason,
            delay,
        )
        await asyncio.sleep(delay)

    async def _on_orders(self, orders: list[dict[str, Any]]) -> None:
        for order in orders:
            self._order_marks[str(order.get("id"))] = _mark(order)
            await self._client.apply_order(order, fetch_missing=False)
        # updates that arrived while no watch was waiting sit in ccxt's cache
        cached = list(getattr(self._client.calls.exchange, "orders", None) or ())
        for order in cached:
            key = str(order.get("id"))
            if self._order_marks.get(key) != _mark(order):
                self._order_marks[key] = _mark(order)
                await self._client.apply_order(order, fetch_missing=False)
        if len(self._order_marks) > 2 * max(len(cached), 500):
            live = {str(o.get("id")) for o in cached}
            self._order_marks = {k: v for k, v in self._order_marks.items() if k in live}

    async def _on_trades(self, trades: list[dict[str, Any]]) -> None:
        cached = list(getattr(self._client.calls.exchange, "myTrades", None) or ())
        for trade in (*trades, *cached):
            trade_id = trade.get("id")
            if trade_id is not None and not self._client.book.knows_trade(str(trade_id)):
                self._client.apply_trade(trade)

    # --- polling --------------------------------------------------------------------------
    async def _poll_forever(self) -> None:
        while not self._client.calls.closed:
            ok = await self._poll_once_logged()
            if ok:
                self._health.up("poll")
            await asyncio.sleep(self._config.poll_interval_s)

    async def _poll_once_logged(self) -> bool:
        try:
            await self.poll_once()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = scrub(f"{type(exc).__name__}: {exc}")
            log.warning("%s: polling user data failed: %s", self._config.venue, reason)
            if not self._streams_available():
                self._health.down("poll", reason)
            return False
        return True

    async def poll_once(self) -> None:
        """One round: the account's trades since the last round, then our working orders."""
        client = self._client
        self.polls += 1
        started_ms = time.time_ns() // NS_PER_MS
        for symbol in client.symbols:
            for trade in await fetch_my_trades(client.calls, symbol, self._since_ms):
                client.apply_trade(trade)
        for tracked in client.book.working():
            try:
                state = await client.fetch_by_client_id(tracked.client_id, tracked.symbol)
            except OrderNotFound:
                continue  # not visible yet (or never reached the venue): the engine settles it
            await client.apply_order(state, client_id=tracked.client_id)
        self._since_ms = started_ms - _OVERLAP_MS


def _mark(order: dict[str, Any]) -> tuple[object, ...]:
    """What makes an order update new: its state, how much filled, when it changed."""
    return (order.get("status"), order.get("filled"), order.get("lastUpdateTimestamp"))
