"""List filters: each one against the same filter applied client-side to a full listing."""

from __future__ import annotations

import pytest

from plantlink.sandbox.core import iso_ms, parse_iso

EXPANDS = ["assignees", "categories", "parts", "vendor_ids"]


@pytest.fixture(scope="module")
def work_orders(mx):
    mx.ctl("/mutate", entity="work_orders", count=30)
    return mx.pull("/workorders", "workOrders", limit=200, expand=EXPANDS)


def ids(mx, path, key, **params):
    return sorted(i["id"] for i in mx.pull(path, key, limit=77, **params))


def _users(wo):
    return {a["id"] for a in wo["assignees"] if a["type"] == "USER"}


def _teams(wo):
    return {a["id"] for a in wo["assignees"] if a["type"] == "TEAM"}


@pytest.mark.parametrize(
    ("param", "pick", "matches"),
    [
        ("statuses", lambda w: w["status"], lambda w, v: w["status"] in v),
        ("priorities", lambda w: w["priority"], lambda w, v: w["priority"] in v),
        ("partStatuses", lambda w: w["partStatus"], lambda w, v: w["partStatus"] in v),
        ("assets", lambda w: w["assetId"], lambda w, v: w["assetId"] in v),
        ("locations", lambda w: w["locationId"], lambda w, v: w["locationId"] in v),
        ("assignees", lambda w: min(_users(w)), lambda w, v: bool(_users(w) & v)),
        ("teams", lambda w: min(_teams(w), default=None), lambda w, v: bool(_teams(w) & v)),
        ("categories", lambda w: w["categories"][0], lambda w, v: bool(set(w["categories"]) & v)),
        (
            "vendors",
            lambda w: (w["vendorIds"] or [None])[0],
            lambda w, v: bool(set(w["vendorIds"]) & v),
        ),
        (
            "parts",
            lambda w: (w["parts"] or [{"id": None}])[0]["id"],
            lambda w, v: bool({p["id"] for p in w["parts"]} & v),
        ),
    ],
)
def test_work_order_list_filters(mx, work_orders, param, pick, matches):
    values = []
    for wo in work_orders:
        value = pick(wo)
        if value is not None and value not in values:
            values.append(value)
        if len(values) == 2:
            break
    wanted = set(values)
    expected = sorted(w["id"] for w in work_orders if matches(w, wanted))
    assert expected and len(expected) < len(work_orders)
    assert ids(mx, "/workorders", "workOrders", **{param: values}) == expected
    # Comma-separated values mean the same as repeated parameters.
    joined = ",".join(map(str, values))
    assert ids(mx, "/workorders", "workOrders", **{param: joined}) == expected


@pytest.mark.parametrize(
    ("param", "values_of"),
    [
        ("notAssets", lambda w: {w["assetId"]} - {None}),
        ("notLocations", lambda w: {w["locationId"]} - {None}),
        ("notVendors", lambda w: set(w["vendorIds"])),
        ("notParts", lambda w: {p["id"] for p in w["parts"]}),
        ("notCategories", lambda w: set(w["categories"])),
    ],
)
def test_work_order_negative_filters(mx, work_orders, param, values_of):
    value = next(v for w in work_orders for v in sorted(values_of(w)))
    expected = sorted(w["id"] for w in work_orders if value not in values_of(w))
    assert len(expected) < len(work_orders)
    assert ids(mx, "/workorders", "workOrders", **{param: value}) == expected


def test_category_filter_accepts_ids_and_labels(mx, work_orders):
    category = mx.api.get("/categories").json()["categories"][0]
    by_label = ids(mx, "/workorders", "workOrders", categories=category["label"])
    assert by_label == ids(mx, "/workorders", "workOrders", categories=category["id"])
    assert by_label == sorted(w["id"] for w in work_orders if category["label"] in w["categories"])


def test_title_filter_is_a_case_insensitive_substring(mx, work_orders):
    expected = sorted(w["id"] for w in work_orders if "pump" in w["title"].lower())
    assert expected
    assert ids(mx, "/workorders", "workOrders", title="PUMP") == expected


