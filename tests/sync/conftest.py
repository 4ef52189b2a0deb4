"""A MaintainX sandbox and a connection in the store, synced by the engine directly."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from plantlink.connect import create_connection
from plantlink.sandbox.core.server import SandboxServer
from plantlink.store import Store
from plantlink.store.tables import records
from plantlink.sync.engine import RunResult, SyncEngine
from plantlink.sync.schedule import RunRequest

FAST = {"requests": 1000, "per_seconds": 1}


@dataclass
class Rig:
    store: Store
    sandbox: SandboxServer
    connection_id: str
    events: list[tuple[str, dict[str, Any]]]

    def engine(self, **kw: Any) -> SyncEngine:
        return SyncEngine(
            self.store, on_event=lambda _org, kind, data: self.events.append((kind, data)), **kw
        )

    def sync(self, **kw: Any) -> RunResult:
        return self.engine().run(RunRequest(self.connection_id, **kw))

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.request(method, f"{self.sandbox.base_url}{path}", json=body, timeout=60)

    def sandbox_keys(self, entity: str) -> set[str]:
        rows = self.control("GET", f"/_sandbox/records/{entity}").json()["records"]
        return {r["key"] for r in rows}

    def stored_keys(self, model: str) -> set[str]:
        r = records.c
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(r.remote_id).where(
                    r.connection_id == self.connection_id,
                    r.model == model,
                    r.remote_deleted.is_(False),
                )
            ).all()
        return {row[0] for row in rows}


def make_rig(store: Store, sandbox: SandboxServer, **settings: Any) -> Rig:
    org, _ = store.accounts.create_organization("sync")
    made = create_connection(
        store,
        org.id,
        sandbox.system,
        "sync",
        sandbox.info["credentials"],
        {"history_days": 3650, "rate_limit": FAST, **settings},
    )
    return Rig(store, sandbox, made.connection.id, [])


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer("maintainx", seed=9, scale=600) as sb:
        yield sb


@pytest.fixture
def rig(store: Store, sandbox: SandboxServer) -> Rig:
    return make_rig(store, sandbox)
