"""Accounts on disk: ``accounts.sqlite`` in the data folder (SQLAlchemy 2, WAL).

A row holds the label, venue, mode and settings of an account and a keychain REFERENCE:
which credential fields are set and under which keychain names. Never a secret value.
The active account's id is kept in the same file. Every write is one transaction.

A file that is not an SQLite database, is damaged, or is an SQLite file of someone else's
is refused with an error naming it, and left exactly as it was found.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy.exc
from sqlalchemy import (
    BigInteger,
    ForeignKey,
    String,
    Text,
    delete,
    insert,
    inspect,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from app.accounts.model import Account, AccountMode, secret_name
from app.engine.domain.errors import ValidationError
from app.engine.store.errors import StoreError
from app.engine.store.sqlite import make_engine

FILE_NAME = "accounts.sqlite"
FORMAT = "tradedesk-accounts/1"
_SQLITE_HEADER = b"SQLite format 3\x00"
_ACTIVE = "active_account"


class AccountsFileError(StoreError):
    """accounts.sqlite cannot be used: not ours, damaged or unreadable. Left untouched."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(
            f"The accounts file {path} {detail}. It has been left untouched: restore it from a "
            f"backup, move it away, or start with a different data folder."
        )


class AccountsLocked(AccountsFileError):
    """Another program held the file's lock beyond the busy timeout; nothing was written."""

    def __init__(self, path: Path) -> None:
        StoreError.__init__(
            self,
            f"The accounts file {path} is locked by another program; nothing was changed. "
            f"Close any other program that has it open (a database browser?) and try again.",
        )
        self.path = path
        self.detail = "locked"


@contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    """SQLite's failures as errors a trader can act on; the transaction is rolled back."""
    try:
        yield
    except sqlalchemy.exc.IntegrityError as exc:
        if "accounts.label" in str(exc.orig):
            raise ValidationError("label", "is already used by another account") from None
        raise AccountsFileError(path, f"refused a write ({exc.orig})") from None
    except sqlalchemy.exc.OperationalError as exc:
        if "locked" in str(exc.orig) or "busy" in str(exc.orig):
            raise AccountsLocked(path) from None
        raise AccountsFileError(path, f"could not be written ({exc.orig})") from None


class _Base(DeclarativeBase):
    """accounts.sqlite's own tables (a metadata apart from the journal's)."""


class _Meta(_Base):
    __tablename__ = "accounts_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class _AccountRow(_Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    venue: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(40), unique=True)
    mode: Mapped[str] = mapped_column(String(16))
    symbols: Mapped[str] = mapped_column(Text)  # JSON list
    created_ns: Mapped[int] = mapped_column(BigInteger)
    live_confirmed_ns: Mapped[int | None] = mapped_column(BigInteger)
    acknowledged_warnings: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    product_type: Mapped[str | None] = mapped_column(String(16))
    token_expires_ns: Mapped[int | None] = mapped_column(BigInteger)


class _CredentialRef(_Base):
    """One credential field that is set: its keychain entry's name, never its value."""

    __tablename__ = "account_credentials"
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    keychain_name: Mapped[str] = mapped_column(String(128))


@dataclass(frozen=True, slots=True)
class StoredAccount:
    account: Account
    credentials: frozenset[str]  # the credential fields set in the keychain


