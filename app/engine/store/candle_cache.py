"""A durable cache of venues' closed candles, on its own SQLite file (the CandleCache port).

History is fetched from a venue once: ``store_bars`` keeps closed bars keyed by (venue,
symbol, timeframe, open time), ``load_bars`` returns them in time order. Upserts are
idempotent (the same bar stored twice is one row). Prices are stored as text so the Decimals
come back exactly. WAL lets readers and the writer overlap; it is a cache, so
``synchronous=NORMAL`` is enough. A file that is not a readable cache (corrupted, or
something else), found at opening or later while reading or writing, is moved aside and the
cache starts empty, with a warning: nothing in it cannot be fetched again.

Calls are short and thread-safe (one connection behind a lock), so an adapter may run them
in a worker thread (``asyncio.to_thread``) to keep the loop free.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from app.engine.domain.market import Bar, Timeframe

log = logging.getLogger(__name__)

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS candles (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    ts INTEGER NOT NULL,
    open TEXT NOT NULL,
    high TEXT NOT NULL,
    low TEXT NOT NULL,
    close TEXT NOT NULL,
    volume TEXT NOT NULL,
    PRIMARY KEY (venue, symbol, timeframe, ts)
) WITHOUT ROWID
"""


class CandleCacheError(RuntimeError):
    """The cache file cannot be opened or rebuilt (disk full, permissions)."""


class SqliteCandleCache:
    """``CandleCache`` on the SQLite file at ``path`` (created with its folder if missing)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as exc:
            self._conn = self._rebuild(exc)

    def _rebuild(self, reason: sqlite3.DatabaseError) -> sqlite3.Connection:
        """Move the damaged file aside and start an empty cache (it is only a cache)."""
        aside = self._move_aside()
        log.warning(
            "candle cache %s was unreadable (%s); moved to %s and rebuilt empty",
            self.path,
            reason,
            aside.name,
        )
        try:
            return self._open()
        except sqlite3.DatabaseError as again:
            raise CandleCacheError(f"cannot create candle cache {self.path}: {again}") from again

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 2000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"unknown candle cache version {version}")
            conn.execute(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            # cheap: touches the table's root page only (a full integrity check would read
            # the whole file on the loop); damage found later rebuilds the cache then
            conn.execute("SELECT 1 FROM candles LIMIT 1").fetchall()
        except BaseException:
            conn.close()
            raise
        return conn

    def _move_aside(self) -> Path:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.replace(Path(f"{aside}{suffix}"))
        return aside

    # --- CandleCache ------------------------------------------------------------------------
    def load_bars(
        self, venue: str, symbol: str, timeframe: Timeframe, start_ns: int, end_ns: int
    ) -> list[Bar]:
        """Closed bars opening in [start_ns, end_ns], oldest first."""
        frame = Timeframe(timeframe)
        with self._lock:
            try:
                rows = self._conn.execute(
                    "SELECT ts, open, high, low, close, volume FROM candles "
                    "WHERE venue = ? AND symbol = ? AND timeframe = ? AND ts BETWEEN ? AND ? "
                    "ORDER BY ts",
                    (venue, symbol, frame.value, start_ns, end_ns),
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                self._replace_damaged(exc)
                return []
        return [
            Bar(symbol, frame, Decimal(o), Decimal(h), Decimal(lo), Decimal(c), Decimal(v), ts)
            for ts, o, h, lo, c, v in rows
        ]

    def store_bars(self, venue: str, bars: Sequence[Bar]) -> None:
        """Upsert closed bars (forming bars are skipped: they are not final)."""
        rows = [
            (
                venue,
                bar.symbol,
                Timeframe(bar.timeframe).value,
                bar.ts,
                str(bar.open),
                str(bar.high),
                str(bar.low),
                str(bar.close),
                str(bar.volume),
            )
            for bar in bars
            if bar.closed
        ]
        if not rows:
            return
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.executemany(
                        "INSERT INTO candles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (venue, symbol, timeframe, ts) DO UPDATE SET "
                        "open = excluded.open, high = excluded.high, low = excluded.low, "
                        "close = excluded.close, volume = excluded.volume",
                        rows,
                    )
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                # what was not stored is fetched again next time
                self._replace_damaged(exc)

    def _replace_damaged(self, reason: sqlite3.DatabaseError) -> None:
        """Damage found while in use (the caller holds the lock): rebuild, carry on empty."""
        if isinstance(reason, sqlite3.OperationalError) and "locked" in str(reason):
            log.warning("candle cache %s is busy: %s", self.path, reason)
            return
        try:
            self._conn.close()
        finally:
            self._conn = self._rebuild(reason)

    def count(self, venue: str | None = None) -> int:
        with self._lock:
            if venue is None:
                return int(self._conn.execute("SELECT COUNT(*) FROM candles").fetchone()[0])
            query = "SELECT COUNT(*) FROM candles WHERE venue = ?"
            return int(self._conn.execute(query, (venue,)).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
