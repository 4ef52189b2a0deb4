"""When syncs run: pending requests, due connections, and the growing retry interval.

Both a sync request (``POST /v1/sync``) and the regular interval are plain database
state on the connection row, so any scheduler — the in-process one of embedded mode or
procrastinate workers in scale-out mode — finds the same work and the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Engine, or_, select, update

from plantlink.core.timeutil import now_us
from plantlink.store.db import write_connection
from plantlink.store.tables import connections

SCHEDULABLE = ("active", "offline")


@dataclass
class RunRequest:
    connection_id: str
    models: list[str] | None = None
    full: bool = False
    trigger: str = "schedule"
    #: Stop after the page that crosses this many seconds and queue the rest (fair share:
    #: a huge initial sync yields its worker; the next run resumes from the checkpoint).
    budget_seconds: float | None = None


def request_sync(
    engine: Engine, connection_id: str, models: list[str] | None, full: bool, trigger: str
) -> dict[str, Any]:
    """Record a sync request, merged with any request still waiting; due at once."""
    with write_connection(engine) as conn:
        raw = conn.execute(
            select(connections.c.sync_request).where(connections.c.id == connection_id)
        ).scalar_one_or_none()
        prev = orjson.loads(raw) if raw else None
        if prev is None:
            merged = {"models": models, "full": full, "trigger": trigger}
        else:
            prev_models, merged_models = prev.get("models"), None
            if prev_models is not None and models is not None:
                merged_models = sorted(set(prev_models) | set(models))
            merged = {
                "models": merged_models,
                "full": bool(prev.get("full")) or full,
                "trigger": prev.get("trigger", trigger),
            }
        conn.execute(
            update(connections)
            .where(connections.c.id == connection_id)
            .values(sync_request=orjson.dumps(merged).decode(), next_sync_at=now_us())
        )
    return merged


def _due(now: int) -> tuple[ColumnElement[bool], ...]:
    c = connections.c
    return (c.status.in_(SCHEDULABLE), or_(c.next_sync_at <= now, c.sync_request.is_not(None)))


def due_connections(engine: Engine, limit: int = 100) -> list[RunRequest]:
    """Connections whose sync is due and not running anywhere, oldest first."""
    now = now_us()
    c = connections.c
    stmt = (
        select(c.id, c.sync_request)
        .where(*_due(now), or_(c.lease_until.is_(None), c.lease_until < now))
        .order_by(c.next_sync_at)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [to_run_request(row.id, row.sync_request) for row in rows]


def due_request(engine: Engine, connection_id: str) -> RunRequest | None:
    """The run a job for this connection should do now, or None if nothing is due.

    A queued job may find its work already done (a run that finished after the job was
    queued); checking here makes such a job harmless. A lease is not checked: the engine
    answers ``busy``, or takes over the lease of a dead process on this host.
    """
    c = connections.c
    with engine.connect() as conn:
        row = conn.execute(
            select(c.id, c.sync_request).where(c.id == connection_id, *_due(now_us()))
        ).first()
    return None if row is None else to_run_request(row.id, row.sync_request)


def to_run_request(connection_id: str, raw_request: str | None) -> RunRequest:
    if not raw_request:
        return RunRequest(connection_id, trigger="schedule")
    req = orjson.loads(raw_request)
    return RunRequest(
        connection_id, models=req.get("models"), full=bool(req.get("full")), trigger=req["trigger"]
    )


def next_wakeup(engine: Engine) -> int | None:
    """The earliest ``next_sync_at`` among schedulable connections (µs), if any."""
    c = connections.c
    with engine.connect() as conn:
        value = conn.execute(
            select(c.next_sync_at)
            .where(c.status.in_(SCHEDULABLE), c.next_sync_at.is_not(None))
            .order_by(c.next_sync_at)
            .limit(1)
        ).scalar_one_or_none()
    return None if value is None else int(value)
