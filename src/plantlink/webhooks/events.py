"""Queueing events: one delivery row per subscribed endpoint, nothing sent here.

Sending happens later in ``delivery.deliver_due``, so the caller (a sync run) pays for
one small write transaction per event and never for a receiver's slowness or failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select

from plantlink.core.timeutil import format_us, now_us
from plantlink.store import Store
from plantlink.store.accounts import new_id
from plantlink.store.db import write_connection
from plantlink.store.tables import webhook_deliveries, webhook_endpoints

if TYPE_CHECKING:  # webhooks consume the engine's events; they need not load the engine
    from plantlink.sync.engine import EventSink


def enqueue(store: Store, org_id: str, event_type: str, payload: dict[str, Any]) -> int:
    """Queue ``event_type`` for every enabled endpoint of the organization subscribed to it.

    The body ``{"type", "timestamp", "data": payload}`` is rendered once and stored, so
    every attempt and every replay signs and sends the same bytes; all endpoints share
    one event id (the ``webhook-id`` header). Returns the number of deliveries queued.
    """
    now = now_us()
    event_id = new_id()
    body = orjson.dumps({"type": event_type, "timestamp": format_us(now), "data": payload})
    # The share lock on the endpoint rows orders this against a concurrent delete, which
    # fails pending deliveries: a delivery is never queued for an endpoint just deleted.
    endpoints = (
        select(webhook_endpoints.c.id, webhook_endpoints.c.events)
        .where(
            webhook_endpoints.c.organization_id == org_id,
            webhook_endpoints.c.disabled_at.is_(None),
        )
        .with_for_update(read=True)
    )
    with write_connection(store.engine) as conn:
        targets = [r.id for r in conn.execute(endpoints) if event_type in orjson.loads(r.events)]
        if targets:
            conn.execute(
                webhook_deliveries.insert(),
                [
                    {
                        "id": new_id(),
                        "endpoint_id": endpoint_id,
                        "event_id": event_id,
                        "event_type": event_type,
                        "payload": body.decode(),
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                        "next_attempt_at": now,
                    }
                    for endpoint_id in targets
                ],
            )
    return len(targets)


def sink(store: Store, wake: Callable[[], None] | None = None) -> EventSink:
    """The sync engine's ``on_event``: queue the event, then nudge the local worker, if any."""

    def on_event(org_id: str, event_type: str, payload: dict[str, Any]) -> None:
        if enqueue(store, org_id, event_type, payload) and wake is not None:
            wake()

    return on_event
