"""SAP S/4HANA mapping: statuses, OData V2 dates, plants → sites, purchase-order lines.

Pure functions over records shaped like SAP's V2 JSON; what the connector does over HTTP
against the sandbox is the conformance suite's job.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plantlink.connectors.base import MapContext
from plantlink.connectors.sap_s4hana import mapping
from plantlink.connectors.sap_s4hana.odata import (
    datetimeoffset_literal,
    day,
    instant,
    json_literal,
    keyset_filter,
    parse_date,
    parse_time,
)
from plantlink.connectors.sap_s4hana.streams import partner_changed_since
from plantlink.model.registry import MODELS, record_class

CTX = MapContext("conn-1")
MS_2024 = 1704067200000  # 2024-01-01T00:00:00Z


def one(records: Any) -> Any:
    items = list(records)
    assert len(items) == 1
    return items[0]


def valid(mapped: Any) -> dict[str, Any]:
    """The unified document must fit the model's schema."""
    doc = {
        "id": "x",
        "remote_id": mapped.remote_id,
        "created_at": "2024-01-01T00:00:00Z",
        "modified_at": "2024-01-01T00:00:00Z",
        **mapped.fields,
    }
    record_class(MODELS[mapped.model]).model_validate(doc)
    fields: dict[str, Any] = mapped.fields
    return fields


# --- OData V2 values -------------------------------------------------------------------------


def test_v2_dates_are_utc_milliseconds_whatever_the_offset() -> None:
    assert parse_date(f"/Date({MS_2024})/") == datetime(2024, 1, 1, tzinfo=UTC)
    # the offset says where the value was entered; the milliseconds are already UTC
    assert parse_date(f"/Date({MS_2024}+0060)/") == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_date("/Date(-86400000)/") == datetime(1969, 12, 31, tzinfo=UTC)
    assert instant(f"/Date({MS_2024 + 1500}+0000)/") == "2024-01-01T00:00:01.500000Z"
    assert day("/Date(253402214400000)/") == "9999-12-31"
    assert parse_date(None) is None and instant("") is None
    with pytest.raises(ValueError):
        parse_date("2024-01-01")


def test_v2_times_and_partner_change_stamps() -> None:
    assert parse_time("PT14H30M05S") == timedelta(hours=14, minutes=30, seconds=5)
    assert parse_time("PT00H00M00.5S") == timedelta(seconds=0.5)
    assert mapping._date_time(f"/Date({MS_2024})/", "PT23H55M13S") == (
        "2024-01-01T23:55:13.000000Z"
    )
    with pytest.raises(ValueError):
        parse_time("14:30")


def test_filter_literals() -> None:
    since = datetime(2024, 3, 5, 7, 8, 9, 999_999, tzinfo=UTC)
    # rounded down to the second: a `ge` filter never misses the instant itself
    assert datetimeoffset_literal(since) == "datetimeoffset'2024-03-05T07:08:09Z'"
    assert json_literal(f"/Date({MS_2024 + 22}+0000)/") == (
        "datetimeoffset'2024-01-01T00:00:00.022Z'"
    )
    assert json_literal("/Date(253402214400000)/") == "datetime'9999-12-31T00:00:00.000'"
    assert json_literal("O'Brien") == "'O''Brien'"
    assert json_literal(True) == "true" and json_literal(None) == "null"
    assert partner_changed_since(since) == (
        "LastChangeDate gt datetime'2024-03-05T00:00:00' or "
        "(LastChangeDate eq datetime'2024-03-05T00:00:00' and LastChangeTime ge time'PT07H08M09S')"
    )


def test_keyset_continues_after_the_last_row_in_order() -> None:
    row = {"LastChangeDateTime": f"/Date({MS_2024}+0000)/", "MaintenanceOrder": "4000007"}
    text = keyset_filter(("LastChangeDateTime", "MaintenanceOrder"), row)
    stamp = "datetimeoffset'2024-01-01T00:00:00.000Z'"
    assert text == (
        f"LastChangeDateTime ge {stamp} and ((LastChangeDateTime gt {stamp}) or "
        f"(LastChangeDateTime eq {stamp} and MaintenanceOrder gt '4000007'))"
    )


