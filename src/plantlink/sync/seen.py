"""Keys seen by a complete listing, kept in the store so detection survives a crash."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from plantlink.store.records import in_scope
from plantlink.store.tables import records, sync_seen


def add(conn: Connection, connection_id: str, model: str, remote_ids: Iterable[str]) -> None:
    rows = [
        {"connection_id": connection_id, "model": model, "remote_id": rid}
        for rid in dict.fromkeys(remote_ids)
    ]
    if not rows:
        return
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(sync_seen).on_conflict_do_nothing(), rows)


def clear(conn: Connection, connection_id: str, model: str) -> None:
    conn.execute(
        delete(sync_seen).where(
            sync_seen.c.connection_id == connection_id, sync_seen.c.model == model
        )
    )


def unseen_record_ids(
    conn: Connection,
    connection_id: str,
    model: str,
    *,
    created_before: int,
    remote_modified_from: int | None,
) -> list[str]:
    """Live records the listing did not return, excluding ones stored after it started."""
    r = records.c
    seen = select(sync_seen.c.remote_id).where(
        sync_seen.c.connection_id == connection_id, sync_seen.c.model == model
    )
    conds = [
        *in_scope(connection_id, model),
        r.remote_deleted.is_(False),
        r.created_at < created_before,
        r.remote_id.not_in(seen),
    ]
    if remote_modified_from is not None:
        conds.append(r.remote_modified_at >= remote_modified_from)
    return [row[0] for row in conn.execute(select(r.id).where(*conds))]
