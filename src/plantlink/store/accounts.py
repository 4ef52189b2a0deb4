"""Organizations, admin keys, connections and connection tokens."""

from __future__ import annotations

import uuid
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, select, update

from plantlink.core.security import (
    ADMIN_KEY_PREFIX,
    CONNECTION_TOKEN_PREFIX,
    CredentialCipher,
    hash_token,
    new_token,
)
from plantlink.core.timeutil import now_us
from plantlink.store.db import DriverQuery, write_connection
from plantlink.store.tables import admin_keys, connection_tokens, connections, organizations


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    redirect_urls: list[str]
    created_at: int


@dataclass(frozen=True)
class ConnectionRow:
    id: str
    organization_id: str
    system: str
    name: str
    settings: dict[str, Any]
    status: str
    status_reason: str | None
    created_at: int
    updated_at: int
    last_successful_sync_at: int | None
    next_sync_at: int | None
    consecutive_failures: int
    lease_until: int | None
    sync_pending: bool


def _org(row: Any) -> Organization:
    return Organization(row.id, row.name, orjson.loads(row.redirect_urls), row.created_at)


def _conn(row: Any) -> ConnectionRow:
    return ConnectionRow(
        id=row.id,
        organization_id=row.organization_id,
        system=row.system,
        name=row.name,
        settings=orjson.loads(row.settings),
        status=row.status,
        status_reason=row.status_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_successful_sync_at=row.last_successful_sync_at,
        next_sync_at=row.next_sync_at,
        consecutive_failures=row.consecutive_failures,
        lease_until=row.lease_until,
        sync_pending=row.sync_request is not None,
    )


_CONN_COLS = [
    c for c in connections.c if c.name not in ("credentials", "last_stamp", "lease_owner")
]


def connection_for_token_on(conn: Connection, token: str) -> ConnectionRow | None:
    """The connection an unrevoked token belongs to, looked up on the caller's connection
    (the read API runs it and the page query on one pooled connection, no cache: a
    revoked token fails on its next request)."""
    row = _TOKEN_LOOKUP.first(conn, {"token_hash": hash_token(token)})
    return None if row is None else _conn(_ConnColumns._make(row))


#: Every API request runs it: compiled once per dialect, run on the driver's cursor.
_TOKEN_LOOKUP = DriverQuery(
    select(*_CONN_COLS)
    .join(connection_tokens, connection_tokens.c.connection_id == connections.c.id)
    .where(
        connection_tokens.c.token_hash == bindparam("token_hash"),
        connection_tokens.c.revoked_at.is_(None),
    )
)
_ConnColumns = namedtuple("_ConnColumns", [c.name for c in _CONN_COLS])  # type: ignore[misc]


