"""Per-model sync state: status, source cursor, checkpoint, and the published watermark.

``last_successful_sync_at`` is published inside a write transaction that took a stamp
``S`` and is set to ``S - 1µs``. Every record committed later carries a stamp ``> S``,
and every record stamped ``≤ S - 1`` was committed before the value became visible, so
a client reading ``modified_after=<that value>`` misses nothing (PRODUCT.md, the
incremental-read guarantee).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, insert, select, update

from plantlink.core.timeutil import now_us
from plantlink.store.db import write_connection
from plantlink.store.records import take_stamp
from plantlink.store.tables import connections, sync_state


@dataclass
class ModelState:
    model: str
    status: str = "pending"
    is_initial_sync: bool = True
    cursor: int | None = None
    checkpoint: dict[str, Any] | None = None
    last_successful_sync_at: int | None = None
    last_sync_started_at: int | None = None
    last_sync_finished_at: int | None = None
    last_reconciled_at: int | None = None
    records: int = 0
    error_code: str | None = None
    error_message: str | None = None


def _state(row: Any) -> ModelState:
    return ModelState(
        model=row.model,
        status=row.status,
        is_initial_sync=bool(row.is_initial_sync),
        cursor=row.cursor,
        checkpoint=orjson.loads(row.checkpoint) if row.checkpoint else None,
        last_successful_sync_at=row.last_successful_sync_at,
        last_sync_started_at=row.last_sync_started_at,
        last_sync_finished_at=row.last_sync_finished_at,
        last_reconciled_at=row.last_reconciled_at,
        records=row.records,
        error_code=row.error_code,
        error_message=row.error_message,
    )


def load_states(engine: Engine, connection_id: str) -> dict[str, ModelState]:
    with engine.connect() as conn:
        rows = conn.execute(select(sync_state).where(sync_state.c.connection_id == connection_id))
        return {r.model: _state(r) for r in rows}


def ensure_states(engine: Engine, connection_id: str, models: tuple[str, ...]) -> None:
    have = load_states(engine, connection_id)
    missing = [m for m in models if m not in have]
    if missing:
        with write_connection(engine) as conn:
            conn.execute(
                insert(sync_state),
                [
                    {"connection_id": connection_id, "model": m, "status": "pending"}
                    for m in missing
                ],
            )


def _where(connection_id: str, model: str) -> Any:
    return (sync_state.c.connection_id == connection_id) & (sync_state.c.model == model)


def mark_started(engine: Engine, connection_id: str, model: str) -> None:
    with write_connection(engine) as conn:
        conn.execute(
            update(sync_state)
            .where(_where(connection_id, model))
            .values(status="syncing", last_sync_started_at=now_us())
        )


def save_page(
    conn: Connection,
    connection_id: str,
    model: str,
    checkpoint: dict[str, Any] | None,
    live_delta: int,
) -> None:
    """Inside the page's write transaction: checkpoint and record count commit with the page."""
    conn.execute(
        update(sync_state)
        .where(_where(connection_id, model))
        .values(
            checkpoint=orjson.dumps(checkpoint).decode() if checkpoint else None,
            records=sync_state.c.records + live_delta,
        )
    )


def adjust_records(conn: Connection, connection_id: str, model: str, live_delta: int) -> None:
    """A write-through changed the number of live records (the checkpoint is left alone)."""
    if live_delta:
        conn.execute(
            update(sync_state)
            .where(_where(connection_id, model))
            .values(records=sync_state.c.records + live_delta)
        )


def publish_success(
    conn: Connection,
    connection_id: str,
    model: str,
    stamp: int,
    *,
    cursor: int | None,
    reconciled: bool,
) -> int:
    """Finish a model inside a write transaction that took ``stamp``; returns the watermark."""
    watermark = stamp - 1
    values: dict[str, Any] = {
        "status": "done",
        "is_initial_sync": False,
        "checkpoint": None,
        "last_successful_sync_at": watermark,
        "last_sync_finished_at": now_us(),
        "error_code": None,
        "error_message": None,
    }
    if cursor is not None:
        values["cursor"] = cursor
    if reconciled:
        values["last_reconciled_at"] = now_us()
    conn.execute(update(sync_state).where(_where(connection_id, model)).values(**values))
    return watermark


def mark_failed(
    engine: Engine, connection_id: str, model: str, *, partial: bool, code: str, message: str
) -> None:
    with write_connection(engine) as conn:
        conn.execute(
            update(sync_state)
            .where(_where(connection_id, model))
            .values(
                status="partially_synced" if partial else "failed",
                last_sync_finished_at=now_us(),
                error_code=code,
                error_message=message[:2000],
            )
        )


def publish_connection_success(engine: Engine, connection_id: str) -> int:
    """All requested models succeeded: publish the connection-level watermark."""
    with write_connection(engine) as conn:
        stamp = take_stamp(conn, connection_id)
        conn.execute(
            update(connections)
            .where(connections.c.id == connection_id)
            .values(last_successful_sync_at=stamp - 1)
        )
    return stamp - 1
