"""Bring a journal file's schema to the newest revision this build knows, with Alembic.

Runs in code: the Config is built here, the scripts folder is found next to this module (so
a PyInstaller build must ship ``app/engine/store/migrations`` as data, .py files included),
and the migration uses the connection the journal already opened and configured.

Before anything is written the file's revision is checked (``check_revision``, read only): a
revision we do not know means a newer Tradedesk wrote the file, and an unversioned file with
tables is not ours. Both are refused and the file is left untouched. The upgrade then repeats
the check and runs in one ``BEGIN IMMEDIATE`` transaction, which also proves at start-up that
we can take the write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from app.engine.store.errors import NotAJournal, SchemaTooNew

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: the newest revision in migrations/versions (a test keeps the two equal). A file already at
#: it is opened without importing Alembic at all, which saves most of a second at start-up.
HEAD_REVISION = "0001"


@dataclass(frozen=True, slots=True)
class MigrationOutcome:
    """What opening did to the schema: ``upgraded`` is False when it was already at head."""

    from_revision: str | None
    to_revision: str
    upgraded: bool


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _scripts(config: Config | None = None) -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config or alembic_config())


def head_revision() -> str:
    return _head(_scripts())


def _at_head(engine: Engine) -> bool:
    """True when the file carries exactly HEAD_REVISION (the common case at every start)."""
    with engine.connect() as conn:
        exists = conn.execute(
            text("select 1 from sqlite_master where type='table' and name='alembic_version'")
        ).first()
        if exists is None:
            return False
        rows = conn.execute(text("select version_num from alembic_version")).all()
    return [r[0] for r in rows] == [HEAD_REVISION]


def check_revision(engine: Engine, path: Path) -> str | None:
    """The file's revision, or None for a new file; raises SchemaTooNew or NotAJournal."""
    if _at_head(engine):
        return HEAD_REVISION
    script = _scripts()
    with engine.connect() as conn, conn.begin():
        return _checked_revision(conn, path, script)


def upgrade_to_head(engine: Engine, path: Path) -> MigrationOutcome:
    """Check the file's revision and upgrade it to head; see the module docstring."""
    if _at_head(engine):
        with engine.connect() as conn, conn.begin():
            pass  # BEGIN IMMEDIATE: proves at start that we can take the write lock
        return MigrationOutcome(HEAD_REVISION, HEAD_REVISION, upgraded=False)
    from alembic import command

    config = alembic_config()
    script = _scripts(config)
    head = _head(script)
    with engine.connect() as conn, conn.begin():
        from_revision = _checked_revision(conn, path, script)
        if from_revision == head:
            return MigrationOutcome(from_revision, head, upgraded=False)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return MigrationOutcome(from_revision, head, upgraded=True)


def _head(script: ScriptDirectory) -> str:
    head = script.get_current_head()
    if head is None:  # only possible if the shipped migrations folder is empty or missing
        raise RuntimeError(f"no journal migrations found in {MIGRATIONS_DIR}")
    return head


def _checked_revision(conn: Connection, path: Path, script: ScriptDirectory) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from alembic.util.exc import CommandError

    current = MigrationContext.configure(conn).get_current_heads()
    for revision in current:
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise SchemaTooNew(path, revision, _head(script))
    if not current:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        if tables:
            raise NotAJournal(path, sorted(tables))
        return None
    # One linear history: a file carries a single revision.
    return current[0]
