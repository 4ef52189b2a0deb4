"""Two ``plantlink worker`` processes, 50 connections, one worker killed mid-sync."""

from __future__ import annotations

import os
import signal
import subprocess
from contextlib import ExitStack

from plantlink.sandbox.core.server import SandboxServer
from tests.scaleout.conftest import (
    EXACT_MODELS,
    PLANTLINK,
    Cluster,
    assert_no_overlap,
    request_log,
    sandbox_keys,
    sandbox_post,
    wait_for,
)

SANDBOXES = 5
CONNECTIONS_PER_SANDBOX = 10


def test_fifty_connections_end_exact_after_a_worker_dies_mid_sync(cluster: Cluster) -> None:
    cluster.overrides["PLANTLINK_SYNC_BUDGET_SECONDS"] = "2"
    with ExitStack() as stack:
        sandboxes = [
            stack.enter_context(SandboxServer("maintainx", seed=100 + n, scale=100))
            for n in range(SANDBOXES)
        ]
        for sb in sandboxes:
            # Slow pages so that syncs are surely running when the worker is killed.
            sandbox_post(sb, "/_sandbox/latency", {"ms": 10})
        org, _key = cluster.store.accounts.create_organization("Scale-out Inc")
        owners: dict[str, SandboxServer] = {}
        for sb in sandboxes:
            for _ in range(CONNECTIONS_PER_SANDBOX):
                cid = cluster.connect(sb, org.id, rate_limit={"requests": 10_000, "per_seconds": 1})
                owners[cid] = sb

        victim = cluster.worker(concurrency=3)
        survivor = cluster.worker(concurrency=3)
        victim_tag = f":{victim.pid}:"

        def mid_sync() -> set[str]:
            """Runs of the first worker in progress that have been reading the source."""
            held = [c for c, o in cluster.lease_owners().items() if victim_tag in o]
            running = set().union(*(cluster.unfinished_runs(c) for c in held))
            talking = {e["plantlink_run"] for sb in sandboxes for e in request_log(sb)}
            return running & talking

        wait_for(lambda: bool(mid_sync()), timeout=90, what="the first worker to be syncing")
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        # A dead worker's leases and unfinished runs stay in the database until taken over.
        dead_runs = mid_sync()
        assert dead_runs
        interrupted = {c for c, o in cluster.lease_owners().items() if victim_tag in o}

        wait_for(
            lambda: all(cluster.synced(c) for c in owners),
            timeout=300,
            what="every connection to finish syncing",
            every=0.5,
        )
        assert survivor.poll() is None
        check = subprocess.run(
            [PLANTLINK, "worker", "--check"], env=cluster.env(), capture_output=True, timeout=60
        )
        assert check.returncode == 0, check.stdout
        assert b"workers alive: 1" in check.stdout

        for cid, sb in owners.items():
            for model in EXACT_MODELS:
                assert cluster.stored_ids(cid, model) == sandbox_keys(sb, model), (cid, model)
        for cid in interrupted:
            # The killed run never finished; a later run completed the connection.
            statuses = cluster.run_statuses(cid)
            assert statuses[-1] in ("done", "partial"), statuses

        seen: set[str] = set()
        for sb in sandboxes:
            by_conn = assert_no_overlap(request_log(sb))
            seen |= set(by_conn)
        assert seen == set(owners)
