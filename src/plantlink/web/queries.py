"""Read-only queries behind the dashboard (one query per table shown, never one per row)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import case, func, select

from plantlink.core.security import hash_token
from plantlink.core.timeutil import now_us
from plantlink.store import Store
from plantlink.store.accounts import Organization
from plantlink.store.tables import admin_keys, connections, organizations, sync_runs, sync_state

HOUR_US = 3_600_000_000


def admin_key_id(store: Store, key: str) -> str | None:
    """The id of a live admin key (the dashboard session remembers the id, never the key)."""
    with store.engine.connect() as conn:
        value = conn.execute(
            select(admin_keys.c.id).where(
                admin_keys.c.key_hash == hash_token(key), admin_keys.c.revoked_at.is_(None)
            )
        ).scalar_one_or_none()
    return None if value is None else str(value)


def organization_for_key_id(store: Store, key_id: str) -> Organization | None:
    """The key's organization while the key is live: revoking it ends dashboard sessions."""
    stmt = (
        select(organizations)
        .join(admin_keys, admin_keys.c.organization_id == organizations.c.id)
        .where(admin_keys.c.id == key_id, admin_keys.c.revoked_at.is_(None))
    )
    with store.engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return None
    return Organization(row.id, row.name, orjson.loads(row.redirect_urls), row.created_at)


@dataclass(frozen=True)
class ModelTotals:
    records: int
    failing: int


def model_totals(store: Store, org_id: str) -> dict[str, ModelTotals]:
    """Per connection: records stored and models whose last sync failed."""
    s = sync_state.c
    failing = func.sum(case((s.status.in_(("failed", "partially_synced")), 1), else_=0))
    stmt = (
        select(s.connection_id, func.sum(s.records), failing)
        .join(connections, connections.c.id == s.connection_id)
        .where(connections.c.organization_id == org_id)
        .group_by(s.connection_id)
    )
    with store.engine.connect() as conn:
        return {
            row[0]: ModelTotals(int(row[1] or 0), int(row[2] or 0)) for row in conn.execute(stmt)
        }


@dataclass(frozen=True)
class Run:
    id: str
    trigger: str
    models: list[str]
    full: bool
    status: str
    started_at: int
    finished_at: int | None
    records_changed: int
    requests: int
    error: str | None

    @property
    def seconds(self) -> float | None:
        return None if self.finished_at is None else (self.finished_at - self.started_at) / 1e6


def recent_runs(store: Store, connection_id: str, limit: int = 20) -> list[Run]:
    r = sync_runs.c
    stmt = (
        select(sync_runs)
        .where(r.connection_id == connection_id)
        .order_by(r.started_at.desc(), r.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return [
            Run(
                id=row.id,
                trigger=row.trigger,
                models=orjson.loads(row.models),
                full=bool(row.full),
                status=row.status,
                started_at=row.started_at,
                finished_at=row.finished_at,
                records_changed=row.records_changed,
                requests=row.requests,
                error=row.error,
            )
            for row in conn.execute(stmt)
        ]


def hourly_changes(
    store: Store, org_id: str, *, connection_id: str | None = None, hours: int = 48
) -> list[tuple[int, int]]:
    """``(hour start µs, records changed)`` for the last ``hours`` hours, oldest first.

    A run counts in the hour it finished: that is when its changes became readable.
    """
    current = now_us() // HOUR_US
    first = current - hours + 1
    r = sync_runs.c
    hour = r.finished_at // HOUR_US
    stmt: Any = (
        select(hour.label("hour"), func.sum(r.records_changed))
        .join(connections, connections.c.id == r.connection_id)
        .where(connections.c.organization_id == org_id, r.finished_at >= first * HOUR_US)
        .group_by(hour)
    )
    if connection_id is not None:
        stmt = stmt.where(r.connection_id == connection_id)
    with store.engine.connect() as conn:
        counts = {int(h): int(n or 0) for h, n in conn.execute(stmt)}
    return [(h * HOUR_US, counts.get(h, 0)) for h in range(first, current + 1)]
