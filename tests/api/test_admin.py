"""Admin endpoints, the connection endpoint, systems and the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plantlink.sandbox.core.server import SandboxServer
from tests.api.conftest import Linked, link
from tests.conftest import Api


def test_systems_list_the_credential_fields_sandboxes_hand_out(shared_linked: Linked) -> None:
    with shared_linked.api.client() as anon:
        systems = {s["id"]: s for s in anon.get("/v1/systems").json()["data"]}
    mx = systems["maintainx"]
    assert [f["name"] for f in mx["credential_fields"]] == [
        "base_url",
        "api_key",
        "organization_id",
    ]
    assert {f["name"]: f["secret"] for f in mx["credential_fields"]}["api_key"] is True
    assert set(shared_linked.sandbox.info["credentials"]) == {
        f["name"] for f in mx["credential_fields"]
    }
    assert "work-orders" in mx["models"] and "sites" not in mx["models"]


def test_connection_endpoint_shows_no_secret(shared_linked: Linked) -> None:
    api_key = shared_linked.sandbox.info["credentials"]["api_key"]
    with shared_linked.client() as c:
        r = c.get("/v1/connection")
    body = r.json()
    assert body["id"] == shared_linked.connection_id and body["system"] == "maintainx"
    assert body["status"] in ("active", "syncing")
    assert body["settings"]["history_days"] == 3650
    assert (
        "work-orders" in body["models"]["supported"] and "sites" in body["models"]["not_supported"]
    )
    assert "api_key" not in body["credentials"] and api_key not in r.text
    with shared_linked.admin() as admin:
        listed = admin.get("/v1/admin/connections").text
        assert api_key not in listed and shared_linked.token not in listed


def test_history_window_limits_transactional_models_only(
    api: Api, maintainx: SandboxServer
) -> None:
    linked = link(api, maintainx, {"history_days": 30})
    edge = datetime.now(UTC) - timedelta(days=30)
    with linked.control() as ctl:
        wos = ctl.get("/_sandbox/records/work_orders").json()["records"]
        assets = ctl.get("/_sandbox/records/assets").json()["records"]
    recent = {
        r["key"]
        for r in wos
        if datetime.fromisoformat(r["updated_at"]) > edge + timedelta(minutes=5)
    }
    old = {
        r["key"]
        for r in wos
        if datetime.fromisoformat(r["updated_at"]) < edge - timedelta(minutes=5)
    }
    assert recent and old
    with linked.client() as c:
        got = {
            d["remote_id"]
            for d in c.get("/v1/work-orders", params={"page_size": 500}).json()["data"]
        }
        got_assets = c.get("/v1/assets", params={"page_size": 500}).json()["data"]
    assert recent <= got and not (old & got)
    assert len(got_assets) == len(assets)  # master data in full


def test_reconnect_with_bad_credentials_changes_nothing(linked: Linked) -> None:
    creds = dict(linked.sandbox.info["credentials"])
    with linked.admin() as admin:
        r = admin.post(
            f"/v1/admin/connections/{linked.connection_id}/reconnect",
            json={"credentials": {**creds, "api_key": "nope"}},
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_CREDENTIALS"
    with linked.client() as c:
        assert c.get("/v1/connection").status_code == 200
    with linked.admin() as admin:
        r = admin.post(
            f"/v1/admin/connections/{linked.connection_id}/reconnect", json={"credentials": creds}
        )
        assert r.status_code == 200
        new_token = r.json()["token"]
    with linked.client() as old:
        assert old.get("/v1/connection").status_code == 401
    with linked.api.client(new_token) as new:
        assert new.get("/v1/connection").status_code == 200


def test_organization_redirect_urls(shared_linked: Linked) -> None:
    with shared_linked.admin() as admin:
        r = admin.put(
            "/v1/admin/organization", json={"redirect_urls": ["https://app.example.com/cb"]}
        )
        assert r.status_code == 200
        assert admin.get("/v1/admin/organization").json()["redirect_urls"] == [
            "https://app.example.com/cb"
        ]
        for bad in (["ftp://x"], ["/relative"], ["https://x/cb#frag"]):
            r = admin.put("/v1/admin/organization", json={"redirect_urls": bad})
            assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_ERROR"


def test_openapi_and_docs(shared_linked: Linked) -> None:
    with shared_linked.api.client() as anon:
        spec = anon.get("/openapi.json").json()
        docs = anon.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    wo = spec["paths"]["/v1/work-orders"]["get"]
    names = {p["name"] for p in wo["parameters"]}
    assert {
        "modified_after",
        "due_before",
        "completed_after",
        "status",
        "asset_id",
        "cursor",
    } <= names
    schemas = spec["components"]["schemas"]
    assert {"WorkOrder", "PurchaseOrder", "Asset", "MeterReading"} <= set(schemas)
    assert "remote_status" in schemas["WorkOrder"]["properties"]
    assert "/v1/admin/connections" in spec["paths"] and "/v1/sync-status" in spec["paths"]
