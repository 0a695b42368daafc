"""A process killed with SIGKILL right after a flush: what was flushed is there, once."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.domain.orders import OrderStatus
from app.engine.store import Journal
from tests.store.factories import make_fill

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("child.py")
N = 300


@pytest.mark.slow
def test_kill_after_flush_loses_nothing_flushed(data_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), "crash", str(data_dir), str(N)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "FLUSHED", proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()  # SIGKILL on POSIX: no atexit, no close, the writer dies mid-batch
        proc.wait(timeout=30)

    with Journal.open(data_dir) as journal:  # the dead process's folder lock is gone
        orders = {o.client_id: o for o in journal.load_orders()}
        for i in range(N):
            order = orders[f"ord-{i}"]
            assert order.status is OrderStatus.SUBMITTED
            assert [(h[1], h[2]) for h in order.history] == [
                (OrderStatus.INITIALIZED, "created"),
                (OrderStatus.SUBMITTED, "submitted"),
            ]
        fills = journal.load_fills()
        keys = [f.key for f in fills]
        assert len(keys) == len(set(keys))
        assert {("paper", f"tr-{i}") for i in range(N)} <= set(keys)
        records = journal.load_venue_records("paper")
        assert [r["seq"] for r in records] == list(range(N))
        assert records[0]["qty"] == "0.1"

        # Writes are committed in queue order, so the late ones that made it form a prefix.
        late = sorted(int(cid.split("-")[1]) for cid in orders if cid.startswith("late-"))
        assert late == list(range(len(late)))
        late_fills = sorted(int(k[1].split("-")[1]) for k in keys if k[1].startswith("late-"))
        assert late_fills == list(range(len(late_fills)))
        assert all(len(orders[f"late-{i}"].history) == 1 for i in late)

        # Replaying the flushed fills after the restart changes nothing.
        before = len(fills)
        for i in range(N):
            journal.record_fill(
                make_fill(f"tr-{i}", client_id=f"ord-{i}", ts=i, quantity=Decimal(7))
            )
        journal.flush_sync()
        assert len(journal.load_fills()) == before


@pytest.mark.slow
def test_exit_without_close_commits_what_was_queued(data_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, str(CHILD), "forget", str(data_dir), "500"],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )
    with Journal.open(data_dir) as journal:
        assert len(journal.load_orders()) == 500
