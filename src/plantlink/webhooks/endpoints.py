"""Webhook endpoints: where an organization wants events, and the secret they are signed with."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select, update

from plantlink.core.security import CredentialCipher
from plantlink.core.timeutil import now_us
from plantlink.store import Store
from plantlink.store.accounts import new_id
from plantlink.store.db import write_connection
from plantlink.store.tables import webhook_deliveries, webhook_endpoints

EVENT_TYPES = (
    "sync.completed",
    "sync.failed",
    "connection.auth_required",
    "connection.status_changed",
    "records.changed",
)
SECRET_PREFIX = "whsec_"
MAX_URL_LENGTH = 2048


class EndpointError(ValueError):
    """A registration the API must refuse; ``field`` names the offending body field."""

    def __init__(self, field: str, message: str, value: str | None = None) -> None:
        super().__init__(message)
        self.field, self.message, self.value = field, message, value


@dataclass(frozen=True)
class Endpoint:
    id: str
    organization_id: str
    url: str
    events: list[str]
    created_at: int


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes (the spec wants 24-64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def seal_secret(cipher: CredentialCipher, secret: str) -> str:
    return cipher.encrypt({"secret": secret})


def open_secret(cipher: CredentialCipher, blob: str) -> str:
    return str(cipher.decrypt(blob)["secret"])


def validate(url: str, events: list[str]) -> list[str]:
    """Check a registration; returns the events without duplicates, in the order given."""
    parts = urlsplit(url)
    if (
        len(url) > MAX_URL_LENGTH
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.fragment
    ):
        raise EndpointError(
            "url",
            f"webhook URL {url[:200]!r} must be an absolute http(s) URL without a fragment "
            f"(at most {MAX_URL_LENGTH} characters)",
        )
    if not events:
        raise EndpointError("events", "subscribe to at least one event: " + ", ".join(EVENT_TYPES))
    for event in events:
        if event not in EVENT_TYPES:
            raise EndpointError(
                "events",
                f"unknown event {event!r}; expected one of: {', '.join(EVENT_TYPES)}",
                value=event,
            )
    return list(dict.fromkeys(events))


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(row.id, row.organization_id, row.url, orjson.loads(row.events), row.created_at)


_PUBLIC = [c for c in webhook_endpoints.c if c.name not in ("secret", "disabled_at")]


def create_endpoint(store: Store, org_id: str, url: str, events: list[str]) -> tuple[Endpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown once, stored encrypted)."""
    events = validate(url, events)
    endpoint = Endpoint(new_id(), org_id, url, events, now_us())
    secret = new_secret()
    with write_connection(store.engine) as conn:
        conn.execute(
            webhook_endpoints.insert().values(
                id=endpoint.id,
                organization_id=org_id,
                url=url,
                events=orjson.dumps(events).decode(),
                secret=seal_secret(store.accounts.cipher, secret),
                created_at=endpoint.created_at,
            )
        )
    return endpoint, secret


def list_endpoints(store: Store, org_id: str) -> list[Endpoint]:
    stmt = (
        select(*_PUBLIC)
        .where(
            webhook_endpoints.c.organization_id == org_id,
            webhook_endpoints.c.disabled_at.is_(None),
        )
        .order_by(webhook_endpoints.c.created_at, webhook_endpoints.c.id)
    )
    with store.engine.connect() as conn:
        return [_endpoint(r) for r in conn.execute(stmt)]


def get_endpoint(store: Store, org_id: str, endpoint_id: str) -> Endpoint | None:
    """The organization's live endpoint with that id; None for deleted or foreign ones."""
    stmt = select(*_PUBLIC).where(
        webhook_endpoints.c.id == endpoint_id,
        webhook_endpoints.c.organization_id == org_id,
        webhook_endpoints.c.disabled_at.is_(None),
    )
    with store.engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else _endpoint(row)


def delete_endpoint(store: Store, org_id: str, endpoint_id: str) -> bool:
    """Disable the endpoint and fail its pending deliveries; the delivery log is kept.

    Enqueue and replay hold a share lock on the endpoint row while adding deliveries,
    so none can slip in after this commits.
    """
    now = now_us()
    with write_connection(store.engine) as conn:
        done = conn.execute(
            update(webhook_endpoints)
            .where(
                webhook_endpoints.c.id == endpoint_id,
                webhook_endpoints.c.organization_id == org_id,
                webhook_endpoints.c.disabled_at.is_(None),
            )
            .values(disabled_at=now)
        ).rowcount
        if not done:
            return False
        conn.execute(
            update(webhook_deliveries)
            .where(
                webhook_deliveries.c.endpoint_id == endpoint_id,
                webhook_deliveries.c.status == "pending",
            )
            .values(
                status="failed",
                next_attempt_at=None,
                claimed_by=None,
                last_error="endpoint deleted",
            )
        )
    return True
