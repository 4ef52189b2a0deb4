"""SQLite's write-ahead log is copied back by the store's helper thread, not by commits."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from plantlink.model.mapped import Mapped
from plantlink.store import Store
from plantlink.store.db import write_connection
from plantlink.store.records import take_stamp, upsert
from tests.conftest import make_settings, new_connection


def _write_pages(store: Store, connection_id: str, pages: int) -> None:
    for p in range(pages):
        items = [
            Mapped("work_orders", f"{p}-{i}", {"title": "x" * 200, "status": "open"})
            for i in range(200)
        ]
        with write_connection(store.engine) as conn:
            upsert(conn, connection_id, items, take_stamp(conn, connection_id))


def _checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sqlite-checkpoint"]


def test_the_log_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "plantlink.db"
    store = Store.open(make_settings(f"sqlite:///{path}", tmp_path))
    before = len(_checkpointers())
    try:
        cid = new_connection(store)
        size = path.stat().st_size
        _write_pages(store, cid, 10)  # ~2 MB, far below SQLite's own threshold
        # Nothing on the committing side copies the log back: only the helper can make
        # the database file take the records in.
        deadline = time.monotonic() + 10
        while path.stat().st_size < size + 1_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= size + 1_000_000
        assert len(_checkpointers()) == before + 1
    finally:
        store.close()
    assert len(_checkpointers()) == before  # closed with the store
