"""Writes follow the spec's request schemas and business rules, with vendor 400 bodies."""

from __future__ import annotations

import pytest


def error_of(response, status=400):
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1
    return errors[0]


def first(mx, path, key, **params):
    return mx.api.get(path, params={"limit": 1, **params}).json()[key][0]


# -- work orders --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message", "path"),
    [
        ({}, "should have required property 'title'", "title"),
        ({"title": 7}, "should be string", "title"),
        ({"title": "x", "priority": "URGENT"}, "Invalid priority", "priority"),
        ({"title": "x", "type": "CYCLE_COUNT"}, "Invalid type", "type"),
        ({"title": "x", "assetId": 12}, "assetId is not valid", "assetId"),
        ({"title": "x", "locationId": "here"}, "should be integer", "locationId"),
        ({"title": "x", "dueDate": "soon"}, 'should match format "date-time"', "dueDate"),
        (
            {"title": "x", "startDate": "2026-02-01T00:00:00Z"},
            "startDate is only valid when dueDate is set",
            "startDate",
        ),
        (
            {"title": "x", "assignees": [{"type": "USER", "id": 1}]},
            "user ID is not valid",
            "assignees[0].id",
        ),
        (
            {"title": "x", "assignees": [{"type": "GROUP", "id": 1}]},
            "Invalid assignee type",
            "assignees[0].type",
        ),
        ({"title": "x", "categories": ["Nope"]}, "category is not valid", "categories[0]"),
        (
            {"title": "x", "partsUsed": [{"quantityUsed": 1}]},
            "should have required property 'partId'",
            "partsUsed[0].partId",
        ),
        (
            {"title": "x", "extraFields": {"Colour": "red"}},
            "Unknown custom field 'Colour'",
            "extraFields.Colour",
        ),
        (
            {"title": "x", "extraFields": {"Failure Code": "BROKEN"}},
            "'BROKEN' is not an option of custom field 'Failure Code'",
            "extraFields.Failure Code",
        ),
        ({"title": "x", "status": "OPEN"}, "should NOT have additional properties", "status"),
    ],
)
def test_work_order_create_is_validated(fresh_mx, body, message, path):
    before = len(fresh_mx.records("work_orders"))
    error = error_of(fresh_mx.api.post("/workorders", json=body))
    assert error["error"] == message
    assert error["fieldPath"] == path
    assert len(fresh_mx.records("work_orders")) == before


def test_work_order_create_and_update(fresh_mx):
    asset = first(fresh_mx, "/assets", "assets")
    user = first(fresh_mx, "/users", "users")
    team = first(fresh_mx, "/teams", "teams")
    part = first(fresh_mx, "/parts", "parts")
    response = fresh_mx.api.post(
        "/workorders",
        json={
            "title": "Replace coupling",
            "assetId": asset["id"],
            "priority": "HIGH",
            "assignees": [
                {"type": "USER", "id": user["email"]},
                {"type": "TEAM", "id": team["id"]},
            ],
            "categories": ["Mechanical"],
            "dueDate": "2026-02-01T08:00:00Z",
            "partsUsed": [{"partId": part["id"], "quantityUsed": 2}],
            "extraFields": {"Cost Center": "CC-2100", "Downtime (h)": 1.5},
        },
    )
    assert response.status_code == 200
    wo_id = response.json()["id"]
    wo = fresh_mx.api.get(
        f"/workorders/{wo_id}", params={"expand": ["assignees", "parts", "extra_fields"]}
    ).json()["workOrder"]
    assert wo["status"] == "OPEN"
    assert wo["locationId"] == asset["locationId"]  # defaults to the asset's location
    assert wo["assigneeIds"] == [user["id"]] and wo["teamIds"] == [team["id"]]
    assert wo["dueDate"] == "2026-02-01T08:00:00.000Z"
    assert wo["parts"][0]["id"] == part["id"] and wo["parts"][0]["quantityUsed"] == 2
    assert wo["extraFields"] == {"Cost Center": "CC-2100", "Downtime (h)": "1.5"}
    assert wo["createdAt"] == wo["updatedAt"]

    patched = fresh_mx.api.patch(
        f"/workorders/{wo_id}", json={"priority": "LOW", "extraFields": {"Downtime (h)": None}}
    )
    assert patched.status_code == 200
    updated = patched.json()["workOrder"]
    assert updated["priority"] == "LOW" and updated["updatedAt"] > wo["updatedAt"]
    again = fresh_mx.api.get(f"/workorders/{wo_id}", params={"expand": "extra_fields"}).json()[
        "workOrder"
    ]
    assert again["extraFields"] == {"Cost Center": "CC-2100"}
    assert fresh_mx.api.patch("/workorders/1", json={"title": "x"}).json() == {
        "error": "Work Order Not Found"
    }


