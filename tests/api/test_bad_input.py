"""Bad input gets its documented 4xx naming the problem — never a 500, never ignored."""

from __future__ import annotations

import pytest

from tests.api.conftest import Linked


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"colour": "red"}, "colour"),
        ({"modified_after": "2024-13-40"}, "modified_after"),
        ({"modified_after": "yesterday"}, "modified_after"),
        ({"due_before": "2024-02-30"}, "due_before"),
        ({"created_after": "2024-02-01", "created_before": "2024-01-01"}, "created_after"),
        ({"modified_after": "2024-01-01", "modified_before": "2024-01-01"}, "modified_after"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
        ({"status": "exploded"}, "status"),
        ({"include_deleted": "maybe"}, "include_deleted"),
        ({"expand": "vendor_id"}, "expand"),
        ({"order_date_after": "2024-01-01"}, "order_date_after"),
        ({"modified-after": "2024-01-01"}, "modified-after"),
    ],
)
def test_list_parameters(shared_linked: Linked, query: dict[str, str], param: str) -> None:
    with shared_linked.client() as c:
        r = c.get("/v1/work-orders", params=query)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "INVALID_PARAMETER"
    assert err["details"]["parameter"] == param
    assert param in err["message"]
    assert err["request_id"] == r.headers["x-request-id"]


def test_repeated_parameter(shared_linked: Linked) -> None:
    with shared_linked.client() as c:
        r = c.get("/v1/work-orders?page_size=5&page_size=6")
    assert r.status_code == 400 and r.json()["error"]["details"]["parameter"] == "page_size"


def test_cursor_from_another_query_is_refused(shared_linked: Linked) -> None:
    with shared_linked.client() as c:
        first = c.get("/v1/work-orders", params={"page_size": 2}).json()
        assert first["next_cursor"]
        r = c.get(
            "/v1/work-orders",
            params={"page_size": 2, "status": "open", "cursor": first["next_cursor"]},
        )
        assert r.status_code == 400 and r.json()["error"]["details"]["parameter"] == "cursor"
        r = c.get("/v1/assets", params={"cursor": first["next_cursor"]})
        assert r.status_code == 400
        # the same query with another page size continues fine
        r = c.get("/v1/work-orders", params={"page_size": 3, "cursor": first["next_cursor"]})
        assert r.status_code == 200


def test_unknown_and_unsupported_models(shared_linked: Linked) -> None:
    with shared_linked.client() as c:
        r = c.get("/v1/widgets")
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
        assert "widgets" in r.json()["error"]["message"]
        r = c.get("/v1/work_orders")
        assert r.status_code == 404 and "work-orders" in r.json()["error"]["message"]
        r = c.get("/v1/sites")
        assert r.status_code == 400 and r.json()["error"]["code"] == "MODEL_NOT_SUPPORTED"
        r = c.get("/v1/work-orders/not-an-id")
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
        r = c.post("/v1/sync", json={"models": ["sites"]})
        assert r.status_code == 400 and r.json()["error"]["code"] == "MODEL_NOT_SUPPORTED"
        r = c.post("/v1/sync", json={"models": ["widgets"]})
        assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_ERROR"
        r = c.post("/v1/sync", json={"full": "sometimes"})
        assert r.status_code == 422 and "full" in r.json()["error"]["message"]


def test_oversized_and_malformed_bodies(shared_linked: Linked) -> None:
    with shared_linked.client() as c:
        r = c.post(
            "/v1/sync",
            content=b"{" + b" " * 2_000_000 + b"}",
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 413 and r.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
        r = c.post("/v1/sync", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_ERROR"
    with shared_linked.admin() as admin:
        r = admin.post("/v1/admin/connections", json={"system": "maintainx"})
        assert r.status_code == 422
        assert "name" in r.json()["error"]["message"]


def test_authentication(shared_linked: Linked) -> None:
    with shared_linked.api.client() as anon:
        for path in ("/v1/work-orders", "/v1/connection", "/v1/admin/connections"):
            r = anon.get(path)
            assert r.status_code == 401 and r.json()["error"]["code"] == "AUTHENTICATION_FAILED"
    with shared_linked.api.client("plk_conn_forged") as forged:
        assert forged.get("/v1/work-orders").status_code == 401
    with shared_linked.client() as c:  # a connection token is not an admin key
        assert c.get("/v1/admin/connections").status_code == 401


def test_bad_credentials_store_nothing(shared_linked: Linked) -> None:
    creds = dict(shared_linked.sandbox.info["credentials"])
    creds["api_key"] = "wrong"
    with shared_linked.admin() as admin:
        before = admin.get("/v1/admin/connections").json()["data"]
        r = admin.post(
            "/v1/admin/connections", json={"system": "maintainx", "name": "x", "credentials": creds}
        )
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "INVALID_CREDENTIALS" and "wrong" not in err["message"]
        r = admin.post(
            "/v1/admin/connections",
            json={
                "system": "maintainx",
                "name": "x",
                "credentials": {"base_url": creds["base_url"]},
            },
        )
        assert (
            r.status_code == 422 and r.json()["error"]["details"]["field"] == "credentials.api_key"
        )
        r = admin.post(
            "/v1/admin/connections",
            json={
                "system": "maintainx",
                "name": "x",
                "credentials": creds
                | {"api_key": shared_linked.sandbox.info["credentials"]["api_key"]},
                "settings": {"history_days": 0},
            },
        )
        assert (
            r.status_code == 422
            and r.json()["error"]["details"]["field"] == "settings.history_days"
        )
        assert admin.get("/v1/admin/connections").json()["data"] == before


def test_every_response_has_a_request_id(shared_linked: Linked) -> None:
    with shared_linked.client() as c:
        for r in (c.get("/v1/work-orders"), c.get("/v1/nope"), c.get("/openapi.json")):
            assert r.headers["x-request-id"]
        r = c.get("/v1/connection", headers={"x-request-id": "trace-abc-12345"})
        assert r.headers["x-request-id"] == "trace-abc-12345"
