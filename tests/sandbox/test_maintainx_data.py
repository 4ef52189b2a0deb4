"""Seeded data: deterministic, believable, referentially sound."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import httpx

from plantlink.sandbox.core import parse_iso

PAGES = [
    "/workorders",
    "/assets",
    "/parts",
    "/vendors",
    "/purchaseorders",
    "/locations",
    "/meters?expand=last_reading",
    "/workrequests",
    "/maintenanceplans",
    "/users",
]


def snapshot(mx):
    return [mx.api.get(p, params={"limit": 200}).content for p in PAGES]


def test_same_seed_same_bytes_different_seed_different(new_mx):
    a, b, c = new_mx(seed=5), new_mx(seed=5), new_mx(seed=6)
    try:
        assert snapshot(a) == snapshot(b)
        assert a.creds["api_key"] == b.creds["api_key"]
        assert [a.records(e) for e in ("work_orders", "inventory")] == [
            b.records(e) for e in ("work_orders", "inventory")
        ]
        different = [x != y for x, y in zip(snapshot(a), snapshot(c), strict=True)]
        assert all(different)
    finally:
        for sandbox in (a, b, c):
            sandbox.close()


def test_stamps_spread_over_the_year_before_the_anchor(mx):
    anchor = mx.server.anchor_ms
    year, month = 365 * 86_400_000, 30 * 86_400_000
    for entity in ("work_orders", "purchase_orders", "assets", "parts", "vendors", "users"):
        records = [r for r in mx.records(entity) if parse_iso(r["created_at"]) < anchor]
        created = [parse_iso(r["created_at"]) for r in records]
        updated = [parse_iso(r["updated_at"]) for r in records]
        assert min(created) >= anchor - year - 3 * 86_400_000, entity
        assert all(u >= c for u, c in zip(updated, created, strict=True)), entity
        # Orders are raised all year; reference data is mostly set up early, edited since.
        stamps, spread = (created, 10) if entity.endswith("orders") else (updated, 6)
        assert len(Counter((anchor - s) // month for s in stamps)) >= spread, entity


def test_location_tree_is_plants_buildings_areas_storerooms(mx):
    locations = {loc["id"]: loc for loc in mx.pull("/locations", "locations", limit=200)}
    plants = [loc for loc in locations.values() if loc["parentId"] is None]
    assert len(plants) == 3 and all(p["address"] for p in plants)
    depth = {}
    for loc in locations.values():
        d, node = 0, loc
        while node["parentId"] is not None:
            node, d = locations[node["parentId"]], d + 1
        depth[loc["id"]] = d
    assert set(depth.values()) == {0, 1, 2}
    storerooms = [loc for loc in locations.values() if "Storeroom" in loc["name"]]
    assert storerooms and all(depth[s["id"]] == 2 for s in storerooms)


def test_work_orders_are_believable_and_referenced(mx):
    orders = mx.pull("/workorders", "workOrders", limit=200, expand=["assignees", "parts", "asset"])
    statuses = Counter(w["status"] for w in orders)
    assert set(statuses) == {"OPEN", "IN_PROGRESS", "ON_HOLD", "DONE", "CANCELED"}
    assert statuses["DONE"] > len(orders) / 3
    for wo in orders:
        assert (wo["completedAt"] is not None) == (wo["status"] == "DONE")
        if wo["status"] == "DONE":
            assert wo["createdAt"] < wo["completedAt"] <= wo["updatedAt"]
        if wo["assetId"]:
            assert wo["asset"]["id"] == wo["assetId"]
            assert wo["asset"]["locationId"] == wo["locationId"]
        assert wo["assignees"]
    assert sum(1 for w in orders if w["parts"]) > len(orders) / 10
    assert Counter(w["priority"] for w in orders).keys() == {"NONE", "LOW", "MEDIUM", "HIGH"}


def test_purchase_orders_have_items_vendors_and_statuses_across_the_table(mx):
    orders = mx.pull("/purchaseorders", "purchaseOrders", limit=200)
    assert {p["status"] for p in orders} == {
        "REQUESTED",
        "PENDING",
        "DECLINED",
        "APPROVED",
        "PARTIALLY_FULFILLED",
        "COMPLETED",
        "CANCELED",
    }
    vendors = {v["id"] for v in mx.pull("/vendors", "vendors", limit=200)}
    parts = {p["id"] for p in mx.pull("/parts", "parts", limit=200)}
    for po in orders:
        assert 1 <= len(po["items"]) <= 6 and po["vendorId"] in vendors
        for item in po["items"]:
            assert item["partId"] in parts
            assert item["price"] == item["unitCost"] * item["quantityOrdered"]
        if po["status"] == "COMPLETED":
            assert all(i["quantityReceived"] == i["quantityOrdered"] for i in po["items"])


def test_assets_parts_and_vendors_carry_plant_detail(mx):
    assets = mx.pull("/assets", "assets", limit=200, expand=["manufacturer", "model"])
    assert sum(1 for a in assets if a["parentId"]) > len(assets) / 10
    assert all(a["manufacturer"] and a["model"] and a["serialNumber"] for a in assets)
    assert {a["criticalityId"] for a in assets} <= {101, 102, 103, 104}
    parts = mx.pull("/parts", "parts", limit=200, expand=["vendors", "extra_fields"])
    assert all(p["unitCost"] > 0 and p["locations"] and p["vendors"] for p in parts)
    assert all(p["extraFields"]["Part Number"] for p in parts)
    vendors = mx.pull("/vendors", "vendors", limit=200, expand="extra_fields")
    assert all(
        v["emails"] and v["extraFields"]["Address"] and v["extraFields"]["Contact Name"]
        for v in vendors
    )


def test_cli_serve_starts_a_sandbox():
    code = "from plantlink.sandbox.cli import app; app()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "maintainx", "--port", "0", "--scale", "50"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        for line in proc.stderr:
            if line.startswith("listening on "):
                url = line.split()[-1]
                break
        assert url
        info = httpx.get(f"{url}/_sandbox/info").json()
        assert info["system"] == "maintainx" and info["counts"]["work_orders"] == 50
    finally:
        proc.terminate()
        proc.wait(timeout=10)
