"""The sync lease: at most one sync of a connection runs anywhere at any time.

A worker claims the connection row (``lease_owner``/``lease_until``), a heartbeat thread
extends it, and every write transaction of the sync re-checks it (a fencing check) so a worker that
lost its lease — stalled past expiry — can never write after another took over. A lease
held by a dead process on this host is taken over at once; elsewhere it expires.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid

from sqlalchemy import Connection, Engine, or_, select, update

from plantlink.core.timeutil import now_us
from plantlink.store.db import write_connection
from plantlink.store.tables import connections

LEASE_SECONDS = 60
HEARTBEAT_SECONDS = 15

_HOST = socket.gethostname()


class LeaseLost(Exception):
    """Another worker holds the connection now; stop without writing."""


def new_owner() -> str:
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_local_owner(owner: str | None) -> bool:
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claim(engine: Engine, connection_id: str, owner: str) -> bool:
    """Take the lease if it is free, expired, or held by a dead process on this host.

    A single conditional UPDATE decides, so two workers racing for the same connection
    can never both win (a read-then-write would let both see it free).
    """
    now = now_us()
    c = connections.c
    with engine.connect() as conn:
        holder = conn.execute(
            select(c.lease_owner).where(c.id == connection_id)
        ).scalar_one_or_none()
    takeable = or_(c.lease_until.is_(None), c.lease_until < now)
    if _dead_local_owner(holder):
        takeable = or_(takeable, c.lease_owner == holder)
    with write_connection(engine) as conn:
        result = conn.execute(
            update(connections)
            .where(c.id == connection_id, takeable)
            .values(lease_owner=owner, lease_until=now + LEASE_SECONDS * 1_000_000)
        )
    return result.rowcount == 1


def fence(conn: Connection, connection_id: str, owner: str) -> None:
    """Inside a write transaction: extend our lease, or raise if it is no longer ours."""
    now = now_us()
    result = conn.execute(
        update(connections)
        .where(
            connections.c.id == connection_id,
            connections.c.lease_owner == owner,
            or_(connections.c.lease_until.is_(None), connections.c.lease_until >= now),
        )
        .values(lease_until=now + LEASE_SECONDS * 1_000_000)
    )
    if result.rowcount != 1:
        raise LeaseLost(connection_id)


def release(engine: Engine, connection_id: str, owner: str) -> None:
    with write_connection(engine) as conn:
        conn.execute(
            update(connections)
            .where(connections.c.id == connection_id, connections.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


def is_held(lease_until: int | None) -> bool:
    return lease_until is not None and lease_until >= now_us()


class Heartbeat:
    """Keeps a lease alive between pages (e.g. while the client backs off from a 429)."""

    def __init__(self, engine: Engine, connection_id: str, owner: str) -> None:
        self._engine, self._id, self._owner = engine, connection_id, owner
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{connection_id[:8]}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with write_connection(self._engine) as conn:
                    fence(conn, self._id, self._owner)
            except LeaseLost:
                return
            except Exception:  # a transient DB error must not kill the heartbeat
                continue
