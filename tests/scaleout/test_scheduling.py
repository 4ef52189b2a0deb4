"""Queueing locks, fair share, and rate limits that hold across processes."""

from __future__ import annotations

import itertools
import subprocess
from contextlib import ExitStack
from datetime import datetime

import httpx
import pytest

from plantlink.api.app import build_context, create_app
from plantlink.core.config import Settings
from plantlink.jobs.procrastinate_app import queue_health
from plantlink.sandbox.core.server import SandboxServer
from plantlink.webhooks.endpoints import create_endpoint
from tests.conftest import LiveServer
from tests.scaleout.conftest import (
    PLANTLINK,
    Cluster,
    request_log,
    run_intervals,
    sandbox_keys,
    sandbox_post,
    wait_for,
)


def _instant(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_scaleout_refuses_per_process_rate_limits_unless_asked(
    cluster: Cluster, command: str
) -> None:
    refused = subprocess.run(
        [PLANTLINK, command],
        env=cluster.env(PLANTLINK_RATE_LIMIT_STORAGE=""),
        capture_output=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert b"PLANTLINK_RATE_LIMIT_STORAGE" in refused.stdout + refused.stderr
    accepted = cluster.settings.model_copy(update={"rate_limit_storage": "memory://"})
    accepted.require_shared_rate_limits()  # an explicit choice is accepted
    Settings(database_url="", secret_key="k").require_shared_rate_limits()  # embedded


def test_repeated_sync_requests_leave_one_queued_job(cluster: Cluster) -> None:
    """The API queues a job per request, but the queueing lock keeps one waiting."""
    settings = cluster.settings.model_copy(update={"embedded": False})
    ctx = build_context(settings, cluster.store)
    live = LiveServer(create_app(settings, ctx))
    base = live.start()
    try:
        org, _key = cluster.store.accounts.create_organization("Queue Co")
        row, token = cluster.store.accounts.create_connection(
            org.id, "maintainx", "p", {"base_url": "http://127.0.0.1:9", "api_key": "k"}, {}
        )
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
            for n in range(10):
                model = ["work-orders", "assets"][n % 2]
                r = c.post("/v1/sync", json={"models": [model]})
                assert r.status_code == 202, r.text
        assert cluster.queued_sync_jobs(row.id) == 1
        metrics = httpx.get(f"{base}/metrics").text
        assert 'plantlink_queue_jobs{queue="sync",state="waiting"} 1.0' in metrics
        assert 'plantlink_workers{state="alive"} 0.0' in metrics
        pending = cluster.store.accounts.get_connection(row.id)
        assert pending is not None and pending.sync_pending
    finally:
        live.stop()


def test_a_huge_sync_does_not_starve_small_ones(cluster: Cluster) -> None:
    """One worker slot: the huge initial sync yields after each budget slice, and the
    small connections queued meanwhile run in between."""
    cluster.overrides["PLANTLINK_SYNC_BUDGET_SECONDS"] = "1"
    with (
        SandboxServer("maintainx", seed=7, scale=1500) as big,
        SandboxServer("maintainx", seed=8, scale=30) as small,
    ):
        sandbox_post(big, "/_sandbox/latency", {"ms": 150})
        org, _key = cluster.store.accounts.create_organization("Fair Co")
        fast = {"rate_limit": {"requests": 10_000, "per_seconds": 1}}
        huge = cluster.connect(big, org.id, **fast)
        cluster.worker(concurrency=1)
        wait_for(lambda: huge in cluster.lease_owners(), timeout=60, what="the huge sync")
        smalls = [cluster.connect(small, org.id, **fast) for _ in range(3)]

        wait_for(lambda: all(cluster.synced(c) for c in smalls), timeout=90, what="the small syncs")
        row = cluster.store.accounts.get_connection(huge)
        assert row is not None and row.last_successful_sync_at is None  # still going

        wait_for(lambda: cluster.synced(huge), timeout=120, what="the huge sync", every=0.5)
        statuses = cluster.run_statuses(huge)
        assert "yielded" in statuses and statuses[-1] == "done", statuses
        assert cluster.stored_ids(huge, "work_orders") == sandbox_keys(big, "work_orders")
        # The slices of the huge sync never overlapped either.
        slices = run_intervals(request_log(big))[huge]
        assert len(slices) == len(statuses)
        for (_s, end, _r), (start, _e, _r2) in itertools.pairwise(slices):
            assert start >= end


def test_source_rate_limit_holds_across_workers(cluster: Cluster) -> None:
    """Two connections on one source account, synced at once by two workers, share its
    limit through Redis: no window ever carries more requests than the limit."""
    limit, per = 10, 2
    cluster.worker(concurrency=1)
    cluster.worker(concurrency=1)
    wait_for(
        lambda: queue_health(cluster.store, 5).workers_alive == 2, timeout=60, what="two workers"
    )
    with SandboxServer("maintainx", seed=21, scale=60) as sb:
        org, _key = cluster.store.accounts.create_organization("Limit Co")
        shared = {"rate_limit": {"requests": limit, "per_seconds": per}}
        conns = [cluster.connect(sb, org.id, **shared) for _ in range(2)]
        wait_for(lambda: all(cluster.synced(c) for c in conns), timeout=120, what="both syncs")
        log = [e for e in request_log(sb) if e["plantlink_connection"] in conns]
    # Both workers were talking to the source at the same time...
    (a_start, a_end, _), *_ = run_intervals(log)[conns[0]]
    (b_start, b_end, _), *_ = run_intervals(log)[conns[1]]
    assert a_start < b_end and b_start < a_end
    assert len(log) > limit * 2
    # ...and together never exceeded the limit (a 10 % shorter window absorbs the
    # network's jitter between the limiter's clock and the sandbox's).
    times = sorted(_instant(e["started_at"]) for e in log)
    window = per * 0.9
    for i, t in enumerate(times):
        in_window = sum(1 for u in times[i:] if u < t + window)
        assert in_window <= limit, f"{in_window} requests within {window}s from {t}"


def test_api_rate_limit_holds_across_api_processes(cluster: Cluster) -> None:
    """Two ``plantlink serve`` processes count one token's requests in one Redis window."""
    limit = 20
    apis = [cluster.serve(PLANTLINK_API_RATE_LIMIT_PER_MINUTE=str(limit)) for _ in range(2)]
    org, _key = cluster.store.accounts.create_organization("Busy Co")
    _row, token = cluster.store.accounts.create_connection(
        org.id, "maintainx", "p", {"base_url": "http://127.0.0.1:9", "api_key": "k"}, {}
    )
    served: dict[str, list[int]] = {base: [] for base in apis}
    with ExitStack() as stack:
        clients = [
            stack.enter_context(
                httpx.Client(base_url=b, headers={"Authorization": f"Bearer {token}"})
            )
            for b in apis
        ]
        for n in range(limit * 2):
            client = clients[n % 2]
            r = client.get("/v1/work-orders", params={"page_size": 1})
            assert r.status_code in (200, 429), r.text
            if r.status_code == 429:
                assert r.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
            served[str(client.base_url).rstrip("/")].append(r.status_code)
    ok = sum(codes.count(200) for codes in served.values())
    assert 0 < ok <= limit
    for codes in served.values():  # each process both served and refused
        assert 200 in codes and 429 in codes


def test_workers_send_webhooks_for_syncs_they_ran(cluster: Cluster) -> None:
    from tests.webhooks.webhook_receiver import Receiver

    receiver = Receiver()
    try:
        org, _key = cluster.store.accounts.create_organization("Hooks Co")
        _endpoint, receiver.secret = create_endpoint(
            cluster.store, org.id, receiver.url, ["sync.completed", "records.changed"]
        )
        with SandboxServer("maintainx", seed=31, scale=40) as sb:
            cid = cluster.connect(sb, org.id, rate_limit={"requests": 10_000, "per_seconds": 1})
            cluster.worker(concurrency=2)

            def completed() -> bool:
                return any(
                    r.body["type"] == "sync.completed" and r.body["data"]["connection_id"] == cid
                    for r in receiver.received
                )

            wait_for(completed, timeout=60, what="the sync.completed webhook")
        types = {r.body["type"] for r in receiver.received}
        assert types == {"sync.completed", "records.changed"}
        assert receiver.bad_signatures == 0
        # Queueing the delivery job from inside the sync (the wake-up) raised nothing.
        assert "event_sink_failed" not in (cluster.tmp / "worker-0.log").read_text()
    finally:
        receiver.close()
