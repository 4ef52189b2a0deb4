"""``Idempotency-Key``: one write per key, durable in the store, safe under races.

The first request claims ``(connection_id, key)`` with a unique insert (``pending``). A
twin arriving at the same moment fails that insert and polls the row, bounded, until the
winner stored its response (``done``) and then replays it — it never writes itself. A
request whose body differs from the one that claimed the key gets ``409
IDEMPOTENCY_KEY_REUSED``. A write that failed before the source could have changed
anything releases its claim (the client may retry with the same key); anything else is
stored and replayed for at least the key's lifetime (24 h by default).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from plantlink.connectors.writes import WriteError
from plantlink.core.timeutil import now_us
from plantlink.store.db import write_connection
from plantlink.store.tables import idempotency_keys

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def request_hash(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and the canonical JSON body."""
    try:
        canonical = orjson.dumps(orjson.loads(body or b"null"), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), canonical):
        digest.update(part + b"\x1f")
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise WriteError(
            400,
            "INVALID_PARAMETER",
            f"{HEADER} must be 1 to 255 visible ASCII characters",
            field=HEADER,
        )
    return key


@dataclass
class Replay:
    status: int
    body: bytes


@dataclass
class Claim:
    connection_id: str
    key: str


class IdempotencyStore:
    def __init__(self, engine: Engine, *, ttl_seconds: float, wait_seconds: float) -> None:
        self.engine = engine
        self.ttl_us = int(ttl_seconds * 1_000_000)
        self.wait_seconds = wait_seconds

    def begin(self, connection_id: str, key: str, digest: str) -> Claim | Replay:
        """Claim the key, or return the stored response of the request that holds it."""
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.02
        while True:
            if self._try_claim(connection_id, key, digest):
                return Claim(connection_id, key)
            row = self._row(connection_id, key)
            if row is not None:
                if row.request_hash != digest:
                    raise WriteError(
                        409,
                        "IDEMPOTENCY_KEY_REUSED",
                        f"this {HEADER} was already used for a different request; "
                        "use a new key for a new request",
                        field=HEADER,
                    )
                if row.state == "done":
                    return Replay(int(row.status_code), str(row.response).encode())
            # Pending (the twin is still writing) or just released: wait, bounded.
            if time.monotonic() > deadline:
                raise WriteError(
                    409,
                    "IDEMPOTENCY_KEY_IN_PROGRESS",
                    f"a request with this {HEADER} is still being processed; retry shortly",
                    field=HEADER,
                    headers={"Retry-After": "1"},
                )
            time.sleep(pause)
            pause = min(pause * 1.5, 0.25)

    def _try_claim(self, connection_id: str, key: str, digest: str) -> bool:
        now = now_us()
        table = idempotency_keys
        try:
            with write_connection(self.engine) as conn:
                conn.execute(
                    delete(table).where(
                        table.c.connection_id == connection_id,
                        table.c.key == key,
                        table.c.expires_at < now,
                    )
                )
                conn.execute(
                    insert(table).values(
                        connection_id=connection_id,
                        key=key,
                        request_hash=digest,
                        state="pending",
                        created_at=now,
                        expires_at=now + self.ttl_us,
                    )
                )
        except IntegrityError:
            return False
        return True

    def _row(self, connection_id: str, key: str) -> Any:
        table = idempotency_keys
        with self.engine.connect() as conn:
            return conn.execute(
                select(table).where(table.c.connection_id == connection_id, table.c.key == key)
            ).first()

    def finish(self, claim: Claim, status: int, body: bytes) -> None:
        """Store the response every later request with this key gets."""
        table = idempotency_keys
        with write_connection(self.engine) as conn:
            conn.execute(
                update(table)
                .where(table.c.connection_id == claim.connection_id, table.c.key == claim.key)
                .values(state="done", status_code=status, response=body.decode())
            )

    def release(self, claim: Claim) -> None:
        """Nothing reached the source: forget the claim so the key can be used again."""
        table = idempotency_keys
        with write_connection(self.engine) as conn:
            conn.execute(
                delete(table).where(
                    table.c.connection_id == claim.connection_id,
                    table.c.key == claim.key,
                    table.c.state == "pending",
                )
            )
