"""``POST /v1/passthrough`` against the MaintainX sandbox: relayed, confined, polite."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from plantlink.api.routes.passthrough import PassthroughRequest, relay
from plantlink.connectors.http import PoliteClient
from plantlink.connectors.maintainx import MaintainXConnector
from plantlink.connectors.maintainx.client import MaintainXClient
from plantlink.sandbox.core.server import SandboxServer
from tests.api.conftest import Linked, link
from tests.conftest import Api


def _pass(linked: Linked, **body: Any) -> httpx.Response:
    with linked.client() as c:
        return c.post("/v1/passthrough", json=body)


def _direct(linked: Linked, path: str, **params: Any) -> httpx.Response:
    """The same call made straight to the sandbox with the connection's credentials."""
    creds = linked.sandbox.info["credentials"]
    headers = {
        "Authorization": f"Bearer {creds['api_key']}",
        "x-organization-id": str(creds["organization_id"]),
    }
    return httpx.get(creds["base_url"] + path, params=params, headers=headers)


def _log(linked: Linked, after: int = 0) -> list[dict[str, Any]]:
    with linked.control() as c:
        entries: list[dict[str, Any]] = c.get("/_sandbox/requests", params={"after": after}).json()[
            "requests"
        ]
    return entries


def _last_id(linked: Linked) -> int:
    entries = _log(linked)
    return int(entries[-1]["id"]) if entries else 0


def test_get_is_relayed(linked: Linked) -> None:
    before = _last_id(linked)
    r = _pass(linked, method="get", path="/workorders", query={"limit": 2})
    (entry,) = _log(linked, before)
    assert entry["path"] == "/v1/workorders" and entry["query"] == "limit=2"
    assert entry["plantlink_connection"] == linked.connection_id
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-plantlink-passthrough"] == "maintainx"
    assert "x-rate-limit-remaining" in r.headers and "x-rate-limit-limit" in r.headers
    assert "set-cookie" not in r.headers
    assert r.json() == _direct(linked, "/workorders", limit=2).json()
    assert len(r.json()["workOrders"]) == 2


def test_source_404_is_relayed(linked: Linked) -> None:
    r = _pass(linked, method="GET", path="workorders/987654321")
    assert r.status_code == 404
    assert r.headers["x-plantlink-passthrough"] == "maintainx"
    assert r.json() == _direct(linked, "/workorders/987654321").json()
    assert "code" not in r.json().get("error", {})  # the source's body, not our envelope


def test_write_is_relayed_once(linked: Linked) -> None:
    before = _last_id(linked)
    made = _pass(linked, method="POST", path="/workorders", body={"title": "Relayed via plantlink"})
    assert made.status_code == 200, made.text
    new_id = made.json()["id"]
    read = _pass(linked, method="GET", path=f"/workorders/{new_id}")
    assert read.status_code == 200 and read.json()["workOrder"]["title"] == "Relayed via plantlink"
    posts = [e for e in _log(linked, before) if e["method"] == "POST"]
    assert len(posts) == 1 and posts[0]["path"] == "/v1/workorders"


ESCAPES = [
    "http://evil.example/x",
    "HTTPS:evil.example",
    "//evil.example/x",
    "/../x",
    "workorders/../../x",
    "./workorders",
    "%2e%2e/x",
    "%2E%2E%2Fsecret",
    ".%2e/x",
    "%252e%252e/x",
    "..\\x",
    "%5c..%5cx",
    "/workorders?limit=1",
    "/workorders#frag",
    "/workorders\r\nHost: evil.example",
]


def test_paths_that_leave_the_base_url_are_refused(
    linked: Linked, subtests: pytest.Subtests
) -> None:
    for path in ESCAPES:
        with subtests.test(path=path):
            before = _last_id(linked)
            r = _pass(linked, method="GET", path=path)
            assert r.status_code == 400, r.text
            error = r.json()["error"]
            assert error["code"] == "INVALID_PARAMETER"
            assert error["details"] == {"parameter": "path"}
            assert "path" in error["message"]
            assert _log(linked, before) == []  # nothing reached the source


REFUSED_HEADERS = [
    "Authorization",
    "cookie",
    "Proxy-Authorization",
    "Connection",
    "Transfer-Encoding",
    "Host",
    "X-Organization-Id",
    "X-Plantlink-Connection",
    "bad header",
]