class AccountStore:
    def __init__(self, data_dir: Path, *, busy_timeout_s: float = 5.0) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._check_header()
        self._engine = make_engine(
            self.path, busy_timeout_s=busy_timeout_s, begin="IMMEDIATE", wal=False
        )
        try:
            self._adopt()
        except Exception:
            self._engine.dispose()
            raise
        self._engine.dispose()
        # ours (or new): from here on WAL, as every Tradedesk database
        # DEFERRED: reads never take the write lock, so a program holding it (the CLI in
        # another process, a database browser) still lets the accounts table show
        self._engine = make_engine(self.path, busy_timeout_s=busy_timeout_s, begin="DEFERRED")

    def close(self) -> None:
        self._engine.dispose()

    # --- opening --------------------------------------------------------------------------
    def _check_header(self) -> None:
        try:
            with self.path.open("rb") as fh:
                head = fh.read(len(_SQLITE_HEADER))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise AccountsFileError(self.path, f"cannot be read ({exc})") from None
        if head and head != _SQLITE_HEADER:
            raise AccountsFileError(self.path, "is not an SQLite database")

    def _adopt(self) -> None:
        """Create the schema in a new file, or check an existing one is ours and intact."""
        try:
            with self._engine.connect() as conn:
                check = conn.exec_driver_sql("PRAGMA quick_check").scalar()
                if str(check).lower() != "ok":
                    raise AccountsFileError(self.path, f"is damaged ({check})")
                tables = set(inspect(conn).get_table_names())
            if not tables:
                with self._engine.begin() as conn:
                    _Base.metadata.create_all(conn)
                    conn.execute(insert(_Meta).values(key="format", value=FORMAT))
                return
            expected = set(_Base.metadata.tables)
            if _Meta.__tablename__ not in tables:
                raise AccountsFileError(self.path, "is an SQLite file not made by Tradedesk")
            with self._engine.connect() as conn:
                found = conn.execute(
                    select(_Meta.value).where(_Meta.key == "format")
                ).scalar_one_or_none()
            if found != FORMAT:
                raise AccountsFileError(
                    self.path, f"has format {found!r}, not {FORMAT!r} (a newer Tradedesk?)"
                )
            if not expected <= tables:
                raise AccountsFileError(self.path, "is missing tables: it is damaged")
        except (sqlalchemy.exc.DatabaseError, sqlite3.DatabaseError) as exc:
            raise AccountsFileError(self.path, f"cannot be read as a database ({exc})") from None

    # --- reading --------------------------------------------------------------------------
    def all(self) -> list[StoredAccount]:
        with _sqlite_errors(self.path), Session(self._engine) as s:
            rows = s.scalars(select(_AccountRow).order_by(_AccountRow.created_ns)).all()
            refs = s.scalars(select(_CredentialRef)).all()
            fields: dict[str, set[str]] = {}
            for ref in refs:
                fields.setdefault(ref.account_id, set()).add(ref.field)
            return [StoredAccount(_to_account(r), frozenset(fields.get(r.id, ()))) for r in rows]

    def get(self, account_id: str) -> StoredAccount | None:
        with _sqlite_errors(self.path), Session(self._engine) as s:
            row = s.get(_AccountRow, account_id)
            if row is None:
                return None
            refs = s.scalars(
                select(_CredentialRef.field).where(_CredentialRef.account_id == account_id)
            ).all()
            return StoredAccount(_to_account(row), frozenset(refs))

    def active_id(self) -> str | None:
        with _sqlite_errors(self.path), Session(self._engine) as s:
            meta = s.get(_Meta, _ACTIVE)
            return meta.value if meta is not None else None

    # --- writing (each one transaction) ---------------------------------------------------
    def insert(self, account: Account, credentials: Iterable[str]) -> None:
        with _sqlite_errors(self.path), Session(self._engine) as s, s.begin():
            s.add(_to_row(account))
            s.flush()  # the account row exists before its references point at it
            s.add_all(_refs(account.id, credentials))

    def update(self, account: Account, credentials: Iterable[str] | None = None) -> None:
        """Replace the row; ``credentials`` (when given) replaces the set fields."""
        with _sqlite_errors(self.path), Session(self._engine) as s, s.begin():
            row = s.get(_AccountRow, account.id)
            if row is None:
                raise KeyError(account.id)
            new = _to_row(account)
            for column in _AccountRow.__table__.columns:
                setattr(row, column.key, getattr(new, column.key))
            if credentials is not None:
                s.execute(delete(_CredentialRef).where(_CredentialRef.account_id == account.id))
                s.add_all(_refs(account.id, credentials))

    def delete(self, account_id: str) -> None:
        with _sqlite_errors(self.path), Session(self._engine) as s, s.begin():
            s.execute(delete(_CredentialRef).where(_CredentialRef.account_id == account_id))
            s.execute(delete(_AccountRow).where(_AccountRow.id == account_id))
            meta = s.get(_Meta, _ACTIVE)
            if meta is not None and meta.value == account_id:
                s.delete(meta)

    def set_active_id(self, account_id: str | None) -> None:
        with _sqlite_errors(self.path), Session(self._engine) as s, s.begin():
            meta = s.get(_Meta, _ACTIVE)
            if account_id is None:
                if meta is not None:
                    s.delete(meta)
            elif meta is None:
                s.add(_Meta(key=_ACTIVE, value=account_id))
            else:
                meta.value = account_id


def _refs(account_id: str, credentials: Iterable[str]) -> list[_CredentialRef]:
    return [
        _CredentialRef(account_id=account_id, field=f, keychain_name=secret_name(account_id, f))
        for f in sorted(set(credentials))
    ]


def _to_row(a: Account) -> _AccountRow:
    return _AccountRow(
        id=a.id,
        venue=a.venue,
        label=a.label,
        mode=a.mode.value,
        symbols=json.dumps(list(a.symbols)),
        created_ns=a.created_ns,
        live_confirmed_ns=a.live_confirmed_ns,
        acknowledged_warnings=json.dumps(list(a.acknowledged_warnings)),
        product_type=a.product_type,
        token_expires_ns=a.token_expires_ns,
    )


def _to_account(r: _AccountRow) -> Account:
    return Account(
        id=r.id,
        venue=r.venue,
        label=r.label,
        mode=AccountMode(r.mode),
        symbols=tuple(json.loads(r.symbols)),
        created_ns=r.created_ns,
        live_confirmed_ns=r.live_confirmed_ns,
        acknowledged_warnings=tuple(json.loads(r.acknowledged_warnings)),
        product_type=r.product_type,
        token_expires_ns=r.token_expires_ns,
    )