# --- work orders -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system_status", "operations", "expected"),
    [
        ("CRTD MACM PRC SETC", [], "open"),
        ("REL MACM PRC SETC", [{"SystemStatusText": "REL PRC"}], "scheduled"),
        ("REL PCNF MACM PRC", [], "in_progress"),
        ("REL MACM PRC", [{"SystemStatusText": "CNF PRC"}], "in_progress"),
        (
            "REL NMAT PRC",
            [{"SystemStatusText": "REL", "OpActualExecutionStartDateTime": "/Date(0+0000)/"}],
            "in_progress",
        ),
        ("TECO MACM PRC SETC", [], "completed"),
        ("CLSD MACM PRC SETC", [], "closed"),
        ("TECO DLFL MACM PRC SETC", [], "cancelled"),
        ("CRTD DLFL NMAT", [], "cancelled"),
        ("", [], None),
        (None, [], None),
    ],
)
def test_work_order_status_from_system_status(
    system_status: str | None, operations: list[dict[str, Any]], expected: str | None
) -> None:
    assert mapping.work_order_status(system_status, operations) == expected


def _order(**overrides: Any) -> dict[str, Any]:
    order = {
        "MaintenanceOrder": "4000123",
        "MaintenanceOrderType": "PM01",
        "MaintenanceOrderDesc": "P-101 leaking seal",
        "MaintPriority": "1",
        "SystemStatusText": "TECO MACM PRC SETC",
        "Equipment": "10000009",
        "FunctionalLocation": "1710-PLT1-B02-A01",
        "MaintenancePlanningPlant": "1710",
        "MaintenancePlant": "1710",
        "Currency": "USD",
        "MaintOrdBasicStartDateTime": f"/Date({MS_2024}+0000)/",
        "MaintOrdBasicEndDateTime": f"/Date({MS_2024 + 3_600_000}+0000)/",
        "MaintOrdSchedldBscStrtDateTime": None,
        "MaintOrdSchedldBscEndDateTime": None,
        "MainWorkCompletedDateTime": f"/Date({MS_2024 + 7_200_000}+0000)/",
        "MaintOrderCreationDateTime": f"/Date({MS_2024 - 86_400_000}+0000)/",
        "LastChangeDateTime": f"/Date({MS_2024 + 9_000_000}+0000)/",
        "to_MaintenanceOrderOperation": {
            "results": [
                {
                    "MaintenanceOrderOperation": "0020",
                    "MaintenanceOrderSubOperation": "",
                    "OperationDescription": "Test run",
                    "SystemStatusText": "REL PRC",
                    "MaintOrdOperationWorkDuration": "30",
                    "MaintOrdOpWorkDurationUnit": "MIN",
                    "ActualWorkQuantity": "0.000",
                    "to_MaintOrderOpComponent_2": {"results": []},
                },
                {
                    "MaintenanceOrderOperation": "0010",
                    "MaintenanceOrderSubOperation": "",
                    "OperationDescription": "Replace seal",
                    "SystemStatusText": "CNF PRC",
                    "MaintOrdOperationWorkDuration": "2.0",
                    "MaintOrdOpWorkDurationUnit": "H",
                    "ActualWorkQuantity": "2.500",
                    "OpActualExecutionStartDateTime": f"/Date({MS_2024 + 600_000}+0000)/",
                    "to_MaintOrderOpComponent_2": {
                        "results": [
                            {
                                "Product": "MRO-000001",
                                "MaintOrdOpCompRequiredQuantity": "2.000",
                                "QuantityWithdrawnInBaseUnit": "1.000",
                                "IsDeleted": False,
                            },
                            {"Product": "MRO-000002", "IsDeleted": True},
                        ]
                    },
                },
            ]
        },
    }
    order.update(overrides)
    return order


def test_work_order_operations_become_tasks_and_components_materials() -> None:
    mapped = one(mapping.work_order(_order(), CTX))
    fields = valid(mapped)
    assert mapped.remote_id == "4000123"
    assert fields["status"] == "completed"
    assert fields["remote_status"] == "TECO MACM PRC SETC"
    assert (fields["priority"], fields["remote_priority"]) == ("urgent", "1")
    assert (fields["type"], fields["remote_type"]) == ("corrective", "PM01")
    assert [t["sequence"] for t in fields["tasks"]] == [10, 20]
    assert [t["status"] for t in fields["tasks"]] == ["done", "open"]
    assert fields["estimated_hours"] == "2.5"  # 2 h + 30 min
    assert fields["actual_hours"] == "2.5"
    assert fields["materials"] == [
        {
            "part_id": CTX.ref("parts", "MRO-000001"),
            "location_id": None,
            "quantity_planned": "2",
            "quantity_used": "1",
        }
    ]
    assert fields["asset_id"] == CTX.ref("assets", "10000009/9999-12-31")
    assert fields["location_id"] == CTX.ref("locations", "1710-PLT1-B02-A01")
    assert fields["site_id"] == CTX.ref("sites", "1710")
    assert fields["scheduled_start_at"] == "2024-01-01T00:00:00.000000Z"
    assert fields["due_at"] == "2024-01-01T01:00:00.000000Z"
    assert fields["started_at"] == "2024-01-01T00:10:00.000000Z"
    assert fields["completed_at"] == "2024-01-01T02:00:00.000000Z"
    assert mapped.remote_created_at == "2023-12-31T00:00:00.000000Z"
    assert mapped.remote_modified_at == "2024-01-01T02:30:00.000000Z"
    assert mapped.remote_deleted is False
    assert mapped.raw["MaintenanceOrder"] == "4000123"


