"""Expired link sessions and codes are purged after a grace period, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plantlink.core.timeutil import now_us
from plantlink.store import Store
from plantlink.store.housekeeping import Purged, purge_expired
from plantlink.store.links import (
    CodeRefused,
    LinkSession,
    complete_session,
    create_session,
    exchange_code,
)
from plantlink.store.tables import link_codes, link_sessions

HOUR = 3600 * 1_000_000


def _session(store: Store, org_id: str, ttl: int) -> LinkSession:
    session, _ = create_session(
        store,
        organization_id=org_id,
        redirect_url="https://app.example/back",
        state=None,
        end_user_name=None,
        systems=None,
        connection_id=None,
        ttl_seconds=ttl,
    )
    return session


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_only_rows_expired_beyond_the_grace_period_go(store: Store) -> None:
    org, _ = store.accounts.create_organization("hk")
    conn, _ = store.accounts.create_connection(org.id, "maintainx", "c", {"base_url": "x"}, {})
    _session(store, org.id, ttl=60)  # expires in a minute, never completed
    live = _session(store, org.id, ttl=48 * 3600)  # still valid in two days
    done = _session(store, org.id, ttl=60)
    code = complete_session(store, done, conn.id, code_ttl_seconds=60)

    # Within the grace period nothing goes: a late caller still gets "expired".
    assert purge_expired(store, now=now_us() + 2 * HOUR) == Purged(0, 0)
    assert (_count(store, link_sessions), _count(store, link_codes)) == (3, 1)

    # A day and more after expiry, the expired session, the code and (with its code
    # gone) the completed session are deleted; the live session stays.
    purged = purge_expired(store, now=now_us() + 26 * HOUR)
    assert (purged.link_codes, purged.link_sessions) == (1, 2)
    with store.engine.connect() as c:
        left = c.execute(select(link_sessions.c.id)).scalars().all()
    assert left == [live.id]
    with pytest.raises(CodeRefused) as refused:  # the purged code is now simply unknown
        exchange_code(store, org.id, code)
    assert refused.value.reason == "unknown"
