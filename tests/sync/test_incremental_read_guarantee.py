"""The incremental-read guarantee, as a property.

A client that keeps ``last_successful_sync_at`` and reads ``modified_after=<it>`` in a loop
must end with an exact replica of plantlink's data, whatever interleaving of source
edits, syncs (running in the background while the client pages), slow write
transactions and client reads hypothesis comes up with.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from plantlink.api.app import build_context, create_app
from plantlink.connect import create_connection
from plantlink.core.config import Settings
from plantlink.model.mapped import Mapped
from plantlink.model.registry import MODELS
from plantlink.sandbox.core.server import SandboxServer
from plantlink.store import Store
from plantlink.store.db import write_connection
from plantlink.store.records import take_stamp, upsert
from plantlink.sync.engine import SyncEngine
from plantlink.sync.schedule import RunRequest
from tests.conftest import LiveServer

MODELS_READ = ("work_orders", "assets", "purchase_orders")


@dataclass
class World:
    sandbox: SandboxServer
    store: Store
    api_url: str
    connection_id: str
    token: str


WORLD: World | None = None


class GuaranteeMachine(RuleBasedStateMachine):
    """Source edits, background syncs, slow writes and client polls, interleaved."""

    def __init__(self) -> None:
        super().__init__()
        assert WORLD is not None
        self.w = WORLD
        self.http = httpx.Client(
            base_url=self.w.api_url, headers={"Authorization": f"Bearer {self.w.token}"}, timeout=60
        )
        self.control = httpx.Client(base_url=self.w.sandbox.base_url, timeout=60)
        self.replica: dict[str, dict[str, dict[str, Any]]] = {m: {} for m in MODELS_READ}
        self.marks: dict[str, str | None] = {m: None for m in MODELS_READ}
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    @initialize()
    def first_read(self) -> None:
        self.poll()

    def _background(self, fn: Any) -> None:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # surfaced in teardown
                self.errors.append(exc)

        t = threading.Thread(target=run)
        t.start()
        self.threads.append(t)

    @rule(
        entity=st.sampled_from(MODELS_READ),
        count=st.integers(1, 4),
        action=st.sampled_from(["mutate", "create"]),
    )
    def source_edit(self, entity: str, count: int, action: str) -> None:
        r = self.control.post(f"/_sandbox/{action}", json={"entity": entity, "count": count})
        assert r.status_code == 200, r.text

    @rule(entity=st.sampled_from(MODELS_READ))
    def source_delete(self, entity: str) -> None:
        keys = self.control.get(f"/_sandbox/records/{entity}").json()["records"]
        if keys:
            self.control.delete(f"/_sandbox/records/{entity}/{keys[len(keys) // 2]['key']}")

    @rule(full=st.booleans())
    def background_sync(self, full: bool) -> None:
        engine = SyncEngine(self.w.store)
        self._background(
            lambda: _run_until_done(
                engine, RunRequest(self.w.connection_id, models=list(MODELS_READ), full=full)
            )
        )

    @rule(hold_ms=st.integers(0, 80))
    def slow_write(self, hold_ms: int) -> None:
        self._background(lambda: self._write(hold_ms))

    def _write(self, hold_ms: int) -> None:
        """A write-back-like transaction: stamps, then holds its locks before committing."""
        with write_connection(self.w.store.engine) as conn:
            stamp = take_stamp(conn, self.w.connection_id)
            upsert(
                conn,
                self.w.connection_id,
                [Mapped("work_orders", f"local-{stamp}", {"title": "raised by an integrator"})],
                stamp,
            )
            time.sleep(hold_ms / 1000)

    @rule(
        writes=st.integers(1, 8),
        polls=st.integers(1, 6),
        gap_ms=st.integers(0, 40),
        hold_ms=st.integers(0, 250),
    )
    def busy_moment(self, writes: int, polls: int, gap_ms: int, hold_ms: int) -> None:
        """A sync runs and writes keep committing while the client polls again and again."""
        self.control.post("/_sandbox/mutate", json={"entity": "work_orders", "count": 5})
        self.background_sync(False)

        def writer() -> None:
            for _ in range(writes):
                self._write(hold_ms)
                time.sleep(gap_ms / 1000)

        self._background(writer)
        for _ in range(polls):
            self.poll(500)
            time.sleep(gap_ms / 1000)

    @rule(page_size=st.sampled_from([3, 7, 50, 500]))
    def poll(self, page_size: int = 7) -> None:
        """The client's loop: remember the watermark, read everything modified after the last one."""
        status = self.http.get("/v1/sync-status").json()
        new_marks = {m["model"]: m["last_successful_sync_at"] for m in status["models"]}
        for model in MODELS_READ:
            path = MODELS[model].path
            params: dict[str, Any] = {"include_deleted": "true", "page_size": page_size}
            if self.marks[model]:
                params["modified_after"] = self.marks[model]
            cursor = None
            while True:
                r = self.http.get(
                    f"/v1/{path}", params={**params, **({"cursor": cursor} if cursor else {})}
                )
                assert r.status_code == 200, r.text
                body = r.json()
                for doc in body["data"]:
                    held = self.replica[model].get(doc["id"])
                    if held is None or held["modified_at"] <= doc["modified_at"]:
                        self.replica[model][doc["id"]] = doc
                cursor = body["next_cursor"]
                if not cursor:
                    break
            self.marks[model] = new_marks[path] or self.marks[model]

    def teardown(self) -> None:
        try:
            for t in self.threads:
                t.join(timeout=120)
            assert not self.errors, self.errors
            _run_until_done(
                SyncEngine(self.w.store), RunRequest(self.w.connection_id, models=list(MODELS_READ))
            )
            self.poll()
            for model in MODELS_READ:
                truth = {d["id"]: d for d in _everything(self.http, MODELS[model].path)}
                assert set(self.replica[model]) == set(truth), (
                    f"{model}: missed {len(set(truth) - set(self.replica[model]))} records"
                )
                stale = [i for i, d in truth.items() if self.replica[model][i] != d]
                assert not stale, f"{model}: {len(stale)} records differ from plantlink's copy"
        finally:
            self.http.close()
            self.control.close()