def test_an_open_order_has_no_completion_and_unknown_types_are_other() -> None:
    fields = valid(
        one(
            mapping.work_order(
                _order(
                    SystemStatusText="CRTD NMAT",
                    MaintenanceOrderType="ZPM9",
                    MaintPriority="",
                    to_MaintenanceOrderOperation={"results": []},
                ),
                CTX,
            )
        )
    )
    assert fields["status"] == "open"
    assert fields["completed_at"] is None
    assert (fields["type"], fields["remote_type"]) == ("other", "ZPM9")
    assert (fields["priority"], fields["remote_priority"]) == (None, None)
    assert fields["tasks"] == [] and fields["estimated_hours"] is None


# --- purchase orders -----------------------------------------------------------------------


def _item(no: str, **overrides: Any) -> dict[str, Any]:
    item = {
        "PurchaseOrderItem": no,
        "PurchaseOrderItemText": f"Item {no}",
        "Material": "MRO-000005",
        "Plant": "1010",
        "OrderQuantity": "36.000",
        "PurchaseOrderQuantityUnit": "PC",
        "NetPriceAmount": "83.550",
        "NetPriceQuantity": "1",
        "PurchasingDocumentDeletionCode": "",
        "IsCompletelyDelivered": False,
        "IsFinallyInvoiced": False,
        "to_ScheduleLine": {
            "results": [{"ScheduleLineDeliveryDate": f"/Date({MS_2024 + 86_400_000 * 9})/"}]
        },
    }
    item.update(overrides)
    return item


