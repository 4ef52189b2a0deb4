"""A new SQLite store is created with 8 KiB pages; an existing one keeps the pages it has."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from plantlink.model.mapped import Mapped
from plantlink.store import Store
from plantlink.store.db import SQLITE_PAGE_SIZE, write_connection
from plantlink.store.records import ListQuery, list_records, take_stamp, upsert
from tests.conftest import make_settings, new_connection


def _pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def _store_and_list(store: Store) -> list[str]:
    cid = new_connection(store)
    items = [Mapped("work_orders", str(i), {"title": "t" * 3000}) for i in range(20)]
    with write_connection(store.engine) as conn:
        upsert(conn, cid, items, take_stamp(conn, cid))
    rows = list_records(store.engine, cid, ListQuery("work_orders", page_size=50))
    return sorted(orjson.loads(r[1])["remote_id"] for r in rows)


def test_a_new_database_gets_the_store_page_size_and_the_log(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    store = Store.open(make_settings(f"sqlite:///{path}", tmp_path))
    try:
        # Set by the migration that created the file, before any table existed.
        assert _pragma(path, "page_size") == SQLITE_PAGE_SIZE != 4096
        assert _pragma(path, "journal_mode") == "wal"
        assert _store_and_list(store) == sorted(str(i) for i in range(20))
    finally:
        store.close()


def test_an_existing_database_keeps_its_page_size(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size=4096")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE unrelated (x INTEGER)")
    conn.close()
    store = Store.open(make_settings(f"sqlite:///{path}", tmp_path))
    try:
        assert _pragma(path, "page_size") == 4096
        assert _store_and_list(store) == sorted(str(i) for i in range(20))
    finally:
        store.close()
