"""Fixtures of the connector conformance suite: a sandbox, the real API, a connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from plantlink.connectors.base import Connector
from plantlink.connectors.registry import get_connector
from plantlink.model.registry import MODELS
from plantlink.sandbox.core.server import SandboxServer
from tests.conformance.cases import CASES, Case
from tests.conftest import Api

HISTORY_DAYS = 120
#: Generous source limit for most tests (the rate-limit test sets its own).
FAST = {"requests": 1000, "per_seconds": 1}


@pytest.fixture(params=CASES, ids=str)
def case(request: pytest.FixtureRequest) -> Case:
    case: Case = request.param
    return case


@pytest.fixture
def sandbox(case: Case) -> Iterator[SandboxServer]:
    with SandboxServer(case.system, seed=20241124, scale=case.scale) as sb:
        yield sb


@dataclass
class Conn:
    """A live connection under test, with helpers that speak only public interfaces."""

    api: Api
    sandbox: SandboxServer
    connector: Connector[Any]
    admin_key: str
    id: str
    token: str
    settings: dict[str, Any] = field(default_factory=dict)

    def client(self, token: str | None = None) -> httpx.Client:
        return self.api.client(token or self.token)

    def control(self) -> httpx.Client:
        return httpx.Client(base_url=self.sandbox.base_url, timeout=60)

    @property
    def models(self) -> tuple[str, ...]:
        return self.connector.models

    def status(self) -> dict[str, Any]:
        with self.client() as c:
            r = c.get("/v1/sync-status")
            assert r.status_code == 200, r.text
            return r.json()

    def model_status(self, model: str) -> dict[str, Any]:
        path = MODELS[model].path
        return next(m for m in self.status()["models"] if m["model"] == path)

    def sync(
        self, models: list[str] | None = None, full: bool = False, timeout: float = 120
    ) -> dict[str, Any]:
        """Trigger a sync over the API and wait until every requested model finished it."""
        started = _now()
        body: dict[str, Any] = {"full": full}
        if models is not None:
            body["models"] = [MODELS[m].path for m in models]
        with self.client() as c:
            r = c.post("/v1/sync", json=body)
            assert r.status_code == 202, r.text
        return self.wait(models, started, timeout)

    def wait(self, models: list[str] | None, since: str, timeout: float = 120) -> dict[str, Any]:
        wanted = {MODELS[m].path for m in (models or self.models)}
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            rows = [m for m in status["models"] if m["model"] in wanted]
            finished = all(
                m["status"] not in ("pending", "syncing")
                and (m["last_sync_finished_at"] or "") >= since
                for m in rows
            )
            if finished and status["status"] != "syncing":
                return status
            if status["status"] in ("auth_required", "offline") and all(
                (m["last_sync_finished_at"] or "") >= since for m in rows
            ):
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"sync did not finish in {timeout}s: {status}")
            time.sleep(0.1)

    def stored(self, model: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor = None
        with self.client() as c:
            while True:
                params: dict[str, Any] = {"page_size": 500}
                if include_deleted:
                    params["include_deleted"] = "true"
                if cursor:
                    params["cursor"] = cursor
                r = c.get(f"/v1/{MODELS[model].path}", params=params)
                assert r.status_code == 200, r.text
                body = r.json()
                out.extend(body["data"])
                cursor = body["next_cursor"]
                if not cursor:
                    return out

    def sandbox_records(self, model: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        with self.control() as c:
            r = c.get(
                f"/_sandbox/records/{model}",
                params={"include_deleted": str(include_deleted).lower()},
            )
            assert r.status_code == 200, r.text
            records: list[dict[str, Any]] = r.json()["records"]
            return records

    def expected_keys(self, model: str) -> tuple[set[str], set[str]]:
        """(keys plantlink must have, keys too close to the window edge to judge)."""
        records = self.sandbox_records(model)
        if not MODELS[model].transactional:
            return {r["key"] for r in records}, set()
        edge = datetime.now(UTC) - timedelta(
            days=int(self.settings.get("history_days", HISTORY_DAYS))
        )
        inside, unsure = set(), set()
        for r in records:
            updated = datetime.fromisoformat(r["updated_at"])
            if abs((updated - edge).total_seconds()) < 600:
                unsure.add(r["key"])
            elif updated > edge:
                inside.add(r["key"])
        return inside, unsure

    def control_post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        with self.control() as c:
            return c.post(path, json=body)

    def source_requests(self, after: int = 0) -> list[dict[str, Any]]:
        with self.control() as c:
            rows: list[dict[str, Any]] = c.get(
                "/_sandbox/requests", params={"after": after}
            ).json()["requests"]
            return rows


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def connect(api: Api, sandbox: SandboxServer, settings: dict[str, Any] | None = None) -> Conn:
    settings = {
        "history_days": HISTORY_DAYS,
        "rate_limit": FAST,
        "request_timeout_seconds": 2,
        **(settings or {}),
    }
    key = api.new_org()
    with api.client(key) as admin:
        r = admin.post(
            "/v1/admin/connections",
            json={
                "system": sandbox.system,
                "name": "conformance",
                "credentials": sandbox.info["credentials"],
                "settings": settings,
            },
        )
        assert r.status_code == 201, r.text
        body = r.json()
    connector = get_connector(sandbox.system)
    assert connector is not None
    return Conn(api, sandbox, connector, key, body["connection"]["id"], body["token"], settings)


@pytest.fixture
def conn(api: Api, sandbox: SandboxServer) -> Conn:
    c = connect(api, sandbox)
    c.wait(None, "")
    return c
