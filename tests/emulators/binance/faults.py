"""Fault switches: each is set, cleared and counted (`fired[name]`) so tests can assert on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

ORDER_PATHS = (
    "POST /api/v3/order",
    "POST /api/v3/order/cancelReplace",
    "POST /api/v3/orderList/oco",
)


def _matches(paths: tuple[str, ...] | None, method: str, path: str) -> bool:
    if paths is None:
        return True
    for p in paths:
        want_method, _, want_path = p.rpartition(" ")
        if want_path == path and (not want_method or want_method == method):
            return True
    return False


@dataclass(slots=True)
class _Shot:
    """A fault that fires on the next `times` matching requests."""

    times: int
    paths: tuple[str, ...] | None
    status: int = 0
    seconds: float = 0.0
    after_processing: bool = False


class Faults:
    """Thread-safe: the threaded emulator's tests flip these from another thread.

    `fired` keys: rate_limit, server_error, drop_reply, delay_reply (one per request hit),
    order_not_found (per hidden GET), silent_feed (per withheld update), close_ws (per call),
    depth_gap (per gapped diff message).
    """

    def __init__(
        self, close_ws: Callable[[int], None], now: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._close_ws = close_ws
        self._now = now
        self.fired: dict[str, int] = {}
        self._rate: _Shot | None = None
        self._server: _Shot | None = None
        self._drop: _Shot | None = None
        self._delay: _Shot | None = None
        self._not_found_s = 0.0
        self._silent: frozenset[str] = frozenset()
        self._gap = 0

    # ---- switches -------------------------------------------------------------------
    def rate_limit(
        self,
        status: int = 429,
        retry_after_s: int = 1,
        times: int = 1,
        paths: Iterable[str] | None = None,
    ) -> None:
        """Answer 429 (or 418 = banned) with Retry-After and the -1003 body."""
        if status not in (418, 429):
            raise ValueError(f"status {status}: must be 429 or 418")
        with self._lock:
            self._rate = _Shot(times, _paths(paths), status, float(retry_after_s))

    def server_error(
        self,
        status: int = 503,
        times: int = 1,
        paths: Iterable[str] | None = None,
        after_processing: bool = False,
    ) -> None:
        """Answer 5xx; with after_processing the request is executed first (order booked)."""
        if status not in (500, 502, 503, 504):
            raise ValueError(f"status {status}: must be 500, 502, 503 or 504")
        with self._lock:
            self._server = _Shot(times, _paths(paths), status, after_processing=after_processing)

    def drop_reply(self, times: int = 1, paths: Iterable[str] | None = ORDER_PATHS) -> None:
        """Execute the request (the order is booked), then close the connection unanswered."""
        with self._lock:
            self._drop = _Shot(times, _paths(paths))

    def delay_reply(
        self, seconds: float, times: int = 1, paths: Iterable[str] | None = ORDER_PATHS
    ) -> None:
        """Execute the request at once, answer after `seconds`."""
        with self._lock:
            self._delay = _Shot(times, _paths(paths), seconds=seconds)

    def order_not_found_for(self, seconds: float) -> None:
        """GET /api/v3/order (and GET /api/v3/orderList) answers -2013 for an order (or an
        order list) younger than `seconds`."""
        with self._lock:
            self._not_found_s = seconds

    def silent_feed(self, symbols: Iterable[str]) -> None:
        """Market streams of these symbols (unified or ids) stop; connections stay open.
        `fired["silent_feed"]` counts withheld updates (each trade, each book change)."""
        with self._lock:
            self._silent = frozenset(s.replace("/", "").upper() for s in symbols)

    def close_ws(self, code: int = 1006) -> None:
        """Drop every WebSocket now; 1006 = TCP abort without a close frame."""
        self._count("close_ws")
        self._close_ws(code)

    def depth_gap(self, skip: int = 5) -> None:
        """The next diff-depth message skips `skip` update ids."""
        with self._lock:
            self._gap = skip

    def clear(self) -> None:
        """Switch everything off (the fired counters stay)."""
        with self._lock:
            self._rate = self._server = self._drop = self._delay = None
            self._not_found_s = 0.0
            self._silent = frozenset()
            self._gap = 0

    # ---- consulted by the emulator ------------------------------------------------------
    def _count(self, name: str) -> None:
        with self._lock:
            self.fired[name] = self.fired.get(name, 0) + 1

    def _take(self, attr: str, name: str, method: str, path: str) -> _Shot | None:
        with self._lock:
            shot: _Shot | None = getattr(self, attr)
            if shot is None or shot.times <= 0 or not _matches(shot.paths, method, path):
                return None
            shot.times -= 1
            if shot.times == 0:
                setattr(self, attr, None)
            self.fired[name] = self.fired.get(name, 0) + 1
            return shot

    def take_rate_limit(self, method: str, path: str) -> _Shot | None:
        return self._take("_rate", "rate_limit", method, path)

    def take_server_error(self, method: str, path: str) -> _Shot | None:
        return self._take("_server", "server_error", method, path)

    def take_drop(self, method: str, path: str) -> bool:
        return self._take("_drop", "drop_reply", method, path) is not None

    def take_delay(self, method: str, path: str) -> float | None:
        shot = self._take("_delay", "delay_reply", method, path)
        return None if shot is None else shot.seconds

    def hides_order(self, accepted_at: float) -> bool:
        with self._lock:
            hidden = self._not_found_s > 0 and self._now() - accepted_at < self._not_found_s
            if hidden:
                self.fired["order_not_found"] = self.fired.get("order_not_found", 0) + 1
            return hidden

    def is_silent(self, symbol_id: str) -> bool:
        """True while `symbol_id` is silenced; every True is one withheld update."""
        if symbol_id not in self._silent:
            return False
        self._count("silent_feed")
        return True

    def take_depth_gap(self) -> int:
        with self._lock:
            gap, self._gap = self._gap, 0
            if gap:
                self.fired["depth_gap"] = self.fired.get("depth_gap", 0) + 1
            return gap


def _paths(paths: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if paths is None else tuple(paths)
