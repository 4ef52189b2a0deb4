"""A sync killed with SIGKILL mid-listing resumes from its checkpoint: no gap, no duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import httpx
from sqlalchemy import select

from plantlink.connect import create_connection
from plantlink.connectors.registry import get_connector
from plantlink.core.config import Settings
from plantlink.sandbox.core.server import SandboxServer
from plantlink.store import Store
from plantlink.store.tables import records, sync_runs
from plantlink.sync import state
from plantlink.sync.engine import SyncEngine
from plantlink.sync.schedule import RunRequest
from tests.conformance.cases import Case

SETTINGS = {"history_days": 3650, "rate_limit": {"requests": 1000, "per_seconds": 1}}


def _requests_of(sandbox: SandboxServer, run_id: str) -> list[dict[str, object]]:
    rows = httpx.get(f"{sandbox.base_url}/_sandbox/requests", timeout=30).json()["requests"]
    return [r for r in rows if r["plantlink_run"] == run_id]


def _remote_ids(store: Store, connection_id: str, model: str) -> list[str]:
    with store.engine.connect() as c:
        rows = c.execute(
            select(records.c.remote_id).where(
                records.c.connection_id == connection_id,
                records.c.model == model,
                records.c.remote_deleted.is_(False),
            )
        ).all()
    return [r[0] for r in rows]


def _run_ids(store: Store, connection_id: str) -> list[str]:
    with store.engine.connect() as c:
        rows = c.execute(
            select(sync_runs.c.id)
            .where(sync_runs.c.connection_id == connection_id)
            .order_by(sync_runs.c.started_at)
        ).all()
    return [r[0] for r in rows]


def test_killed_sync_resumes_from_its_checkpoint(
    case: Case, settings: Settings, store: Store, tmp_path: Path
) -> None:
    with SandboxServer(case.system, seed=5, scale=case.scale * 8) as sandbox:
        org, _ = store.accounts.create_organization("resume")
        creds = sandbox.info["credentials"]
        # A clean full sync of a twin connection: how many requests a sync needs.
        twin = create_connection(store, org.id, case.system, "twin", creds, SETTINGS).connection
        reference = SyncEngine(store).run(RunRequest(twin.id))
        assert reference.status == "done"
        conn = create_connection(store, org.id, case.system, "victim", creds, SETTINGS).connection
        httpx.post(f"{sandbox.base_url}/_sandbox/latency", json={"ms": 40}, timeout=30)
        env = {
            **os.environ,
            "PLANTLINK_DATABASE_URL": settings.resolved_database_url,
            "PLANTLINK_SECRET_KEY": settings.resolved_secret_key(),
            "PLANTLINK_DATA_DIR": str(tmp_path),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "plantlink", "sync", conn.id],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                wo = state.load_states(store.engine, conn.id).get("work_orders")
                cp = wo.checkpoint if wo else None
                if cp and cp["pages"] >= 2 and cp["token"]:
                    break
                assert proc.poll() is None, "the sync finished before it could be killed"
                assert time.monotonic() < deadline, "the sync never reached work orders"
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        killed_state = state.load_states(store.engine, conn.id)["work_orders"]
        assert killed_state.checkpoint and killed_state.checkpoint["pages"] >= 2
        token = unquote(killed_state.checkpoint["token"])
        httpx.post(f"{sandbox.base_url}/_sandbox/latency", json={"ms": 0}, timeout=30)

        resumed = SyncEngine(store).run(RunRequest(conn.id))
        assert resumed.status == "done", resumed
        first_run = next(r for r in _run_ids(store, conn.id) if r != resumed.run_id)
        with store.engine.connect() as c:
            killed_row = c.execute(select(sync_runs).where(sync_runs.c.id == first_run)).one()
        # The dead worker's run is closed as interrupted, not left "running" forever.
        assert killed_row.status == "interrupted" and killed_row.finished_at is not None
        second = _requests_of(sandbox, resumed.run_id)
        # The work-order listing continued from the committed page token …
        urls = [unquote(f"{r['path']}?{r['query']}") for r in second]
        assert any(token in url or url in token for url in urls), (token, urls[:20])
        # … and the two runs together cost one clean sync plus, at most, a quick
        # incremental check of the models the killed run had already finished.
        spent = len(_requests_of(sandbox, first_run)) + len(second)
        connector = get_connector(case.system)
        assert connector is not None
        models = len(connector.models)
        assert spent <= reference.requests + 2 * models, (spent, reference.requests)

        for model in connector.models:
            keys = httpx.get(f"{sandbox.base_url}/_sandbox/records/{model}", timeout=60).json()
            stored = _remote_ids(store, conn.id, model)
            final = state.load_states(store.engine, conn.id)[model]
            assert final.checkpoint is None
            assert final.records == len(stored) == len(set(stored)), model
            stream = connector.stream(model)
            if stream is not None and stream.reconcile:
                assert set(stored) == {r["key"] for r in keys["records"]}, model
