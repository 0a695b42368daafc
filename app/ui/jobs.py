"""Long work from the window (a backtest, an optimisation, a walk-forward run) without freezing
it.

``JobRunner.start(label, fn, *args, **kwargs)`` runs ``fn(*args, progress=..., cancel=...,
**kwargs)`` in a fresh one-process ``ProcessPoolExecutor`` through ``loop.run_in_executor``
(the app's asyncio loop is the Qt loop, so awaiting it never blocks the window). ``fn`` is a
module-level function or its name, ``"package.module:function"``, imported in the worker
only: the window names the backtester's jobs this way, so no window module imports the
backtest runner (which drives the paper venue; the UI may not import brokers). Arguments
must be picklable plain data. An optimisation started this way runs its own process pool
from inside the job's process (pool workers may
have children), so the window's process never runs a backtest at all.

Progress crosses back through a ``multiprocessing`` queue and cancellation through a
``multiprocessing`` event. Both are handed to the job's process by the pool's initializer,
the one way such objects may travel (no Manager server process to start and stop). A QTimer
drains the queue ~10 times a second with non-blocking reads, keeps the latest report and
emits ``progressed``; ``cancel()`` sets the event, the job raises ``Cancelled`` at its next
check and ``cancelled`` is emitted. Processes are started with "spawn": forking a process
that runs Qt is unsafe.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import importlib
import multiprocessing
import queue
import signal
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.engine.jobs import Cancelled, CancelToken, Progress

POLL_MS = 100

_channels: dict[str, Any] = {}


def _init_job(progress_queue: Any, cancel_event: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the window's call
    _channels["queue"] = progress_queue
    _channels["event"] = cancel_event


def _report(progress: Progress) -> None:
    # a full queue means the window is behind: it only shows the latest report anyway
    with contextlib.suppress(queue.Full):
        _channels["queue"].put_nowait(progress)


def _resolve(fn: Callable[..., Any] | str) -> Callable[..., Any]:
    if callable(fn):
        return fn
    module, _, name = fn.partition(":")
    found = getattr(importlib.import_module(module), name)
    assert callable(found), fn
    return found  # type: ignore[no-any-return]


class JobFailed(Exception):
    """A job's error as text. Not every exception survives the trip back (ValidationError
    needs three arguments to be rebuilt, and a failed unpickling breaks the pool), so the
    worker sends its type and message instead."""


def _run_job(fn: Callable[..., Any] | str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        return _resolve(fn)(
            *args, progress=_report, cancel=CancelToken(_channels["event"]), **kwargs
        )
    except Cancelled:
        raise
    except Exception as exc:
        raise JobFailed(f"{type(exc).__name__}: {exc}") from None


class JobRunner(QObject):
    """One job at a time. Signals: ``progressed(Progress)``, ``finished(object)`` with the
    result, ``failed(str)`` with the error, ``cancelled()``; ``state_changed(bool)`` when it
    starts or stops running."""

    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    state_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, poll_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self._ctx = multiprocessing.get_context("spawn")
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._drain)
        self._executor: cf.ProcessPoolExecutor | None = None
        self._queue: Any = None
        self._event: Any = None
        self.task: asyncio.Task[Any] | None = None
        self._active = False  # from start() until the outcome's signal (inside the task)
        self.last_progress: Progress | None = None
        self.label = ""

    @property
    def running(self) -> bool:
        return self._active

    def start(
        self, label: str, fn: Callable[..., Any] | str, *args: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        """Start ``fn`` (see the module docstring); returns the task awaiting it."""
        if self.running:
            raise RuntimeError("a job is already running")
        self.label = label
        self.last_progress = None
        self._queue = self._ctx.Queue(maxsize=1000)
        self._event = self._ctx.Event()
        self._executor = cf.ProcessPoolExecutor(
            max_workers=1,
            mp_context=self._ctx,
            initializer=_init_job,
            initargs=(self._queue, self._event),
        )
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, _run_job, fn, args, kwargs)
        self.task = loop.create_task(self._await(future), name=f"job {label}")
        self._active = True
        self._timer.start()
        self.state_changed.emit(True)
        return self.task

    def cancel(self) -> None:
        if self.running and self._event is not None:
            self._event.set()

    async def _await(self, future: asyncio.Future[Any]) -> Any:
        try:
            result = await future
        except Cancelled:
            self._finish()
            self.cancelled.emit()
            return None
        except asyncio.CancelledError:
            self.cancel()
            self._finish()
            raise
        except JobFailed as exc:  # a job's error is shown to the trader, not raised at Qt
            self._finish()
            self.failed.emit(str(exc))
            return None
        except Exception as exc:  # the pool itself broke (a worker killed from outside)
            self._finish()
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return None
        self._finish()
        self.finished.emit(result)
        return result

    def _finish(self) -> None:
        self._drain()
        self._timer.stop()
        if self._executor is not None:
            # the job is over: its process exits on its own; do not wait for it here
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        if self._queue is not None:
            self._queue.close()
            self._queue = None
        self._active = False
        self.state_changed.emit(False)

    def _drain(self) -> None:
        if self._queue is None:
            return
        latest = None
        for _ in range(1000):
            try:
                latest = self._queue.get_nowait()
            except queue.Empty:
                break
            except (OSError, ValueError):  # closed under us at shutdown
                break
        if latest is not None:
            self.last_progress = latest
            self.progressed.emit(latest)

    def shutdown(self) -> None:
        """Stop whatever runs (the window is closing)."""
        self.cancel()
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self._active = False
        self._timer.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
