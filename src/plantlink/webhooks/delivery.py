"""Sending queued deliveries: claim, sign, POST, log the attempt, schedule the retry.

``deliver_due`` holds no threads and no state between calls, so the embedded worker and
a scale-out job call it alike, as many at a time as they like: each delivery is claimed
in its own short write transaction before it is sent (PostgreSQL skips rows another
claimer holds with ``FOR UPDATE SKIP LOCKED``; SQLite's ``BEGIN IMMEDIATE`` serializes
claimers). A claim moves ``next_attempt_at`` one lease ahead, so a worker that dies
mid-send only delays the delivery; the result is recorded only while the claim is
still the one that sent it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from sqlalchemy import ColumnClause, Connection, Select, insert, literal_column, or_, select, update
from standardwebhooks import Webhook

from plantlink import __version__
from plantlink.core.timeutil import now_us
from plantlink.store import Store
from plantlink.store.accounts import new_id
from plantlink.store.db import write_connection
from plantlink.store.tables import webhook_attempts, webhook_deliveries, webhook_endpoints
from plantlink.webhooks.endpoints import open_secret

log = structlog.get_logger(__name__)

#: Per-operation HTTP timeout (connect, write, read).
TIMEOUT_SECONDS = 10.0
#: Delay after the first failed attempt; doubles after each further one.
RETRY_BASE_SECONDS = 30.0
#: No attempt is made later than this after the first one; the delivery then fails.
RETRY_WINDOW_US = 24 * 3600 * 1_000_000
#: How long a claim keeps other workers off a delivery: well past one attempt's timeouts.
CLAIM_LEASE_US = 120 * 1_000_000
#: Attempt log entries keep this much of the receiver's answer or of our error.
SNIPPET_CHARS = 1024

_D = webhook_deliveries
_PENDING: ColumnClause[str] = literal_column(
    "'pending'"
)  # a literal, so the partial "due" index applies


@dataclass(frozen=True)
class Attempt:
    id: str
    attempted_at: int
    status_code: int | None
    duration_ms: int
    error: str | None
    response: str | None


@dataclass(frozen=True)
class Delivery:
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    payload: str
    status: str
    attempt_count: int
    created_at: int
    next_attempt_at: int | None
    first_attempted_at: int | None
    last_attempted_at: int | None
    last_status_code: int | None
    last_error: str | None
    replay_of: str | None
    attempts: list[Attempt]


@dataclass(frozen=True)
class _Claim:
    token: str
    delivery_id: str
    event_id: str
    payload: str
    attempts: int
    first_attempted_at: int | None
    url: str
    secret_blob: str


def new_client(timeout: float = TIMEOUT_SECONDS) -> httpx.Client:
    """The HTTP client deliveries go through: short timeouts, redirects not followed."""
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        headers={"user-agent": f"plantlink-webhooks/{__version__}"},
    )


def retry_delay_us(attempt: int, base_seconds: float = RETRY_BASE_SECONDS) -> int:
    """Wait after failed attempt number ``attempt`` (1-based): base * 2^(attempt-1).

    Up to 10 % jitter is added so deliveries that failed together (a receiver down) do
    not all come back at the same instant.
    """
    delay = base_seconds * 2 ** min(attempt - 1, 32)
    return int(delay * (1 + 0.1 * random.random()) * 1_000_000)


def next_state(
    ok: bool, attempt: int, first_attempted_at: int, now: int, base_seconds: float
) -> tuple[str, int | None]:
    """Status and next attempt time after an attempt made at ``now``.

    Retries stop 24 h after the first attempt; the last one is pulled in to that
    deadline rather than skipped, so a receiver gets the full window.
    """
    if ok:
        return "succeeded", None
    deadline = first_attempted_at + RETRY_WINDOW_US
    if now >= deadline:
        return "failed", None
    return "pending", min(now + retry_delay_us(attempt, base_seconds), deadline)


def deliver_due(
    store: Store,
    *,
    limit: int,
    now: int | None = None,
    client: httpx.Client | None = None,
    retry_base_seconds: float = RETRY_BASE_SECONDS,
) -> int:
    """Attempt up to ``limit`` due deliveries, one at a time; returns how many were attempted.

    ``now`` (µs) fixes the clock used for what is due, the attempt log and the retry
    schedule; the ``webhook-timestamp`` header always carries the real time, because
    receivers check it against their own clock.
    """
    done = 0
    own_client: httpx.Client | None = None
    try:
        while done < limit:
            at = now_us() if now is None else now
            claim = _claim(store, at)
            if claim is None:
                break
            if client is None:
                client = own_client = new_client()
            _attempt(store, client, claim, at, retry_base_seconds)
            done += 1
    finally:
        if own_client is not None:
            own_client.close()
    return done


def _claim(store: Store, now: int) -> _Claim | None:
    due = (_D.c.status == _PENDING, _D.c.next_attempt_at <= now)
    # Look before taking the write lock: an idle poll must not queue behind sync writes.
    with store.engine.connect() as conn:
        if conn.execute(select(_D.c.id).where(*due).limit(1)).first() is None:
            return None
    stmt = (
        select(
            _D.c.id,
            _D.c.event_id,
            _D.c.payload,
            _D.c.attempts,
            _D.c.first_attempted_at,
            webhook_endpoints.c.url,
            webhook_endpoints.c.secret,
        )
        .join(webhook_endpoints, webhook_endpoints.c.id == _D.c.endpoint_id)
        .where(*due)
        .order_by(_D.c.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True, of=_D)
    )
    token = new_id()
    with write_connection(store.engine) as conn:
        row = conn.execute(stmt).first()
        if row is None:
            return None
        conn.execute(
            update(_D)
            .where(_D.c.id == row.id)
            .values(next_attempt_at=now + CLAIM_LEASE_US, claimed_by=token)
        )
    return _Claim(
        token=token,
        delivery_id=row.id,
        event_id=row.event_id,
        payload=row.payload,
        attempts=row.attempts,
        first_attempted_at=row.first_attempted_at,
        url=row.url,
        secret_blob=row.secret,
    )


def _attempt(
    store: Store, client: httpx.Client, claim: _Claim, now: int, base_seconds: float
) -> None:
    status_code: int | None = None
    error: str | None = None
    response: str | None = None
    started = time.monotonic()
    try:
        sent_at = datetime.now(UTC)
        signature = Webhook(open_secret(store.accounts.cipher, claim.secret_blob)).sign(
            claim.event_id, sent_at, claim.payload
        )
        headers = {
            "content-type": "application/json",
            "webhook-id": claim.event_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        }
        with client.stream("POST", claim.url, content=claim.payload, headers=headers) as resp:
            status_code = resp.status_code
            response = _snippet(resp)
    except httpx.TimeoutException as exc:
        error = f"timeout: {type(exc).__name__}"
    except Exception as exc:  # any failure to send is a failed attempt, never a stuck delivery
        error = f"{type(exc).__name__}: {exc}"[:SNIPPET_CHARS]
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    if ok:  # the receiver took it; a hiccup reading its answer does not matter
        error = None
    elif status_code is not None:
        error = f"receiver answered HTTP {status_code}"
    attempt = claim.attempts + 1
    first = claim.first_attempted_at if claim.first_attempted_at is not None else now
    status, next_at = next_state(ok, attempt, first, now, base_seconds)
    with write_connection(store.engine) as conn:
        conn.execute(
            insert(webhook_attempts).values(
                id=new_id(),
                delivery_id=claim.delivery_id,
                attempted_at=now,
                status_code=status_code,
                duration_ms=duration_ms,
                error=error,
                response=response,
            )
        )
        conn.execute(
            update(_D)
            .where(_D.c.id == claim.delivery_id, _D.c.claimed_by == claim.token)
            .values(
                status=status,
                attempts=_D.c.attempts + 1,
                next_attempt_at=next_at,
                claimed_by=None,
                first_attempted_at=first,
                last_attempted_at=now,
                last_status_code=status_code,
                last_error=error,
            )
        )
    log.info(
        "webhook_attempt",
        delivery_id=claim.delivery_id,
        event_id=claim.event_id,
        attempt=attempt,
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
        outcome=status,
    )


def _snippet(resp: httpx.Response) -> str | None:
    """The start of the response body, without reading more of it than the log keeps."""
    data = b""
    for chunk in resp.iter_bytes():
        data += chunk
        if len(data) >= SNIPPET_CHARS:
            break
    return data.decode("utf-8", "replace")[:SNIPPET_CHARS] or None


# -- the delivery log and replays ------------------------------------------------------


def list_deliveries(
    store: Store, endpoint_id: str, *, limit: int, before: tuple[int, str] | None = None
) -> list[Delivery]:
    """An endpoint's deliveries, newest first, each with its attempts (oldest first).

    ``before`` is the ``(created_at, id)`` of the last delivery of the previous page.
    """
    stmt = select(_D).where(_D.c.endpoint_id == endpoint_id)
    if before is not None:
        created, last_id = before
        stmt = stmt.where(
            or_(_D.c.created_at < created, (_D.c.created_at == created) & (_D.c.id < last_id))
        )
    stmt = stmt.order_by(_D.c.created_at.desc(), _D.c.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        return _load(conn, stmt)


def get_delivery(store: Store, endpoint_id: str, delivery_id: str) -> Delivery | None:
    stmt = select(_D).where(_D.c.id == delivery_id, _D.c.endpoint_id == endpoint_id)
    with store.engine.connect() as conn:
        found = _load(conn, stmt)
    return found[0] if found else None


def replay(store: Store, endpoint_id: str, delivery_id: str) -> Delivery | None:
    """Queue the delivery's event again, as a new delivery due now.

    The replay carries the same event id (``webhook-id``) and the same body: it is the
    same event, and receivers deduplicate on that id, so a replay after a success is
    harmless and one after a failure is processed once. It gets its own attempts and
    its own 24 h retry window; the original delivery and its log stay as they were.
    None when the endpoint (live) has no such delivery.
    """
    now = now_us()
    new = new_id()
    with write_connection(store.engine) as conn:
        live = conn.execute(
            select(webhook_endpoints.c.id)
            .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.disabled_at.is_(None))
            .with_for_update(read=True)
        ).first()
        original = conn.execute(
            select(_D.c.event_id, _D.c.event_type, _D.c.payload).where(
                _D.c.id == delivery_id, _D.c.endpoint_id == endpoint_id
            )
        ).first()
        if live is None or original is None:
            return None
        conn.execute(
            insert(_D).values(
                id=new,
                endpoint_id=endpoint_id,
                event_id=original.event_id,
                event_type=original.event_type,
                payload=original.payload,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
                replay_of=delivery_id,
            )
        )
    return get_delivery(store, endpoint_id, new)


def _load(conn: Connection, stmt: Select[Any]) -> list[Delivery]:
    """The deliveries ``stmt`` selects, in its order, with their attempt logs."""
    rows = conn.execute(stmt).all()
    attempts: dict[str, list[Attempt]] = {r.id: [] for r in rows}
    if rows:
        a = webhook_attempts
        query = (
            select(a).where(a.c.delivery_id.in_(list(attempts))).order_by(a.c.attempted_at, a.c.id)
        )
        for r in conn.execute(query):
            attempts[r.delivery_id].append(
                Attempt(r.id, r.attempted_at, r.status_code, r.duration_ms, r.error, r.response)
            )
    return [_delivery(r, attempts[r.id]) for r in rows]


def _delivery(row: Any, attempts: list[Attempt]) -> Delivery:
    return Delivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=row.event_type,
        payload=row.payload,
        status=row.status,
        attempt_count=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        first_attempted_at=row.first_attempted_at,
        last_attempted_at=row.last_attempted_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        replay_of=row.replay_of,
        attempts=attempts,
    )
