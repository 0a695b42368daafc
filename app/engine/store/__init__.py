"""The SQLite journal: durable orders, fills, cash ledger and small state for the engine.

Public surface: ``Journal``, ``LedgerEntry``, ``MigrationOutcome`` and the errors below (the
tree is drawn in ``app.engine.store.errors``). Everything else in this package is private.
"""

from app.engine.store.errors import (
    DatabaseCorrupted,
    DatabaseLocked,
    DataDirInUse,
    JournalClosed,
    NotAJournal,
    SchemaTooNew,
    StorageUnavailable,
    StoreError,
    WriteFailed,
)
from app.engine.store.journal import DEFAULT_FILENAME, Journal
from app.engine.store.migrate import MigrationOutcome
from app.engine.store.repository import LedgerEntry

__all__ = [
    "DEFAULT_FILENAME",
    "DataDirInUse",
    "DatabaseCorrupted",
    "DatabaseLocked",
    "Journal",
    "JournalClosed",
    "LedgerEntry",
    "MigrationOutcome",
    "NotAJournal",
    "SchemaTooNew",
    "StorageUnavailable",
    "StoreError",
    "WriteFailed",
]
