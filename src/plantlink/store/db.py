"""Engine creation and migrations for both stores (SQLite embedded, PostgreSQL scale-out)."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Dialect, Engine, Select, create_engine, event
from sqlalchemy.exc import DBAPIError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

log = structlog.get_logger(__name__)

#: Page size of a new SQLite database. A work order's row (document and raw record) is
#: ~2.8 kB: with SQLite's default 4 KiB pages each row had a page to itself, a third of
#: it unused, and every page a commit touches is one more frame to log and copy back.
#: 8 KiB pages made a 200k-record initial sync ~8 % faster for ~12 % less CPU; 16, 32 and
#: 64 KiB were no faster (bench/RESULTS.md). It applies when a database file is created;
#: an existing one keeps the page size it has.
SQLITE_PAGE_SIZE = 8192

#: SQLite's own checkpoint threshold (pages: ~100 MB at 8 KiB). The commit that crosses
#: it finishes the checkpoint ``WalCheckpointer`` has mostly done already, so that the
#: next write starts the log from the beginning again; this bounds the log's size.
_WAL_AUTOCHECKPOINT_PAGES = 12_500


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
        path = engine.url.database
        if path and path != ":memory:" and not path.startswith("file:"):
            checkpointer = WalCheckpointer(path)
            _CHECKPOINTERS[engine] = checkpointer
            event.listen(engine, "commit", lambda _conn: checkpointer.poke())
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
        # before anything writes the file's header (a no-op on an existing database)
        cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute(f"PRAGMA wal_autocheckpoint={_WAL_AUTOCHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


class WalCheckpointer:
    """Copies SQLite's write-ahead log back into the database off the committing thread.

    Left to SQLite, the commit that crosses the threshold runs the checkpoint itself:
    copies the log's pages into the database and syncs both before it returns. In a large
    initial sync that was 45 % of the wall time (bench/RESULTS.md). Here a helper thread
    runs a PASSIVE checkpoint on its own connection shortly after commits; SQLite lets a
    checkpoint and a writer work at once, and the driver releases the GIL while it
    copies, so the sync maps and stores its next page meanwhile. A burst of commits is
    folded into one checkpoint every ``interval`` seconds.
    """

    def __init__(self, path: str, interval: float = 0.2) -> None:
        self._path = path
        self._interval = interval
        self._due = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def poke(self) -> None:
        """A commit happened: checkpoint soon (the thread starts on first use)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop.is_set():
                    self._thread = threading.Thread(
                        target=self._run, name="sqlite-checkpoint", daemon=True
                    )
                    self._thread.start()
        self._due.set()

    def close(self) -> None:
        self._stop.set()
        self._due.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=60, check_same_thread=False)
        try:
            while not self._stop.is_set():
                self._due.wait()
                if self._stop.is_set():
                    break
                self._due.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # the next commit tries again
                    log.warning("sqlite_checkpoint_failed", error=str(exc))
                self._stop.wait(self._interval)
        finally:
            conn.close()


_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, WalCheckpointer] = weakref.WeakKeyDictionary()


def dispose(engine: Engine) -> None:
    """Close the engine's connections (and its SQLite checkpointer, after a last pass)."""
    checkpointer = _CHECKPOINTERS.pop(engine, None)
    if checkpointer is not None:
        checkpointer.close()
    engine.dispose()


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


class DriverQuery:
    """A fixed SELECT run on the driver's own cursor, for the statement every request runs.

    ``Connection.execute`` spends ~45 µs of Python per call keying the compiled-statement
    cache, binding and building result metadata: half of the token lookup's cost. The
    statement is compiled once per dialect instead, and rows come back as plain tuples
    in the statement's column order.
    """

    def __init__(self, stmt: Select[Any]) -> None:
        self.stmt = stmt
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _sql(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.stmt.compile(dialect=dialect)
            # positional paramstyles (SQLite's qmark) take a tuple in bind order
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            found = self._compiled[dialect.name] = (str(compiled), order)
        return found

    def first(self, conn: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        dialect = conn.dialect
        sql, order = self._sql(dialect)
        args: Any = params if order is None else tuple(params[name] for name in order)
        pooled = conn.connection
        cursor = None
        try:
            cursor = pooled.cursor()
            cursor.execute(sql, args)
            row = cursor.fetchone()
        except dialect.loaded_dbapi.Error as exc:
            # As Connection.execute would: a dropped connection leaves the pool, and the
            # error is SQLAlchemy's, without the parameters (a token's hash, say).
            lost = dialect.is_disconnect(exc, pooled.dbapi_connection, cursor)
            if lost:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                sql,
                None,
                exc,
                dialect.loaded_dbapi.Error,
                hide_parameters=True,
                connection_invalidated=lost,
                dialect=dialect,
            ) from exc
        finally:
            if cursor is not None:
                cursor.close()
        return None if row is None else tuple(row)


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
