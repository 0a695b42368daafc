"""The journal's single writer thread.

Callers (normally on the asyncio loop) put an ``Op`` holding immutable objects or snapshots
on a queue: a few microseconds of their time; the rows are built here (``_FINALIZE``). The
writer thread owns the only writing connection. It takes everything queued so far (up to
``BATCH_MAX``), applies it in one ``BEGIN IMMEDIATE`` transaction in queue order, handing
runs of the same kind to sqlite3's ``executemany`` (a C loop that releases the GIL while
SQLite works, so the event loop keeps running), commits (fsync, synchronous=FULL), and only
then settles the ops' futures: one ``call_soon_threadsafe`` per event loop per batch, so a
burst of a thousand orders wakes the loop once, not a thousand times.

Failures are never swallowed. If a batch fails because the database is unusable (locked,
damaged, disk full) every op in it gets that error. If it fails because of one bad op (a
constraint it breaks), the batch is rolled back and replayed op by op, still in order, so
only the bad op fails. (Bad values such as a float for money never get this far: building
the row refuses them at the caller.) Either way the error is logged, the writer carries on with
the next batch, and the next flush barrier reports that something before it failed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import itertools
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, Insert, bindparam
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from app.engine.store.errors import (
    JournalClosed,
    StoreError,
    WriteFailed,
    classify,
    is_environmental,
)
from app.engine.store.models import (
    Base,
    FillRow,
    KvRow,
    LedgerRow,
    OrderEventRow,
    OrderRow,
    VenueRecordRow,
)
from app.engine.store.repository import (
    FILL_COLUMNS,
    KV_COLUMNS,
    LEDGER_COLUMNS,
    ORDER_COLUMNS,
    ORDER_EVENT_COLUMNS,
    VENUE_RECORD_COLUMNS,
    Row,
    fill_row,
    order_event_row_of,
    order_row_of,
    to_json,
)

log = logging.getLogger(__name__)

# Big enough that a burst costs a handful of fsyncs, small enough that settling one batch's
# futures is a short callback on the caller's loop.
BATCH_MAX = 256

Waiter = asyncio.Future[None] | concurrent.futures.Future[None]
_DIALECT = sqlite_dialect(paramstyle="qmark")


class OpKind(enum.Enum):
    ORDER = "order"  # rows: (order snapshot, order event snapshot), see repository
    FILL = "fill"
    LEDGER = "ledger"
    KV = "kv"
    VENUE = "venue"
    BARRIER = "barrier"  # no rows: settles once everything before it is committed
    STOP = "stop"


def _finalize_fill(row: Row) -> Row:
    (fill,) = row
    return fill_row(fill)  # type: ignore[arg-type]


def _finalize_venue(row: Row) -> Row:
    venue, ts_ns, record = row
    return (venue, ts_ns, to_json(record))


#: rows queued as immutable objects (fills, venue records, order snapshots) and turned into
#: column values here, on the writer thread, so the event loop only pays for queueing them;
#: one converter per statement of the op kind
_FINALIZE: dict[OpKind, tuple[Callable[[Row], Row], ...]] = {
    OpKind.ORDER: (order_row_of, order_event_row_of),
    OpKind.FILL: (_finalize_fill,),
    OpKind.VENUE: (_finalize_venue,),
}


@dataclass(slots=True)
class Op:
    kind: OpKind
    rows: tuple[Row, ...]
    waiter: Waiter | None


@dataclass(frozen=True, slots=True)
class Statement:
    """SQL compiled once from the models, taking rows as tuples in ``columns`` order."""

    sql: str
    columns: tuple[str, ...]


def _compile(stmt: Insert, columns: tuple[str, ...]) -> Statement:
    compiled = stmt.compile(dialect=_DIALECT)
    order = tuple(compiled.positiontup or ())
    if order != columns:  # a model or column list changed without the other
        raise RuntimeError(f"journal statement columns {order} != row layout {columns}")
    return Statement(str(compiled), columns)


def _insert(model: type[Base], columns: tuple[str, ...]) -> SqliteInsert:
    return sqlite_insert(model).values({c: bindparam(c) for c in columns})


def _statements() -> dict[OpKind, tuple[Statement, ...]]:
    upsert_order = _insert(OrderRow, ORDER_COLUMNS)
    upsert_order = upsert_order.on_conflict_do_update(
        index_elements=[OrderRow.client_id],
        set_={c: upsert_order.excluded[c] for c in ORDER_COLUMNS if c != "client_id"},
    )
    upsert_kv = _insert(KvRow, KV_COLUMNS)
    upsert_kv = upsert_kv.on_conflict_do_update(
        index_elements=[KvRow.key],
        set_={"value": upsert_kv.excluded.value, "updated_ns": upsert_kv.excluded.updated_ns},
    )
    # The conflict target names the unique pair, so only a repeated trade is ignored.
    fill_once = _insert(FillRow, FILL_COLUMNS).on_conflict_do_nothing(
        index_elements=[FillRow.venue, FillRow.trade_id]
    )
    return {
        OpKind.ORDER: (
            _compile(upsert_order, ORDER_COLUMNS),
            _compile(_insert(OrderEventRow, ORDER_EVENT_COLUMNS), ORDER_EVENT_COLUMNS),
        ),
        OpKind.FILL: (_compile(fill_once, FILL_COLUMNS),),
        OpKind.LEDGER: (_compile(_insert(LedgerRow, LEDGER_COLUMNS), LEDGER_COLUMNS),),
        OpKind.KV: (_compile(upsert_kv, KV_COLUMNS),),
        OpKind.VENUE: (
            _compile(_insert(VenueRecordRow, VENUE_RECORD_COLUMNS), VENUE_RECORD_COLUMNS),
        ),
    }


class Writer:
    """Owns the writing connection and the thread that uses it."""

    def __init__(self, engine: Engine, path: Path, *, busy_timeout_s: float) -> None:
        self._engine = engine
        self._path = path
        self._busy_timeout_s = busy_timeout_s
        self._queue: queue.SimpleQueue[Op | list[Op]] = queue.SimpleQueue()
        self._statements = _statements()
        self._failures: list[StoreError] = []  # since the last barrier
        self._dead: BaseException | None = None
        self._conn: Connection | None = None
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)

    def start(self) -> None:
        # Connect here, not in the thread, so a connection failure surfaces from open().
        self._conn = self._engine.connect()
        self._thread.start()

    def put(self, op: Op) -> None:
        if self._dead is not None:
            raise JournalClosed(
                f"the journal writer for {self._path} stopped after an internal error"
            ) from self._dead
        self._queue.put(op)

    def put_many(self, ops: list[Op]) -> None:
        """Queue several ops with one hand-over (one wake-up of the writer thread)."""
        if self._dead is not None:
            raise JournalClosed(
                f"the journal writer for {self._path} stopped after an internal error"
            ) from self._dead
        self._queue.put(ops)

    def stop(self, timeout: float | None = None) -> None:
        """Drain everything queued, commit it, settle its futures and end the thread."""
        if self._thread.is_alive():
            self._queue.put(Op(OpKind.STOP, (), None))
            self._thread.join(timeout)
        elif self._conn is not None:  # started connecting but the thread never ran
            self._conn.close()
            self._conn = None

    # --- thread side -----------------------------------------------------------------
    def _run(self) -> None:
        batch: list[Op] = []
        try:
            while True:
                batch = self._next_batch()
                stopping = batch[-1].kind is OpKind.STOP
                self._process([op for op in batch if op.kind is not OpKind.STOP])
                if stopping:
                    return
        except BaseException as exc:  # a bug here must not leave callers awaiting forever
            log.critical("journal writer for %s died", self._path, exc_info=True)
            self._dead = exc
            self._fail_leftovers(batch, exc)
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _next_batch(self) -> list[Op]:
        batch: list[Op] = []
        item = self._queue.get()
        while True:
            if isinstance(item, list):
                batch.extend(item)
            else:
                batch.append(item)
            if batch[-1].kind is OpKind.STOP or len(batch) >= BATCH_MAX:
                break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        return batch

    def _process(self, ops: list[Op]) -> None:
        errors: list[StoreError | None] = [None] * len(ops)
        writes = [i for i, op in enumerate(ops) if op.kind is not OpKind.BARRIER]
        if writes:
            try:
                self._commit([ops[i] for i in writes])
            except Exception as exc:
                error = self._classify(exc)
                log.error("journal batch of %d writes failed: %s", len(writes), error, exc_info=exc)
                if is_environmental(error):
                    for i in writes:
                        errors[i] = error
                else:
                    for i in writes:
                        errors[i] = self._commit_alone(ops[i])
        self._settle(ops, errors)

    def _commit(self, ops: Sequence[Op]) -> None:
        assert self._conn is not None
        try:
            with self._conn.begin():
                for kind, group in itertools.groupby(ops, key=lambda op: op.kind):
                    run = list(group)
                    finalizers = _FINALIZE.get(kind)
                    for position, statement in enumerate(self._statements[kind]):
                        rows = [op.rows[position] for op in run]
                        if finalizers is not None:
                            finalize = finalizers[position]
                            rows = [finalize(row) for row in rows]
                        self._conn.exec_driver_sql(statement.sql, rows)
        except Exception:
            self._recover()
            raise

    def _recover(self) -> None:
        """Leave the connection usable for the next batch after a failed one."""
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                self._conn.rollback()
            # A failed COMMIT (disk full, I/O error) can leave SQLite inside the transaction
            # while SQLAlchemy thinks it is over; sqlite3's own flag asks SQLite itself.
            raw = self._conn.connection.driver_connection
            if isinstance(raw, sqlite3.Connection) and raw.in_transaction:
                raw.rollback()
        except Exception:
            log.warning("journal: rollback after a failed batch failed", exc_info=True)
        if self._conn.invalidated or self._conn.closed:
            try:
                self._conn.close()
            finally:
                self._conn = self._engine.connect()

    def _commit_alone(self, op: Op) -> StoreError | None:
        try:
            self._commit([op])
        except Exception as exc:
            error = self._classify(exc)
            log.error("journal %s write failed: %s", op.kind.value, error, exc_info=exc)
            return error
        return None

    def _classify(self, exc: BaseException) -> StoreError:
        error = classify(exc, self._path, busy_timeout_s=self._busy_timeout_s)
        if error is not exc:
            error.__cause__ = exc
        return error

    def _settle(self, ops: Sequence[Op], errors: Sequence[StoreError | None]) -> None:
        per_loop: dict[
            asyncio.AbstractEventLoop, list[tuple[asyncio.Future[None], StoreError | None]]
        ] = {}
        for op, error in zip(ops, errors, strict=True):
            outcome: StoreError | None = error
            if op.kind is OpKind.BARRIER:
                outcome = self._barrier_outcome()
            elif error is not None:
                self._failures.append(error)
            waiter = op.waiter
            if waiter is None:
                continue
            if isinstance(waiter, asyncio.Future):
                per_loop.setdefault(waiter.get_loop(), []).append((waiter, outcome))
            else:
                _settle_one(waiter, outcome)
        for loop, items in per_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_many, items)
            except RuntimeError:  # the caller's loop is closed: nobody is left to tell
                log.warning("journal: %d results dropped, their event loop is closed", len(items))

    def _barrier_outcome(self) -> StoreError | None:
        if not self._failures:
            return None
        first, count = self._failures[0], len(self._failures)
        self._failures.clear()
        error = WriteFailed(
            f"{count} journal write(s) queued before this flush failed; the first: {first}"
        )
        error.__cause__ = first
        return error

    def _fail_leftovers(self, current: list[Op], exc: BaseException) -> None:
        # Waiters of the batch in hand may be settled already; _settle_one skips those.
        error = JournalClosed(f"the journal writer for {self._path} stopped: {exc!r}")
        leftovers = list(current)
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            leftovers.extend(item if isinstance(item, list) else [item])
        ops = [op for op in leftovers if op.kind is not OpKind.STOP]
        self._settle(ops, [error] * len(ops))


def _settle_one(waiter: Waiter, error: BaseException | None) -> None:
    # A waiter cancelled by its owner is done already; the write itself still happened (or
    # failed and was logged). The except covers a cancel racing us from another thread.
    if waiter.done():
        return
    with contextlib.suppress(asyncio.InvalidStateError, concurrent.futures.InvalidStateError):
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)


def _settle_many(items: list[tuple[asyncio.Future[None], StoreError | None]]) -> None:
    for waiter, error in items:
        _settle_one(waiter, error)
