"""Long work (backtests, optimisation, walk-forward, large scans): progress with an estimate
of the time left, and cancellation.

The work function takes a ``ProgressTracker`` and a ``CancelToken``; it calls
``tracker.advance()`` as it goes and ``token.check()`` at safe points, which raises
``Cancelled``. The token may wrap a ``multiprocessing`` event so the window or the command
line can cancel work running in a process pool. Reports are throttled (``min_interval_s``)
so a tight loop does not flood a queue or a progress bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Cancelled(Exception):
    """The user cancelled the job; partial results are discarded."""


class _EventLike(Protocol):
    def is_set(self) -> bool: ...

    def set(self) -> None: ...


class CancelToken:
    """Cancellation flag; pass ``event`` (e.g. ``multiprocessing.Manager().Event()``) to
    share it with worker processes."""

    def __init__(self, event: _EventLike | None = None) -> None:
        self._event = event
        self._local = False

    def cancel(self) -> None:
        self._local = True
        if self._event is not None:
            self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._local or (self._event is not None and self._event.is_set())

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled("cancelled")


@dataclass(frozen=True, slots=True)
class Progress:
    label: str
    done: int
    total: int
    elapsed_s: float
    eta_s: float | None  # None until there is a rate to extrapolate from

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.done / self.total)

    def describe(self) -> str:
        eta = "estimating…" if self.eta_s is None else f"{format_duration(self.eta_s)} left"
        return f"{self.label}: {self.done:,}/{self.total:,} ({self.fraction:.0%}), {eta}"


ProgressFn = Callable[[Progress], None]


class ProgressTracker:
    def __init__(
        self,
        total: int,
        callback: ProgressFn | None = None,
        *,
        label: str = "",
        min_interval_s: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.done = 0
        self.label = label
        self._callback = callback
        self._min_interval = min_interval_s
        self._clock = clock
        self._started = clock()
        self._last_report = float("-inf")

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def update(self, done: int, *, force: bool = False) -> None:
        self.done = done
        if self._callback is None:
            return
        now = self._clock()
        if force or done >= self.total or now - self._last_report >= self._min_interval:
            self._last_report = now
            self._callback(self.snapshot(now))

    def snapshot(self, now: float | None = None) -> Progress:
        now = self._clock() if now is None else now
        elapsed = now - self._started
        eta = None
        if self.done > 0 and elapsed > 0:
            rate = self.done / elapsed
            eta = max(0.0, (self.total - self.done) / rate)
        return Progress(self.label, self.done, self.total, elapsed, eta)


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
