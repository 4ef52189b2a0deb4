"""Alembic environment: migrations run against the URL given by plantlink.store.db."""

from __future__ import annotations

from alembic import context

from plantlink.store.db import dispose, make_engine
from plantlink.store.tables import metadata

url = context.config.get_main_option("sqlalchemy.url")
assert url is not None
connectable = context.config.attributes.get("connection")

if connectable is None:
    # The store's own engine, so a database the migration creates gets its settings
    # (SQLite: page size and write-ahead log) from the start.
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    dispose(engine)
else:
    context.configure(connection=connectable, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
