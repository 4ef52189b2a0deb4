"""The sync engine against a live sandbox: the traps of incremental syncing, one by one."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import orjson
from prometheus_client import generate_latest

from plantlink.connectors import registry
from plantlink.connectors.maintainx import MaintainXConnector
from plantlink.connectors.maintainx.streams import STREAMS
from plantlink.store.records import ListQuery, list_records
from plantlink.sync import lease, state
from plantlink.sync.schedule import due_connections
from tests.sync.conftest import Rig


def test_source_clock_far_behind_ours(rig: Rig) -> None:
    """The high-water mark is taken in the source's clock (its Date header), not ours."""
    assert rig.control("POST", "/_sandbox/clock", {"skew_seconds": -900}).status_code == 200
    assert rig.sync().status == "done"
    keys = set(
        rig.control("POST", "/_sandbox/mutate", {"entity": "work_orders", "count": 4}).json()[
            "keys"
        ]
    )
    assert rig.sync().status == "done"
    assert rig.stored_keys("work_orders") == rig.sandbox_keys("work_orders")
    assert keys <= rig.stored_keys("work_orders")
    wo = state.load_states(rig.store.engine, rig.connection_id)["work_orders"]
    # The cursor sits in the source's (lagging) clock: well before our own now.
    assert wo.cursor is not None and wo.cursor < time.time_ns() // 1000 - 800 * 1_000_000


def test_edits_while_the_source_is_paged(rig: Rig) -> None:
    rig.control("POST", "/_sandbox/latency", {"ms": 40})
    edited: set[str] = set()

    def editor() -> None:
        for _ in range(10):
            r = rig.control("POST", "/_sandbox/mutate", {"entity": "work_orders", "count": 3})
            edited.update(r.json()["keys"])
            time.sleep(0.03)

    t = threading.Thread(target=editor)
    t.start()
    assert rig.sync().status == "done"
    t.join()
    rig.control("POST", "/_sandbox/latency", {"ms": 0})
    assert rig.sync().status == "done"
    assert edited
    # Every edit is stored with the source's latest content.
    stored = {
        d["remote_id"]: d
        for d in (
            orjson.loads(r[1])
            for r in list_records(
                rig.store.engine,
                rig.connection_id,
                ListQuery(model="work_orders", page_size=10_000),
            )
        )
    }
    base = rig.sandbox.info["credentials"]
    headers = {
        "Authorization": f"Bearer {base['api_key']}",
        "x-organization-id": str(base["organization_id"]),
    }
    for key in edited:
        src = httpx.get(f"{base['base_url']}/workorders/{key}", headers=headers, timeout=30).json()[
            "workOrder"
        ]
        assert stored[key]["remote_modified_at"][:23] == src["updatedAt"][:23], key


def test_only_changes_are_requested(rig: Rig) -> None:
    """An incremental sync costs about ceil(changes / page) + 1 requests per incremental model."""
    assert rig.sync().status == "done"
    rig.control("POST", "/_sandbox/mutate", {"entity": "work_orders", "count": 5})
    start = rig.control("GET", "/_sandbox/requests").json()["requests"]
    mark = start[-1]["id"] if start else 0
    result = rig.sync(models=["work_orders"])
    assert result.status == "done"
    rows = rig.control("GET", "/_sandbox/requests").json()["requests"]
    wo_requests = [r for r in rows if r["id"] > mark and r["path"].endswith("/workorders")]
    assert len(wo_requests) == 1
    assert (
        "updatedAt%5Bgte%5D" in wo_requests[0]["query"]
        or "updatedAt[gte]" in wo_requests[0]["query"]
    )


def test_one_failing_model_does_not_fail_the_others(rig: Rig) -> None:
    broken_streams = tuple(
        s if s.model != "meters" else type(s)(**{**s.__dict__, "path": "/no-such-collection"})
        for s in STREAMS
    )

    class Broken(MaintainXConnector):
        streams = broken_streams

    original = registry.CONNECTORS["maintainx"]
    registry.CONNECTORS["maintainx"] = Broken()
    try:
        result = rig.sync()
    finally:
        registry.CONNECTORS["maintainx"] = original
    assert result.status == "partial"
    assert result.models["meters"].status == "failed"
    states = state.load_states(rig.store.engine, rig.connection_id)
    assert states["meters"].status == "failed" and states["meters"].error_code == "NOT_FOUND"
    assert all(s.status == "done" for m, s in states.items() if m != "meters")
    assert tuple(k for k, _ in rig.events if k.startswith("sync.")) == ("sync.completed",)
    # the next run retries it
    assert rig.sync().status == "done"
    assert state.load_states(rig.store.engine, rig.connection_id)["meters"].status == "done"


