"""Set-at-a-time statements for the sync's hot path, written once per dialect.

A page of 200 records goes through ``upsert``: one lookup of what is stored, one insert
of the new rows, one update of the changed ones. Built with SQLAlchemy expressions these
cost more in Python than the database spends on them (compiling a 200-item ``IN`` list,
processing 20 bind values a row; bench/RESULTS.md). Here each statement is plain SQL
text — a few string joins, no compilation — run by the driver:

- new rows go in with binary ``COPY … FROM STDIN`` on PostgreSQL (rows formatted by
  psycopg's C code, no per-row statement on the server, and no escaping pass over
  2.5 kB documents as the text format needs) and one ``executemany`` on SQLite;
- updates are one ``executemany`` (psycopg pipelines it: one round trip);
- lookups and deletes by key are one ``IN (…)`` (``= ANY`` of one array on PostgreSQL).

Only plain values go in (str, int, bool, None): the columns involved have no type
processing in SQLAlchemy either, so the rows stored are the same byte for byte. (Whole
columns as array parameters were tried for PostgreSQL: psycopg escapes array elements in
Python, which made large documents slower than before.)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql


def _mark(dialect: str) -> str:
    return "%s" if dialect == "postgresql" else "?"


@lru_cache(maxsize=256)
def _key_in(dialect: str, key: str, n: int) -> str:
    """``key IN (…)``: one binary array parameter on PostgreSQL (psycopg neither parses nor
    escapes it per item, unlike a placeholder or a text array per item), one placeholder
    per key on SQLite (the driver caches the statement per length)."""
    if dialect == "postgresql":
        return f"{key} = ANY(%b)"
    return f"{key} IN ({', '.join('?' * n)})"


def _key_params(dialect: str, chunk: Sequence[str]) -> tuple[Any, ...]:
    return (list(chunk),) if dialect == "postgresql" else tuple(chunk)


def select_in(
    conn: Connection, table: Table, columns: tuple[str, ...], key: str, values: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``SELECT columns FROM table WHERE key IN values`` as plain tuples."""
    out: list[tuple[Any, ...]] = []
    dialect = conn.dialect.name
    for chunk in _chunks(values):
        where = _key_in(dialect, key, len(chunk))
        sql = f"SELECT {', '.join(columns)} FROM {table.name} WHERE {where}"
        out.extend(tuple(row) for row in conn.exec_driver_sql(sql, _key_params(dialect, chunk)))
    return out


def delete_in(conn: Connection, table: Table, key: str, values: Sequence[str]) -> None:
    dialect = conn.dialect.name
    for chunk in _chunks(values):
        where = _key_in(dialect, key, len(chunk))
        conn.exec_driver_sql(f"DELETE FROM {table.name} WHERE {where}", _key_params(dialect, chunk))


def _chunks(values: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    """Batches small enough for any SQLite build's limit on bound parameters."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def insert_rows(
    conn: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order): ``COPY`` on PostgreSQL, one
    ``executemany`` on SQLite."""
    if not rows:
        return
    cols = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        sql = f"COPY {table.name} ({cols}) FROM STDIN (FORMAT BINARY)"
        with driver.cursor() as cur, cur.copy(sql) as copy:
            copy.set_types(_copy_types(table, columns))
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", list(rows))


@lru_cache(maxsize=64)
def _copy_types(table: Table, columns: tuple[str, ...]) -> list[str]:
    """PostgreSQL type names of ``columns``, which binary ``COPY`` needs up front."""
    dialect = postgresql.dialect()
    return [table.c[c].type.compile(dialect).split("(")[0].lower() for c in columns]


@lru_cache(maxsize=64)
def _update_sql(dialect: str, table: Table, columns: tuple[str, ...], key: str) -> str:
    mark = _mark(dialect)
    sets = ", ".join(f"{c} = {mark}" for c in columns)
    return f"UPDATE {table.name} SET {sets} WHERE {key} = {mark}"


def update_rows(
    conn: Connection,
    table: Table,
    key: str,
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, Sequence[Any]]],
) -> None:
    """Set ``columns`` of each row identified by ``key``; ``rows`` are ``(key, values)``."""
    if not rows:
        return
    sql = _update_sql(conn.dialect.name, table, columns, key)
    conn.exec_driver_sql(sql, [(*v, k) for k, v in rows])
