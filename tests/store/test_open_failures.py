"""Every way opening can fail, on real files, and the file is never changed by failing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.store import (
    DatabaseCorrupted,
    DatabaseLocked,
    DataDirInUse,
    Journal,
    NotAJournal,
    SchemaTooNew,
)
from tests.store.factories import make_fill, make_order

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("child.py")


def run_child(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(CHILD), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )


def make_journal(data_dir: Path, fills: int = 0) -> None:
    with Journal.open(data_dir) as journal:
        journal.record_order(make_order(), "created")
        for i in range(fills):
            journal.record_fill(make_fill(f"t{i}", ts=i, quantity=Decimal(i)))
    # A clean close checkpoints and removes the WAL, so the main file is everything.
    assert not (data_dir / "tradedesk.sqlite-wal").exists()


def test_garbage_file_is_reported_and_left_alone(data_dir: Path, db_path: Path) -> None:
    garbage = b"definitely not SQLite \x00\xff" * 500
    db_path.write_bytes(garbage)
    with pytest.raises(DatabaseCorrupted) as caught:
        Journal.open(data_dir)
    message = str(caught.value)
    assert str(db_path) in message
    assert "backup" in message
    assert db_path.read_bytes() == garbage
    # Failing released the folder lock.
    with pytest.raises(DatabaseCorrupted):
        Journal.open(data_dir)


def test_corrupted_page_is_reported_and_left_alone(data_dir: Path, db_path: Path) -> None:
    make_journal(data_dir, fills=3000)
    with sqlite3.connect(db_path) as raw:
        (page_size,) = raw.execute("PRAGMA page_size").fetchone()
        (root,) = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'fills'").fetchone()
    raw.close()
    data = bytearray(db_path.read_bytes())
    start = (root - 1) * page_size
    data[start : start + page_size] = bytes((i * 7) % 251 for i in range(page_size))
    db_path.write_bytes(bytes(data))

    with pytest.raises(DatabaseCorrupted) as caught:
        Journal.open(data_dir)
    assert str(db_path) in str(caught.value)
    assert db_path.read_bytes() == bytes(data)


def test_database_locked_by_another_program(data_dir: Path, db_path: Path) -> None:
    make_journal(data_dir)
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseLocked) as caught:
            Journal.open(data_dir, busy_timeout=0.2)
        message = str(caught.value)
        assert str(db_path) in message
        assert "0.2 s" in message
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Journal.open(data_dir) as journal:  # fine once the other program lets go
        assert len(journal.load_orders()) == 1


def test_locked_rollback_journal_file(data_dir: Path, db_path: Path) -> None:
    # A database another tool created in rollback-journal mode: even reading is blocked.
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("CREATE TABLE t (x)")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(DatabaseLocked):
            Journal.open(data_dir, busy_timeout=0.2)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_schema_from_a_newer_version(data_dir: Path, db_path: Path) -> None:
    make_journal(data_dir)
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0042_from_the_future'")
    raw.close()
    before = db_path.read_bytes()
    with pytest.raises(SchemaTooNew) as caught:
        Journal.open(data_dir)
    message = str(caught.value)
    assert "newer version of Tradedesk" in message
    assert "0042_from_the_future" in message
    assert str(db_path) in message
    assert db_path.read_bytes() == before


def test_foreign_sqlite_file(data_dir: Path, db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute("CREATE TABLE recipes (name TEXT)")
    raw.close()
    before = db_path.read_bytes()
    with pytest.raises(NotAJournal, match="recipes"):
        Journal.open(data_dir)
    assert db_path.read_bytes() == before


def test_second_process_on_the_same_data_dir(data_dir: Path) -> None:
    with Journal.open(data_dir):
        result = run_child("try-open", str(data_dir))
    out = result.stdout.strip()
    assert out.startswith("DataDirInUse:")
    assert str(data_dir) in out
    assert f"process {os.getpid()}" in out
    # Once the first one closed, the second process gets in.
    assert run_child("try-open", str(data_dir)).stdout.strip() == "OPENED"


def test_second_open_in_the_same_process(data_dir: Path) -> None:
    with Journal.open(data_dir):
        with pytest.raises(DataDirInUse) as caught:
            Journal.open(data_dir)
        assert caught.value.pid == os.getpid()
        assert caught.value.data_dir == data_dir


def test_missing_data_dir_is_created(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b" / "data"
    with Journal.open(nested, filename="other.sqlite") as journal:
        assert journal.path == nested / "other.sqlite"
    assert (nested / "other.sqlite").is_file()