def test_source_down_goes_offline_with_growing_intervals_then_recovers(rig: Rig) -> None:
    assert rig.sync().status == "done"
    rig.store.accounts.update_connection(
        rig.connection_id,
        settings={
            "history_days": 3650,
            "max_attempts": 2,
            "rate_limit": {"requests": 1000, "per_seconds": 1},
        },
    )
    rig.control("POST", "/_sandbox/faults", {"rate": 1, "kinds": ["503"]})
    gaps = []
    for _ in range(3):
        before = time.time_ns() // 1000
        result = rig.sync()
        assert result.status == "failed"
        row = rig.store.accounts.get_connection(rig.connection_id)
        assert row is not None and row.next_sync_at is not None
        gaps.append(row.next_sync_at - before)
    assert gaps[0] < gaps[1] < gaps[2]
    row = rig.store.accounts.get_connection(rig.connection_id)
    assert row is not None and row.status == "offline"
    # circuit: the run stopped trying after a couple of models
    assert (
        sum(1 for o in result.models.values() if o.error_message and "circuit" in o.error_message)
        > 0
    )
    rig.control("POST", "/_sandbox/faults", {"rate": 0})
    assert rig.sync().status == "done"
    row = rig.store.accounts.get_connection(rig.connection_id)
    assert row is not None and row.status == "active" and row.consecutive_failures == 0
    changes = [d for k, d in rig.events if k == "connection.status_changed"]
    assert [(c["previous_status"], c["status"]) for c in changes] == [
        ("active", "offline"),
        ("offline", "active"),
    ]


def test_vendor_rate_limit_headers_prevent_429s(rig: Rig) -> None:
    """MaintainX announces its window (X-Rate-Limit-*): we wait for it instead of hitting 429."""
    rig.control("POST", "/_sandbox/rate-limit", {"requests": 5, "per_seconds": 2})
    assert rig.sync().status == "done"
    rows = rig.control("GET", "/_sandbox/requests").json()["requests"]
    assert len(rows) > 10
    assert not [r for r in rows if r["status"] == 429]
    assert rig.stored_keys("work_orders") == rig.sandbox_keys("work_orders")


def test_a_budget_yields_and_the_next_run_resumes(rig: Rig) -> None:
    result = rig.sync(models=["work_orders"], budget_seconds=0)
    assert result.status == "yielded"
    wo = state.load_states(rig.store.engine, rig.connection_id)["work_orders"]
    assert wo.checkpoint is not None and wo.checkpoint["pages"] == 1
    due = [r for r in due_connections(rig.store.engine) if r.connection_id == rig.connection_id]
    assert due and due[0].models == ["work_orders"] and due[0].trigger == "continue"
    while (result := rig.engine().run(due[0])).status == "yielded":
        pass
    assert result.status == "done"
    assert rig.stored_keys("work_orders") == rig.sandbox_keys("work_orders")


def test_leases_are_exclusive(rig: Rig) -> None:
    owners = [lease.new_owner() for _ in range(8)]
    won: list[str] = []
    barrier = threading.Barrier(len(owners))

    def claim(owner: str) -> None:
        barrier.wait()
        if lease.claim(rig.store.engine, rig.connection_id, owner):
            won.append(owner)

    threads = [threading.Thread(target=claim, args=(o,)) for o in owners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert rig.sync().status == "busy"
    lease.release(rig.store.engine, rig.connection_id, won[0])
    assert rig.sync().status == "done"


def test_metrics_and_structured_logs(rig: Rig, capsys: Any) -> None:
    from plantlink.core.logging import configure

    configure("INFO", json=True)
    try:
        assert rig.sync().status == "done"
    finally:
        configure("INFO", json=False)
    text = generate_latest().decode()
    for name in (
        "plantlink_records_synced_total",
        "plantlink_source_requests_total",
        "plantlink_sync_duration_seconds",
        "plantlink_sync_lag_seconds",
    ):
        assert name in text
    assert 'model="work_orders"' in text
    out = capsys.readouterr()
    lines = [ln for ln in (out.out + out.err).splitlines() if '"model_synced"' in ln]
    assert lines and all(rig.connection_id in ln and '"model"' in ln for ln in lines)


def test_sync_run_requests_carry_connection_and_run_headers(rig: Rig) -> None:
    result = rig.sync()
    rows = rig.control("GET", "/_sandbox/requests").json()["requests"]
    assert rows and all(r["plantlink_connection"] == rig.connection_id for r in rows[-5:])
    assert any(r["plantlink_run"] == result.run_id for r in rows)
