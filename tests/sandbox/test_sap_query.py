"""OData V2 reads over HTTP: JSON shape, keys, navigation and every system query option.

Filters and orderings are checked against the same data evaluated client-side, so a wrong
operator, literal or precedence shows up as a different result set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.sandbox.sap_inventory import Sap, at, ms, start

MO = "/API_MAINTENANCEORDER/MaintenanceOrder"
DTO = re.compile(r"^/Date\((\d+)\+0000\)/$")
DATE = re.compile(r"^/Date\((\d+)\)/$")
Row = dict[str, Any]


@pytest.fixture(scope="module")
def sap() -> Iterator[Sap]:
    sandbox = start(scale=300)
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def orders(sap: Sap) -> list[Row]:
    rows = sap.pull(MO)
    assert len(rows) == 300
    return rows


def keys(rows: list[Row], field: str = "MaintenanceOrder") -> list[str]:
    return [row[field] for row in rows]


def error(sap: Sap, path: str, **params: str) -> dict[str, Any]:
    response = sap.api.get(path, params=params)
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()["error"]
    assert set(body) == {"code", "message", "innererror"}
    assert body["message"]["lang"] == "en"
    assert body["innererror"]["errordetails"][0]["severity"] == "error"
    return body


def test_collection_json_shape(sap: Sap, orders: list[Row]) -> None:
    body = sap.get(MO, **{"$top": "3", "$inlinecount": "allpages", "$format": "json"})
    assert body["__count"] == "300" and len(body["results"]) == 3 and "__next" not in body
    order = body["results"][0]
    meta = order["__metadata"]
    assert meta["type"] == "cds_api_maintenanceorder_2.MaintenanceOrderType"
    assert meta["id"] == meta["uri"]
    assert meta["uri"].endswith(f"{MO}('{order['MaintenanceOrder']}')")
    assert meta["uri"].startswith("http://127.0.0.1:")
    assert re.fullmatch(
        r"W/\"datetimeoffset'\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\d\.\d{7}Z'\"", meta["etag"]
    )
    assert DTO.match(order["LastChangeDateTime"]) and DTO.match(order["MaintOrderCreationDateTime"])
    assert DATE.match(order["MaintOrdBasicStartDate"])
    assert re.fullmatch(r"PT\d\dH\d\dM\d\dS", order["MaintOrdBasicStartTime"])
    deferred = order["to_MaintenanceOrderOperation"]["__deferred"]["uri"]
    assert deferred == f"{meta['uri']}/to_MaintenanceOrderOperation"
    operation = sap.get(deferred)["results"][0]
    assert isinstance(operation["MaintOrderOperationDuration"], str)
    assert Decimal(operation["MaintOrderOperationDuration"]) > 0
    assert isinstance(operation["NumberOfCapacities"], int)


def test_json_is_served_for_accept_header_and_other_formats_refused(sap: Sap) -> None:
    response = sap.api.get(MO, params={"$top": "1"}, headers={"Accept": "application/json"})
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["dataserviceversion"] == "2.0"
    assert "results" in response.json()["d"]
    assert sap.api.get(MO, params={"$format": "xml"}).status_code == 400


def test_single_entities_by_key(sap: Sap, orders: list[Row]) -> None:
    first = orders[0]
    response = sap.api.get(f"{MO}('{first['MaintenanceOrder']}')")
    assert response.status_code == 200
    assert response.json()["d"] == first
    assert response.headers["etag"] == first["__metadata"]["etag"]
    equipment = sap.get(
        "/API_EQUIPMENT/Equipment(Equipment='10000001',ValidityEndDate=datetime'9999-12-31T00:00:00')"
    )
    assert equipment["Equipment"] == "10000001"
    assert ms(equipment["ValidityEndDate"]) == at("9999-12-31T00:00:00")
    assert equipment["__metadata"]["uri"].endswith(
        "Equipment(Equipment='10000001',ValidityEndDate=datetime'9999-12-31T00%3A00%3A00')"
    )
    missing = sap.api.get(f"{MO}('9999999')")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"]["value"] == (
        "Resource not found for segment 'MaintenanceOrderType'"
    )
    assert sap.api.get(f"{MO}(Foo='1')").status_code == 400
    assert sap.get(f"{MO}('{first['MaintenanceOrder']}')/MaintenanceOrderType") == {
        "MaintenanceOrderType": first["MaintenanceOrderType"]
    }


def test_navigation_from_an_entity(sap: Sap) -> None:
    items = sap.get(
        "/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder('4500000001')/to_PurchaseOrderItem"
    )
    assert items["results"] and {i["PurchaseOrder"] for i in items["results"]} == {"4500000001"}
    numbers = keys(items["results"], "PurchaseOrderItem")
    assert numbers == sorted(numbers) and numbers[0] == "00010"
    count = sap.api.get(
        "/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder('4500000001')/to_PurchaseOrderItem/$count"
    )
    assert count.text == str(len(numbers))
    item = items["results"][0]
    header = sap.get(item["to_PurchaseOrder"]["__deferred"]["uri"])
    assert header["PurchaseOrder"] == "4500000001" and "results" not in header


def test_count(sap: Sap, orders: list[Row]) -> None:
    response = sap.api.get(f"{MO}/$count")
    assert response.headers["content-type"].startswith("text/plain") and response.text == "300"
    pm01 = sum(1 for o in orders if o["MaintenanceOrderType"] == "PM01")
    filtered = sap.api.get(f"{MO}/$count", params={"$filter": "MaintenanceOrderType eq 'PM01'"})
    assert filtered.text == str(pm01)


FILTERS: list[tuple[str, Callable[[Row], bool]]] = [
    ("MaintenanceOrderType eq 'PM01'", lambda o: o["MaintenanceOrderType"] == "PM01"),
    ("MaintenanceOrderType ne 'PM01'", lambda o: o["MaintenanceOrderType"] != "PM01"),
    ("MaintPriority gt '2'", lambda o: o["MaintPriority"] > "2"),
    ("MaintPriority ge '2' and MaintPriority le '3'", lambda o: "2" <= o["MaintPriority"] <= "3"),
    ("MaintPriority lt '2'", lambda o: o["MaintPriority"] < "2"),
    (
        "LastChangeDateTime gt datetimeoffset'2025-06-01T00:00:00Z'",
        lambda o: ms(o["LastChangeDateTime"]) > at("2025-06-01T00:00:00"),
    ),
    (
        "LastChangeDateTime le datetime'2025-06-01T00:00:00'",
        lambda o: ms(o["LastChangeDateTime"]) <= at("2025-06-01T00:00:00"),
    ),
    (
        "LastChangeDateTime ge datetimeoffset'2025-06-01T02:00:00+02:00'",
        lambda o: ms(o["LastChangeDateTime"]) >= at("2025-06-01T00:00:00"),
    ),
    (
        "MaintOrdBasicStartDate ge datetime'2025-09-01T00:00:00' and "
        "MaintOrdBasicStartDate lt datetime'2025-10-01T00:00:00'",
        lambda o: (
            at("2025-09-01T00:00:00") <= ms(o["MaintOrdBasicStartDate"]) < at("2025-10-01T00:00:00")
        ),
    ),
    (
        "(MaintenanceOrderType eq 'PM02' or MaintPriority eq '1') and "
        "not (MaintenancePlanningPlant eq '1710')",
        lambda o: (
            (o["MaintenanceOrderType"] == "PM02" or o["MaintPriority"] == "1")
            and o["MaintenancePlanningPlant"] != "1710"
        ),
    ),
    (
        "MaintenanceOrderType eq 'PM02' or MaintPriority eq '1' and "
        "MaintenancePlanningPlant eq '1710'",
        lambda o: (
            o["MaintenanceOrderType"] == "PM02"
            or (o["MaintPriority"] == "1" and o["MaintenancePlanningPlant"] == "1710")
        ),
    ),
    ("substringof('leak', MaintenanceOrderDesc)", lambda o: "leak" in o["MaintenanceOrderDesc"]),
    (
        "startswith(FunctionalLocation, '1010-PLT1-B01')",
        lambda o: o["FunctionalLocation"].startswith("1010-PLT1-B01"),
    ),
    ("endswith(MaintenanceOrder, '7')", lambda o: o["MaintenanceOrder"].endswith("7")),
    ("Equipment eq null", lambda o: o["Equipment"] is None),
    ("OrderHasLongText eq true", lambda o: o["OrderHasLongText"] is True),
    (
        "tolower(MaintenanceOrderType) eq 'pm03'",
        lambda o: o["MaintenanceOrderType"] == "PM03",
    ),
]


@pytest.mark.parametrize(("expression", "predicate"), FILTERS, ids=[f for f, _ in FILTERS])
def test_filter_agrees_with_the_data(
    sap: Sap, orders: list[Row], expression: str, predicate: Callable[[Row], bool]
) -> None:
    expected = keys([o for o in orders if predicate(o)])
    body = sap.get(MO, **{"$filter": expression, "$inlinecount": "allpages"})
    assert keys(body["results"]) == expected
    assert body["__count"] == str(len(expected))
    assert 0 < len(expected) < 300 or expression == "MaintPriority lt '2'"


def test_filter_literals_of_other_types(sap: Sap) -> None:
    operations = sap.pull("/API_MAINTENANCEORDER/MaintenanceOrderOperation")
    long = [o for o in operations if Decimal(o["MaintOrderOperationDuration"]) >= Decimal("4.5")]
    for literal in ("4.5", "4.5M", "4.5d"):
        found = sap.pull(
            "/API_MAINTENANCEORDER/MaintenanceOrderOperation",
            **{"$filter": f"MaintOrderOperationDuration ge {literal}"},
        )
        assert len(found) == len(long) > 0
    two = sap.pull(
        "/API_MAINTENANCEORDER/MaintenanceOrderOperation", **{"$filter": "NumberOfCapacities eq 2"}
    )
    assert two and all(o["NumberOfCapacities"] == 2 for o in two)
    partner = sap.get("/API_BUSINESS_PARTNER/A_BusinessPartner", **{"$top": "1"})["results"][0]
    by_guid = sap.get(
        "/API_BUSINESS_PARTNER/A_BusinessPartner",
        **{"$filter": f"BusinessPartnerUUID eq guid'{partner['BusinessPartnerUUID']}'"},
    )
    assert keys(by_guid["results"], "BusinessPartner") == [partner["BusinessPartner"]]
    partners = sap.pull("/API_BUSINESS_PARTNER/A_BusinessPartner")
    afternoon = [p for p in partners if p["LastChangeTime"] > "PT12H00M00S"]
    found = sap.pull(
        "/API_BUSINESS_PARTNER/A_BusinessPartner",
        **{"$filter": "LastChangeTime gt time'PT12H00M00S'"},
    )
    assert keys(found, "BusinessPartner") == keys(afternoon, "BusinessPartner")
    suppliers = sap.pull(
        "/API_BUSINESS_PARTNER/A_Supplier", **{"$filter": "PurchasingIsBlocked eq false"}
    )
    assert suppliers and not any(s["PurchasingIsBlocked"] for s in suppliers)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("Nope eq 'x'", "Property 'Nope' not found"),
        ("MaintenanceOrderType eq", "Invalid filter expression"),
        ("MaintenanceOrderType eq 'PM01' and", "Invalid filter expression"),
        ("(MaintenanceOrderType eq 'PM01'", "Invalid filter expression"),
        ("SystemStatusText eq 'REL'", "is not filterable"),
        ("MaintenanceOrder eq 4000001", "Incompatible operands"),
        ("LastChangeDateTime gt datetime'2025-13-01T00:00:00'", "Invalid filter expression"),
        ("MaintenanceOrderType", "must be a Boolean expression"),
        ("substringof(MaintenanceOrderType)", "takes 2 arguments"),
        ("frobnicate(MaintenanceOrderType)", "is not supported"),
    ],
)
def test_bad_filters_are_sap_400s(sap: Sap, expression: str, fragment: str) -> None:
    body = error(sap, MO, **{"$filter": expression})
    assert fragment in body["message"]["value"]


def test_other_bad_options_are_sap_400s(sap: Sap) -> None:
    assert "not sortable" in error(sap, MO, **{"$orderby": "UserStatusText"})["message"]["value"]
    assert "Invalid $orderby" in error(sap, MO, **{"$orderby": "Nope desc"})["message"]["value"]
    error(sap, MO, **{"$top": "-1"})
    error(sap, MO, **{"$skip": "x"})
    error(sap, MO, **{"$search": "pump"})
    error(sap, MO, **{"$select": "Nope"})
    error(sap, MO, **{"$expand": "to_Nope"})
    error(sap, MO, **{"$skiptoken": "garbage"})


def test_select(sap: Sap, orders: list[Row]) -> None:
    body = sap.get(MO, **{"$select": "MaintenanceOrder,MaintPriority", "$top": "2"})
    for row in body["results"]:
        assert set(row) == {"__metadata", "MaintenanceOrder", "MaintPriority"}
    selected = sap.get(
        MO,
        **{
            "$select": "MaintenanceOrder,to_MaintenanceOrderOperation/OperationDescription",
            "$expand": "to_MaintenanceOrderOperation",
            "$top": "2",
        },
    )["results"]
    for row in selected:
        assert set(row) == {"__metadata", "MaintenanceOrder", "to_MaintenanceOrderOperation"}
        for operation in row["to_MaintenanceOrderOperation"]["results"]:
            assert set(operation) == {"__metadata", "OperationDescription"}
    deferred = sap.get(
        MO, **{"$select": "MaintenanceOrder,to_MaintenanceOrderOperation", "$top": "1"}
    )
    assert "__deferred" in deferred["results"][0]["to_MaintenanceOrderOperation"]


def test_nested_expand(sap: Sap) -> None:
    body = sap.get(
        MO,
        **{
            "$expand": "to_MaintenanceOrderOperation/to_MaintOrderOpComponent_2",
            "$filter": "MaintenanceOrder eq '4000004'",
        },
    )
    (order,) = body["results"]
    operations = order["to_MaintenanceOrderOperation"]["results"]
    assert operations and all(op["MaintenanceOrder"] == "4000004" for op in operations)
    components = [c for op in operations for c in op["to_MaintOrderOpComponent_2"]["results"]]
    for op in operations:
        for component in op["to_MaintOrderOpComponent_2"]["results"]:
            assert component["MaintenanceOrderOperation"] == op["MaintenanceOrderOperation"]
            assert component["Product"].startswith("MRO-")
    all_components = sap.pull(
        "/API_MAINTENANCEORDER/MaintOrderOpComponent",
        **{"$filter": "MaintenanceOrder eq '4000004'"},
    )
    assert keys(components, "MaintOrderComponentInternalID") == keys(
        all_components, "MaintOrderComponentInternalID"
    )
    partner = sap.get(
        "/API_BUSINESS_PARTNER/A_BusinessPartner",
        **{"$expand": "to_Supplier,to_BusinessPartnerAddress/to_EmailAddress", "$top": "1"},
    )["results"][0]
    assert partner["to_Supplier"]["Supplier"] == partner["Supplier"]
    (address,) = partner["to_BusinessPartnerAddress"]["results"]
    assert address["to_EmailAddress"]["results"][0]["EmailAddress"].endswith(".example.com")


def test_orderby_top_skip(sap: Sap, orders: list[Row]) -> None:
    body = sap.get(MO, **{"$orderby": "MaintPriority asc,LastChangeDateTime desc", "$top": "300"})
    expected = sorted(
        orders,
        key=lambda o: (o["MaintPriority"], -ms(o["LastChangeDateTime"]), o["MaintenanceOrder"]),
    )
    assert keys(body["results"]) == keys(expected)
    descending = sap.get(MO, **{"$orderby": "MaintenanceOrder desc", "$top": "5"})
    assert keys(descending["results"]) == sorted(keys(orders), reverse=True)[:5]
    page = sap.get(MO, **{"$skip": "10", "$top": "7"})
    assert keys(page["results"]) == keys(orders)[10:17]
    by_change = sap.get(MO, **{"$orderby": "LastChangeDateTime", "$skip": "3", "$top": "4"})
    ordered = sorted(orders, key=lambda o: (ms(o["LastChangeDateTime"]), o["MaintenanceOrder"]))
    assert keys(by_change["results"]) == keys(ordered)[3:7]
    assert sap.get(MO, **{"$top": "0", "$inlinecount": "allpages"}) == {
        "results": [],
        "__count": "300",
    }