def test_identity_and_hop_by_hop_headers_are_refused(
    linked: Linked, subtests: pytest.Subtests
) -> None:
    for header in REFUSED_HEADERS:
        with subtests.test(header=header):
            before = _last_id(linked)
            r = _pass(linked, method="GET", path="/users", headers={header: "x"})
            assert r.status_code == 400, r.text
            assert r.json()["error"]["details"] == {"parameter": "headers"}
            assert _log(linked, before) == []


def test_other_headers_pass(linked: Linked) -> None:
    r = _pass(linked, method="GET", path="/users", query={"limit": 1}, headers={"Accept": "*/*"})
    assert r.status_code == 200 and r.json()["users"]


def test_bad_methods_and_bodies(linked: Linked) -> None:
    r = _pass(linked, method="TRACE", path="/users")
    assert r.status_code == 422
    assert r.json()["error"]["details"]["errors"][0]["field"] == "method"
    r = _pass(linked, method="GET", path="/users", body={"x": 1})
    assert r.status_code == 400 and r.json()["error"]["details"] == {"parameter": "body"}
    r = _pass(linked, method="GET", path="/users", query={"limit": {"nested": 1}})
    assert r.status_code == 422


def test_refused_credentials_are_a_conflict(linked: Linked) -> None:
    with linked.control() as c:
        c.post("/_sandbox/credentials/rotate").raise_for_status()
    r = _pass(linked, method="GET", path="/users")
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "CONNECTION_AUTH_REQUIRED"
    assert "refused the credentials" in error["message"]
    # The connection stops syncing until reconnected, as if a sync had met the refusal.
    with linked.client() as c:
        assert c.get("/v1/connection").json()["status"] == "auth_required"


def test_unreachable_source(api: Api) -> None:
    with SandboxServer("maintainx", seed=5, scale=100) as sandbox:
        linked = link(api, sandbox, {"max_attempts": 1})
    r = _pass(linked, method="GET", path="/users")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "SOURCE_UNAVAILABLE"


def test_connection_rate_limit_applies(api: Api, maintainx: SandboxServer) -> None:
    linked = link(
        api, maintainx, {"history_days": 3650, "rate_limit": {"requests": 2, "per_seconds": 1}}
    )
    with linked.control() as c:  # the source allows a little more than the connection uses
        c.post("/_sandbox/rate-limit", json={"requests": 3, "per_seconds": 1}).raise_for_status()
    before = _last_id(linked)
    for _ in range(6):
        assert _pass(linked, method="GET", path="/users", query={"limit": 1}).status_code == 200
    entries = _log(linked, before)
    assert [e["status"] for e in entries] == [200] * 6  # no 429 from the source
    started = [datetime.fromisoformat(e["started_at"]).timestamp() for e in entries]
    # Sends are spaced by the limiter; arrivals jitter by a few tens of ms (a fresh
    # connection per call, servers sharing this process), hence the margin.
    for earlier, later in zip(started, started[2:], strict=False):
        assert later - earlier >= 0.8  # about 2 per second, never a burst


class _FetchingConnector(MaintainXConnector):
    """A connector whose writes need a token fetched first (the way SAP's do)."""

    def prepare_write(self, http: PoliteClient, client: MaintainXClient) -> dict[str, str]:
        fetched = http.request("GET", "/users", params={"limit": 1})
        return {"X-Fetched": str(fetched.status_code)}


def test_prepare_write_runs_before_modifying_requests_only(linked: Linked) -> None:
    engine = linked.api.app.state.ctx.services["sync_engine"]
    conn = linked.api.store.accounts.get_connection(linked.connection_id)
    assert conn is not None
    connector = _FetchingConnector()

    before = _last_id(linked)
    get = PassthroughRequest(method="GET", path="/workorders", query={"limit": 1})
    assert relay(engine, conn, connector, get).status_code == 200
    assert [(e["method"], e["path"]) for e in _log(linked, before)] == [("GET", "/v1/workorders")]

    before = _last_id(linked)
    post = PassthroughRequest(method="POST", path="/workorders", body={"title": "After a fetch"})
    assert relay(engine, conn, connector, post).status_code == 200
    assert [(e["method"], e["path"]) for e in _log(linked, before)] == [
        ("GET", "/v1/users"),
        ("POST", "/v1/workorders"),
    ]
