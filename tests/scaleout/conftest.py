"""Scale-out mode for real: a fresh PostgreSQL database, Redis, and ``plantlink worker`` /
``plantlink serve`` started as separate processes, exactly as an operator runs them.

PostgreSQL only. Without PostgreSQL or Redis these tests skip locally and fail under CI.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from sqlalchemy import select, text

from plantlink.core.config import Settings
from plantlink.sandbox.core.server import SandboxServer
from plantlink.store import Store
from plantlink.store.tables import connections, records, sync_runs
from tests.conftest import PG_ADMIN_DSN, Templates, _pg_available, _pg_template, _pg_url

REDIS_URL = os.environ.get("PLANTLINK_TEST_REDIS", "redis://127.0.0.1:6379")
PLANTLINK = str(Path(sys.executable).with_name("plantlink"))
#: Models compared record for record with the sandbox (remote ids).
EXACT_MODELS = ("work_orders", "assets", "locations", "parts", "vendors", "purchase_orders")


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _require(available: bool, what: str) -> None:
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is unreachable but CI is set: scale-out tests must run")
    pytest.skip(f"{what} unreachable (set CI to make this a failure)")


@pytest.fixture
def pg_url(_templates: Templates) -> Iterator[str]:
    """A freshly migrated PostgreSQL database (procrastinate's schema included)."""
    _require(_pg_available(), "PostgreSQL")
    _require(_redis_available(), "Redis")
    template = _pg_template(_templates)
    name = f"plantlink_so_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Cluster:
    """One scale-out deployment on this machine: its settings, store and processes."""

    url: str
    tmp: Path
    overrides: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.settings = Settings(
            database_url=self.url,
            data_dir=self.tmp,
            secret_key="scaleout-test-secret-key",
            rate_limit_storage=REDIS_URL,
        )
        self.store = Store.open(self.settings, run_migrations=False)

    def env(self, **extra: str) -> dict[str, str]:
        base = {
            "PLANTLINK_DATABASE_URL": self.url,
            "PLANTLINK_SECRET_KEY": self.settings.secret_key,
            "PLANTLINK_DATA_DIR": str(self.tmp),
            "PLANTLINK_RATE_LIMIT_STORAGE": REDIS_URL,
            # Fast ticks and quick death detection keep the tests short.
            "PLANTLINK_WORKER_TICK_SECONDS": "1",
            "PLANTLINK_WORKER_HEARTBEAT_SECONDS": "1",
            "PLANTLINK_WORKER_STALLED_SECONDS": "5",
            "PLANTLINK_LOG_LEVEL": "WARNING",
        }
        return {**os.environ, **base, **self.overrides, **extra}

    def _spawn(self, args: list[str], log_name: str, **env: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / log_name).open("wb")
        proc = subprocess.Popen(
            [PLANTLINK, *args], env=self.env(**env), stdout=log, stderr=subprocess.STDOUT
        )
        self.procs.append(proc)
        return proc

    def worker(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        return self._spawn(["worker", "--concurrency", str(concurrency)], f"worker-{n}.log")

    def serve(self, **env: str) -> str:
        port = free_port()
        self._spawn(["serve", "--port", str(port)], f"serve-{port}.log", **env)
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _healthy(base), timeout=60, what=f"API on port {port}")
        return base

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.store.close()

    # -- set-up and observation through the database ------------------------------------

    def connect(self, sandbox: SandboxServer, org_id: str, **settings: Any) -> str:
        """A connection to the sandbox, due at once (as the admin API creates it)."""
        row, _token = self.store.accounts.create_connection(
            org_id,
            sandbox.system,
            f"plant {uuid.uuid4().hex[:6]}",
            sandbox.info["credentials"],
            {"history_days": 3650, **settings},
        )
        return row.id

    def synced(self, connection_id: str) -> bool:
        row = self.store.accounts.get_connection(connection_id)
        assert row is not None
        return bool(
            row.last_successful_sync_at and not row.sync_pending and row.lease_until is None
        )

    def lease_owners(self) -> dict[str, str]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(connections.c.id, connections.c.lease_owner).where(
                    connections.c.lease_owner.is_not(None)
                )
            ).all()
        return {r.id: r.lease_owner for r in rows}

    def stored_ids(self, connection_id: str, model: str) -> set[str]:
        with self.store.engine.connect() as conn:
            return set(
                conn.execute(
                    select(records.c.remote_id).where(
                        records.c.connection_id == connection_id,
                        records.c.model == model,
                        records.c.remote_deleted.is_(False),
                    )
                ).scalars()
            )

    def run_statuses(self, connection_id: str) -> list[str]:
        with self.store.engine.connect() as conn:
            return list(
                conn.execute(
                    select(sync_runs.c.status)
                    .where(sync_runs.c.connection_id == connection_id)
                    .order_by(sync_runs.c.started_at)
                ).scalars()
            )

    def unfinished_runs(self, connection_id: str) -> set[str]:
        with self.store.engine.connect() as conn:
            return set(
                conn.execute(
                    select(sync_runs.c.id).where(
                        sync_runs.c.connection_id == connection_id, sync_runs.c.status == "running"
                    )
                ).scalars()
            )

    def queued_sync_jobs(self, connection_id: str) -> int:
        with self.store.engine.connect() as conn:
            count = conn.execute(
                text(
                    "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'"
                    " AND task_name = 'plantlink.sync_connection' AND queueing_lock = :c"
                ),
                {"c": connection_id},
            ).scalar_one()
        return int(count)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(cond: Callable[[], bool], *, timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


@pytest.fixture
def cluster(pg_url: str, tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(pg_url, tmp_path)
    try:
        yield c
    finally:
        c.stop()


def sandbox_keys(sandbox: SandboxServer, entity: str) -> set[str]:
    r = httpx.get(f"{sandbox.base_url}/_sandbox/records/{entity}", timeout=60)
    r.raise_for_status()
    return {rec["key"] for rec in r.json()["records"]}


def sandbox_post(sandbox: SandboxServer, path: str, body: dict[str, Any]) -> None:
    httpx.post(f"{sandbox.base_url}{path}", json=body, timeout=30).raise_for_status()


def request_log(sandbox: SandboxServer) -> list[dict[str, Any]]:
    r = httpx.get(f"{sandbox.base_url}/_sandbox/requests", timeout=60)
    r.raise_for_status()
    entries: list[dict[str, Any]] = r.json()["requests"]
    return entries


def run_intervals(entries: list[dict[str, Any]]) -> dict[str, list[tuple[str, str, str]]]:
    """Per connection: each sync run's (first request start, last request end, run id)."""
    spans: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        conn, run = e["plantlink_connection"], e["plantlink_run"]
        if not conn or not run:
            continue
        span = spans.setdefault((conn, run), [e["started_at"], e["finished_at"]])
        span[0] = min(span[0], e["started_at"])
        span[1] = max(span[1], e["finished_at"])
    out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for (conn, run), (start, end) in spans.items():
        out[conn].append((start, end, run))
    for runs in out.values():
        runs.sort()
    return out


def assert_no_overlap(entries: list[dict[str, Any]]) -> dict[str, list[tuple[str, str, str]]]:
    """No two runs of one connection were ever talking to the source at the same time."""
    by_conn = run_intervals(entries)
    for conn, runs in by_conn.items():
        for (_s1, end1, run1), (start2, _e2, run2) in itertools.pairwise(runs):
            assert start2 >= end1, f"connection {conn}: run {run2} started before {run1} ended"
    return by_conn
