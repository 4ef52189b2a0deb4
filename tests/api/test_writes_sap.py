"""SAP writes through the API: org data defaults, line edits, status with content,
and modifying passthrough calls carrying a CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from plantlink.sandbox.core.server import SandboxServer
from tests.api.conftest import Linked, link
from tests.conftest import Api


@pytest.fixture
def sap(api: Api) -> Iterator[Linked]:
    with SandboxServer("sap_s4hana", seed=17, scale=200) as sb:
        yield link(api, sb, {"history_days": 3650})


def template(linked: Linked) -> dict[str, Any]:
    with linked.client() as c:
        rows = c.get("/v1/purchase-orders", params={"page_size": 100}).json()["data"]
    return next(p for p in rows if p["lines"] and p["site_id"] and p["vendor_id"])


def test_po_lines_edit_add_and_delivery_dates(sap: Linked) -> None:
    tpl = template(sap)
    body = {
        "vendor_id": tpl["vendor_id"],
        "site_id": tpl["site_id"],
        "lines": [{"part_id": tpl["lines"][0]["part_id"], "quantity": "5", "unit_price": "2.5"}],
    }
    with sap.client() as c:
        created = c.post("/v1/purchase-orders", json=body).json()["data"]
        line = created["lines"][0]
        r = c.patch(
            f"/v1/purchase-orders/{created['id']}",
            json={
                "lines": [
                    {"id": line["id"], "quantity": "8"},
                    {"part_id": tpl["lines"][0]["part_id"], "quantity": "1"},
                ],
                "expected_delivery_date": "2031-03-01",
            },
        )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert [ln["quantity"] for ln in data["lines"]] == ["8", "1"]
    assert data["expected_delivery_date"] == "2031-03-01"
    assert all(ln["expected_delivery_date"] == "2031-03-01" for ln in data["lines"])
    calls = [s["call"].split(" ")[0] for s in r.json()["write"]["steps"]]
    assert calls == ["PATCH", "POST", "PATCH"]  # item, new item, schedule line


def test_write_defaults_override_the_derived_org_data(api: Api) -> None:
    with SandboxServer("sap_s4hana", seed=17, scale=200) as sb:
        linked = link(api, sb, {"history_days": 3650, "write_defaults": {"PurchasingGroup": "ZZZ"}})
        tpl = template(linked)
        body = {
            "vendor_id": tpl["vendor_id"],
            "site_id": tpl["site_id"],
            "lines": [{"part_id": tpl["lines"][0]["part_id"], "quantity": "1"}],
        }
        with linked.client() as c:
            dry = c.post("/v1/purchase-orders", json=body, params={"dry_run": "true"}).json()
            r = c.post("/v1/purchase-orders", json=body)
    assert dry["plan"]["calls"][0]["body"]["PurchasingGroup"] == "ZZZ"
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["details"]["source_field"] == "PurchasingGroup"
    assert "ZZZ" in err["details"]["source_message"]


def test_content_and_status_in_one_patch(sap: Linked) -> None:
    with sap.client() as c:
        wo = next(
            w
            for w in c.get("/v1/work-orders", params={"page_size": 100}).json()["data"]
            if w["asset_id"]
        )
        created = c.post(
            "/v1/work-orders",
            json={"type": "preventive", "title": "Lube bearings", "asset_id": wo["asset_id"]},
        ).json()["data"]
        assert created["status"] == "open" and created["remote_type"] == "PM02"
        r = c.patch(
            f"/v1/work-orders/{created['id']}",
            json={"title": "Lube bearings (grease B)", "priority": "urgent", "status": "scheduled"},
        )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["title"], data["priority"], data["status"]) == (
        "Lube bearings (grease B)",
        "urgent",
        "scheduled",
    )
    assert [s["ok"] for s in r.json()["write"]["steps"]] == [True, True]


def test_modifying_passthrough_carries_a_csrf_token(sap: Linked) -> None:
    with sap.client() as c:
        order = next(
            w
            for w in c.get("/v1/work-orders", params={"page_size": 100}).json()["data"]
            if w["status"] == "open"
        )
        r = c.post(
            "/v1/passthrough",
            json={
                "method": "POST",
                "path": "/sap/opu/odata/sap/API_MAINTENANCEORDER/ReleaseMaintenanceOrder",
                "query": {"MaintenanceOrder": f"'{order['remote_id']}'"},
            },
        )
    assert r.status_code == 200, r.text
    creds = sap.sandbox.info["credentials"]
    check = httpx.get(
        f"{creds['base_url']}/sap/opu/odata/sap/API_MAINTENANCEORDER/"
        f"MaintenanceOrder('{order['remote_id']}')",
        auth=(creds["username"], creds["password"]),
        headers={"Accept": "application/json"},
        timeout=30,
    ).json()["d"]
    assert check["SystemStatusText"].startswith("REL")


def test_equipment_create_and_change(sap: Linked) -> None:
    with sap.client() as c:
        installed = next(
            a
            for a in c.get("/v1/assets", params={"page_size": 100}).json()["data"]
            if a["location_id"]
        )
        location = c.get(f"/v1/locations/{installed['location_id']}").json()
        r = c.post(
            "/v1/assets",
            json={
                "name": "Booster pump P-12",
                "location_id": location["id"],
                "manufacturer": "KSB",
                "model": "Etanorm 50",
                "serial_number": "SN-4411",
                "installed_on": "2026-01-15",
            },
        )
        assert r.status_code == 201, r.text
        asset = r.json()["data"]
        assert asset["remote_id"].endswith("/9999-12-31")
        assert (asset["location_id"], asset["manufacturer"], asset["model"]) == (
            location["id"],
            "KSB",
            "Etanorm 50",
        )
        assert asset["installed_on"] == "2026-01-15"
        r = c.patch(f"/v1/assets/{asset['id']}", json={"name": "Booster pump P-12A"})
        assert r.status_code == 200, r.text
        assert r.json()["data"]["name"] == "Booster pump P-12A"
        r = c.patch(f"/v1/assets/{asset['id']}", json={"model": "x" * 21})
        assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "model"
        r = c.post("/v1/assets", json={"name": "x", "location_id": "NO-SUCH-FL"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_REFERENCE"
        assert r.json()["error"]["details"]["field"] == "location_id"
