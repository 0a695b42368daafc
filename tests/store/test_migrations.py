"""Alembic: an empty file gets the head schema, reopening changes nothing, models match."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from app.engine.store import Journal
from app.engine.store.migrate import head_revision
from app.engine.store.models import Base

TABLES = {"orders", "order_events", "fills", "ledger", "kv", "venue_records", "alembic_version"}


def schema(db_path: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(db_path) as raw:
        rows = raw.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    raw.close()
    return rows


def test_empty_data_dir_gets_head(data_dir: Path, db_path: Path) -> None:
    with Journal.open(data_dir) as journal:
        outcome = journal.migration
    assert outcome.from_revision is None
    assert outcome.to_revision == head_revision() == "0001"
    assert outcome.upgraded
    names = {name for kind, name, _ in schema(db_path) if kind == "table"}
    assert names >= TABLES
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


def test_zero_byte_file_gets_head(data_dir: Path, db_path: Path) -> None:
    db_path.touch()
    with Journal.open(data_dir) as journal:
        assert journal.migration.upgraded


def test_reopening_is_a_no_op(data_dir: Path, db_path: Path) -> None:
    Journal.open(data_dir).close()
    before = schema(db_path)
    with Journal.open(data_dir) as journal:
        assert not journal.migration.upgraded
        assert journal.migration.from_revision == journal.migration.to_revision == "0001"
    assert schema(db_path) == before


def test_models_match_the_migrated_schema(data_dir: Path, db_path: Path) -> None:
    Journal.open(data_dir).close()
    engine = create_engine(f"sqlite:///{db_path}")
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_money_columns_are_text(data_dir: Path, db_path: Path) -> None:
    Journal.open(data_dir).close()
    money = {
        "orders": {"quantity", "price", "trigger_price", "filled_qty", "avg_fill_price", "fees"},
        "fills": {"quantity", "price", "fee", "realized_pnl"},
        "ledger": {"amount"},
    }
    with sqlite3.connect(db_path) as raw:
        for table, columns in money.items():
            types = {row[1]: row[2] for row in raw.execute(f"PRAGMA table_info({table})")}
            assert {types[c] for c in columns} == {"TEXT"}, table
        for table in ("orders", "order_events", "fills", "ledger", "kv", "venue_records"):
            types = {row[1]: row[2] for row in raw.execute(f"PRAGMA table_info({table})")}
            assert all(types[c] == "INTEGER" for c in types if c.endswith("_ns")), table
    raw.close()


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    from app.engine.store.migrate import HEAD_REVISION, head_revision

    assert head_revision() == HEAD_REVISION