def _run_until_done(engine: SyncEngine, req: RunRequest) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if engine.run(req).status != "busy":
            return
        time.sleep(0.02)
    raise AssertionError("connection stayed busy for two minutes")


def _everything(http: httpx.Client, path: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {
            "include_deleted": "true",
            "page_size": 500,
            **({"cursor": cursor} if cursor else {}),
        }
        body = http.get(f"/v1/{path}", params=params).json()
        out.extend(body["data"])
        cursor = body["next_cursor"]
        if not cursor:
            return out


@pytest.mark.slow
def test_incremental_readers_never_miss_a_change(settings: Settings) -> None:
    global WORLD
    quiet = settings.model_copy(update={"embedded": False})  # only the syncs the machine starts
    ctx = build_context(quiet, Store.open(quiet, run_migrations=False))
    live = LiveServer(create_app(quiet, ctx))
    url = live.start()
    with SandboxServer("maintainx", seed=3, scale=500) as sandbox:
        httpx.post(f"{sandbox.base_url}/_sandbox/latency", json={"ms": 3}, timeout=30)
        org, _ = ctx.store.accounts.create_organization("guarantee")
        made = create_connection(
            ctx.store,
            org.id,
            "maintainx",
            "guarantee",
            sandbox.info["credentials"],
            {"history_days": 3650, "rate_limit": {"requests": 1000, "per_seconds": 1}},
        )
        WORLD = World(sandbox, ctx.store, url, made.connection.id, made.token)
        try:
            run = settings_for_machine(GuaranteeMachine.TestCase)
            run.runTest()
        finally:
            WORLD = None
            live.stop()
            ctx.store.close()


def settings_for_machine(case: Any) -> Any:
    case.settings = settings(
        max_examples=int(os.environ.get("PLANTLINK_PROPERTY_EXAMPLES", "8")),
        stateful_step_count=10,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    return case()
