"""Purging what only needs to live for a while: expired link sessions and their codes,
and idempotency keys past their retention.

Expired link rows are kept for ``keep_seconds`` after they expire, so a late exchange still
gets the precise "expired" answer instead of "unknown"; after that they only take space.
An idempotency key's ``expires_at`` already is the end of its retention.
Safe to run from any number of processes at once: every statement is a plain DELETE of
rows nothing else changes any more.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, select

from plantlink.core.timeutil import now_us
from plantlink.store import Store
from plantlink.store.db import write_connection
from plantlink.store.tables import idempotency_keys, link_codes, link_sessions

#: Expired link rows are kept this long so late callers get a precise answer.
KEEP_EXPIRED_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Purged:
    link_codes: int
    link_sessions: int
    idempotency_keys: int = 0


def purge_expired(
    store: Store, *, now: int | None = None, keep_seconds: int = KEEP_EXPIRED_SECONDS
) -> Purged:
    """Delete link codes and sessions that expired more than ``keep_seconds`` ago, and
    idempotency keys past their retention."""
    at = now if now is not None else now_us()
    cutoff = at - keep_seconds * 1_000_000
    with write_connection(store.engine) as conn:
        keys = conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.expires_at < at)
        ).rowcount
        codes = conn.execute(delete(link_codes).where(link_codes.c.expires_at < cutoff)).rowcount
        sessions = conn.execute(
            delete(link_sessions).where(
                link_sessions.c.expires_at < cutoff,
                ~exists(
                    select(link_codes.c.id).where(
                        link_codes.c.link_session_id == link_sessions.c.id
                    )
                ),
            )
        ).rowcount
    return Purged(link_codes=codes, link_sessions=sessions, idempotency_keys=keys)
