"""Alembic environment: migrations run against the URL given by plantlink.store.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from plantlink.store.tables import metadata

url = context.config.get_main_option("sqlalchemy.url")
assert url is not None
connectable = context.config.attributes.get("connection")

if connectable is None:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
else:
    context.configure(connection=connectable, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
