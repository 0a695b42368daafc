"""The writer thread: order of writes, where futures resolve, and what happens on failure."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.domain.orders import OrderStatus
from app.engine.store import (
    DatabaseLocked,
    Journal,
    JournalClosed,
    StorageUnavailable,
    StoreError,
    WriteFailed,
)
from tests.store.factories import make_fill, make_order


async def test_writes_apply_in_enqueue_order(journal: Journal) -> None:
    order = make_order()
    waits = []
    for step in range(400):
        order.updated_ns = order.created_ns + step
        waits.append(journal.record_order(order, f"step {step}"))
        waits.append(journal.set_kv("last", step))
        journal.append_venue_record("paper", {"step": step})
    await asyncio.gather(*waits)
    history = journal.load_order_history(order.client_id)
    assert [h[2] for h in history] == [f"step {s}" for s in range(400)]
    assert journal.get_kv("last") == 399
    assert [r["step"] for r in journal.load_venue_records("paper")] == list(range(400))


async def test_writes_from_threads_keep_each_threads_order(journal: Journal) -> None:
    def worker(name: str) -> None:
        for i in range(200):
            journal.append_venue_record(name, {"i": i})

    threads = [threading.Thread(target=worker, args=(f"v{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    await journal.flush()
    for n in range(4):
        assert [r["i"] for r in journal.load_venue_records(f"v{n}")] == list(range(200))


async def test_futures_resolve_on_the_callers_loop(journal: Journal) -> None:
    loop = asyncio.get_running_loop()
    seen: list[tuple[int, asyncio.AbstractEventLoop]] = []

    def note(_: asyncio.Future[None]) -> None:
        seen.append((threading.get_ident(), asyncio.get_running_loop()))

    waits = [journal.record_order(make_order(f"o{i}"), "created") for i in range(50)]
    waits.append(journal.record_fill(make_fill()))
    waits.append(journal.set_kv("k", 1))
    waits.append(journal.append_ledger(1, "USDT", Decimal(1), "deposit"))
    waits.append(journal.flush())
    for w in waits:
        assert isinstance(w, asyncio.Future)
        assert w.get_loop() is loop
        w.add_done_callback(note)
    await asyncio.gather(*waits)
    await asyncio.sleep(0)  # done-callbacks run one turn after the result is set
    assert seen == [(threading.get_ident(), loop)] * len(waits)


async def test_durable_when_future_resolves(journal: Journal, db_path: Path) -> None:
    await journal.record_order(make_order(), "created")
    # Another connection (another process, a crash-restart) sees it as soon as it resolved.
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT client_id FROM orders").fetchall() == [("tdm-1",)]


async def test_cancelling_a_future_does_not_cancel_the_write(journal: Journal) -> None:
    waiter = journal.record_order(make_order(), "created")
    waiter.cancel()
    await journal.flush()
    assert [o.client_id for o in journal.load_orders()] == ["tdm-1"]


def test_offline_writes_settle_on_flush_sync(journal: Journal) -> None:
    waits = [journal.record_order(make_order(f"o{i}"), "created") for i in range(20)]
    bad = journal.record_fill(make_fill(symbol=None))  # type: ignore[arg-type]
    good = journal.record_fill(make_fill("t-2"))
    # Nothing runs the offline loop until flush_sync, so nothing is settled yet.
    assert not any(w.done() for w in [*waits, bad, good])
    with pytest.raises(WriteFailed):
        journal.flush_sync()
    assert all(w.result() is None for w in waits)
    assert good.result() is None
    error = bad.exception()
    assert isinstance(error, StoreError)
    assert "NOT NULL" in str(error.__cause__)
    journal.flush_sync()  # the failure was reported once; this flush is clean
    assert len(journal.load_orders()) == 20
    assert journal.fill_keys() == {("paper", "t-2")}


def test_float_money_is_refused(journal: Journal) -> None:
    with pytest.raises(TypeError, match="Decimal"):
        journal.record_order(make_order(quantity=1.5), "created")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        journal.append_ledger(1, "USDT", Decimal("NaN"), "deposit")
    journal.flush_sync()  # nothing was queued, so nothing failed
    assert journal.load_orders() == []
    # a Fill is immutable, so it is converted on the writer thread: the refusal arrives
    # through its future and the next flush, and nothing is written
    bad = journal.record_fill(make_fill(quantity=0.1))  # type: ignore[arg-type]
    with pytest.raises(WriteFailed):
        journal.flush_sync()
    assert isinstance(bad.exception(), StoreError) and "Decimal" in str(bad.exception())
    assert journal.load_fills() == []


async def test_one_bad_write_fails_alone(journal: Journal) -> None:
    before = journal.record_order(make_order("a"), "created")
    bad = journal.record_order(make_order("b", symbol=None), "created")  # type: ignore[arg-type]
    after = journal.record_order(make_order("c"), "created")
    results = await asyncio.gather(before, bad, after, return_exceptions=True)
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], StoreError)
    assert [o.client_id for o in journal.load_orders()] == ["a", "c"]
    with pytest.raises(WriteFailed, match="1 journal write"):
        await journal.flush()
    await journal.flush()


async def test_locked_database_fails_the_batch_then_writing_resumes(
    journal: Journal, db_path: Path
) -> None:
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        blocked = journal.record_order(make_order("blocked"), "created")
        blocked_fill = journal.record_fill(make_fill("blocked"))
        with pytest.raises(DatabaseLocked, match="locked by another program") as caught:
            await blocked
        assert str(db_path) in str(caught.value)
        with pytest.raises(DatabaseLocked):
            await blocked_fill
    finally:
        other.execute("ROLLBACK")
        other.close()
    await journal.record_order(make_order("later"), "created")
    assert [o.client_id for o in journal.load_orders()] == ["later"]
    with pytest.raises(WriteFailed, match="2 journal write"):
        await journal.flush()


async def test_disk_full_fails_the_batch_then_writing_resumes(journal: Journal) -> None:
    await journal.record_order(make_order("before"), "created")
    # Simulate a full disk on the writer's own (real) connection: SQLite refuses to grow the
    # file past max_page_count with SQLITE_FULL, exactly as when the disk runs out. The
    # writer is idle after the await above, so touching its connection here is safe.
    writer_conn = journal._writer._conn
    assert writer_conn is not None
    raw = writer_conn.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    (pages,) = raw.execute("PRAGMA page_count").fetchone()
    raw.execute(f"PRAGMA max_page_count = {pages}")
    big = [journal.record_fill(make_fill(f"t{i}", client_id="x" * 500)) for i in range(200)]
    results = await asyncio.gather(*big, return_exceptions=True)
    assert all(isinstance(r, StorageUnavailable) for r in results)
    assert "disk is full" in str(results[0])
    raw.execute("PRAGMA max_page_count = 1073741823")
    await journal.record_order(make_order("after"), "created")
    assert {o.client_id for o in journal.load_orders()} == {"before", "after"}
    assert journal.fill_keys() == set()
    with pytest.raises(WriteFailed, match="200 journal write"):
        await journal.flush()


def test_flush_sync_inside_a_running_loop(journal: Journal) -> None:
    async def main() -> None:
        journal.record_order(make_order(), "created")
        journal.flush_sync(timeout=10)  # blocks the loop on purpose, as shutdown does
        assert len(journal.load_orders()) == 1

    asyncio.run(main())


async def test_close_drains_queue_and_refuses_more(data_dir: Path) -> None:
    journal = Journal.open(data_dir)
    waits = [journal.record_order(make_order(f"o{i}"), "created") for i in range(300)]
    journal.close()
    await asyncio.gather(*waits)
    journal.close()  # twice is fine
    with pytest.raises(JournalClosed):
        journal.record_order(make_order(), "late")
    with pytest.raises(JournalClosed):
        journal.append_venue_record("paper", {})
    with pytest.raises(JournalClosed):
        journal.load_orders()
    with Journal.open(data_dir) as again:  # the lock was released
        orders = again.load_orders()
        assert len(orders) == 300
        assert {o.status for o in orders} == {OrderStatus.INITIALIZED}


async def test_loop_writes_are_gathered_per_iteration_and_flush_sync_does_not_deadlock(
    journal: Journal,
) -> None:
    # writes made in one loop iteration go to the writer in one hand-over, in order
    futures = [journal.record_order(make_order(f"g{i}"), "created") for i in range(5)]
    assert not any(f.done() for f in futures)
    # a blocking flush from the loop's own thread hands the gathered writes over first
    journal.flush_sync(timeout=10)
    await asyncio.gather(*futures)
    assert [o.client_id for o in journal.load_orders()] == [f"g{i}" for i in range(5)]
