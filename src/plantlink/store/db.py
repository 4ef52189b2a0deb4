"""Engine creation and migrations for both stores (SQLite embedded, PostgreSQL scale-out)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 60},
            pool_size=pool_size,
            max_overflow=20,
            # SQLite's page cache is per connection and goes cold whenever another
            # connection wrote: hand out the most recently used connection, so a sync's
            # page-after-page writes find their index pages still cached.
            pool_use_lifo=True,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    """WAL so readers never block the writer; explicit BEGIN so transactions mean what they say.

    pysqlite's own transaction handling starts transactions lazily and cannot take the
    write lock up front; we emit BEGIN ourselves, and ``BEGIN IMMEDIATE`` for write
    transactions (execution option ``sqlite_begin="IMMEDIATE"``) so that a writer waits
    for the lock instead of failing on upgrade.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA cache_size=-65536")
        # Checkpoint the WAL back into the database every ~20 MB instead of every ~4 MB:
        # a sync rewrites the same index pages page after page, and each checkpoint
        # writes them (and syncs) again. A fifth of a large initial sync on SQLite.
        cur.execute("PRAGMA wal_autocheckpoint=5000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on exit."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """One pooled connection for a request's reads (token lookup and page alike).

    On PostgreSQL it runs in autocommit: every statement sees what is committed when it
    starts, as a fresh transaction would, without the BEGIN and ROLLBACK round trips.
    SQLite keeps its (cheap, local) read transaction, one for all statements.
    """
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the database to the newest schema (idempotent; safe to run on every start)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
