"""Everything that can go wrong with the journal, as one tree of exceptions.

    StoreError                 the journal cannot be used or did not take a write
    ├── DataDirInUse           another process (or this one) already has the data folder open
    ├── DatabaseCorrupted      the file is not an SQLite database, or its pages are damaged
    ├── DatabaseLocked         another program holds SQLite's lock beyond the busy timeout
    ├── SchemaTooNew           the file was written by a newer Tradedesk
    ├── NotAJournal            an SQLite file with tables of its own, not made by Tradedesk
    ├── StorageUnavailable     the disk refused: full, read-only, I/O error, cannot open
    ├── WriteFailed            a flush found that writes queued before it did not land
    └── JournalClosed          a write was queued after ``close()``

Messages are written for the person in front of the screen: they name the file or folder and
say what to do. None of these errors is ever "fixed" by deleting, truncating or rewriting the
file: the journal is the record of real money, so it is left exactly as found.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy.exc


class StoreError(Exception):
    """The journal could not be opened or could not record something."""


class DataDirInUse(StoreError):
    """The data folder is locked by another running Tradedesk (its PID is given when known)."""

    def __init__(self, data_dir: Path, pid: int | None) -> None:
        self.data_dir = data_dir
        self.pid = pid
        who = f"process {pid}" if pid is not None else "another process"
        super().__init__(
            f"The data folder {data_dir} is already in use by {who}. Only one Tradedesk can use "
            f"a data folder at a time: close the other one, or start this one with a different "
            f"data folder."
        )


class DatabaseCorrupted(StoreError):
    """The file is not a database, or SQLite found damaged pages in it."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(
            f"The journal {path} is damaged and cannot be read ({detail}). It has been left "
            f"untouched. Restore it from a backup (copy the .sqlite file together with its "
            f"-wal file, if there is one), or start with a different data folder."
        )


class DatabaseLocked(StoreError):
    """Another program kept the database locked for longer than the busy timeout."""

    def __init__(self, path: Path, waited_s: float) -> None:
        self.path = path
        self.waited_s = waited_s
        super().__init__(
            f"The journal {path} is locked by another program (waited {waited_s:g} s). Close "
            f"any other program that has it open, for example a database browser, and try again."
        )


class SchemaTooNew(StoreError):
    """The file's schema revision is unknown here: a newer Tradedesk wrote it."""

    def __init__(self, path: Path, revision: str, known_head: str) -> None:
        self.path = path
        self.revision = revision
        self.known_head = known_head
        super().__init__(
            f"The journal {path} was written by a newer version of Tradedesk (its schema "
            f"revision {revision!r} is unknown to this version, whose newest is {known_head!r}). "
            f"Install the newer version to open it; it has been left untouched."
        )


class NotAJournal(StoreError):
    """An SQLite file that has tables but no Tradedesk schema revision."""

    def __init__(self, path: Path, tables: list[str]) -> None:
        self.path = path
        self.tables = tables
        shown = ", ".join(tables[:5])
        super().__init__(
            f"The file {path} is an SQLite database but not a Tradedesk journal (it holds "
            f"tables such as {shown}). It has been left untouched; use a different data folder."
        )


class StorageUnavailable(StoreError):
    """The operating system or disk refused the operation (full, read-only, I/O error)."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(
            f"The journal {path} could not be used: {detail}. Check that the disk is not full, "
            f"that the folder is writable and the drive still connected."
        )


class WriteFailed(StoreError):
    """Writes queued before a flush failed; each failed write's own future holds its error."""


class JournalClosed(StoreError):
    """A write was queued after the journal was closed."""


# SQLite primary result codes (extended codes carry them in the low byte).
_BUSY, _LOCKED = 5, 6
_READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 8, 10, 11, 13, 14, 26
_STORAGE_TEXT = {
    _READONLY: "the file or its folder is read-only",
    _IOERR: "a disk I/O error occurred",
    _FULL: "the disk is full",
    _CANTOPEN: "the file cannot be opened",
}


def sqlite_cause(exc: BaseException) -> sqlite3.Error | None:
    """The sqlite3 error behind ``exc`` (SQLAlchemy wraps it), if there is one."""
    seen: BaseException | None = exc
    for _ in range(5):  # a short walk: wrappers nest at most a couple of levels
        if seen is None:
            return None
        if isinstance(seen, sqlite3.Error):
            return seen
        if isinstance(seen, sqlalchemy.exc.DBAPIError) and isinstance(seen.orig, sqlite3.Error):
            return seen.orig
        seen = seen.__cause__ or seen.__context__
    return None


def classify(exc: BaseException, path: Path, *, busy_timeout_s: float) -> StoreError:
    """Map any failure while using the database at ``path`` to the StoreError a user reads.

    The original exception stays reachable as ``__cause__`` (callers raise ``from exc``).
    """
    if isinstance(exc, StoreError):
        return exc
    cause = sqlite_cause(exc)
    if cause is None:
        return StoreError(f"The journal {path} did not accept a write: {exc}")
    code = getattr(cause, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(cause)
    if primary in (_BUSY, _LOCKED) or "locked" in text:
        return DatabaseLocked(path, busy_timeout_s)
    if primary in (_CORRUPT, _NOTADB) or "not a database" in text or "malformed" in text:
        return DatabaseCorrupted(path, text)
    if primary in _STORAGE_TEXT:
        return StorageUnavailable(path, f"{_STORAGE_TEXT[primary]} ({text})")
    return StoreError(f"The journal {path} did not accept a write: {text}")


def is_environmental(error: StoreError) -> bool:
    """True when the database itself is unusable right now, so retrying op by op is pointless."""
    return isinstance(error, DatabaseLocked | DatabaseCorrupted | StorageUnavailable)
