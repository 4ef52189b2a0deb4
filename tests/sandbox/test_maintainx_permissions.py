"""/_sandbox/permissions: a denied write gets the vendor's 403 and changes nothing."""

from __future__ import annotations

import pytest

FORBIDDEN = {"errors": [{"error": "User doesn't have the right permissions"}]}


def ids(mx, path, key):
    return mx.api.get(path, params={"limit": 1}).json()[key][0]["id"]


def new_po(mx):
    body = {
        "vendorId": ids(mx, "/vendors", "vendors"),
        "items": [{"name": "x", "quantityOrdered": 1}],
    }
    return mx.api.post("/purchaseorders", json=body).json()["id"]


WRITES = [
    ("work_orders:create", "post", lambda mx: "/workorders", {"title": "x"}),
    (
        "work_orders:update",
        "patch",
        lambda mx: f"/workorders/{ids(mx, '/workorders', 'workOrders')}",
        {"title": "x"},
    ),
    (
        "work_orders:status",
        "patch",
        lambda mx: f"/workorders/{ids(mx, '/workorders', 'workOrders')}/status",
        {"status": "ON_HOLD"},
    ),
    (
        "work_orders:delete",
        "delete",
        lambda mx: f"/workorders/{ids(mx, '/workorders', 'workOrders')}",
        None,
    ),
    ("assets:create", "post", lambda mx: "/assets", {"name": "x"}),
    ("assets:update", "patch", lambda mx: f"/assets/{ids(mx, '/assets', 'assets')}", {"name": "x"}),
    ("assets:delete", "delete", lambda mx: f"/assets/{ids(mx, '/assets', 'assets')}", None),
    ("parts:create", "post", lambda mx: "/parts", {"name": "x"}),
    ("parts:update", "patch", lambda mx: f"/parts/{ids(mx, '/parts', 'parts')}", {"name": "x"}),
    ("parts:delete", "delete", lambda mx: f"/parts/{ids(mx, '/parts', 'parts')}", None),
    (
        "inventory:update",
        "patch",
        lambda mx: f"/parts/{ids(mx, '/parts', 'parts')}",
        {"availableQuantity": 1},
    ),
    ("vendors:create", "post", lambda mx: "/vendors", {"name": "x"}),
    (
        "vendors:update",
        "patch",
        lambda mx: f"/vendors/{ids(mx, '/vendors', 'vendors')}",
        {"name": "x"},
    ),
    ("vendors:delete", "delete", lambda mx: f"/vendors/{ids(mx, '/vendors', 'vendors')}", None),
    (
        "purchase_orders:create",
        "post",
        lambda mx: "/purchaseorders",
        {"vendorId": 210001, "items": [{"name": "x", "quantityOrdered": 1}]},
    ),
    ("purchase_orders:update", "patch", lambda mx: f"/purchaseorders/{new_po(mx)}", {"note": "x"}),
    (
        "purchase_orders:status",
        "patch",
        lambda mx: f"/purchaseorders/{new_po(mx)}/status",
        {"status": "CANCELED"},
    ),
    (
        "purchase_orders:delete",
        "delete",
        lambda mx: f"/purchaseorders/{ids(mx, '/purchaseorders', 'purchaseOrders')}",
        None,
    ),
    (
        "meter_readings:create",
        "post",
        lambda mx: f"/meters/{ids(mx, '/meters', 'meters')}/readings",
        {"readingValue": 1},
    ),
    ("meters:delete", "delete", lambda mx: f"/meters/{ids(mx, '/meters', 'meters')}", None),
    (
        "locations:delete",
        "delete",
        lambda mx: f"/locations/{ids(mx, '/locations', 'locations')}",
        None,
    ),
    ("users:delete", "delete", lambda mx: f"/users/{ids(mx, '/users', 'users')}", None),
    (
        "service_requests:delete",
        "delete",
        lambda mx: f"/workrequests/{ids(mx, '/workrequests', 'workRequests')}",
        None,
    ),
    (
        "maintenance_schedules:delete",
        "delete",
        lambda mx: f"/maintenanceplans/{ids(mx, '/maintenanceplans', 'maintenancePlans')}",
        None,
    ),
]
ENTITIES = [
    "work_orders",
    "assets",
    "parts",
    "inventory",
    "vendors",
    "purchase_orders",
    "meters",
    "meter_readings",
    "locations",
    "users",
    "service_requests",
    "maintenance_schedules",
]


def snapshot(mx):
    return {e: mx.records(e, include_deleted=True) for e in ENTITIES}


@pytest.mark.parametrize(
    ("permission", "method", "url", "body"), WRITES, ids=[w[0] for w in WRITES]
)
def test_denied_write_is_403_and_changes_nothing(fresh_mx, permission, method, url, body):
    target = url(fresh_mx)
    fresh_mx.ctl("/permissions", deny=[permission])
    before = snapshot(fresh_mx)
    kwargs = {} if body is None else {"json": body}
    response = fresh_mx.api.request(method.upper(), target, **kwargs)
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert snapshot(fresh_mx) == before
    # Everything else is still allowed, and lifting the denial allows this write again.
    assert fresh_mx.api.get(target.split("/status")[0].split("/readings")[0]).status_code == 200
    fresh_mx.ctl("/permissions", deny=[])
    assert fresh_mx.api.request(method.upper(), target, **kwargs).status_code in (200, 201, 204)


def test_denying_one_action_leaves_the_others(fresh_mx):
    fresh_mx.ctl("/permissions", deny=["work_orders:create"])
    wo = ids(fresh_mx, "/workorders", "workOrders")
    assert fresh_mx.api.post("/workorders", json={"title": "x"}).status_code == 403
    assert fresh_mx.api.patch(f"/workorders/{wo}", json={"title": "renamed"}).status_code == 200


@pytest.mark.parametrize("bad", ["work_orders", "widgets:create", "work_orders:approve"])
def test_permission_strings_are_checked(fresh_mx, bad):
    assert fresh_mx.control.post("/permissions", json={"deny": [bad]}).status_code == 422
