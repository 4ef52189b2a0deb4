"""Connector conformance: what every connector, with its sandbox, must pass unchanged.

Expectations come from the product contract and each sandbox's control API only —
never from knowledge of a particular vendor.
"""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from plantlink.connectors.registry import get_connector
from plantlink.model.registry import MODELS, record_class
from plantlink.sandbox.core.server import SandboxServer
from tests.conformance.conftest import Conn, connect
from tests.conftest import Api

ALL_FAULTS = ["429", "500", "503", "timeout", "reset", "truncated"]


def _append_only(conn: Conn, model: str) -> bool:
    stream = conn.connector.stream(model)
    return stream is not None and not stream.reconcile


def assert_matches_sandbox(conn: Conn, model: str) -> None:
    stored = conn.stored(model)
    keys = [r["remote_id"] for r in stored]
    assert len(keys) == len(set(keys)), f"{model}: duplicate records"
    expected, unsure = conn.expected_keys(model)
    got = set(keys) - unsure
    if _append_only(conn, model):
        # The source shows only part of the history (e.g. a meter's latest reading).
        assert got <= expected | unsure, f"{model}: records the source never had"
        return
    assert got == expected - unsure, (
        f"{model}: missing {sorted(expected - unsure - got)[:5]}, extra {sorted(got - expected)[:5]}"
    )


def test_credentials_are_checked_before_anything_is_stored(
    api: Api, sandbox: SandboxServer
) -> None:
    key = api.new_org()
    good = sandbox.info["credentials"]
    connector = get_connector(sandbox.system)
    assert connector is not None
    secret_fields = [f.name for f in connector.credential_fields if f.secret]
    assert secret_fields
    with api.client(key) as admin:
        for name in secret_fields:
            bad = {**good, name: "not-the-" + name}
            r = admin.post(
                "/v1/admin/connections",
                json={"system": sandbox.system, "name": "x", "credentials": bad},
            )
            assert r.status_code == 422, r.text
            assert r.json()["error"]["code"] == "INVALID_CREDENTIALS"
            assert bad[name] not in r.text
        assert admin.get("/v1/admin/connections").json()["data"] == []
        r = admin.post(
            "/v1/admin/connections",
            json={"system": sandbox.system, "name": "x", "credentials": good},
        )
        assert r.status_code == 201
        listed = admin.get("/v1/admin/connections").json()["data"]
        assert len(listed) == 1
        for name in secret_fields:
            assert good[name] not in admin.get(f"/v1/admin/connections/{listed[0]['id']}").text


def test_initial_sync_equals_the_sandbox_within_the_window(conn: Conn) -> None:
    status = conn.status()
    for row in status["models"]:
        name = row["model"].replace("-", "_")
        if name in conn.models:
            assert row["status"] == "done", row
            assert row["is_initial_sync"] is False
        else:
            assert row["status"] == "not_supported"
    for model in conn.models:
        assert_matches_sandbox(conn, model)
        schema = record_class(MODELS[model])
        for doc in conn.stored(model):
            try:
                schema.model_validate(doc)
            except ValidationError as exc:  # pragma: no cover - the message is the point
                pytest.fail(f"{model} {doc['remote_id']} does not fit the unified model: {exc}")


def test_incremental_sync_picks_up_edits_and_new_records(conn: Conn) -> None:
    before = {m: conn.model_status(m)["last_successful_sync_at"] for m in conn.models}
    touched: dict[str, set[str]] = {}
    for model in conn.models:
        keys: set[str] = set()
        for action in ("mutate", "create"):
            r = conn.control_post(f"/_sandbox/{action}", {"entity": model, "count": 3})
            if r.status_code == 200:
                keys |= set(r.json()["keys"])
        touched[model] = keys
    assert touched["work_orders"], "the sandbox must let work orders change"
    conn.sync()
    for model in conn.models:
        with conn.client() as c:
            r = c.get(
                f"/v1/{MODELS[model].path}",
                params={"modified_after": before[model], "page_size": 500},
            )
            changed = {d["remote_id"] for d in r.json()["data"]}
        assert touched[model] <= changed, f"{model}: missed {touched[model] - changed}"
        assert_matches_sandbox(conn, model)


def test_deleted_records_are_flagged(api: Api, sandbox: SandboxServer) -> None:
    conn = connect(api, sandbox, {"reconcile_interval_hours": 0.0001})
    conn.wait(None, "")
    deleted: dict[str, str] = {}
    for model in conn.models:
        if _append_only(conn, model):
            continue
        live = conn.stored(model)
        if not live:
            continue
        key = live[0]["remote_id"]
        with conn.control() as c:
            r = c.delete(f"/_sandbox/records/{model}/{key}")
        if r.status_code in (200, 204):
            deleted[model] = key
    assert "work_orders" in deleted
    conn.sync()
    for model, key in deleted.items():
        live = {r["remote_id"] for r in conn.stored(model)}
        assert key not in live, f"{model} {key} still live"
        everything = {r["remote_id"]: r for r in conn.stored(model, include_deleted=True)}
        assert everything[key]["remote_deleted"] is True
        assert_matches_sandbox(conn, model)