def test_work_order_from_a_work_request_approves_it(fresh_mx):
    request = first(fresh_mx, "/workrequests", "workRequests", statuses="PENDING")
    wo_id = fresh_mx.api.post(
        "/workorders", json={"title": "From request", "workRequestId": request["id"]}
    ).json()["id"]
    after = fresh_mx.api.get(f"/workrequests/{request['id']}").json()["workRequest"]
    assert after["requestStatus"] == "APPROVED" and after["workOrderId"] == wo_id
    again = fresh_mx.api.post(
        "/workorders", json={"title": "Twice", "workRequestId": request["id"]}
    )
    assert error_of(again)["fieldPath"] == "workRequestId"


@pytest.mark.parametrize("status", ["OPEN", "IN_PROGRESS", "ON_HOLD", "DONE", "CANCELED"])
def test_work_order_status_endpoint_accepts_every_status(fresh_mx, status):
    wo = first(
        fresh_mx, "/workorders", "workOrders", statuses="ON_HOLD" if status != "ON_HOLD" else "OPEN"
    )
    response = fresh_mx.api.patch(f"/workorders/{wo['id']}/status", json={"status": status})
    assert response.status_code == 200
    body = response.json()["workOrder"]
    assert body["status"] == status and body["updatedAt"] > wo["updatedAt"]
    if status == "DONE":
        assert body["completedAt"] == body["updatedAt"] and body["completerId"] is not None


@pytest.mark.parametrize("body", [{}, {"status": "SKIPPED"}, {"status": "done"}, {"status": None}])
def test_work_order_status_endpoint_rejects_other_values(fresh_mx, body):
    wo = first(fresh_mx, "/workorders", "workOrders")
    error = error_of(fresh_mx.api.patch(f"/workorders/{wo['id']}/status", json=body))
    assert error["fieldPath"] == "status"


# -- assets, parts, vendors ----------------------------------------------------------------


def test_asset_create_update_and_parent_rules(fresh_mx):
    assert error_of(fresh_mx.api.post("/assets", json={"description": "x"}))["fieldPath"] == "name"
    parent = first(fresh_mx, "/assets", "assets")
    response = fresh_mx.api.post(
        "/assets",
        json={
            "name": "Booster Pump P-9",
            "parentId": parent["id"],
            "locationId": parent["locationId"],
            "manufacturer": {"name": "Grundfos"},
            "model": {"name": "CR 32-4"},
            "extraFields": {"Asset Tag": "P-9"},
        },
    )
    assert response.status_code == 201
    child = response.json()["id"]
    asset = fresh_mx.api.get(f"/assets/{child}").json()["asset"]
    assert (asset["parentId"], asset["manufacturer"], asset["model"]) == (
        parent["id"],
        "Grundfos",
        "CR 32-4",
    )
    assert child in fresh_mx.api.get(f"/assets/{parent['id']}").json()["asset"]["childrenIds"]
    # A parent may not become its own descendant.
    cycle = fresh_mx.api.patch(f"/assets/{parent['id']}", json={"parentId": child})
    assert error_of(cycle) == {
        "error": "parentId is not valid",
        "fieldPath": "parentId",
        "fieldValue": child,
    }
    bad = fresh_mx.api.patch(f"/assets/{child}", json={"criticalityId": 4242})
    assert error_of(bad)["fieldPath"] == "criticalityId"
    renamed = fresh_mx.api.patch(f"/assets/{child}", json={"name": "Booster Pump P-10"})
    assert renamed.json()["asset"]["name"] == "Booster Pump P-10"


def test_part_create_with_stock_and_stock_changes(fresh_mx):
    locations = fresh_mx.api.get("/locations", params={"limit": 200}).json()["locations"]
    a, b = locations[2]["id"], locations[3]["id"]
    conflict = fresh_mx.api.post(
        "/parts", json={"name": "Seal", "locationId": a, "locations": [{"locationId": a}]}
    )
    assert error_of(conflict)["fieldPath"] == "locationId"
    bad_max = fresh_mx.api.post(
        "/parts",
        json={
            "name": "Seal",
            "locations": [{"locationId": a, "minimumQuantity": 5, "maximumQuantity": 2}],
        },
    )
    assert error_of(bad_max)["fieldPath"] == "locations[0].maximumQuantity"
    response = fresh_mx.api.post(
        "/parts",
        json={
            "name": "Seal kit",
            "unitCost": 1250,
            "locations": [{"locationId": a, "availableQuantity": 4, "minimumQuantity": 1}],
        },
    )
    assert response.status_code == 201
    part_id = response.json()["id"]
    assert f"{part_id}/{a}" in {r["key"] for r in fresh_mx.records("inventory")}
    patched = fresh_mx.api.patch(
        f"/parts/{part_id}",
        json={
            "locations": {
                "addedUpdated": [{"locationId": b, "availableQuantity": 7}],
                "removedLocationIds": [a],
            }
        },
    ).json()["part"]
    assert [s["locationId"] for s in patched["locations"]] == [b]
    assert patched["availableQuantity"] == 7 and patched["unitCost"] == 1250
    keys = {r["key"] for r in fresh_mx.records("inventory")}
    assert f"{part_id}/{b}" in keys and f"{part_id}/{a}" not in keys
    gone = fresh_mx.api.patch(f"/parts/{part_id}", json={"locations": {"removedLocationIds": [a]}})
    assert error_of(gone)["fieldPath"] == "locations.removedLocationIds[0]"


