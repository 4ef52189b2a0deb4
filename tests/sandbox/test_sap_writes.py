"""Writes over HTTP: ETags, flags, deep insert (all or nothing), business rules, deletes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.sandbox.sap_inventory import Sap, ms, start

MO = "/API_MAINTENANCEORDER/MaintenanceOrder"
PO = "/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder"
ITEM = "/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrderItem"
EQUIPMENT = "/API_EQUIPMENT/Equipment"
LOCATION = "/API_FUNCTIONALLOCATION/FunctionalLocation"


@pytest.fixture
def sap() -> Iterator[Sap]:
    sandbox = start(scale=300)
    sandbox.csrf()
    yield sandbox
    sandbox.close()


def sap_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    return body


def header(**overrides: Any) -> dict[str, Any]:
    return {
        "PurchaseOrderType": "NB",
        "CompanyCode": "1010",
        "PurchasingOrganization": "1010",
        "PurchasingGroup": "001",
        "Supplier": "17300001",
    } | overrides


def item(**overrides: Any) -> dict[str, Any]:
    return {"Material": "MRO-000001", "Plant": "1010", "OrderQuantity": "5"} | overrides


def counts(sap: Sap) -> tuple[str, str]:
    return (
        sap.api.get(f"{PO}/$count").text,
        sap.api.get(f"{ITEM}/$count").text,
    )


def current_etag(sap: Sap, path: str) -> str:
    response = sap.api.get(path)
    assert response.status_code == 200
    etag: str = response.headers["etag"]
    assert etag == response.json()["d"]["__metadata"]["etag"]
    return etag


def test_deep_insert_creates_header_and_items(sap: Sap) -> None:
    before = counts(sap)
    response = sap.api.post(
        PO,
        json=header(
            to_PurchaseOrderItem={
                "results": [item(), item(Material="MRO-000002", OrderQuantity="2.5")]
            }
        ),
    )
    assert response.status_code == 201, response.text
    created = response.json()["d"]
    number = created["PurchaseOrder"]
    assert response.headers["location"].endswith(f"{PO}('{number}')")
    assert created["CreatedByUser"] == "PLANTLINK" and created["DocumentCurrency"] == "EUR"
    assert [i["PurchaseOrderItem"] for i in created["to_PurchaseOrderItem"]["results"]] == [
        "00010",
        "00020",
    ]
    items = sap.get(f"{PO}('{number}')/to_PurchaseOrderItem")["results"]
    assert [(i["Material"], i["OrderQuantity"]) for i in items] == [
        ("MRO-000001", "5.000"),
        ("MRO-000002", "2.500"),
    ]
    assert items[0]["NetPriceAmount"] and items[0]["PurchaseOrderItemText"].startswith(
        "Mechanical Seal"
    )
    lines = sap.get(f"{ITEM}(PurchaseOrder='{number}',PurchaseOrderItem='00010')/to_ScheduleLine")
    assert lines["results"][0]["ScheduleLineOrderQuantity"] == "5.000"
    assert counts(sap) == (str(int(before[0]) + 1), str(int(before[1]) + 2))


def test_deep_insert_accepts_a_bare_list(sap: Sap) -> None:
    response = sap.api.post(PO, json=header(to_PurchaseOrderItem=[item()]))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("body", "value", "prop"),
    [
        (header(Supplier="17399999"), "17399999", "Supplier"),
        (header(CompanyCode="9999"), "9999", "CompanyCode"),
        (header(PurchasingOrganization="9999"), "9999", "PurchasingOrganization"),
        (header(PurchasingGroup="999"), "999", "PurchasingGroup"),
        (header(PurchaseOrderType="ZZ"), "ZZ", "PurchaseOrderType"),
        (header(PurchasingOrganization="1710"), "1710", "PurchasingOrganization"),
    ],
)
def test_header_rules_name_the_value(sap: Sap, body: dict[str, Any], value: str, prop: str) -> None:
    before = counts(sap)
    error = sap_error(sap.api.post(PO, json=body | {"to_PurchaseOrderItem": [item()]}), 400)
    assert value in error["message"]["value"]
    assert error["innererror"]["errordetails"][0]["propertyref"] == prop
    assert counts(sap) == before


@pytest.mark.parametrize(
    ("bad", "value"),
    [
        (item(Material="MRO-999999"), "MRO-999999"),
        (item(Plant="9999"), "9999"),
        (item(Plant="1710"), "1710"),  # a US plant under the German company code
        (item(OrderQuantity="0"), "quantity"),
        (item(OrderQuantity="1.23456"), "decimal places"),
        ({"Material": "MRO-000001", "Plant": "1010", "Nope": "1"}, "Nope"),
    ],
)
def test_one_bad_item_creates_nothing(sap: Sap, bad: dict[str, Any], value: str) -> None:
    before = counts(sap)
    response = sap.api.post(
        PO, json=header(to_PurchaseOrderItem={"results": [item(), item(), bad]})
    )
    assert value in sap_error(response, 400)["message"]["value"]
    assert counts(sap) == before
    assert sap.records("purchase_orders")[-1]["key"] == "4500000075"


def test_purchase_order_without_items_is_refused(sap: Sap) -> None:
    assert "no items" in sap_error(sap.api.post(PO, json=header()), 400)["message"]["value"]


def test_blocked_supplier_is_refused(sap: Sap) -> None:
    (supplier,) = sap.get(
        "/API_BUSINESS_PARTNER/A_Supplier", **{"$top": "1", "$filter": "Supplier eq '17300003'"}
    )["results"]
    etag = "*"
    response = sap.api.patch(
        f"/API_BUSINESS_PARTNER/A_Supplier('{supplier['Supplier']}')",
        json={"PurchasingIsBlocked": True},
        headers={"If-Match": etag},
    )
    assert response.status_code == 204, response.text
    org = sap.get(
        f"/API_BUSINESS_PARTNER/A_Supplier('{supplier['Supplier']}')/to_SupplierPurchasingOrg"
    )
    body = header(
        Supplier=supplier["Supplier"],
        CompanyCode=org["results"][0]["PurchasingOrganization"],
        PurchasingOrganization=org["results"][0]["PurchasingOrganization"],
        to_PurchaseOrderItem=[
            item(Plant="1010" if org["results"][0]["PurchasingOrganization"] == "1010" else "1710")
        ],
    )
    assert "blocked" in sap_error(sap.api.post(PO, json=body), 400)["message"]["value"]


def test_items_can_be_added_to_an_existing_order(sap: Sap) -> None:
    etag = current_etag(sap, f"{PO}('4500000001')")
    existing = sap.get(f"{PO}('4500000001')/to_PurchaseOrderItem")["results"]
    plant = existing[0]["Plant"]
    response = sap.api.post(f"{PO}('4500000001')/to_PurchaseOrderItem", json=item(Plant=plant))
    assert response.status_code == 201, response.text
    number = response.json()["d"]["PurchaseOrderItem"]
    assert int(number) == int(existing[-1]["PurchaseOrderItem"]) + 10
    assert current_etag(sap, f"{PO}('4500000001')") != etag
    standalone = sap.api.post(ITEM, json=item(PurchaseOrder="4500000001"))
    assert "A_PurchaseOrder" in sap_error(standalone, 400)["message"]["value"]


def test_etags_guard_updates(sap: Sap) -> None:
    path = f"{PO}('4500000002')"
    body = {"IncotermsLocation1": "Dock 4"}
    assert sap_error(sap.api.patch(path, json=body), 428)["code"]
    etag = current_etag(sap, path)
    response = sap.api.patch(path, json=body, headers={"If-Match": etag})
    assert response.status_code == 204
    fresh = response.headers["etag"]
    assert fresh != etag and fresh == current_etag(sap, path)
    stale = sap.api.patch(path, json={"IncotermsLocation1": "Dock 5"}, headers={"If-Match": etag})
    assert "ETag" in sap_error(stale, 412)["message"]["value"]
    assert sap.get(path)["IncotermsLocation1"] == "Dock 4"
    again = sap.api.patch(path, json={"IncotermsLocation1": "Dock 5"}, headers={"If-Match": fresh})
    assert again.status_code == 204 and again.headers["etag"] != fresh  # same second, new ETag
    assert (
        sap.api.patch(
            path, json={"IncotermsLocation1": "Any"}, headers={"If-Match": "*"}
        ).status_code
        == 204
    )


def test_item_updates_move_the_item_and_header(sap: Sap) -> None:
    path = f"{ITEM}(PurchaseOrder='4500000003',PurchaseOrderItem='00010')"
    header_before = sap.get(f"{PO}('4500000003')")["LastChangeDateTime"]
    etag = current_etag(sap, path)
    response = sap.api.patch(path, json={"OrderQuantity": "42"}, headers={"If-Match": etag})
    assert response.status_code == 204, response.text
    assert sap.get(path)["OrderQuantity"] == "42.000"
    assert ms(sap.get(f"{PO}('4500000003')")["LastChangeDateTime"]) > ms(header_before)
    stale = sap.api.patch(path, json={"OrderQuantity": "43"}, headers={"If-Match": etag})
    sap_error(stale, 412)
    bad = sap.api.patch(path, json={"Material": "MRO-999999"}, headers={"If-Match": "*"})
    assert "MRO-999999" in sap_error(bad, 400)["message"]["value"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("LastChangeDateTime", "/Date(1700000000000+0000)/"),
        ("MaintenanceOrderType", "PM02"),
        ("MaintenancePlanningPlant", "1020"),
        ("SystemStatusText", "TECO"),
        ("CompanyCode", "1710"),
    ],
)
def test_read_only_fields_are_rejected_by_name(sap: Sap, field: str, value: str) -> None:
    path = f"{MO}('4000010')"
    before = sap.get(path)
    response = sap.api.patch(
        path, json={field: value}, headers={"If-Match": before["__metadata"]["etag"]}
    )
    error = sap_error(response, 400)
    assert field in error["message"]["value"]
    assert error["innererror"]["errordetails"][0]["propertyref"] == field
    assert sap.get(path) == before


def test_order_create_and_update(sap: Sap) -> None:
    response = sap.api.post(
        MO,
        json={
            "MaintenanceOrderType": "PM01",
            "MaintenanceOrderDesc": "Pump P-0101 leaking",
            "Equipment": "10000001",
            "MaintPriority": "1",
            "to_MaintenanceOrderOperation": {
                "results": [
                    {"OperationDescription": "Isolate pump"},
                    {"OperationDescription": "Replace seal"},
                ]
            },
        },
    )
    assert response.status_code == 201, response.text
    order = response.json()["d"]
    number = order["MaintenanceOrder"]
    assert number == "4000301"
    assert order["SystemStatusText"].startswith("CRTD")
    piece = sap.get(
        "/API_EQUIPMENT/Equipment(Equipment='10000001',ValidityEndDate=datetime'9999-12-31T00:00:00')"
    )
    assert order["EquipmentName"] == piece["EquipmentName"]
    assert order["FunctionalLocation"] == piece["FunctionalLocation"]
    assert order["MaintenancePlanningPlant"] == piece["MaintenancePlanningPlant"]
    operations = sap.get(f"{MO}('{number}')/to_MaintenanceOrderOperation")["results"]
    assert [(o["MaintenanceOrderOperation"], o["OperationDescription"]) for o in operations] == [
        ("0010", "Isolate pump"),
        ("0020", "Replace seal"),
    ]
    patch = sap.api.patch(
        f"{MO}('{number}')",
        json={
            "MaintenanceOrderDesc": "Pump P-0101 seal leak",
            "MaintOrdBasicStartDateTime": "/Date(1767312000000+0000)/",
            "MaintOrdBasicEndDateTime": "/Date(1767398400000+0000)/",
        },
        headers={"If-Match": order["__metadata"]["etag"]},
    )
    assert patch.status_code == 204, patch.text
    changed = sap.get(f"{MO}('{number}')")
    assert changed["MaintenanceOrderDesc"] == "Pump P-0101 seal leak"
    assert changed["MaintOrdBasicStartDate"] == "/Date(1767312000000)/"
    assert changed["MaintOrdBasicStartTime"] == "PT00H00M00S"
    assert ms(changed["LastChangeDateTime"]) >= ms(order["LastChangeDateTime"])
    op = (
        f"/API_MAINTENANCEORDER/MaintenanceOrderOperation(MaintenanceOrder='{number}',"
        "MaintenanceOrderOperation='0010',MaintenanceOrderSubOperation='')"
    )
    etag = changed["__metadata"]["etag"]
    assert sap.api.patch(op, json={"OperationDescription": "Lock out pump"}).status_code == 204
    assert sap.get(op)["OperationDescription"] == "Lock out pump"
    assert current_etag(sap, f"{MO}('{number}')") != etag  # an operation change moves its order


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"MaintenanceOrderType": "ZZ01", "Equipment": "10000001"}, "ZZ01"),
        ({"MaintenanceOrderType": "PM01", "Equipment": "99999999"}, "99999999"),
        ({"MaintenanceOrderType": "PM01", "FunctionalLocation": "9999-NOPE"}, "9999-NOPE"),
        ({"MaintenanceOrderType": "PM01"}, "technical object"),
        (
            {
                "MaintenanceOrderType": "PM01",
                "MaintenancePlanningPlant": "1010",
                "MaintPriority": "9",
            },
            "Priority 9",
        ),
        (
            {"MaintenanceOrderType": "PM01", "MaintenanceOrder": "123", "Equipment": "10000001"},
            "External",
        ),
        (
            {
                "MaintenanceOrderType": "PM01",
                "Equipment": "10000001",
                "MaintenanceOrderDesc": "x" * 41,
            },
            "length",
        ),
        (
            {
                "MaintenanceOrderType": "PM01",
                "Equipment": "10000001",
                "MaintOrdBasicStartDateTime": "tomorrow",
            },
            "Invalid value",
        ),
    ],
)
def test_order_create_rules(sap: Sap, body: dict[str, Any], fragment: str) -> None:
    assert fragment in sap_error(sap.api.post(MO, json=body), 400)["message"]["value"]
    assert sap.api.get(f"{MO}/$count").text == "300"


def test_operations_and_suppliers_are_not_creatable(sap: Sap) -> None:
    sap_error(sap.api.post("/API_MAINTENANCEORDER/MaintenanceOrderOperation", json={}), 405)
    sap_error(sap.api.post("/API_BUSINESS_PARTNER/A_Supplier", json={"Supplier": "1"}), 405)


def test_nothing_is_deletable(sap: Sap) -> None:
    assert sap_error(sap.api.delete(f"{MO}('4000001')"), 405)["code"]
    assert sap_error(
        sap.api.delete(
            EQUIPMENT + "(Equipment='10000001',ValidityEndDate=datetime'9999-12-31T00:00:00')"
        ),
        405,
    )
    assert (
        "not permitted" in sap_error(sap.api.delete(f"{PO}('4500000001')"), 400)["message"]["value"]
    )
    tunnelled = sap.api.post(f"{MO}('4000001')", headers={"X-HTTP-Method": "DELETE"})
    sap_error(tunnelled, 405)
    assert sap.api.get(f"{MO}('4000001')").status_code == 200
    assert sap.api.get(f"{PO}('4500000001')").status_code == 200


def test_equipment_and_functional_locations(sap: Sap) -> None:
    created = sap.api.post(
        LOCATION,
        json={
            "FunctionalLocation": "1010-PLT1-B01-A99",
            "FunctionalLocationName": "Test bay",
            "SuperiorFunctionalLocation": "1010-PLT1-B01",
        },
    )
    assert created.status_code == 201, created.text
    assert sap.get(f"{LOCATION}('1010-PLT1-B01')")["FuncnlLocHasSubOrdinateFuncLoc"] == "X"
    duplicate = sap.api.post(LOCATION, json={"FunctionalLocation": "1010-PLT1-B01-A99"})
    assert "already exists" in sap_error(duplicate, 400)["message"]["value"]
    piece = sap.api.post(
        EQUIPMENT,
        json={
            "EquipmentName": "Test pump",
            "EquipmentCategory": "M",
            "FunctionalLocationLabelName": "1010-PLT1-B01-A99",
        },
    )
    assert piece.status_code == 201, piece.text
    equipment = piece.json()["d"]
    assert (
        equipment["FunctionalLocation"] == "1010-PLT1-B01-A99" and equipment["EquipmentIsInstalled"]
    )
    key = (
        f"{EQUIPMENT}(Equipment='{equipment['Equipment']}',"
        "ValidityEndDate=datetime'9999-12-31T00:00:00')"
    )
    response = sap.api.patch(
        key,
        json={"EquipmentName": "Test pump 2"},
        headers={"If-Match": equipment["__metadata"]["etag"]},
    )
    assert response.status_code == 204
    assert sap.get(key)["EquipmentName"] == "Test pump 2"
    moved = sap.api.patch(
        key, json={"FunctionalLocation": "1010-PLT1-B01"}, headers={"If-Match": "*"}
    )
    assert "FunctionalLocation" in sap_error(moved, 400)["message"]["value"]
    elsewhere = sap.api.patch(
        key, json={"FunctionalLocationLabelName": "NOWHERE"}, headers={"If-Match": "*"}
    )
    assert "NOWHERE" in sap_error(elsewhere, 400)["message"]["value"]
    renamed = sap.api.patch(
        f"{LOCATION}('1010-PLT1-B01-A99')",
        json={"FunctionalLocationName": "Renamed"},
        headers={"If-Match": "*"},
    )
    assert renamed.status_code == 204


def test_put_replaces_and_merge_is_tunnelled(sap: Sap) -> None:
    path = f"{LOCATION}('1010-PLT1-B01')"
    before = sap.get(path)
    assert before["AssetLocation"] is not None
    response = sap.api.put(
        path, json={"FunctionalLocationName": "Only this"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 204, response.text
    after = sap.get(path)
    assert after["FunctionalLocationName"] == "Only this" and after["AssetLocation"] is None
    assert (
        after["FunctionalLocationLabelName"] == before["FunctionalLocationLabelName"]
    )  # read-only
    merge = sap.api.post(
        path, json={"WorkCenter": "ELEC-01"}, headers={"X-HTTP-Method": "MERGE", "If-Match": "*"}
    )
    assert merge.status_code == 204
    assert sap.get(path)["WorkCenter"] == "ELEC-01"
    assert sap.get(path)["FunctionalLocationName"] == "Only this"


def test_unknown_and_malformed_bodies(sap: Sap) -> None:
    path = f"{MO}('4000011')"
    assert (
        "Nope"
        in sap_error(sap.api.patch(path, json={"Nope": 1}, headers={"If-Match": "*"}), 400)[
            "message"
        ]["value"]
    )
    bad_json = sap.api.patch(path, content=b"{not json", headers={"If-Match": "*"})
    sap_error(bad_json, 400)
    nav = sap.api.patch(path, json={"to_MaintenanceOrderOperation": []}, headers={"If-Match": "*"})
    sap_error(nav, 400)
