"""/_sandbox control: counts, mutate/create/delete per unified entity, keys = remote ids."""

from __future__ import annotations

import re

import pytest

ENTITIES = [
    "sites",
    "locations",
    "assets",
    "parts",
    "inventory",
    "vendors",
    "users",
    "work_orders",
    "purchase_orders",
    "maintenance_schedules",
    "service_requests",
    "meters",
    "meter_readings",
]
# How a connector reads each entity back: (API path template, how to find the key there).
API = {
    "sites": "/locations/{0}",
    "locations": "/locations/{0}",
    "assets": "/assets/{0}",
    "parts": "/parts/{0}",
    "vendors": "/vendors/{0}",
    "users": "/users/{0}",
    "work_orders": "/workorders/{0}",
    "purchase_orders": "/purchaseorders/{0}",
    "maintenance_schedules": "/maintenanceplans/{0}",
    "service_requests": "/workrequests/{0}",
    "meters": "/meters/{0}",
}


def by_key(mx, entity, include_deleted=False):
    return {r["key"]: r for r in mx.records(entity, include_deleted)}


def test_counts_cover_every_entity_and_match_records(mx):
    counts = mx.control.get("/info").json()["counts"]
    assert sorted(counts) == sorted(ENTITIES)
    for entity in ENTITIES:
        assert counts[entity] == len(mx.records(entity)) > 0, entity
    assert counts["sites"] == 3  # three plants at the top of the location tree


def test_key_formats_are_connector_remote_ids(mx):
    for entity in ENTITIES:
        pattern = r"\d+/\d+" if entity in ("inventory", "meter_readings") else r"\d+"
        assert all(re.fullmatch(pattern, k) for k in by_key(mx, entity)), entity
    part_id, location_id = next(iter(by_key(mx, "inventory"))).split("/")
    part = mx.api.get(f"/parts/{part_id}").json()["part"]
    assert int(location_id) in {s["locationId"] for s in part["locations"]}
    meter_id, reading_id = next(iter(by_key(mx, "meter_readings"))).split("/")
    meter = mx.api.get(f"/meters/{meter_id}", params={"expand": "last_reading"}).json()["meter"]
    assert meter["lastReading"]["id"] == reading_id


@pytest.mark.parametrize("entity", [e for e in ENTITIES if e != "meter_readings"])
def test_mutate_moves_updated_at_and_changes_the_record(fresh_mx, entity):
    before = by_key(fresh_mx, entity)
    path = API.get(entity)
    keys = fresh_mx.ctl("/mutate", entity=entity, count=5)["keys"]
    assert len(keys) == len(set(keys)) >= 1
    after = by_key(fresh_mx, entity)
    for key in keys:
        assert after[key]["updated_at"] > before[key]["updated_at"], key
        assert after[key]["created_at"] == before[key]["created_at"]
    if path:
        for key in keys:
            record = fresh_mx.api.get(path.format(key)).json()
            (body,) = record.values()
            assert body["updatedAt"] == after[key]["updated_at"]
    untouched = set(before) - set(keys)
    if entity == "inventory":  # stock rows carry their part's stamps: siblings move too
        parts = {k.split("/")[0] for k in keys}
        untouched = {k for k in untouched if k.split("/")[0] not in parts}
    assert all(after[k]["updated_at"] == before[k]["updated_at"] for k in untouched)


def test_mutate_edits_something_a_user_would(fresh_mx):
    before = {w["id"]: w for w in fresh_mx.pull("/workorders", "workOrders", limit=200)}
    keys = fresh_mx.ctl("/mutate", entity="work_orders", count=20)["keys"]
    changed_fields = set()
    for key in keys:
        now = fresh_mx.api.get(f"/workorders/{key}").json()["workOrder"]
        old = before[int(key)]
        changed_fields |= {f for f in old if f != "updatedAt" and old[f] != now.get(f)}
    assert changed_fields & {"status", "priority", "dueDate", "description"}