def test_vendor_create_and_the_narrower_patch(fresh_mx):
    response = fresh_mx.api.post(
        "/vendors",
        json={
            "name": "Acme Seals",
            "emails": ["sales@acme.example"],
            "extraFields": {"Payment Terms": "Net 30"},
        },
    )
    assert response.status_code == 201
    vendor_id = response.json()["id"]
    vendor = fresh_mx.api.get(f"/vendors/{vendor_id}").json()["vendor"]
    assert vendor["emails"] == ["sales@acme.example"] and vendor["extraFields"] == {
        "Payment Terms": "Net 30"
    }
    # The spec's PATCH body has no emails: the vendor rejects what it does not know.
    assert (
        error_of(fresh_mx.api.patch(f"/vendors/{vendor_id}", json={"emails": []}))["fieldPath"]
        == "emails"
    )
    ok = fresh_mx.api.patch(
        f"/vendors/{vendor_id}", json={"extraFields": {"Website": "https://acme.example"}}
    )
    assert ok.json()["vendor"]["extraFields"] == {
        "Payment Terms": "Net 30",
        "Website": "https://acme.example",
    }


# -- purchase orders -----------------------------------------------------------------------


def po_body(mx, **extra):
    vendor = first(mx, "/vendors", "vendors")
    parts = mx.api.get("/parts", params={"limit": 2}).json()["parts"]
    return {
        "vendorId": vendor["id"],
        "items": [
            {"partId": parts[0]["id"], "quantityOrdered": 4},
            {"partId": parts[1]["id"], "quantityOrdered": 1, "unitCost": 999},
            {"name": "Freight", "quantityOrdered": 1, "unitCost": 4500},
        ],
        **extra,
    }


@pytest.mark.parametrize(
    ("mutation", "path", "message"),
    [
        (lambda b: b.pop("vendorId"), "vendorId", "should have required property 'vendorId'"),
        (lambda b: b.pop("items"), "items", "should have required property 'items'"),
        (lambda b: b.update(items=[]), "items", "should NOT have fewer than 1 items"),
        (
            lambda b: b["items"][1].pop("quantityOrdered"),
            "items[1].quantityOrdered",
            "should have required property 'quantityOrdered'",
        ),
        (lambda b: b.update(vendorId=99), "vendorId", "vendorId is not valid"),
        (lambda b: b.update(vendorId=None), "vendorId", "vendorId is required"),
        (lambda b: b["items"][2].update(partId=5), "items[2].partId", "partId is not valid"),
        (lambda b: b["items"][2].pop("name"), "items[2].name", "an item needs a partId or a name"),
        (
            lambda b: b["items"][0].update(quantityOrdered=0),
            "items[0].quantityOrdered",
            "quantityOrdered should be > 0",
        ),
        (
            lambda b: b["items"][0].update(quantityOrdered="4"),
            "items[0].quantityOrdered",
            "should be number",
        ),
        (
            lambda b: b.update(shippingAddress={"city": "Lyon"}),
            "shippingAddress.country",
            "should have required property 'country'",
        ),
    ],
)
def test_purchase_order_create_is_all_or_nothing(fresh_mx, mutation, path, message):
    body = po_body(fresh_mx)
    mutation(body)
    before = fresh_mx.records("purchase_orders")
    error = error_of(fresh_mx.api.post("/purchaseorders", json=body))
    assert (error["fieldPath"], error["error"]) == (path, message)
    assert fresh_mx.records("purchase_orders") == before


