"""The engine's durable journal: orders, their history, fills, cash ledger, small state.

Open it once per process with ``Journal.open(data_dir)``; it holds the data folder's lock
until ``close()``.

Writes never block the event loop: each write method snapshots its arguments (refusing bad
values, such as a float for money in an order, with TypeError/ValueError right there),
queues them for the single writer thread, which turns them into rows, and returns an
``asyncio.Future[None]`` that resolves once the write is committed to disk, or fails with a
``StoreError``. The OMS awaits it before sending an order (journal before send). Writes
are applied strictly in the order they were queued, from whatever thread. Cancelling a
returned future does not cancel the write.

Without a running event loop (CLI, scripts, tests), the same methods work and return futures
bound to the journal's private "offline" loop. Nothing runs that loop in the background:
``flush_sync()`` blocks until everything queued is durable and settles those futures, after
which ``future.result()`` returns or raises the write's error. This keeps one return type
(asyncio.Future) for every caller. Offline use is meant for one thread at a time.

Reads are synchronous, on their own connections, and see everything committed so far; they
are meant for start-up, the CLI and reports, not for the hot path.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.engine.domain.fills import Fill
from app.engine.domain.orders import Order, OrderStatus
from app.engine.store import repository
from app.engine.store.errors import (
    DatabaseCorrupted,
    JournalClosed,
    StorageUnavailable,
    StoreError,
    classify,
    sqlite_cause,
)
from app.engine.store.lock import DataDirLock
from app.engine.store.migrate import MigrationOutcome, check_revision, upgrade_to_head
from app.engine.store.repository import LedgerEntry
from app.engine.store.sqlite import make_engine
from app.engine.store.writer import Op, OpKind, Writer

log = logging.getLogger(__name__)
# Looked up once: these run for every write on the live path. ``_get_running_loop`` is
# asyncio's own non-raising form of ``get_running_loop`` (None outside a running loop).
_get_running_loop = asyncio._get_running_loop
_get_ident = threading.get_ident

DEFAULT_FILENAME = "tradedesk.sqlite"


class Journal:
    """See the module docstring. Build with ``Journal.open``; usable as a context manager."""

    def __init__(
        self,
        *,
        path: Path,
        lock: DataDirLock,
        read_engine: Engine,
        write_engine: Engine,
        writer: Writer,
        migration: MigrationOutcome,
        busy_timeout_s: float,
    ) -> None:
        self._path = path
        self._lock = lock
        self._read_engine = read_engine
        self._write_engine = write_engine
        self._writer = writer
        self._migration = migration
        self._busy_timeout_s = busy_timeout_s
        self._guard = threading.Lock()  # makes "not closed, then queue" one step
        self._pending: list[Op] = []  # gathered on the loop thread, handed over per iteration
        self._kick_scheduled = False
        self._loop_thread = threading.get_ident()  # the thread whose loop gathers writes
        self._closed = False
        self._offline_loop: asyncio.AbstractEventLoop | None = None
        # A strong reference on purpose: a journal nobody closed still holds the folder lock
        # and the writer, so it must live until exit, where its queued writes get committed.
        atexit.register(self.close)

    # --- lifecycle ---------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        filename: str = DEFAULT_FILENAME,
        busy_timeout: float = 5.0,
    ) -> Journal:
        """Lock ``data_dir``, check the database file, bring its schema to head, start writing.

        Raises DataDirInUse, DatabaseCorrupted, DatabaseLocked, SchemaTooNew, NotAJournal or
        StorageUnavailable; in every case the file is left exactly as it was found.
        ``busy_timeout`` is how long (seconds) to wait for a lock held by another program.
        """
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(data_dir, f"cannot create the data folder ({exc})") from exc
        lock = DataDirLock.acquire(data_dir)
        path = data_dir / filename
        engines: list[Engine] = []
        try:
            # Checks first, on connections that change nothing: a file we refuse stays as is.
            check_engine = make_engine(
                path, busy_timeout_s=busy_timeout, begin="DEFERRED", wal=False
            )
            engines.append(check_engine)
            read_engine = make_engine(path, busy_timeout_s=busy_timeout, begin="DEFERRED")
            engines.append(read_engine)
            write_engine = make_engine(path, busy_timeout_s=busy_timeout, begin="IMMEDIATE")
            engines.append(write_engine)
            try:
                _quick_check(check_engine, path)
                check_revision(check_engine, path)
                check_engine.dispose()
                migration = upgrade_to_head(write_engine, path)
                writer = Writer(write_engine, path, busy_timeout_s=busy_timeout)
                writer.start()
            except StoreError:
                raise
            except Exception as exc:
                raise classify(exc, path, busy_timeout_s=busy_timeout) from exc
        except BaseException:
            for engine in engines:
                engine.dispose()
            lock.release()
            raise
        log.info("journal open: %s (schema %s)", path, migration.to_revision)
        return cls(
            path=path,
            lock=lock,
            read_engine=read_engine,
            write_engine=write_engine,
            writer=writer,
            migration=migration,
            busy_timeout_s=busy_timeout,
        )

    def close(self) -> None:
        """Commit everything queued, settle its futures, stop the writer, release the lock.

        Blocks until the queue is drained. Safe to call twice.
        """
        with self._guard:
            if self._closed:
                return
            self._closed = True
            self._hand_over_locked()
        atexit.unregister(self.close)
        try:
            self._writer.stop()
            self._drain_offline_loop()
        finally:
            self._read_engine.dispose()
            self._write_engine.dispose()
            self._lock.release()
            log.info("journal closed: %s", self._path)

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def migration(self) -> MigrationOutcome:
        """What opening did to the schema (``upgraded`` is False on an up-to-date file)."""
        return self._migration

    # --- writes --------------------------------------------------------------------------
    def record_order(self, order: Order, detail: str) -> asyncio.Future[None]:
        """Upsert the order's full row and append an event with its current status.

        The order is copied now, so later changes to the live object do not leak in.
        """
        rows = (repository.order_snapshot(order), repository.order_event_snapshot(order, detail))
        return self._write(OpKind.ORDER, rows)

    def record_fill(self, fill: Fill) -> asyncio.Future[None]:
        """Insert the fill; a fill already recorded (same venue and trade id) is left as is."""
        return self._write(OpKind.FILL, ((fill,),))  # a Fill is immutable: converted later

    def note_order(self, order: Order, detail: str) -> None:
        """``record_order`` with nothing to await: queued in order with every other write; a
        failure is logged by the writer and reported by the next ``flush``."""
        rows = (repository.order_snapshot(order), repository.order_event_snapshot(order, detail))
        self._submit(Op(OpKind.ORDER, rows, None))

    def note_fill(self, fill: Fill) -> None:
        """``record_fill`` with nothing to await (see ``note_order``)."""
        self._submit(Op(OpKind.FILL, ((fill,),), None))

    def append_ledger(
        self, ts_ns: int, asset: str, amount: Decimal, kind: str, note: str = ""
    ) -> asyncio.Future[None]:
        """Record a cash movement that is not a fill (``kind``: "deposit", "withdrawal"...)."""
        row = repository.ledger_row(ts_ns, asset, amount, kind, note)
        return self._write(OpKind.LEDGER, (row,))

    def set_kv(self, key: str, value: object) -> asyncio.Future[None]:
        """Store a JSON-able value under ``key``. Decimals are stored as exact strings.

        A value that cannot be turned into JSON raises TypeError/ValueError here, at the call.
        """
        row = (key, repository.to_json(value), time.time_ns())
        return self._write(OpKind.KV, (row,))

    def append_venue_record(self, venue: str, record: dict[str, object]) -> None:
        """Append to ``venue``'s replay log. Fire and forget, but in order with every other
        write; a failure is logged and reported by the next flush. Decimals become strings."""
        row = (venue, time.time_ns(), record)  # encoded to JSON on the writer thread
        self._submit(Op(OpKind.VENUE, (row,), None))

    def flush(self) -> asyncio.Future[None]:
        """Resolves once everything queued before it is on disk.

        Fails with WriteFailed if any write queued since the previous flush failed.
        """
        return self._write(OpKind.BARRIER, ())

    def flush_sync(self, timeout: float | None = None) -> None:
        """Block until everything queued before the call is on disk (CLI, shutdown).

        Raises WriteFailed like ``flush``, TimeoutError after ``timeout`` seconds. Without a
        running loop it also settles the futures of offline writes (see the module docstring).
        """
        offline = self._offline_loop
        if offline is not None and not _loop_running():
            barrier = offline.create_future()
            self._submit(Op(OpKind.BARRIER, (), barrier), now=True)
            offline.run_until_complete(asyncio.wait_for(barrier, timeout))
            return
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._submit(Op(OpKind.BARRIER, (), done), now=True)
        done.result(timeout)

    def _write(self, kind: OpKind, rows: tuple[repository.Row, ...]) -> asyncio.Future[None]:
        running = _get_running_loop()
        loop = running if running is not None else self._offline()
        waiter = loop.create_future()
        self._submit_from(running, Op(kind, rows, waiter))
        return waiter

    def _submit(self, op: Op, *, now: bool = False) -> None:
        self._submit_from(_get_running_loop(), op, now=now)

    def _submit_from(
        self, loop: asyncio.AbstractEventLoop | None, op: Op, *, now: bool = False
    ) -> None:
        """Queue ``op`` (``loop``: the running loop, if any). On an event loop's thread, ops
        are gathered and handed to the writer once per loop iteration: one hand-over wakes
        the writer thread once, instead of once per write, which is what keeps the hot path
        (a fill is three writes) cheap."""
        with self._guard:
            if self._closed:
                raise JournalClosed(f"the journal {self._path} is closed")
            if now or loop is None or _get_ident() != self._loop_thread:
                self._hand_over_locked()
                self._writer.put(op)
                return
            self._pending.append(op)
            if not self._kick_scheduled:
                self._kick_scheduled = True
                loop.call_soon(self._kick)

    def _kick(self) -> None:
        with self._guard:
            self._hand_over_locked()

    def _hand_over_locked(self) -> None:
        self._kick_scheduled = False
        if self._pending:
            pending, self._pending = self._pending, []
            self._writer.put_many(pending)

    def _offline(self) -> asyncio.AbstractEventLoop:
        with self._guard:
            if self._offline_loop is None:
                self._offline_loop = asyncio.new_event_loop()
            return self._offline_loop

    def _drain_offline_loop(self) -> None:
        offline, self._offline_loop = self._offline_loop, None
        if offline is None:
            return
        if not _loop_running():
            # The writer has stopped, so every settle callback is already scheduled; one
            # turn of the loop runs them.
            offline.run_until_complete(asyncio.sleep(0))
        offline.close()

    # --- reads ---------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Session]:
        if self._closed:
            raise JournalClosed(f"the journal {self._path} is closed")
        try:
            with Session(self._read_engine) as session:
                yield session
        except Exception as exc:
            # Only database failures are translated; a bug in decoding stays itself.
            if isinstance(exc, StoreError) or sqlite_cause(exc) is None:
                raise
            raise classify(exc, self._path, busy_timeout_s=self._busy_timeout_s) from exc

    def load_orders(self, open_only: bool = False) -> list[Order]:
        """Orders with their history; ``open_only`` keeps those not yet in a final state."""
        with self._read() as session:
            return repository.load_orders(session, open_only=open_only)

    def load_order_history(self, client_id: str) -> list[tuple[int, OrderStatus, str]]:
        """(ts_ns, status after the event, detail) for each recorded state, oldest first."""
        with self._read() as session:
            return repository.load_order_history(session, client_id)

    def load_fills(
        self,
        *,
        since_ns: int | None = None,
        until_ns: int | None = None,
        source: str | None = None,
        symbol: str | None = None,
    ) -> list[Fill]:
        """Fills with ``since_ns <= ts < until_ns`` (when given), ordered by time then id."""
        with self._read() as session:
            return repository.load_fills(
                session, since_ns=since_ns, until_ns=until_ns, source=source, symbol=symbol
            )

    def fill_keys(self) -> set[tuple[str, str]]:
        """(venue, trade_id) of every recorded fill, to seed the OMS's de-duplication."""
        with self._read() as session:
            return repository.fill_keys(session)

    def load_ledger(self) -> list[LedgerEntry]:
        with self._read() as session:
            return repository.load_ledger(session)

    def get_kv(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under ``key`` (Decimals come back as strings), or default."""
        with self._read() as session:
            text = repository.get_kv(session, key)
        return default if text is None else repository.from_json(text)

    def load_venue_records(self, venue: str) -> list[dict[str, object]]:
        """``venue``'s records in the order they were appended."""
        with self._read() as session:
            return repository.load_venue_records(session, venue)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _quick_check(engine: Engine, path: Path) -> None:
    with engine.connect() as conn:
        problems = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        raise DatabaseCorrupted(path, "integrity check: " + "; ".join(problems[:3]))


__all__ = ["DEFAULT_FILENAME", "Journal", "LedgerEntry"]