def test_filters_combine_with_and(mx, work_orders):
    expected = sorted(
        w["id"] for w in work_orders if w["status"] == "DONE" and w["priority"] == "HIGH"
    )
    assert ids(mx, "/workorders", "workOrders", statuses="DONE", priorities="HIGH") == expected


@pytest.mark.parametrize(
    ("path", "key", "entity"),
    [
        ("/workorders", "workOrders", "work_orders"),
        ("/purchaseorders", "purchaseOrders", "purchase_orders"),
        ("/assets", "assets", "assets"),
        ("/parts", "parts", "parts"),
    ],
)
@pytest.mark.parametrize("field", ["updated", "created"])
def test_timestamp_windows_match_the_source(mx, path, key, entity, field):
    mx.ctl("/mutate", entity=entity, count=10)
    records = mx.records(entity)
    stamps = sorted(parse_iso(r[f"{field}_at"]) for r in records)
    lo, hi = stamps[len(stamps) // 4], stamps[3 * len(stamps) // 4]
    name = f"{field}At"

    def within(r, a=None, b=None):
        ms = parse_iso(r[f"{field}_at"])
        return (a is None or ms >= a) and (b is None or ms <= b)

    for params, bounds in (
        ({f"{name}[gte]": iso_ms(lo)}, (lo, None)),
        ({f"{name}[lte]": iso_ms(hi)}, (None, hi)),
        ({f"{name}[gte]": iso_ms(lo), f"{name}[lte]": iso_ms(hi)}, (lo, hi)),
    ):
        expected = sorted(int(r["key"]) for r in records if within(r, *bounds))
        assert ids(mx, path, key, **params) == expected, params


def test_incremental_sync_window_sees_every_edit(fresh_mx):
    start = fresh_mx.ctl("/clock", skew_seconds=0)["now"]  # the sandbox's "now"
    keys = set(fresh_mx.ctl("/mutate", entity="work_orders", count=12)["keys"])
    keys |= set(fresh_mx.ctl("/create", entity="work_orders", count=3)["keys"])
    changed = ids(fresh_mx, "/workorders", "workOrders", **{"updatedAt[gte]": start})
    assert {str(i) for i in changed} == keys


@pytest.mark.parametrize("path", ["/vendors", "/locations", "/users", "/meters"])
def test_timestamp_filters_are_refused_where_the_vendor_has_none(mx, path):
    response = mx.api.get(path, params={"updatedAt[gte]": "2025-01-01T00:00:00.000Z"})
    assert response.status_code == 400
    assert "updatedAt[gte]" in response.json()["error"]


@pytest.mark.parametrize(
    "params",
    [
        {"updatedAt[gte]": "yesterday"},
        {"createdAt[lte]": "2025-13-40"},
        {"updatedAt[gte]": "2025-06-01T00:00:00Z", "updatedAt[lte]": "2025-01-01T00:00:00Z"},
        {"statuses": "FINISHED"},
        {"priorities": "URGENT"},
        {"assets": "pump"},
        {"expand": "everything"},
        {"expand": "last_reading"},
    ],
)
def test_invalid_values_are_vendor_400s(mx, params):
    response = mx.api.get("/workorders", params=params)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


def test_asset_filters(mx):
    assets = mx.pull("/assets", "assets", limit=200, expand=["manufacturer", "model"])
    location = assets[0]["locationId"]
    maker = assets[0]["manufacturer"]
    assert ids(mx, "/assets", "assets", locationId=location) == sorted(
        a["id"] for a in assets if a["locationId"] == location
    )
    assert ids(mx, "/assets", "assets", manufacturer=maker) == sorted(
        a["id"] for a in assets if a["manufacturer"] == maker
    )
    model = assets[0]["model"]
    assert ids(mx, "/assets", "assets", model=model) == sorted(
        a["id"] for a in assets if a["model"] == model
    )


def test_custom_field_filters_where_the_vendor_has_them(mx):
    assets = mx.pull("/assets", "assets", limit=200, expand="extra_fields")
    center = assets[0]["extraFields"]["Cost Center"]
    assert ids(mx, "/assets", "assets", **{"Cost Center": center}) == sorted(
        a["id"] for a in assets if a["extraFields"].get("Cost Center") == center
    )
    response = mx.api.get("/assets", params={"Colour": "red"})
    assert response.status_code == 400
    assert "Colour" in response.json()["error"]


def test_part_number_filter(mx):
    parts = mx.pull("/parts", "parts", limit=200, expand="vendors")
    number = parts[3]["vendors"][0]["partNumber"]
    assert ids(mx, "/parts", "parts", partNumber=number) == sorted(
        p["id"] for p in parts if number in {v["partNumber"] for v in p["vendors"]}
    )


def test_meter_filters(mx):
    meters = mx.pull("/meters", "meters", limit=200)
    asset = meters[0]["assetId"]
    assert ids(mx, "/meters", "meters", assets=asset) == sorted(
        m["id"] for m in meters if m["assetId"] == asset
    )
    assert ids(mx, "/meters", "meters", measurementType="MANUAL") == sorted(
        m["id"] for m in meters if m["measurementType"] == "MANUAL"
    )


def test_user_filters(mx):
    users = mx.pull("/users", "users", limit=200, expand="role")
    emails = [users[1]["email"], users[4]["email"].upper()]
    assert ids(mx, "/users", "users", email=emails) == sorted([users[1]["id"], users[4]["id"]])
    assert ids(mx, "/users", "users", onlyAssignable="true") == sorted(
        u["id"] for u in users if u["role"] != "REQUESTER"
    )


def test_work_request_filters(mx):
    requests = mx.pull("/workrequests", "workRequests", limit=200)
    for status in ("PENDING", "APPROVED", "DONE"):
        assert ids(mx, "/workrequests", "workRequests", statuses=status) == sorted(
            r["id"] for r in requests if r["requestStatus"] == status
        )
    location, asset = requests[0]["locationId"], requests[0]["assetId"]
    assert ids(mx, "/workrequests", "workRequests", locations=location) == sorted(
        r["id"] for r in requests if r["locationId"] == location
    )
    assert ids(mx, "/workrequests", "workRequests", assets=asset) == sorted(
        r["id"] for r in requests if r["assetId"] == asset
    )
    assert ids(mx, "/workrequests", "workRequests", priorities=["LOW", "HIGH"]) == sorted(
        r["id"] for r in requests if r["priority"] in ("LOW", "HIGH")
    )
    assert ids(mx, "/workrequests", "workRequests", title="vibration") == sorted(
        r["id"] for r in requests if "vibration" in r["title"].lower()
    )


def test_location_name_prefix_and_criticality_filters(mx):
    locations = mx.pull("/locations", "locations", limit=200)
    prefix = locations[0]["name"][:3].lower()
    assert ids(mx, "/locations", "locations", name=prefix) == sorted(
        loc["id"] for loc in locations if loc["name"].lower().startswith(prefix)
    )
    body = mx.api.get("/assetcriticalities", params={"level": 3}).json()
    assert [c["label"] for c in body["assetCriticalities"]] == ["High"]
    body = mx.api.get("/assetcriticalities", params={"label": "Critical"}).json()
    assert [c["level"] for c in body["assetCriticalities"]] == [4]
    assert mx.api.get("/assetcriticalities", params={"level": "high"}).status_code == 400


def test_expand_changes_the_shape(mx):
    plain = mx.api.get("/workorders", params={"limit": 5}).json()["workOrders"]
    assert not any("assignees" in w or "extraFields" in w for w in plain)
    rich = mx.api.get(
        "/workorders", params={"limit": 5, "expand": ["assignees", "extra_fields", "asset"]}
    ).json()["workOrders"]
    assert all("assignees" in w and "extraFields" in w and "asset" in w for w in rich)
    meters = mx.api.get("/meters", params={"expand": "last_reading", "limit": 5}).json()
    assert all(m["lastReading"]["meterId"] == m["id"] for m in meters["meters"])
