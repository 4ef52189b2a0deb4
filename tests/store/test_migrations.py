"""Migrations that move stored data, run down and up again over records on both backends."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select

from plantlink.store import Store
from plantlink.store.db import alembic_config
from plantlink.store.records import ListQuery, list_records, scope_of
from plantlink.store.tables import records
from tests.conftest import new_connection
from tests.store.test_records import _wo, _write


def _index_columns(store: Store) -> dict[str, list[str]]:
    found = inspect(store.engine).get_indexes("records")
    return {ix["name"]: list(ix["column_names"]) for ix in found if ix["name"]}


def test_scope_migration_fills_stored_records_and_reverts(store: Store) -> None:
    """0009 gives records stored before it their scope and rekeys the indexes; its
    downgrade restores the (connection_id, model) indexes; pages read the same throughout."""
    a, b = new_connection(store), new_connection(store)
    _write(store, a, [_wo(str(i), f"a{i}") for i in range(5)])
    _write(store, b, [_wo(str(i), f"b{i}") for i in range(3)])

    def pages() -> dict[str, list[str]]:
        return {
            c: [row[0] for row in list_records(store.engine, c, ListQuery(model="work_orders"))]
            for c in (a, b)
        }

    before = pages()
    assert [len(before[a]), len(before[b])] == [5, 3]
    cfg = alembic_config(store.url)

    store.engine.dispose()
    command.downgrade(cfg, "0008")
    store.engine.dispose()
    indexes = _index_columns(store)
    assert indexes["ix_records_modified"] == ["connection_id", "model", "modified_at", "id"]
    assert indexes["ix_records_asset_id"] == ["connection_id", "model", "asset_id"]
    assert "scope" not in {c["name"] for c in inspect(store.engine).get_columns("records")}

    command.upgrade(cfg, "head")
    store.engine.dispose()
    indexes = _index_columns(store)
    assert indexes["ix_records_modified"] == ["scope", "modified_at", "id"]
    assert indexes["ix_records_status"] == ["scope", "status"]
    assert indexes["ix_records_date_b"] == ["scope", "date_b"]
    assert len([n for n in indexes if n.startswith("ix_records_")]) == 11
    scope = next(c for c in inspect(store.engine).get_columns("records") if c["name"] == "scope")
    assert scope["nullable"] is False
    with store.engine.connect() as conn:
        rows = conn.execute(select(records.c.connection_id, records.c.model, records.c.scope))
        scopes = {(c, m, s) for c, m, s in rows}
    assert scopes == {(c, "work_orders", scope_of(c, "work_orders")) for c in (a, b)}
    assert pages() == before
    # and the store goes on writing after the upgrade
    _write(store, a, [_wo("new", "after")])
    assert len(pages()[a]) == 6
