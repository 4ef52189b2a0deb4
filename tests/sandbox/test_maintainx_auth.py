"""Auth the MaintainX way: bearer key, multi-organization header, rotation."""

from __future__ import annotations

import httpx


def test_info_lists_exactly_the_maintainx_credentials(mx):
    info = mx.control.get("/info").json()
    assert info["system"] == "maintainx"
    assert set(info["credentials"]) == {"base_url", "api_key", "organization_id"}
    assert info["base_url"] == info["credentials"]["base_url"]
    assert info["base_url"] == f"{mx.server.base_url}/v1"
    assert isinstance(info["credentials"]["organization_id"], int)


def test_missing_or_wrong_key_is_401(mx):
    base = mx.creds["base_url"]
    org = {"x-organization-id": str(mx.creds["organization_id"])}
    for headers in (
        org,
        {**org, "Authorization": "Bearer nope"},
        {**org, "Authorization": mx.creds["api_key"]},
    ):
        response = httpx.get(f"{base}/workorders", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid token"}


def test_bearer_scheme_is_case_insensitive(mx):
    client = mx.client()
    client.headers["Authorization"] = f"bearer {mx.creds['api_key']}"
    assert client.get("/workorders", params={"limit": 1}).status_code == 200


def test_multi_organization_key_needs_the_organization_header(mx):
    headers = {"Authorization": f"Bearer {mx.creds['api_key']}"}
    response = httpx.get(f"{mx.creds['base_url']}/workorders", headers=headers)
    assert response.status_code == 400
    assert response.json() == {"errors": [{"error": "Missing x-organization-id header."}]}
    # Listing the key's organizations is the one call that needs no organization.
    orgs = httpx.get(f"{mx.creds['base_url']}/organizations", headers=headers).json()
    assert [o["id"] for o in orgs["organizations"]] == [mx.creds["organization_id"]]


def test_another_organization_is_403_and_garbage_is_400(mx):
    other = str(mx.creds["organization_id"] + 1)
    response = mx.client(**{"x-organization-id": other}).get("/workorders")
    assert response.status_code == 403
    assert response.json()["errors"][0]["fieldValue"] == other
    response = mx.client(**{"x-organization-id": "acme"}).get("/workorders")
    assert response.status_code == 400
    assert response.json()["errors"][0]["fieldPath"] == "x-organization-id"


def test_both_organization_headers_at_once_is_400(mx):
    org = str(mx.creds["organization_id"])
    response = mx.client(**{"x-organization-ids": org}).get("/assets")
    assert response.status_code == 400
    assert "both" in response.json()["errors"][0]["error"]


def test_rotation_refuses_the_old_key(fresh_mx):
    old = fresh_mx.creds["api_key"]
    new = fresh_mx.ctl("/credentials/rotate")
    assert set(new) == {"base_url", "api_key", "organization_id"}
    assert new["api_key"] != old
    assert fresh_mx.client(old).get("/workorders").status_code == 401
    assert fresh_mx.client(new["api_key"]).get("/workorders").status_code == 200
    assert fresh_mx.control.get("/info").json()["credentials"]["api_key"] == new["api_key"]
