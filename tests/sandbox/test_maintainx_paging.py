"""Cursor paging: limits, stateless resumable cursors, ties and edits during paging."""

from __future__ import annotations

import httpx
import pytest

LISTS = [
    ("workorders", "workOrders", "work_orders"),
    ("assets", "assets", "assets"),
    ("locations", "locations", "locations"),
    ("parts", "parts", "parts"),
    ("vendors", "vendors", "vendors"),
    ("users", "users", "users"),
    ("purchaseorders", "purchaseOrders", "purchase_orders"),
    ("meters", "meters", "meters"),
    ("workrequests", "workRequests", "service_requests"),
    ("maintenanceplans", "maintenancePlans", "maintenance_schedules"),
]


def test_default_limit_is_100_and_pages_chain(mx):
    body = mx.api.get("/workorders").json()
    assert len(body["workOrders"]) == 100
    assert body["nextCursor"]
    assert body["nextPageUrl"].startswith("/v1/workorders?")
    follow = mx.api.get(httpx.URL(mx.creds["base_url"]).join(body["nextPageUrl"])).json()
    direct = mx.api.get("/workorders", params={"cursor": body["nextCursor"]}).json()
    assert follow == direct
    assert follow["workOrders"][0]["id"] > body["workOrders"][-1]["id"]


@pytest.mark.parametrize("limit", [1, 200])
def test_limit_bounds_are_served(mx, limit):
    assert len(mx.api.get("/workorders", params={"limit": limit}).json()["workOrders"]) == limit


@pytest.mark.parametrize("limit", ["0", "201", "-5", "ten", "1.5"])
def test_limit_out_of_range_is_a_vendor_400(mx, limit):
    response = mx.api.get("/workorders", params={"limit": limit})
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert "limit" in response.json()["error"]


@pytest.mark.parametrize("cursor", ["garbage", "aWR8MHx4fHk", "!!"])
def test_bad_cursor_is_a_vendor_400(mx, cursor):
    response = mx.api.get("/workorders", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid cursor"}


def test_cursor_is_bound_to_its_sort(mx):
    cursor = mx.api.get("/assets", params={"limit": 5}).json()["nextCursor"]
    response = mx.api.get("/assets", params={"limit": 5, "sort": "updatedAt", "cursor": cursor})
    assert response.status_code == 400
    assert "sort" in response.json()["error"]


@pytest.mark.parametrize(("path", "key", "entity"), LISTS)
def test_full_listing_matches_the_source_in_id_order(mx, path, key, entity):
    ids = [item["id"] for item in mx.pull(f"/{path}", key, limit=97)]
    assert ids == sorted(ids)
    assert ids == sorted(int(r["key"]) for r in mx.records(entity))


def test_cursor_resumes_later_from_a_new_client(fresh_mx):
    first = fresh_mx.api.get("/workorders", params={"limit": 50}).json()
    expected = fresh_mx.api.get("/workorders", params={"limit": 50, "cursor": first["nextCursor"]})
    # A connector that crashed comes back with a new connection and its saved cursor.
    client = fresh_mx.client()
    again = client.get("/workorders", params={"limit": 50, "cursor": first["nextCursor"]})
    assert again.json() == expected.json()


def test_ties_on_updated_at_are_neither_skipped_nor_repeated(fresh_mx):
    # Records created in one control call share createdAt/updatedAt down to the millisecond.
    created = fresh_mx.ctl("/create", entity="work_orders", count=40)["keys"]
    stamps = {r["key"]: r["updated_at"] for r in fresh_mx.records("work_orders")}
    assert len({stamps[k] for k in created}) < len(created), "expected ties"
    for sort in ("updatedAt", "-updatedAt", "createdAt", "-createdAt"):
        items = fresh_mx.pull("/workorders", "workOrders", limit=3, sort=sort)
        ids = [i["id"] for i in items]
        assert len(ids) == len(set(ids)) == len(stamps), sort
        key = sort.lstrip("-")
        pairs = [(i[key], i["id"]) for i in items]
        assert pairs == sorted(pairs, reverse=sort.startswith("-")), sort


def test_edits_during_paging_do_not_shift_other_records(fresh_mx):
    all_ids = sorted(int(r["key"]) for r in fresh_mx.records("work_orders"))
    seen, cursor, edited = [], None, set()
    while True:
        body = fresh_mx.api.get(
            "/workorders", params={"limit": 25, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [i["id"] for i in body["workOrders"]]
        edited |= {int(k) for k in fresh_mx.ctl("/mutate", entity="work_orders", count=10)["keys"]}
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == all_ids  # id order: every record exactly once, edited or not
    assert edited


def test_edits_during_updated_at_paging_only_move_the_edited_records(fresh_mx):
    before = {int(r["key"]) for r in fresh_mx.records("work_orders")}
    seen, cursor, edited = [], None, set()
    while True:
        params = {"limit": 25, "sort": "updatedAt", **({"cursor": cursor} if cursor else {})}
        body = fresh_mx.api.get("/workorders", params=params).json()
        seen += [i["id"] for i in body["workOrders"]]
        edited |= {int(k) for k in fresh_mx.ctl("/mutate", entity="work_orders", count=5)["keys"]}
        cursor = body["nextCursor"]
        if cursor is None:
            break
    untouched = before - edited
    counts = {i: seen.count(i) for i in before}
    assert all(counts[i] == 1 for i in untouched)
    # An edited record may come again at the end (its updatedAt moved), never be lost.
    assert all(counts[i] >= 1 for i in edited)


def test_descending_id_sort_walks_back(mx):
    items = mx.pull("/assets", "assets", limit=33, sort="-id")
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == len(mx.records("assets"))


@pytest.mark.parametrize(
    "sort", ["dueDate", "-dueDate", "startedAt", "completedAt", "-completedAt"]
)
def test_work_order_date_sorts_put_missing_dates_last(mx, sort):
    items = mx.pull("/workorders", "workOrders", limit=150, sort=sort)
    field = {"dueDate": "dueDate", "startedAt": "startDate", "completedAt": "completedAt"}[
        sort.lstrip("-")
    ]
    values = [i[field] for i in items]
    present = [v for v in values if v is not None]
    assert len(items) == len(mx.records("work_orders"))
    if sort.startswith("-"):
        assert values[: len(values) - len(present)] == [None] * (len(values) - len(present))
        assert present == sorted(present, reverse=True)
    else:
        assert values[len(present) :] == [None] * (len(values) - len(present))
        assert present == sorted(present)


def test_unknown_sort_is_a_vendor_400(mx):
    assert mx.api.get("/workorders", params={"sort": "title"}).status_code == 400
    assert mx.api.get("/assets", params={"sort": "dueDate"}).status_code == 400
