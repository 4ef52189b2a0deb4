"""Hosted connect sessions and their one-time codes (``link_sessions``, ``link_codes``).

The session URL and the code are bearer secrets: both are random and stored only as
SHA-256 hashes. Every state change is one conditional UPDATE, so concurrent requests
cannot both win: one submission of a session at a time (a double click must not create
two connections), a session completes once, and a code is consumed once, while fresh,
by its own organization — in the same transaction that issues the connection token,
so no token is ever stored, not even briefly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import or_, select, update

from plantlink.core.security import hash_token, new_token
from plantlink.core.timeutil import now_us
from plantlink.store import Store
from plantlink.store.accounts import new_id
from plantlink.store.db import write_connection
from plantlink.store.tables import connections, link_codes, link_sessions

LINK_TOKEN_PREFIX = "plk_link_"
LINK_CODE_PREFIX = "plk_code_"
#: How long one submission holds a session: the live credential check (two attempts,
#: 15 s timeouts) finishes well within it; a crashed submission frees the session after.
CLAIM_HOLD_US = 90 * 1_000_000

Unusable = Literal["expired", "completed", "busy"]


@dataclass(frozen=True)
class LinkSession:
    id: str
    organization_id: str
    redirect_url: str
    state: str | None
    end_user_name: str | None
    #: System ids the customer may choose from; None = every connectable system.
    systems: list[str] | None
    #: The connection to reconnect, for a reconnect session.
    connection_id: str | None
    created_at: int
    expires_at: int
    completed_at: int | None

    def unusable(self, now: int) -> Unusable | None:
        if self.completed_at is not None:
            return "completed"
        if self.expires_at <= now:
            return "expired"
        return None


def _session(row: Any) -> LinkSession:
    return LinkSession(
        id=row.id,
        organization_id=row.organization_id,
        redirect_url=row.redirect_url,
        state=row.state,
        end_user_name=row.end_user_name,
        systems=orjson.loads(row.systems) if row.systems is not None else None,
        connection_id=row.connection_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        completed_at=row.completed_at,
    )


def create_session(
    store: Store,
    *,
    organization_id: str,
    redirect_url: str,
    state: str | None,
    end_user_name: str | None,
    systems: list[str] | None,
    connection_id: str | None,
    ttl_seconds: int,
) -> tuple[LinkSession, str]:
    """A new session and the token for its URL (returned once, stored as a hash)."""
    token, now = new_token(LINK_TOKEN_PREFIX), now_us()
    session = LinkSession(
        id=new_id(),
        organization_id=organization_id,
        redirect_url=redirect_url,
        state=state,
        end_user_name=end_user_name,
        systems=systems,
        connection_id=connection_id,
        created_at=now,
        expires_at=now + ttl_seconds * 1_000_000,
        completed_at=None,
    )
    with write_connection(store.engine) as conn:
        conn.execute(
            link_sessions.insert().values(
                id=session.id,
                organization_id=organization_id,
                token_hash=hash_token(token),
                redirect_url=redirect_url,
                state=state,
                end_user_name=end_user_name,
                systems=orjson.dumps(systems).decode() if systems is not None else None,
                connection_id=connection_id,
                created_at=now,
                expires_at=session.expires_at,
            )
        )
    return session, token


def find_session(store: Store, token: str) -> LinkSession | None:
    if not token.startswith(LINK_TOKEN_PREFIX):
        return None
    with store.engine.connect() as conn:
        row = conn.execute(
            select(link_sessions).where(link_sessions.c.token_hash == hash_token(token))
        ).first()
    return None if row is None else _session(row)


def claim_session(store: Store, session_id: str) -> Unusable | None:
    """Reserve the session for one submission; None on success, else why it is unusable."""
    now = now_us()
    s = link_sessions.c
    with write_connection(store.engine) as conn:
        claimed = conn.execute(
            update(link_sessions)
            .where(
                s.id == session_id,
                s.completed_at.is_(None),
                s.expires_at > now,
                or_(s.claimed_until.is_(None), s.claimed_until < now),
            )
            .values(claimed_until=now + CLAIM_HOLD_US)
        ).rowcount
        if claimed:
            return None
        row = conn.execute(select(link_sessions).where(s.id == session_id)).one()
    return _session(row).unusable(now) or "busy"


def release_session(store: Store, session_id: str) -> None:
    """The submission failed (wrong credentials): the customer may try again at once."""
    with write_connection(store.engine) as conn:
        conn.execute(
            update(link_sessions).where(link_sessions.c.id == session_id).values(claimed_until=None)
        )


def complete_session(
    store: Store, session: LinkSession, connection_id: str, code_ttl_seconds: int
) -> str:
    """Close the session and mint its one-time code (returned once, stored as a hash)."""
    code, now = new_token(LINK_CODE_PREFIX), now_us()
    with write_connection(store.engine) as conn:
        conn.execute(
            update(link_sessions)
            .where(link_sessions.c.id == session.id)
            .values(completed_at=now, claimed_until=None)
        )
        conn.execute(
            link_codes.insert().values(
                id=new_id(),
                code_hash=hash_token(code),
                organization_id=session.organization_id,
                link_session_id=session.id,
                connection_id=connection_id,
                created_at=now,
                expires_at=now + code_ttl_seconds * 1_000_000,
            )
        )
    return code


class CodeRefused(Exception):
    """A code that cannot be exchanged; ``reason`` is unknown, used, expired or disconnected."""

    def __init__(self, reason: str, message: str, connection_id: str | None = None) -> None:
        super().__init__(message)
        self.reason, self.message, self.connection_id = reason, message, connection_id


def exchange_code(store: Store, organization_id: str, code: str) -> tuple[str, str]:
    """Consume the code and issue the connection's token: ``(connection_id, token)``.

    A code of another organization is reported as unknown and left untouched.
    """
    now = now_us()
    c = link_codes.c
    with write_connection(store.engine) as conn:
        row = conn.execute(select(link_codes).where(c.code_hash == hash_token(code))).first()
        if row is None or row.organization_id != organization_id:
            raise CodeRefused("unknown", "unknown link code (check it was copied whole)")
        if row.used_at is not None:
            raise CodeRefused(
                "used",
                "this link code was already exchanged; codes are single-use",
                row.connection_id,
            )
        if row.expires_at <= now:
            raise CodeRefused(
                "expired",
                "this link code has expired; exchange codes right after the redirect, or "
                "send the customer through a new link session for this connection",
                row.connection_id,
            )
        status = conn.execute(
            select(connections.c.status).where(connections.c.id == row.connection_id)
        ).scalar_one()
        if status == "disconnected":
            raise CodeRefused(
                "disconnected",
                "the connection of this code was disconnected after it was made",
                row.connection_id,
            )
        consumed = conn.execute(
            update(link_codes).where(c.id == row.id, c.used_at.is_(None)).values(used_at=now)
        ).rowcount
        if not consumed:  # a concurrent exchange won the row
            raise CodeRefused("used", "this link code was already exchanged; codes are single-use")
        token = store.accounts.issue_token(conn, row.connection_id)
    return row.connection_id, token