def test_a_partial_listing_never_deletes(api: Api, sandbox: SandboxServer) -> None:
    conn = connect(api, sandbox, {"reconcile_interval_hours": 0.0001, "max_attempts": 1})
    conn.wait(None, "")
    counts = {m: len(conn.stored(m)) for m in conn.models}
    conn.control_post("/_sandbox/faults", {"rate": 0.5, "kinds": ["503"], "seed": 3})
    conn.sync()
    conn.control_post("/_sandbox/faults", {"rate": 0})
    assert {m: len(conn.stored(m)) for m in conn.models} == counts
    failed = [m for m in conn.status()["models"] if m["status"] in ("failed", "partially_synced")]
    assert failed and all(m["error"]["code"] == "SOURCE_UNAVAILABLE" for m in failed)
    conn.sync()
    assert all(conn.model_status(m)["status"] == "done" for m in conn.models)


def test_converges_under_faults_of_every_kind(api: Api, sandbox: SandboxServer) -> None:
    conn = connect(api, sandbox, {"request_timeout_seconds": 1, "max_attempts": 10})
    r = conn.control_post(
        "/_sandbox/faults", {"rate": 0.2, "kinds": ALL_FAULTS, "seed": 7, "timeout_ms": 1500}
    )
    assert r.status_code == 200, r.text
    conn.wait(None, "", timeout=240)
    for model in conn.models:
        for action in ("mutate", "create"):
            conn.control_post(f"/_sandbox/{action}", {"entity": model, "count": 2})
    conn.sync(timeout=240)
    with conn.control() as c:  # the control API is never faulted
        by_status = c.get("/_sandbox/stats").json()["by_status"]
    assert any(s in by_status for s in ("429", "500", "503")), by_status
    for model in conn.models:
        assert conn.model_status(model)["status"] == "done"
        assert_matches_sandbox(conn, model)


def test_source_rate_limit_is_never_exceeded(api: Api, sandbox: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox.base_url, timeout=60) as c:
        assert (
            c.post("/_sandbox/rate-limit", json={"requests": 8, "per_seconds": 1}).status_code
            == 200
        )
    conn = connect(api, sandbox, {"rate_limit": {"requests": 8, "per_seconds": 1}})
    conn.wait(None, "", timeout=180)
    with conn.control() as c:
        stats = c.get("/_sandbox/stats").json()
    assert stats["requests"] > 8
    assert "429" not in stats["by_status"], stats["by_status"]
    assert all(conn.model_status(m)["status"] == "done" for m in conn.models)


def test_rotated_credentials_need_a_reconnect_then_syncs_resume(conn: Conn) -> None:
    new_creds = conn.control_post("/_sandbox/credentials/rotate", {}).json()
    conn.sync()
    status = conn.status()
    assert status["status"] == "auth_required"
    errors = [m["error"] for m in status["models"] if m["error"]]
    assert errors and errors[0]["code"] == "CONNECTION_AUTH_REQUIRED"
    with conn.client() as c:
        r = c.post("/v1/sync", json={})
        assert r.status_code == 409 and r.json()["error"]["code"] == "CONNECTION_AUTH_REQUIRED"
    creds = new_creds.get("credentials", new_creds)
    with conn.api.client(conn.admin_key) as admin:
        r = admin.post(
            f"/v1/admin/connections/{conn.id}/reconnect",
            json={
                "credentials": {"base_url": conn.sandbox.info["credentials"]["base_url"], **creds}
            },
        )
        assert r.status_code == 200, r.text
        new_token = r.json()["token"]
    with conn.client() as old:
        assert old.get("/v1/connection").status_code == 401
    conn.token = new_token
    mark = conn.source_requests()[-1]["id"] if conn.source_requests() else 0
    conn.control_post("/_sandbox/mutate", {"entity": "work_orders", "count": 2})
    conn.wait(None, "")
    conn.sync(["work_orders"])
    assert conn.status()["status"] == "active"
    assert conn.model_status("work_orders")["status"] == "done"
    assert_matches_sandbox(conn, "work_orders")
    # resumed incrementally: far fewer work-order requests than a full re-read
    wo_requests = [r for r in conn.source_requests(mark) if "order" in r["path"].lower()]
    full_pages = len(conn.sandbox_records("work_orders")) // 100
    assert len(wo_requests) <= max(4, full_pages // 2), len(wo_requests)
