"""A connection to a live MaintainX sandbox through the real API, synced once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from plantlink.sandbox.core.server import SandboxServer
from tests.conftest import Api


@pytest.fixture
def maintainx() -> Iterator[SandboxServer]:
    with SandboxServer("maintainx", seed=11, scale=300) as sb:
        yield sb


@dataclass
class Linked:
    api: Api
    sandbox: SandboxServer
    admin_key: str
    connection_id: str
    token: str

    def client(self) -> httpx.Client:
        return self.api.client(self.token)

    def admin(self) -> httpx.Client:
        return self.api.client(self.admin_key)

    def control(self) -> httpx.Client:
        return httpx.Client(base_url=self.sandbox.base_url, timeout=60)


def wait_synced(
    client: httpx.Client,
    *,
    since: str | None = None,
    model: str | None = None,
    timeout: float = 60,
) -> dict[str, Any]:
    """Poll sync-status until no model is pending/syncing and the watermark (the
    connection's, or ``model``'s) moved past ``since``."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get("/v1/sync-status").json()
        busy = [m for m in status["models"] if m["status"] in ("pending", "syncing")]
        mark = status["last_successful_sync_at"]
        if model is not None:
            mark = next(m for m in status["models"] if m["model"] == model)[
                "last_successful_sync_at"
            ]
        moved = since is None or (mark or "") > since
        if not busy and moved and status["status"] != "syncing":
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"sync did not finish: {status}")
        time.sleep(0.1)


def link(api: Api, sandbox: SandboxServer, settings: dict[str, Any] | None = None) -> Linked:
    key = api.new_org()
    creds = sandbox.info["credentials"]
    with api.client(key) as admin:
        r = admin.post(
            "/v1/admin/connections",
            json={
                "system": sandbox.system,
                "name": "Plant 3",
                "credentials": creds,
                "settings": settings or {},
            },
        )
        assert r.status_code == 201, r.text
        body = r.json()
    linked = Linked(api, sandbox, key, body["connection"]["id"], body["token"])
    with linked.client() as c:
        wait_synced(c)
    return linked


@pytest.fixture
def linked(api: Api, maintainx: SandboxServer) -> Linked:
    return link(api, maintainx, {"history_days": 3650})


@pytest.fixture(scope="module")
def module_maintainx() -> Iterator[SandboxServer]:
    with SandboxServer("maintainx", seed=11, scale=300) as sb:
        yield sb


@pytest.fixture(scope="module")
def shared_linked(module_api: Api, module_maintainx: SandboxServer) -> Linked:
    """A synced connection shared by a module's tests: they must not change it."""
    return link(module_api, module_maintainx, {"history_days": 3650})
