"""Maintenance-order status: only through function imports, with SAP's transitions."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.sandbox.sap_inventory import Sap, start

SERVICE = "/API_MAINTENANCEORDER"
MO = f"{SERVICE}/MaintenanceOrder"


@pytest.fixture
def sap() -> Iterator[Sap]:
    sandbox = start(scale=300)
    sandbox.csrf()
    yield sandbox
    sandbox.close()


@pytest.fixture
def order(sap: Sap) -> str:
    """A new order: status CRTD."""
    response = sap.api.post(MO, json={"MaintenanceOrderType": "PM01", "Equipment": "10000002"})
    assert response.status_code == 201, response.text
    number: str = response.json()["d"]["MaintenanceOrder"]
    return number


def call(sap: Sap, function: str, order: str, **params: str) -> httpx.Response:
    return sap.api.post(
        f"{SERVICE}/{function}", params={"MaintenanceOrder": f"'{order}'", **params}
    )


def status(sap: Sap, order: str) -> list[str]:
    text: str = sap.get(f"{MO}('{order}')")["SystemStatusText"]
    return text.split()


def ok(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    (name,) = response.json()["d"]
    assert response.json()["d"][name] == {
        "__metadata": {"type": "cds_api_maintenanceorder_2.DummyFunctionImportResult"},
        "IsInvalid": False,
    }


def refused(response: httpx.Response, fragment: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BS/007" or error["code"] == "BS/013"
    assert fragment in error["message"]["value"]


def test_the_life_of_an_order(sap: Sap, order: str) -> None:
    assert status(sap, order)[0] == "CRTD"
    ok(call(sap, "ReleaseMaintenanceOrder", order))
    released = sap.get(f"{MO}('{order}')")
    assert released["SystemStatusText"].split()[0] == "REL"
    assert released["MaintOrdSchedldBscStrtDateTime"] == released["MaintOrdBasicStartDateTime"]
    operations = sap.get(f"{MO}('{order}')/to_MaintenanceOrderOperation")["results"]
    assert all(op["SystemStatusText"].startswith("REL") for op in operations)
    ok(
        call(
            sap,
            "SetMaintOrdToTechCompleted",
            order,
            MaintOrderReferenceDateTime="datetimeoffset'2026-01-02T10:00:00Z'",
        )
    )
    completed = sap.get(f"{MO}('{order}')")
    assert completed["SystemStatusText"].split()[0] == "TECO"
    assert completed["MaintOrderReferenceDateTime"] == "/Date(1767348000000+0000)/"
    ok(call(sap, "SetMaintOrderStatusToClosed", order))
    assert status(sap, order)[0] == "CLSD"
    ok(call(sap, "ResetMaintOrderStatusClosed", order))
    assert status(sap, order)[0] == "TECO"
    ok(call(sap, "ResetMaintOrdStsTechCompleted", order))
    reopened = sap.get(f"{MO}('{order}')")
    assert reopened["SystemStatusText"].split()[0] == "REL"
    assert reopened["MaintOrderReferenceDateTime"] is None


def test_illegal_transitions_are_sap_errors(sap: Sap, order: str) -> None:
    refused(call(sap, "SetMaintOrderStatusToClosed", order), "status CRTD is active")
    refused(call(sap, "ResetMaintOrdStsTechCompleted", order), "status CRTD is active")
    refused(call(sap, "ResetMaintOrdStsMrkdForDeltn", order), "DLFL is not active")
    ok(call(sap, "ReleaseMaintenanceOrder", order))
    refused(call(sap, "ReleaseMaintenanceOrder", order), "status REL is active")
    refused(call(sap, "SetMaintOrdStsToMrkdForDeltn", order), "status REL is active")
    assert status(sap, order)[0] == "REL"


def test_deletion_flag_freezes_the_order(sap: Sap, order: str) -> None:
    ok(call(sap, "SetMaintOrdStsToMrkdForDeltn", order))
    assert status(sap, order)[:2] == ["CRTD", "DLFL"]
    operations = sap.get(f"{MO}('{order}')/to_MaintenanceOrderOperation")["results"]
    assert all(op["IsMarkedForDeletion"] for op in operations)
    refused(call(sap, "ReleaseMaintenanceOrder", order), "DLFL is active")
    patch = sap.api.patch(
        f"{MO}('{order}')", json={"MaintenanceOrderDesc": "x"}, headers={"If-Match": "*"}
    )
    assert patch.status_code == 400 and "DLFL" in patch.json()["error"]["message"]["value"]
    ok(call(sap, "ResetMaintOrdStsMrkdForDeltn", order))
    assert "DLFL" not in status(sap, order)
    ok(call(sap, "ReleaseMaintenanceOrder", order))


def test_closed_orders_reject_changes(sap: Sap, order: str) -> None:
    for function in ("SetMaintOrdToTechCompleted", "SetMaintOrderStatusToClosed"):
        ok(call(sap, function, order))
    patch = sap.api.patch(
        f"{MO}('{order}')", json={"MaintPriority": "1"}, headers={"If-Match": "*"}
    )
    assert patch.status_code == 400 and "CLSD" in patch.json()["error"]["message"]["value"]


def test_status_is_not_writable_and_every_call_moves_the_etag(sap: Sap, order: str) -> None:
    etag = sap.api.get(f"{MO}('{order}')").headers["etag"]
    patch = sap.api.patch(
        f"{MO}('{order}')", json={"SystemStatusText": "REL"}, headers={"If-Match": etag}
    )
    assert patch.status_code == 400
    response = call(sap, "ReleaseMaintenanceOrder", order)
    ok(response)
    assert response.headers["etag"] != etag
    assert sap.api.get(f"{MO}('{order}')").headers["etag"] == response.headers["etag"]
    stale = sap.api.post(
        f"{SERVICE}/SetMaintOrdToTechCompleted",
        params={"MaintenanceOrder": f"'{order}'"},
        headers={"If-Match": etag},
    )
    assert stale.status_code == 412


def test_function_import_requests_are_checked(sap: Sap, order: str) -> None:
    assert (
        sap.api.get(
            f"{SERVICE}/ReleaseMaintenanceOrder", params={"MaintenanceOrder": f"'{order}'"}
        ).status_code
        == 405
    )
    missing = sap.api.post(f"{SERVICE}/ReleaseMaintenanceOrder")
    assert (
        missing.status_code == 400
        and "MaintenanceOrder" in missing.json()["error"]["message"]["value"]
    )
    unknown = call(sap, "ReleaseMaintenanceOrder", order, Bogus="1")
    assert unknown.status_code == 400 and "Bogus" in unknown.json()["error"]["message"]["value"]
    assert call(sap, "ReleaseMaintenanceOrder", "9999999").status_code == 404
    assert (
        sap.api.post(
            f"{SERVICE}/ReleaseMaintenanceOrder", params={"MaintenanceOrder": order}
        ).status_code
        == 400
    )


def test_seeded_orders_carry_consistent_statuses(sap: Sap) -> None:
    orders = sap.pull(
        MO, **{"$select": "MaintenanceOrder,SystemStatusText,MaintOrderReferenceDateTime"}
    )
    mains = {o["SystemStatusText"].split()[0] for o in orders}
    assert mains == {"CRTD", "REL", "TECO", "CLSD"}
    for o in orders:
        completed = o["SystemStatusText"].split()[0] in ("TECO", "CLSD")
        assert (o["MaintOrderReferenceDateTime"] is not None) == completed
