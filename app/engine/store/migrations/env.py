"""Alembic environment for the journal.

Tradedesk runs migrations in code (``app.engine.store.migrate``) on a connection it has
already opened, configured and locked; that connection arrives in
``config.attributes["connection"]``. There is no alembic.ini and no URL here on purpose: the
file to migrate is always the one the journal opened.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from app.engine.store.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "journal migrations run from app.engine.store.migrate with an open connection"
    )

# render_as_batch: SQLite cannot ALTER most things, so future revisions copy tables instead.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