def test_purchase_order_create_in_cents_with_items(fresh_mx):
    body = po_body(fresh_mx, extraFields={"Requisition Number": "REQ-1"})
    part = fresh_mx.api.get(f"/parts/{body['items'][0]['partId']}").json()["part"]
    response = fresh_mx.api.post("/purchaseorders", json=body)
    assert response.status_code == 201
    po = response.json()
    assert po["status"] == "REQUESTED" and po["vendorId"] == body["vendorId"]
    first_item, second, freight = po["items"]
    assert first_item["unitCost"] == part["unitCost"]  # defaults to the part's cost
    assert first_item["price"] == part["unitCost"] * 4
    assert second["unitCost"] == 999 and second["unitCostDecimal"] == "9.99"
    assert (
        freight["partId"] is None
        and freight["price"] == 4500
        and freight["priceDecimal"] == "45.00"
    )
    assert fresh_mx.api.get(f"/purchaseorders/{po['id']}").json()["purchaseOrder"] == po


def test_purchase_order_edits_lock_once_approved(fresh_mx):
    po = fresh_mx.api.post("/purchaseorders", json=po_body(fresh_mx)).json()
    url = f"/purchaseorders/{po['id']}"
    edited = fresh_mx.api.patch(
        url, json={"note": "Dock 4", "items": [{"id": po["items"][0]["id"], "quantityOrdered": 9}]}
    )
    assert edited.status_code == 200
    assert [i["quantityOrdered"] for i in edited.json()["purchaseOrder"]["items"]] == [9]
    for status in ("PENDING", "APPROVED"):
        assert fresh_mx.api.patch(f"{url}/status", json={"status": status}).status_code == 200
    before = fresh_mx.api.get(url).json()["purchaseOrder"]
    locked = fresh_mx.api.patch(url, json={"note": "too late"})
    assert error_of(locked) == {
        "error": "Purchase Order with status APPROVED cannot be modified",
        "fieldPath": "status",
        "fieldValue": "APPROVED",
    }
    assert fresh_mx.api.get(url).json()["purchaseOrder"] == before
    # The deprecated status field of PATCH still follows the transition table.
    assert (
        fresh_mx.api.patch(url, json={"status": "COMPLETED"}).json()["purchaseOrder"]["status"]
        == "COMPLETED"
    )
    done = fresh_mx.api.get(url).json()["purchaseOrder"]
    assert all(i["quantityReceived"] == i["quantityOrdered"] for i in done["items"])


# -- deletes and meter readings ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "key", "entity", "label"),
    [
        ("workorders", "workOrders", "work_orders", "Work Order"),
        ("assets", "assets", "assets", "Asset"),
        ("parts", "parts", "parts", "Part"),
        ("vendors", "vendors", "vendors", "Vendor"),
        ("purchaseorders", "purchaseOrders", "purchase_orders", "Purchase Order"),
        ("locations", "locations", "locations", "Location"),
        ("users", "users", "users", "User"),
        ("meters", "meters", "meters", "Meter"),
        ("workrequests", "workRequests", "service_requests", "Work Request"),
        ("maintenanceplans", "maintenancePlans", "maintenance_schedules", "Maintenance Plan"),
    ],
)
def test_vendor_delete_is_a_soft_delete(fresh_mx, path, key, entity, label):
    record = first(fresh_mx, f"/{path}", key)
    response = fresh_mx.api.delete(f"/{path}/{record['id']}")
    assert response.status_code == 204
    assert fresh_mx.api.get(f"/{path}/{record['id']}").json() == {"error": f"{label} Not Found"}
    assert record["id"] not in {i["id"] for i in fresh_mx.pull(f"/{path}", key, limit=200)}
    assert str(record["id"]) not in {r["key"] for r in fresh_mx.records(entity)}
    kept = {r["key"]: r for r in fresh_mx.records(entity, include_deleted=True)}
    assert kept[str(record["id"])]["deleted"] is True
    assert fresh_mx.api.delete(f"/{path}/{record['id']}").status_code == 404


def test_meter_reading_becomes_the_last_reading(fresh_mx):
    meter = first(fresh_mx, "/meters", "meters")
    response = fresh_mx.api.post(f"/meters/{meter['id']}/readings", json={"readingValue": 4242.5})
    assert response.status_code == 201
    reading = response.json()
    last = fresh_mx.api.get(f"/meters/{meter['id']}", params={"expand": "last_reading"}).json()[
        "meter"
    ]["lastReading"]
    assert (last["id"], last["value"]) == (reading["id"], 4242.5)
    assert f"{meter['id']}/{reading['id']}" in {
        r["key"] for r in fresh_mx.records("meter_readings")
    }
    assert (
        error_of(fresh_mx.api.post(f"/meters/{meter['id']}/readings", json={}))["fieldPath"]
        == "readingValue"
    )


def test_malformed_json_is_a_400(fresh_mx):
    response = fresh_mx.api.post(
        "/workorders", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "errors" in response.json()
