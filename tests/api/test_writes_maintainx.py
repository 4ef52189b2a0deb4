"""MaintainX writes through the API: field conversions, custom fields, compensation,
the source's rate limit, and write-through equal to what a sync stores."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from plantlink.connectors.maintainx.writes import _cents, _unified_path
from plantlink.connectors.writes import WriteError
from plantlink.sandbox.core.server import SandboxServer
from tests.api.conftest import Linked, link, wait_synced
from tests.conftest import Api


def direct(linked: Linked, path: str, **params: Any) -> dict[str, Any]:
    """The record as the sandbox has it (with the connection's own credentials)."""
    creds = linked.sandbox.info["credentials"]
    headers = {
        "Authorization": f"Bearer {creds['api_key']}",
        "x-organization-id": str(creds["organization_id"]),
    }
    r = httpx.get(creds["base_url"] + path, params=params, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def first(linked: Linked, path: str) -> dict[str, Any]:
    with linked.client() as c:
        row: dict[str, Any] = c.get(f"/v1/{path}", params={"page_size": 1}).json()["data"][0]
    return row


def test_money_and_field_paths() -> None:
    assert _cents("12.5", "unit_price") == 1250 and _cents(3, "x") == 300
    with pytest.raises(WriteError) as exc:
        _cents("1.005", "lines[0].unit_price")
    assert exc.value.code == "VALIDATION_ERROR" and exc.value.field == "lines[0].unit_price"
    sent = {"items": "lines", "vendorId": "vendor_id", "extraFields.Colour": "custom_fields.Colour"}
    assert _unified_path("items[2].partId", sent) == "lines[2].partId"
    assert _unified_path("vendorId", sent) == "vendor_id"
    assert _unified_path("extraFields.Colour", sent) == "custom_fields.Colour"


def test_work_order_fields_reach_the_source_converted(linked: Linked) -> None:
    asset = first(linked, "assets")
    user = first(linked, "users")
    body = {
        "title": "Align pump coupling",
        "priority": "high",
        "type": "preventive",
        "asset_id": asset["id"],
        "assignee_ids": [user["id"]],
        "due_at": "2030-02-01T08:00:00Z",
        "scheduled_start_at": "2030-01-31T08:00:00+00:00",
        "estimated_hours": "1.5",
        "custom_fields": {"Cost Center": "CC-2100", "Downtime (h)": 2},
    }
    with linked.client() as c:
        r = c.post("/v1/work-orders", json=body)
    assert r.status_code == 201, r.text
    doc = r.json()["data"]
    raw = direct(
        linked, f"/workorders/{doc['remote_id']}", expand=["extra_fields", "estimated_time"]
    )["workOrder"]
    assert (raw["priority"], raw["type"], raw["estimatedTime"]) == ("HIGH", "PREVENTIVE", 5400)
    assert raw["assetId"] == int(asset["remote_id"])
    assert raw["assigneeIds"] == [int(user["remote_id"])]
    assert raw["dueDate"] == "2030-02-01T08:00:00.000Z"
    assert raw["extraFields"] == {"Cost Center": "CC-2100", "Downtime (h)": "2"}
    assert doc["priority"] == "high" and doc["type"] == "preventive"
    assert doc["asset_id"] == asset["id"] and doc["assignee_ids"] == [user["id"]]
    assert doc["estimated_hours"] == "1.5" and doc["due_at"] == "2030-02-01T08:00:00.000000Z"
    with linked.client() as c:
        r = c.patch(f"/v1/work-orders/{doc['id']}", json={"custom_fields": {"Downtime (h)": None}})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["custom_fields"] == {"Cost Center": "CC-2100"}


def test_assets_parts_and_vendors(linked: Linked) -> None:
    vendor = first(linked, "vendors")
    with linked.client() as c:
        r = c.post(
            "/v1/assets",
            json={"name": "Booster Pump P-9", "manufacturer": "Grundfos", "model": "CR 32-4"},
        )
        assert r.status_code == 201, r.text
        asset = r.json()["data"]
        assert (asset["manufacturer"], asset["model"]) == ("Grundfos", "CR 32-4")
        # the source's own rule (a model needs a manufacturer), its words kept
        r = c.patch(f"/v1/assets/{asset['id']}", json={"manufacturer": None, "model": "X"})
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "VALIDATION_ERROR" and err["details"]["field"] == "model"
        assert "manufacturer" in err["details"]["source_message"]

        r = c.post(
            "/v1/parts",
            json={"name": "Seal kit", "unit_cost": "4.20", "vendor_ids": [vendor["id"]]},
        )
        assert r.status_code == 201, r.text
        part = r.json()["data"]
        assert part["unit_cost"] == "4.2" and part["vendor_ids"] == [vendor["id"]]
        r = c.patch(f"/v1/parts/{part['id']}", json={"unit_cost": "5"})
        assert r.status_code == 200 and r.json()["data"]["unit_cost"] == "5"

        r = c.post("/v1/vendors", json={"name": "Acme Seals", "email": "orders@acme.test"})
        assert r.status_code == 201, r.text
        new_vendor = r.json()["data"]
        assert new_vendor["email"] == "orders@acme.test"
        r = c.patch(f"/v1/vendors/{new_vendor['id']}", json={"email": "x@acme.test"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "FIELD_READ_ONLY"
        assert r.json()["error"]["details"]["field"] == "email"
        r = c.patch(f"/v1/vendors/{new_vendor['id']}", json={"name": "Acme Seals Ltd"})
        assert r.status_code == 200 and r.json()["data"]["name"] == "Acme Seals Ltd"


def test_work_order_status_call_refused_undoes_the_create(linked: Linked) -> None:
    with linked.control() as ctl:
        ctl.post("/_sandbox/permissions", json={"deny": ["work_orders:status"]})
        before = {r["key"] for r in ctl.get("/_sandbox/records/work_orders").json()["records"]}
    with linked.client() as c:
        r = c.post("/v1/work-orders", json={"title": "Inspect belt", "status": "on_hold"})
    assert r.status_code == 403, r.text
    details = r.json()["error"]["details"]
    assert details["compensated"] is True and details["field"] == "status"
    calls = [s["call"].split(" ")[0] for s in details["steps"]]
    assert calls == ["POST", "PATCH", "DELETE"]
    with linked.control() as ctl:
        after = {r["key"] for r in ctl.get("/_sandbox/records/work_orders").json()["records"]}
    assert after == before
    with linked.client() as c:
        listed = c.get("/v1/work-orders", params={"remote_id": details["remote_id"]}).json()
    assert listed["data"] == []  # the undone record is not served as live


def test_source_rate_limit_becomes_429_with_retry_after(api: Api) -> None:
    with SandboxServer("maintainx", seed=5, scale=100) as sb:
        linked = link(api, sb, {"history_days": 3650, "max_attempts": 1})
        with linked.control() as ctl:
            ctl.post("/_sandbox/rate-limit", json={"requests": 1, "per_seconds": 60})
        with linked.client() as c:
            r = c.post("/v1/work-orders", json={"title": "x"})
            r2 = c.post("/v1/work-orders", json={"title": "y"})
        refused = r if r.status_code == 429 else r2
        assert refused.status_code == 429, (r.text, r2.text)
        assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
        assert int(refused.headers["retry-after"]) >= 1


def test_write_through_stores_what_a_sync_would(linked: Linked) -> None:
    vendor = first(linked, "vendors")
    part = first(linked, "parts")
    body = {"vendor_id": vendor["id"], "lines": [{"part_id": part["id"], "quantity": 4}]}
    with linked.client() as c:
        created = c.post("/v1/purchase-orders", json=body).json()["data"]
        status = c.get("/v1/sync-status").json()
        c.post("/v1/sync", json={"models": ["purchase-orders"]})
        wait_synced(
            c, since=status["last_successful_sync_at"], model="purchase-orders", timeout=120
        )
        again = c.get(
            f"/v1/purchase-orders/{created['id']}", params={"include_remote_data": "true"}
        )
    stored = again.json()
    assert stored["modified_at"] == created["modified_at"], "the sync found a difference"
    assert stored["remote_data"]["id"] == int(created["remote_id"])


def test_refused_credentials_mark_the_connection(linked: Linked) -> None:
    with linked.control() as ctl:
        ctl.post("/_sandbox/credentials/rotate")
    with linked.client() as c:
        r = c.post("/v1/work-orders", json={"title": "x"})
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "CONNECTION_AUTH_REQUIRED"
        assert c.get("/v1/sync-status").json()["status"] == "auth_required"
        again = c.post("/v1/work-orders", json={"title": "x"})
    assert again.json()["error"]["code"] == "CONNECTION_AUTH_REQUIRED"


def test_a_part_write_refreshes_its_stock_rows(linked: Linked) -> None:
    """Inventory records come from the same source record as the part: they follow it."""
    with linked.client() as c:
        stock = c.get("/v1/inventory", params={"page_size": 1}).json()["data"][0]
        r = c.patch(f"/v1/parts/{stock['part_id']}", json={"unit_cost": "77.25"})
        assert r.status_code == 200, r.text
        rows = c.get("/v1/inventory", params={"part_id": stock["part_id"]}).json()["data"]
    assert rows and all(row["unit_cost"] == "77.25" for row in rows)
    assert all(row["modified_at"] > stock["modified_at"] for row in rows)


def test_a_write_announces_records_changed(linked: Linked) -> None:
    with linked.admin() as admin:
        hook = admin.post(
            "/v1/admin/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["records.changed"]},
        ).json()
    with linked.client() as c:
        created = c.post("/v1/vendors", json={"name": "Hook Supplies"}).json()["data"]
    with linked.admin() as admin:
        rows = admin.get(f"/v1/admin/webhooks/{hook['id']}/deliveries").json()["data"]
    payloads = [d["payload"]["data"] for d in rows if d["type"] == "records.changed"]
    write = [p for p in payloads if p.get("trigger") == "write"]
    assert write and write[0]["model"] == "vendors" and write[0]["created"] == 1
    assert write[0]["connection_id"] == linked.connection_id
    with linked.client() as c:  # reading from the announced point finds the record
        listed = c.get("/v1/vendors", params={"modified_after": write[0]["modified_after"]})
    assert created["id"] in {v["id"] for v in listed.json()["data"]}
