"""SQLite engines configured the way the journal needs them, on every connection.

- WAL, so reports and start-up reads never wait for the writer (and vice versa);
- synchronous=FULL, so a commit is on disk when it returns (journal before send);
- foreign_keys, so an order event cannot point at an order that is not there;
- busy_timeout, so a briefly held lock is waited for and a long one becomes DatabaseLocked.

pysqlite's own transaction handling is switched off (``isolation_level = None``) and
SQLAlchemy's ``begin`` event emits BEGIN itself, as the SQLAlchemy docs recommend for SQLite:
DDL then runs inside transactions, and the writer can take the write lock up front with
``BEGIN IMMEDIATE`` instead of failing to upgrade a read lock halfway through a batch.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

log = logging.getLogger(__name__)

BeginMode = Literal["DEFERRED", "IMMEDIATE"]


def make_engine(path: Path, *, busy_timeout_s: float, begin: BeginMode, wal: bool = True) -> Engine:
    """An Engine on ``path``; ``begin`` is the transaction kind every ``BEGIN`` opens.

    ``wal=False`` is for the checks made before we know the file is ours: switching to WAL
    rewrites the file header, and a file we refuse must be left exactly as it was.
    """
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
        # Connections are few and long-lived (the writer holds one for its lifetime); NullPool
        # keeps a closed journal from leaving file handles open in a pool.
        poolclass=NullPool,
    )
    busy_ms = max(0, int(busy_timeout_s * 1000))

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
            if wal:
                mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()
                if mode is None or str(mode[0]).lower() != "wal":
                    # Some network drives cannot do WAL; SQLite keeps a rollback journal
                    # there, which is still durable, only slower when reading while writing.
                    log.warning("journal %s cannot use WAL (journal_mode=%s)", path, mode)
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA foreign_keys = ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(f"BEGIN {begin}")

    return engine
