"""Clocks: the only difference between live trading and a backtest is which one is used."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now_ns(self) -> int: ...


class LiveClock:
    def now_ns(self) -> int:
        return time.time_ns()


class FuncClock:
    """A clock read from a function (``time.time_ns`` live; a test's or a replay's own)."""

    def __init__(self, fn: Callable[[], int]) -> None:
        self.now_ns = fn


class SimClock:
    """A clock that only moves when told to (backtests, deterministic tests)."""

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def set(self, ns: int) -> None:
        if ns < self._now:
            raise ValueError("a simulated clock never goes backwards")
        self._now = ns

    def advance(self, ns: int) -> None:
        self._now += ns


def utc_day(ns: int) -> str:
    """The UTC calendar day of an epoch-ns timestamp, e.g. '2026-11-22' (day P&L resets here)."""
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d")