def _po(items: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    po = {
        "PurchaseOrder": "4500000001",
        "PurchasingProcessingStatus": "05",
        "PurchasingDocumentDeletionCode": "",
        "Supplier": "17300001",
        "PurchaseOrderDate": f"/Date({MS_2024})/",
        "CreationDate": f"/Date({MS_2024})/",
        "DocumentCurrency": "EUR",
        "PaymentTerms": "NT30",
        "LastChangeDateTime": f"/Date({MS_2024 + 1000}+0000)/",
        "to_PurchaseOrderItem": {"results": items},
    }
    po.update(overrides)
    return po


def test_purchase_order_items_become_lines_with_totals() -> None:
    items = [
        _item("00020", NetPriceAmount="10.000", NetPriceQuantity="100", OrderQuantity="50"),
        _item("00010"),
        _item("00030", PurchasingDocumentDeletionCode="L"),
    ]
    mapped = one(mapping.purchase_order(_po(items), CTX))
    fields = valid(mapped)
    lines = fields["lines"]
    assert [ln["line_number"] for ln in lines] == [10, 20, 30]
    assert [ln["remote_id"] for ln in lines] == ["00010", "00020", "00030"]
    assert lines[0]["id"] == CTX.ref("purchase_order_lines", "4500000001/00010")
    assert (lines[0]["quantity"], lines[0]["unit_price"], lines[0]["line_total"]) == (
        "36",
        "83.55",
        "3007.8",
    )
    # price per 100 pieces
    assert (lines[1]["unit_price"], lines[1]["line_total"]) == ("0.1", "5")
    assert lines[2]["status"] == "cancelled"
    assert lines[0]["part_id"] == CTX.ref("parts", "MRO-000005")
    assert lines[0]["expected_delivery_date"] == "2024-01-10"
    # the deleted item counts for nothing
    assert fields["subtotal"] == "3012.8"
    assert fields["total"] is None and fields["tax_total"] is None
    assert fields["vendor_id"] == CTX.ref("vendors", "17300001")
    assert fields["site_id"] == CTX.ref("sites", "1010")
    assert fields["order_date"] == "2024-01-01"
    assert fields["expected_delivery_date"] == "2024-01-10"
    assert (fields["status"], fields["remote_status"]) == ("ordered", "05")


@pytest.mark.parametrize(
    ("header", "items", "expected"),
    [
        ({}, [{}], "ordered"),
        ({"PurchasingProcessingStatus": "01"}, [{}], "draft"),
        ({"PurchasingProcessingStatus": "03"}, [{}], "pending_approval"),
        ({"ReleaseIsNotCompleted": True}, [{}], "pending_approval"),
        ({"PurchasingProcessingStatus": "08"}, [{}], "cancelled"),
        ({"PurchasingDocumentDeletionCode": "L"}, [{"IsCompletelyDelivered": True}], "cancelled"),
        ({}, [{"PurchasingDocumentDeletionCode": "L"}], "cancelled"),
        ({}, [{"IsCompletelyDelivered": True}, {}], "partially_received"),
        (
            {},
            [{"IsCompletelyDelivered": True}, {"PurchasingDocumentDeletionCode": "L"}],
            "received",
        ),
        ({}, [{"IsCompletelyDelivered": True, "IsFinallyInvoiced": True}], "closed"),
    ],
)
def test_purchase_order_status(
    header: dict[str, Any], items: list[dict[str, Any]], expected: str
) -> None:
    rows = [_item(f"{(i + 1) * 10:05d}", **item) for i, item in enumerate(items)]
    assert one(mapping.purchase_order(_po(rows, **header), CTX)).fields["status"] == expected


def test_items_in_several_plants_leave_the_site_open() -> None:
    rows = [_item("00010"), _item("00020", Plant="1020")]
    assert one(mapping.purchase_order(_po(rows), CTX)).fields["site_id"] is None


# --- sites, locations, assets, vendors, parts ----------------------------------------------


def test_plants_become_sites_named_after_their_top_location() -> None:
    top = {
        "FunctionalLocation": "1010-PLT1",
        "FunctionalLocationName": "Hamburg Plant",
        "SuperiorFunctionalLocation": None,
        "MaintenancePlant": "1010",
        "StreetName": "Am Sandtorkai",
        "HouseNumber": "48",
        "CityName": "Hamburg",
        "PostalCode": "20457",
        "Region": "HH",
        "Country": "DE",
    }
    mapped = one(mapping.site({"Plant": "1010", "IsTop": True, "FunctionalLocation": top}, CTX))
    fields = valid(mapped)
    assert mapped.remote_id == "1010" and fields["code"] == "1010"
    assert fields["name"] == "Hamburg Plant"
    assert fields["address"] == {
        "street": "Am Sandtorkai 48",
        "city": "Hamburg",
        "state": "HH",
        "postal_code": "20457",
        "country": "DE",
    }
    area = {**top, "FunctionalLocation": "1010-PLT1-B01", "SuperiorFunctionalLocation": "1010-PLT1"}
    only_area = {"Plant": "1010", "IsTop": False, "FunctionalLocation": area}
    assert one(mapping.site(only_area, CTX)).fields["name"] is None


def test_locations_reference_their_superior_and_plant() -> None:
    raw = {
        "FunctionalLocation": "1010-PLT1-B01",
        "FunctionalLocationLabelName": "1010-PLT1-B01",
        "FunctionalLocationName": "Main Building",
        "SuperiorFunctionalLocation": "1010-PLT1",
        "MaintenancePlant": "1010",
        "CityName": "",
        "CreationDate": f"/Date({MS_2024})/",
        "LastChangeDateTime": f"/Date({MS_2024}+0000)/",
    }
    fields = valid(one(mapping.location(raw, CTX)))
    assert fields["parent_id"] == CTX.ref("locations", "1010-PLT1")
    assert fields["site_id"] == CTX.ref("sites", "1010")
    assert fields["address"] is None  # SAP's empty strings are not an address
    assert fields["type"] == "functional_location"


@pytest.mark.parametrize(
    ("flags", "status", "remote"),
    [
        ({"EquipmentIsInstalled": True}, "active", "INST"),
        ({"EquipmentIsInactive": True}, "inactive", "AVLB INAC"),
        (
            {"EquipmentIsInstalled": True, "EquipmentIsMarkedForDeletion": True},
            "disposed",
            "INST DLFL",
        ),
    ],
)
def test_equipment_status_and_slice_key(flags: dict[str, Any], status: str, remote: str) -> None:
    raw = {
        "Equipment": "10000001",
        "ValidityEndDate": "/Date(253402214400000)/",
        "EquipmentName": "Air Compressor",
        "SuperordinateEquipment": "10000000",
        "FunctionalLocation": "1020-PLT1-B02-A01",
        "MaintenancePlant": "1020",
        **flags,
    }
    mapped = one(mapping.asset(raw, CTX))
    fields = valid(mapped)
    assert mapped.remote_id == "10000001/9999-12-31"
    assert (fields["status"], fields["remote_status"]) == (status, remote)
    assert mapped.remote_deleted is False  # a deletion flag is a state in SAP
    assert fields["parent_id"] == CTX.ref("assets", "10000000/9999-12-31")
    assert fields["site_id"] == CTX.ref("sites", "1020")


def test_vendors_come_from_partners_in_the_supplier_role() -> None:
    partner = {
        "BusinessPartner": "17300001",
        "BusinessPartnerFullName": "Grainger GmbH",
        "CreationDate": f"/Date({MS_2024})/",
        "CreationTime": "PT08H00M00S",
        "LastChangeDate": f"/Date({MS_2024})/",
        "LastChangeTime": "PT23H55M13S",
        "to_Supplier": {
            "Supplier": "17300001",
            "SupplierName": "Grainger GmbH",
            "VATRegistration": "DE123456789",
            "PurchasingIsBlocked": False,
            "to_SupplierPurchasingOrg": {
                "results": [
                    {
                        "PurchasingOrganization": "1010",
                        "PaymentTerms": "NT60",
                        "PurchaseOrderCurrency": "EUR",
                    }
                ]
            },
        },
        "to_BusinessPartnerAddress": {
            "results": [
                {
                    "StreetName": "Industrial Parkway",
                    "HouseNumber": "238",
                    "CityName": "Ludwigshafen",
                    "Country": "DE",
                    "to_EmailAddress": {
                        "results": [
                            {"EmailAddress": "other@x.example", "IsDefaultEmailAddress": False},
                            {"EmailAddress": "orders@x.example", "IsDefaultEmailAddress": True},
                        ]
                    },
                    "to_PhoneNumber": {
                        "results": [{"PhoneNumber": "547", "InternationalPhoneNumber": "+49547"}]
                    },
                    "to_URLAddress": {"results": []},
                }
            ]
        },
    }
    mapped = one(mapping.vendor(partner, CTX))
    fields = valid(mapped)
    assert mapped.remote_id == "17300001"
    assert fields["email"] == "orders@x.example"
    assert fields["phone"] == "+49547"
    assert fields["website"] is None
    assert (fields["payment_terms"], fields["currency"]) == ("NT60", "EUR")
    assert fields["tax_id"] == "DE123456789"
    assert fields["is_active"] is True
    assert fields["address"]["street"] == "Industrial Parkway 238"
    assert mapped.remote_modified_at == "2024-01-01T23:55:13.000000Z"
    blocked = {**partner, "to_Supplier": {**partner["to_Supplier"], "PurchasingIsBlocked": True}}
    assert one(mapping.vendor(blocked, CTX)).fields["is_active"] is False
    customer_only = {**partner, "to_Supplier": None}
    assert list(mapping.vendor(customer_only, CTX)) == []


def test_parts_take_the_english_name_and_the_valuated_price() -> None:
    raw = {
        "Product": "MRO-000001",
        "ProductGroup": "MRO-MS",
        "BaseUnit": "PC",
        "ManufacturerNumber": "KSB",
        "ProductManufacturerNumber": "MS18965",
        "IsMarkedForDeletion": False,
        "to_Description": {
            "results": [
                {"Language": "DE", "ProductDescription": "Gleitringdichtung"},
                {"Language": "EN", "ProductDescription": "Mechanical Seal"},
            ]
        },
        "to_Valuation": {
            "results": [
                {
                    "ValuationArea": "1710",
                    "InventoryValuationProcedure": "V",
                    "MovingAveragePrice": "99.000",
                    "PriceUnitQty": "1",
                    "Currency": "USD",
                },
                {
                    "ValuationArea": "1010",
                    "InventoryValuationProcedure": "S",
                    "StandardPrice": "876.500",
                    "PriceUnitQty": "10",
                    "Currency": "EUR",
                },
            ]
        },
    }
    fields = valid(one(mapping.part(raw, CTX)))
    assert fields["name"] == "Mechanical Seal"
    assert (fields["unit_cost"], fields["currency"]) == ("87.65", "EUR")
    assert fields["manufacturer_part_number"] == "MS18965"
    assert fields["is_active"] is True
