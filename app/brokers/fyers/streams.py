"""A Fyers socket kept alive: connect, (re)subscribe, pump its events, reconnect with backoff.

Each pass opens a fresh socket through the factory, connects it in a worker thread, lets the
owner subscribe, and hands every message to the owner on the loop. When the socket closes
or fails, the stream reports ``ConnectionChanged(connected=False)``, closes the old socket
(joining its threads), waits a jittered backoff and tries again; the first successful
connection after a drop reports ``connected=True`` with reason "reconnected", which is when
the engine reconciles. ``stop()`` ends it from outside and leaves no socket thread behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

from app.brokers.fyers.errors import LOG_IN_AGAIN
from app.brokers.fyers.sdk_bridge import SocketEvent, SocketLink
from app.brokers.retry import Backoff
from app.engine.domain.events import Alert, ConnectionChanged, VenueStatus

log = logging.getLogger(__name__)


class _Closable(Protocol):
    def connect(self) -> None: ...

    def close_connection(self) -> None: ...


S = TypeVar("S", bound=_Closable)
_STOP = SocketEvent("stop")
DEFAULT_BACKOFF = Backoff(base=1.0, cap=60.0)  # socket reconnects
READ_BACKOFF = Backoff()  # REST reads (see app.brokers.retry)


class SocketStream(Generic[S]):
    def __init__(
        self,
        *,
        venue: str,
        stream: str,
        make_socket: Callable[[SocketLink], S],
        after_connect: Callable[[S], Awaitable[None]],
        on_message: Callable[[SocketEvent], None],
        on_status: Callable[[VenueStatus], None],
        timeout_s: float,
        backoff: Backoff,
        wall_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.venue = venue
        self.stream = stream
        self._make_socket = make_socket
        self._after_connect = after_connect
        self._on_message = on_message
        self._on_status = on_status
        self._timeout_s = timeout_s
        self._backoff = backoff
        self._wall_ns = wall_ns
        self._socket: S | None = None
        self._link: SocketLink | None = None
        self._stopping = False
        self._live = False  # connected and subscribing: new subscriptions go to the socket
        self.connected = False

    @property
    def socket(self) -> S | None:
        return self._socket if self._live else None

    async def run(self) -> None:
        """Keep the socket up until cancelled or stopped."""
        attempt = 0
        was_up = False
        while not self._stopping:
            link = SocketLink(asyncio.get_running_loop(), self._timeout_s, self.stream)
            socket = self._make_socket(link)
            self._socket, self._link = socket, link
            reason: str | None = "closed by Fyers"
            try:
                await link.blocking(socket.connect, "connect")
                refused = await self._opened(link)
                if refused is not None:
                    reason = refused
                else:
                    self._live = True
                    await self._after_connect(socket)
                    self.connected = True
                    self._status(True, "reconnected" if was_up else "connected")
                    was_up, attempt = True, 0
                    reason = await self._pump(link)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.warning("fyers %s socket failed: %s", self.stream, reason)
            finally:
                up = self.connected
                self.connected = self._live = False
                await self._close(socket, link)
                if up and not self._stopping:
                    self._status(False, reason or "closed")
            if self._stopping:
                break
            delay = self._backoff.delay(attempt)
            attempt += 1
            log.info("fyers %s socket: reconnecting in %.2f s", self.stream, delay)
            await asyncio.sleep(delay)

    async def stop(self) -> None:
        """End ``run`` and close the socket (its threads joined)."""
        self._stopping = True
        if self._link is not None:
            self._link.events.put_nowait(_STOP)
        if self._socket is not None and self._link is not None:
            await self._close(self._socket, self._link)

    async def _opened(self, link: SocketLink) -> str | None:
        """Wait for the socket's on_connect; None when it came, else why not (a refused
        token arrives as an error then a close, and must not count as connected)."""
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._pump(link, until_connect=True)
        except TimeoutError:
            return f"no connection within {self._timeout_s:g} s"

    async def _pump(self, link: SocketLink, *, until_connect: bool = False) -> str | None:
        while True:
            event = await link.events.get()
            if event is _STOP:
                return "stopped"
            if event.kind == "close":
                return "closed by Fyers"
            if event.kind == "error":
                # the SDK reports both harmless and fatal problems here; a fatal one is
                # followed by "close", which ends this pass
                log.warning("fyers %s socket error: %s", self.stream, event.payload)
                if looks_like_auth_failure(event.payload):
                    self._on_status(
                        Alert(
                            "error",
                            f"Fyers {self.stream} stream",
                            f"{event.payload}: {LOG_IN_AGAIN}",
                            self._wall_ns(),
                            source=self.venue,
                        )
                    )
                continue
            if event.kind == "connect":
                if until_connect:
                    return None
                continue
            try:
                self._on_message(event)
            except Exception:  # one bad message must not take the stream down
                log.exception("fyers %s socket: could not handle %r", self.stream, event)

    async def _close(self, socket: S, link: SocketLink) -> None:
        if link.closing:
            await link.closed.wait()
            return
        link.closing = True
        try:
            await link.blocking(socket.close_connection, "close")
        except Exception as exc:  # a socket that will not close cleanly must not stop us
            log.warning("fyers %s socket did not close cleanly: %s", self.stream, exc)
        finally:
            link.closed.set()

    def _status(self, connected: bool, reason: str) -> None:
        self._on_status(
            ConnectionChanged(self.venue, self.stream, connected, reason, self._wall_ns())
        )


_AUTH_WORDS = ("token", "auth", "expired", "login")


def looks_like_auth_failure(payload: object) -> bool:
    """The SDK reports a refused token as an error message ("Token is expired", "Please
    provide valid token", "Authentication failed"), not as a distinct event."""
    text = str(payload.get("message", "")) if isinstance(payload, dict) else str(payload)
    return any(word in text.lower() for word in _AUTH_WORDS)
