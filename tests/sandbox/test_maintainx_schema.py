"""Every list and get response validates against tests/sandbox/schemas/maintainx.json."""

from __future__ import annotations

import pytest

# (path, list key, every expand value the vendor lists for the list, … for the get)
COLLECTIONS = [
    ("workorders", "workOrders",
     ["thumbnail", "assignees", "categories", "parts", "asset", "location", "procedure",
      "vendor_ids", "times", "time_items", "expenditures", "extra_fields", "part_extra_fields",
      "asset_extra_fields", "location_extra_fields", "estimated_time"],
     ["assignees", "asset", "estimated_time", "location", "parts", "times", "time_items",
      "expenditures", "extra_fields", "part_extra_fields", "asset_extra_fields",
      "location_extra_fields"]),
    ("assets", "assets",
     ["barcode", "team_ids", "asset_types", "extra_fields", "vendor_ids", "depreciation",
      "status", "manufacturer", "model"], []),
    ("locations", "locations", ["extra_fields", "team_ids", "vendor_ids", "barcode"], []),
    ("parts", "parts", ["extra_fields", "vendors"], []),
    ("vendors", "vendors", ["extra_fields"], []),
    ("users", "users", ["role", "extra_fields"], []),
    ("teams", "teams", [], []),
    ("purchaseorders", "purchaseOrders", [], []),
    ("meters", "meters", ["asset", "location", "last_reading"],
     ["asset", "location", "last_reading"]),
    ("workrequests", "workRequests", ["asset", "location", "work_order", "extra_fields"],
     ["asset", "location", "work_order", "extra_fields"]),
    ("maintenanceplans", "maintenancePlans", [], []),
    ("categories", "categories", [], []),
    ("assetcriticalities", "assetCriticalities", [], []),
]  # fmt: skip


@pytest.fixture(scope="module")
def edited(mx):
    """Edited, created and deleted records exercise the overlay, not just generation."""
    for entity in (
        "work_orders",
        "assets",
        "parts",
        "vendors",
        "purchase_orders",
        "meters",
        "service_requests",
        "maintenance_schedules",
        "locations",
        "users",
    ):
        mx.ctl("/mutate", entity=entity, count=15)
        keys = mx.ctl("/create", entity=entity, count=3)["keys"]
        assert mx.control.delete(f"/records/{entity}/{keys[0]}").status_code == 200
    for entity in ("inventory", "meter_readings"):
        mx.ctl("/create", entity=entity, count=5)
    return mx


@pytest.mark.parametrize(("path", "key", "list_expand", "get_expand"), COLLECTIONS)
def test_every_page_and_record_conforms(edited, conforms, path, key, list_expand, get_expand):
    mx = edited
    ids = []
    for expand in ([], list_expand) if list_expand else ([],):
        cursor = None
        while True:
            params = {"limit": 200, "expand": expand, **({"cursor": cursor} if cursor else {})}
            response = mx.api.get(f"/{path}", params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            conforms(f"GET /{path}", body)
            ids += [item["id"] for item in body[key]]
            cursor = body["nextCursor"]
            if cursor is None:
                break
    assert ids
    sample = sorted(set(ids))[:: max(1, len(set(ids)) // 60)]
    for record_id in sample:
        for expand in ([], get_expand) if get_expand else ([],):
            response = mx.api.get(f"/{path}/{record_id}", params={"expand": expand})
            assert response.status_code == 200, response.text
            conforms(f"GET /{path}/{{id}}", response.json())


def test_organizations_and_custom_fields_conform(mx, conforms):
    conforms("GET /organizations", mx.api.get("/organizations").json())
    for entity in (
        "assets",
        "locations",
        "parts",
        "workOrders",
        "vendors",
        "purchaseOrders",
        "lineItemPurchaseOrders",
    ):
        response = mx.api.get(f"/customfields/{entity}")
        assert response.status_code == 200
        conforms("GET /customfields/{entity}", response.json())
    assert mx.api.get("/customfields/teams").status_code == 404


def test_timestamps_are_utc_with_milliseconds_and_updated_not_before_created(mx):
    for path, key in (
        ("workorders", "workOrders"),
        ("purchaseorders", "purchaseOrders"),
        ("assets", "assets"),
        ("parts", "parts"),
        ("vendors", "vendors"),
    ):
        for item in mx.pull(f"/{path}", key, limit=200):
            assert item["createdAt"].endswith("Z") and len(item["createdAt"]) == 24
            assert item["updatedAt"] >= item["createdAt"], item["id"]