@pytest.mark.parametrize("entity", ENTITIES)
def test_create_makes_fully_referenced_records(fresh_mx, entity):
    keys = fresh_mx.ctl("/create", entity=entity, count=3)["keys"]
    assert len(keys) == 3
    records = by_key(fresh_mx, entity)
    assert set(keys) <= set(records)
    if entity in API:
        for key in keys:
            response = fresh_mx.api.get(API[entity].format(key))
            assert response.status_code == 200
            (body,) = response.json().values()
            assert body["createdAt"] == records[key]["created_at"]
            for field in ("assetId", "locationId", "vendorId", "parentId"):
                target = body.get(field)
                if target is not None:
                    path = {
                        "assetId": "/assets",
                        "locationId": "/locations",
                        "vendorId": "/vendors",
                        "parentId": "/locations" if entity in ("sites", "locations") else "/assets",
                    }[field]
                    assert fresh_mx.api.get(f"{path}/{target}").status_code == 200, field
    if entity == "sites":
        assert all(
            fresh_mx.api.get(f"/locations/{k}").json()["location"]["parentId"] is None for k in keys
        )
    if entity == "purchase_orders":
        po = fresh_mx.api.get(f"/purchaseorders/{keys[0]}").json()["purchaseOrder"]
        assert 1 <= len(po["items"]) <= 6 and all(i["partId"] for i in po["items"])


@pytest.mark.parametrize("entity", ENTITIES)
def test_delete_soft_deletes(fresh_mx, entity):
    key = fresh_mx.ctl("/create", entity=entity, count=1)["keys"][0]
    count = fresh_mx.control.get("/info").json()["counts"][entity]
    response = fresh_mx.control.delete(f"/records/{entity}/{key}")
    assert response.status_code == 200 and response.json() == {"keys": [key]}
    assert key not in by_key(fresh_mx, entity)
    assert by_key(fresh_mx, entity, include_deleted=True)[key]["deleted"] is True
    assert fresh_mx.control.get("/info").json()["counts"][entity] == count - 1
    if entity in API:
        assert fresh_mx.api.get(API[entity].format(key)).status_code == 404
    assert fresh_mx.control.delete(f"/records/{entity}/{key}").status_code in (200, 404)


def test_deleting_a_stock_row_removes_it_from_the_part(fresh_mx):
    key = next(iter(by_key(fresh_mx, "inventory")))
    part_id, location_id = key.split("/")
    assert fresh_mx.control.delete(f"/records/inventory/{key}").status_code == 200
    part = fresh_mx.api.get(f"/parts/{part_id}").json()["part"]
    assert int(location_id) not in {s["locationId"] for s in part["locations"]}


def test_deleting_the_last_reading_falls_back_to_the_previous_one(fresh_mx):
    meter = fresh_mx.api.get("/meters", params={"limit": 1}).json()["meters"][0]["id"]
    old = fresh_mx.api.get(f"/meters/{meter}", params={"expand": "last_reading"}).json()
    new = fresh_mx.api.post(f"/meters/{meter}/readings", json={"readingValue": 1}).json()
    fresh_mx.control.delete(f"/records/meter_readings/{meter}/{new['id']}")
    again = fresh_mx.api.get(f"/meters/{meter}", params={"expand": "last_reading"}).json()
    assert again["meter"]["lastReading"] == old["meter"]["lastReading"]


def test_meter_readings_are_immutable(mx):
    response = mx.control.post("/mutate", json={"entity": "meter_readings", "count": 1})
    assert response.status_code == 422
    assert "immutable" in response.json()["detail"]


def test_unknown_entities_and_keys_are_404(mx):
    assert mx.control.post("/mutate", json={"entity": "widgets", "count": 1}).status_code == 404
    assert mx.control.get("/records/widgets").status_code == 404
    assert mx.control.delete("/records/work_orders/1").status_code == 404
    assert mx.control.delete("/records/inventory/800001/1").status_code == 404
    assert mx.control.delete("/records/work_orders/abc").status_code == 404


def test_mutated_purchase_orders_follow_the_transition_table(fresh_mx):
    allowed = {
        "REQUESTED": {"PENDING"},
        "PENDING": {"APPROVED"},
        "DECLINED": {"PENDING"},
        "APPROVED": {"PARTIALLY_FULFILLED", "COMPLETED"},
        "PARTIALLY_FULFILLED": {"COMPLETED"},
        "COMPLETED": {"PARTIALLY_FULFILLED"},
    }
    before = {p["id"]: p for p in fresh_mx.pull("/purchaseorders", "purchaseOrders", limit=200)}
    for key in fresh_mx.ctl("/mutate", entity="purchase_orders", count=40)["keys"]:
        old = before[int(key)]
        new = fresh_mx.api.get(f"/purchaseorders/{key}").json()["purchaseOrder"]
        assert old["status"] != "CANCELED"
        assert new["status"] == old["status"] or new["status"] in allowed[old["status"]]