class Accounts:
    def __init__(self, engine: Engine, cipher: CredentialCipher) -> None:
        self.engine = engine
        self.cipher = cipher

    # -- organizations and admin keys ---------------------------------------------------

    def create_organization(self, name: str) -> tuple[Organization, str]:
        """A new organization and its first admin key (returned once, stored as a hash)."""
        org_id, key, now = new_id(), new_token(ADMIN_KEY_PREFIX), now_us()
        with write_connection(self.engine) as conn:
            conn.execute(
                organizations.insert().values(
                    id=org_id, name=name, redirect_urls="[]", created_at=now
                )
            )
            conn.execute(
                admin_keys.insert().values(
                    id=new_id(), organization_id=org_id, key_hash=hash_token(key), created_at=now
                )
            )
        return Organization(org_id, name, [], now), key

    def organization_for_admin_key(self, key: str) -> Organization | None:
        stmt = (
            select(organizations)
            .join(admin_keys, admin_keys.c.organization_id == organizations.c.id)
            .where(admin_keys.c.key_hash == hash_token(key), admin_keys.c.revoked_at.is_(None))
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else _org(row)

    def get_organization(self, org_id: str) -> Organization | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(organizations).where(organizations.c.id == org_id)).first()
        return None if row is None else _org(row)

    def set_redirect_urls(self, org_id: str, urls: list[str]) -> None:
        with write_connection(self.engine) as conn:
            conn.execute(
                update(organizations)
                .where(organizations.c.id == org_id)
                .values(redirect_urls=orjson.dumps(urls).decode())
            )

    # -- connections ----------------------------------------------------------------------

    def create_connection(
        self,
        org_id: str,
        system: str,
        name: str,
        credentials: dict[str, Any],
        settings: dict[str, Any],
    ) -> tuple[ConnectionRow, str]:
        """A new connection with its one live token (returned once)."""
        conn_id, now = new_id(), now_us()
        token = new_token(CONNECTION_TOKEN_PREFIX)
        with write_connection(self.engine) as conn:
            conn.execute(
                connections.insert().values(
                    id=conn_id,
                    organization_id=org_id,
                    system=system,
                    name=name,
                    credentials=self.cipher.encrypt(credentials),
                    settings=orjson.dumps(settings).decode(),
                    status="active",
                    created_at=now,
                    updated_at=now,
                    next_sync_at=now,
                )
            )
            self._issue_token(conn, conn_id, token, now)
        row = self.get_connection(conn_id)
        assert row is not None
        return row, token

    def _issue_token(self, conn: Connection, conn_id: str, token: str, now: int) -> None:
        conn.execute(
            update(connection_tokens)
            .where(
                connection_tokens.c.connection_id == conn_id,
                connection_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        conn.execute(
            connection_tokens.insert().values(
                id=new_id(), connection_id=conn_id, token_hash=hash_token(token), created_at=now
            )
        )

    def issue_token(self, conn: Connection, conn_id: str) -> str:
        """A new token inside the caller's write transaction; earlier ones are revoked in it."""
        token = new_token(CONNECTION_TOKEN_PREFIX)
        self._issue_token(conn, conn_id, token, now_us())
        return token

    def reconnect(self, conn_id: str, credentials: dict[str, Any]) -> str:
        """New credentials and a new token; the old token stops working in the same commit."""
        token, now = new_token(CONNECTION_TOKEN_PREFIX), now_us()
        with write_connection(self.engine) as conn:
            conn.execute(
                update(connections)
                .where(connections.c.id == conn_id)
                .values(
                    credentials=self.cipher.encrypt(credentials),
                    status="active",
                    status_reason=None,
                    updated_at=now,
                    next_sync_at=now,
                    consecutive_failures=0,
                )
            )
            self._issue_token(conn, conn_id, token, now)
        return token

    def disconnect(self, conn_id: str) -> None:
        now = now_us()
        with write_connection(self.engine) as conn:
            conn.execute(
                update(connections)
                .where(connections.c.id == conn_id)
                .values(status="disconnected", updated_at=now, next_sync_at=None)
            )
            conn.execute(
                update(connection_tokens)
                .where(
                    connection_tokens.c.connection_id == conn_id,
                    connection_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )

    def get_connection(self, conn_id: str) -> ConnectionRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_CONN_COLS).where(connections.c.id == conn_id)).first()
        return None if row is None else _conn(row)

    def list_connections(self, org_id: str | None = None) -> list[ConnectionRow]:
        stmt = select(*_CONN_COLS).order_by(connections.c.created_at)
        if org_id is not None:
            stmt = stmt.where(connections.c.organization_id == org_id)
        with self.engine.connect() as conn:
            return [_conn(r) for r in conn.execute(stmt)]

    def connection_for_token(self, token: str) -> ConnectionRow | None:
        with self.engine.connect() as conn:
            return connection_for_token_on(conn, token)

    def credentials(self, conn_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            blob = conn.execute(
                select(connections.c.credentials).where(connections.c.id == conn_id)
            ).scalar_one()
        return self.cipher.decrypt(blob)

    def update_connection(self, conn_id: str, **values: Any) -> None:
        if "settings" in values:
            values["settings"] = orjson.dumps(values["settings"]).decode()
        values["updated_at"] = now_us()
        with write_connection(self.engine) as conn:
            conn.execute(update(connections).where(connections.c.id == conn_id).values(**values))

    def set_status(self, conn_id: str, status: str, reason: str | None = None) -> str | None:
        """Set the status; returns the previous one (None if unchanged)."""
        with write_connection(self.engine) as conn:
            prev = conn.execute(
                select(connections.c.status).where(connections.c.id == conn_id)
            ).scalar_one()
            if prev == status:
                conn.execute(
                    update(connections)
                    .where(connections.c.id == conn_id)
                    .values(status_reason=reason)
                )
                return None
            conn.execute(
                update(connections)
                .where(connections.c.id == conn_id)
                .values(status=status, status_reason=reason, updated_at=now_us())
            )
        return str(prev)
