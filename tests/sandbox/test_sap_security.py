"""Basic auth, the CSRF-token dance, credential rotation and denied permissions."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.sandbox.sap_inventory import ROOT, Sap, start

MO = "/API_MAINTENANCEORDER/MaintenanceOrder"
NEW_ORDER = {"MaintenanceOrderType": "PM01", "Equipment": "10000001"}


@pytest.fixture
def sap() -> Iterator[Sap]:
    sandbox = start(scale=100)
    yield sandbox
    sandbox.close()


def test_info_offers_exactly_the_sap_credentials(sap: Sap) -> None:
    info = sap.server.info
    assert info["system"] == "sap_s4hana"
    assert set(info["credentials"]) == {"base_url", "username", "password"}
    assert info["base_url"] == info["credentials"]["base_url"] == sap.server.base_url
    assert info["counts"]["work_orders"] == 100


@pytest.mark.parametrize(
    "auth",
    [None, ("PLANTLINK", "wrong"), ("SOMEONE", "x")],
)
def test_bad_credentials_get_401_with_sap_body(sap: Sap, auth: tuple[str, str] | None) -> None:
    response = httpx.get(f"{sap.server.base_url}{ROOT}{MO}", auth=auth)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic realm=")
    assert response.json()["error"]["code"] == "/IWFND/CM_CONSUMER/101"
    metadata = httpx.get(f"{sap.server.base_url}{ROOT}/API_MAINTENANCEORDER/$metadata", auth=auth)
    assert metadata.status_code == 401


def test_user_names_are_case_insensitive(sap: Sap) -> None:
    client = sap.client(username="plantlink")
    assert client.get(f"{MO}/$count").status_code == 200


def test_writes_need_a_fetched_token_and_its_session(sap: Sap) -> None:
    refused = sap.api.post(MO, json=NEW_ORDER)
    assert refused.status_code == 403
    assert refused.headers["x-csrf-token"] == "Required"
    assert refused.text == "CSRF token validation failed"
    wrong = sap.api.post(MO, json=NEW_ORDER, headers={"X-CSRF-Token": "made-up"})
    assert wrong.status_code == 403
    token = sap.csrf()
    assert sap.api.post(MO, json=NEW_ORDER).status_code == 201
    stranger = sap.client()  # same token, but not the session it was issued for
    assert stranger.post(MO, json=NEW_ORDER, headers={"X-CSRF-Token": token}).status_code == 403
    for method in ("PATCH", "PUT", "MERGE", "DELETE"):
        response = stranger.request(method, f"{MO}('4000001')", json={}, headers={"If-Match": "*"})
        assert response.status_code == 403, method
    function = stranger.post(
        "/API_MAINTENANCEORDER/ReleaseMaintenanceOrder", params={"MaintenanceOrder": "'4000001'"}
    )
    assert function.status_code == 403
    assert sap.api.get(f"{MO}/$count").text == "101"


def test_head_fetches_a_token_too_and_a_session_keeps_its_token(sap: Sap) -> None:
    head = sap.api.head("/API_PURCHASEORDER_PROCESS_SRV/", headers={"X-CSRF-Token": "Fetch"})
    assert head.status_code == 200 and head.content == b""
    token = head.headers["x-csrf-token"]
    again = sap.api.get("/API_MAINTENANCEORDER/", headers={"X-CSRF-Token": "Fetch"})
    assert again.headers["x-csrf-token"] == token  # same session cookie, same token
    response = sap.api.post(MO, json=NEW_ORDER, headers={"X-CSRF-Token": token})
    assert response.status_code == 201


def test_rotation_refuses_old_credentials_and_tokens(sap: Sap) -> None:
    token = sap.csrf()
    rotated = sap.control.post("/credentials/rotate")
    assert rotated.status_code == 200
    fresh = rotated.json()
    assert fresh["password"] != sap.credentials["password"]
    assert sap.api.get(f"{MO}/$count").status_code == 401
    client = sap.client(password=fresh["password"])
    assert client.get(f"{MO}/$count").status_code == 200
    client.cookies = sap.api.cookies
    assert client.post(MO, json=NEW_ORDER, headers={"X-CSRF-Token": token}).status_code == 403
    sap.credentials = fresh
    sap.csrf(client)
    assert client.post(MO, json=NEW_ORDER).status_code == 201


@pytest.mark.parametrize(
    ("permission", "method", "path", "body"),
    [
        ("work_orders:create", "POST", MO, NEW_ORDER),
        ("work_orders:update", "PATCH", f"{MO}('4000001')", {"MaintenanceOrderDesc": "x"}),
        (
            "work_orders:status",
            "POST",
            "/API_MAINTENANCEORDER/SetMaintOrdStsToMrkdForDeltn?MaintenanceOrder='4000001'",
            None,
        ),
        ("purchase_orders:create", "POST", "/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder", {}),
        (
            "purchase_orders:update",
            "PATCH",
            "/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder('4500000001')",
            {"IncotermsLocation1": "x"},
        ),
        (
            "assets:update",
            "PATCH",
            "/API_EQUIPMENT/Equipment(Equipment='10000001',ValidityEndDate=datetime'9999-12-31T00:00:00')",
            {"ABCIndicator": "A"},
        ),
        (
            "locations:create",
            "POST",
            "/API_FUNCTIONALLOCATION/FunctionalLocation",
            {"FunctionalLocation": "1010-X"},
        ),
        (
            "vendors:update",
            "PATCH",
            "/API_BUSINESS_PARTNER/A_Supplier('17300001')",
            {"PostingIsBlocked": True},
        ),
        ("parts:update", "PATCH", "/API_PRODUCT_SRV/A_Product('MRO-000001')", {"GrossWeight": "1"}),
    ],
)
def test_denied_permissions_get_sap_403_and_change_nothing(
    sap: Sap, permission: str, method: str, path: str, body: dict[str, object] | None
) -> None:
    sap.csrf()
    before = sap.records(permission.split(":")[0])
    assert sap.ctl("/permissions", deny=[permission]) == {"deny": [permission]}
    response = sap.api.request(method, path, json=body, headers={"If-Match": "*"})
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "/IWBEP/CM_MGW_RT/000"
    assert "not authorized" in error["message"]["value"]
    assert sap.records(permission.split(":")[0]) == before
    sap.ctl("/permissions", deny=[])
    response = sap.api.request(method, path, json=body, headers={"If-Match": "*"})
    assert response.status_code != 403
