"""SAP S/4HANA records → unified records. Pure functions of (raw record, MapContext).

Conventions of the vendor that shape the mapping:

- Remote ids are SAP's keys; composite keys are joined with ``/`` (equipment:
  ``<Equipment>/<ValidityEndDate as YYYY-MM-DD>``, the key of its current time slice).
- References to equipment from orders and sub-equipment name only the number, so they
  point at the current slice (``/9999-12-31``), which is the one SAP's API lists.
- Plants are sites (``site_id`` = plant code); storage locations are not synced.
- Statuses are derived from SAP's status fields and always kept raw in ``remote_status``.
- SAP's flags for deletion (``DLFL``, deletion indicators) are business states: they
  show in ``status``, never as ``remote_deleted`` (the record still exists in SAP).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from plantlink.connectors.base import MapContext
from plantlink.connectors.sap_s4hana.odata import (
    day,
    expanded,
    expanded_one,
    instant,
    parse_date,
    parse_time,
)
from plantlink.model.mapped import Mapped

CURRENT_SLICE = "9999-12-31"

#: Priority type ``PM`` (SAP's standard for maintenance orders).
PRIORITY = {"1": "urgent", "2": "high", "3": "medium", "4": "low"}
#: Standard maintenance order types; customer types map to ``other``.
ORDER_TYPE = {"PM01": "corrective", "PM02": "preventive", "PM03": "other"}
#: PO processing status (EKKO-PROCSTAT).
PO_PROCESSING = {
    "01": "draft",  # version in process
    "02": "ordered",  # active (no release strategy)
    "03": "pending_approval",  # in release
    "04": "pending_approval",  # partially released
    "05": "ordered",  # released: output to the supplier
    "08": "cancelled",  # rejected
}
DELETED = "L"  # deletion indicator of purchasing documents
WORK_UNITS = {"H": Decimal(1), "HR": Decimal(1), "MIN": Decimal(1) / Decimal(60)}


# --- helpers -----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """SAP sends empty strings for unset CHAR fields: those are null here."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _date_time(date_value: Any, time_value: Any) -> str | None:
    """An Edm.DateTime date plus an Edm.Time (business partners' change stamp), as UTC."""
    moment = parse_date(date_value)
    if moment is None:
        return None
    offset = parse_time(time_value)
    return MapContext.instant(moment + offset if offset else moment)


def _address(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    if not raw:
        return None
    street = " ".join(p for p in (_text(raw.get("StreetName")), _text(raw.get("HouseNumber"))) if p)
    address = {
        "street": street or None,
        "city": _text(raw.get("CityName")),
        "state": _text(raw.get("Region")),
        "postal_code": _text(raw.get("PostalCode")),
        "country": _text(raw.get("Country")),
    }
    return address if any(address.values()) else None


def _std(raw: dict[str, Any], created: str | None, modified: str | None) -> dict[str, Any]:
    return {
        "remote_created_at": created,
        "remote_modified_at": modified,
        "remote_deleted": False,
        "custom_fields": {},
        "raw": raw,
    }


def equipment_id(number: Any, valid_to: str = CURRENT_SLICE) -> str | None:
    text = _text(number)
    return f"{text}/{valid_to}" if text else None


def equipment_key(raw: dict[str, Any]) -> str:
    return f"{raw['Equipment']}/{day(raw.get('ValidityEndDate')) or CURRENT_SLICE}"


def status_codes(text: Any) -> list[str]:
    return (_text(text) or "").split()


# --- sites and locations -----------------------------------------------------------------


def site(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    """A plant, as seen through its top functional location (see streams.PlantStream)."""
    top = raw.get("FunctionalLocation") or {}
    yield Mapped(
        "sites",
        str(raw["Plant"]),
        {
            "name": _text(top.get("FunctionalLocationName")) if raw.get("IsTop") else None,
            "code": str(raw["Plant"]),
            "address": _address(top),
            "timezone": None,
        },
        **_std(raw, None, None),
    )


def location(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    created = instant(raw.get("CreationDate"))
    yield Mapped(
        "locations",
        str(raw["FunctionalLocation"]),
        {
            "name": _text(raw.get("FunctionalLocationName")),
            "code": _text(raw.get("FunctionalLocationLabelName")) or raw["FunctionalLocation"],
            "description": None,
            "type": "functional_location",
            "parent_id": ctx.ref("locations", _text(raw.get("SuperiorFunctionalLocation"))),
            "site_id": ctx.ref("sites", _text(raw.get("MaintenancePlant"))),
            "address": _address(raw),
        },
        **_std(raw, created, instant(raw.get("LastChangeDateTime"))),
    )


# --- assets --------------------------------------------------------------------------------


def asset_status(raw: dict[str, Any]) -> tuple[str, str]:
    """(unified status, SAP-style status codes) from the equipment's status flags."""
    codes = ["INST" if raw.get("EquipmentIsInstalled") else "AVLB"]
    if raw.get("EquipmentIsInactive"):
        codes.append("INAC")
    if raw.get("EquipmentIsMarkedForDeletion"):
        codes.append("DLFL")
    if "DLFL" in codes:
        status = "disposed"
    elif "INAC" in codes:
        status = "inactive"
    else:
        status = "active"
    return status, " ".join(codes)


def asset(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    status, remote_status = asset_status(raw)
    yield Mapped(
        "assets",
        equipment_key(raw),
        {
            "name": _text(raw.get("EquipmentName")),
            "code": _text(raw.get("TechnicalObjectSortCode")) or str(raw["Equipment"]),
            "description": None,
            "status": status,
            "remote_status": remote_status,
            "parent_id": ctx.ref("assets", equipment_id(raw.get("SuperordinateEquipment"))),
            "location_id": ctx.ref("locations", _text(raw.get("FunctionalLocation"))),
            "site_id": ctx.ref("sites", _text(raw.get("MaintenancePlant"))),
            "category": _text(raw.get("TechnicalObjectType")),
            "criticality": _text(raw.get("ABCIndicator")),
            "manufacturer": _text(raw.get("AssetManufacturerName")),
            "model": _text(raw.get("ManufacturerPartTypeName")),
            "serial_number": _text(raw.get("ManufacturerSerialNumber"))
            or _text(raw.get("SerialNumber")),
            "vendor_id": None,
            "installed_on": day(raw.get("OperationStartDate")),
            "warranty_expires_on": None,
        },
        **_std(raw, instant(raw.get("CreationDate")), instant(raw.get("LastChangeDateTime"))),
    )


# --- parts ---------------------------------------------------------------------------------


def _description(raw: dict[str, Any]) -> str | None:
    rows = expanded(raw, "to_Description")
    english = next((r for r in rows if r.get("Language") == "EN"), None)
    chosen = english or (rows[0] if rows else None)
    return _text(chosen.get("ProductDescription")) if chosen else None


def _valuation(raw: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    """Unit cost of the first valuation area: standard price (S) or moving average (V)."""
    rows = sorted(
        (r for r in expanded(raw, "to_Valuation") if not r.get("IsMarkedForDeletion")),
        key=lambda r: (str(r.get("ValuationArea")), str(r.get("ValuationType"))),
    )
    if not rows:
        return None, None
    row = rows[0]
    moving = row.get("InventoryValuationProcedure") == "V"
    price = _decimal(row.get("MovingAveragePrice" if moving else "StandardPrice"))
    per = _decimal(row.get("PriceUnitQty")) or Decimal(1)
    return (price / per if price is not None else None), _text(row.get("Currency"))


def part(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    cost, currency = _valuation(raw)
    yield Mapped(
        "parts",
        str(raw["Product"]),
        {
            "name": _description(raw) or str(raw["Product"]),
            "part_number": str(raw["Product"]),
            "description": None,
            "category": _text(raw.get("ProductGroup")),
            "uom": _text(raw.get("BaseUnit")),
            "unit_cost": MapContext.decimal(cost),
            "currency": currency,
            "manufacturer": _text(raw.get("ManufacturerNumber")),
            "manufacturer_part_number": _text(raw.get("ProductManufacturerNumber")),
            "reorder_point": None,
            "is_active": not raw.get("IsMarkedForDeletion"),
            "vendor_ids": [],
        },
        **_std(raw, instant(raw.get("CreationDate")), instant(raw.get("LastChangeDateTime"))),
    )


# --- vendors -------------------------------------------------------------------------------


def _default(rows: list[dict[str, Any]], flag: str) -> dict[str, Any] | None:
    return next((r for r in rows if r.get(flag)), rows[0] if rows else None)


def vendor(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    """A business partner in the supplier role (partners without it yield nothing)."""
    supplier = expanded_one(raw, "to_Supplier")
    if supplier is None or not _text(supplier.get("Supplier")):
        return
    addresses = expanded(raw, "to_BusinessPartnerAddress")
    address = addresses[0] if addresses else None
    email = _default(expanded(address, "to_EmailAddress"), "IsDefaultEmailAddress")
    phone = _default(expanded(address, "to_PhoneNumber"), "IsDefaultPhoneNumber")
    url = _default(expanded(address, "to_URLAddress"), "IsDefaultURLAddress")
    orgs = sorted(
        expanded(supplier, "to_SupplierPurchasingOrg"),
        key=lambda r: str(r.get("PurchasingOrganization")),
    )
    blocked = any(
        supplier.get(f) for f in ("PurchasingIsBlocked", "PostingIsBlocked", "DeletionIndicator")
    ) or bool(raw.get("BusinessPartnerIsBlocked"))
    yield Mapped(
        "vendors",
        str(supplier["Supplier"]),
        {
            "name": _text(supplier.get("SupplierName"))
            or _text(raw.get("BusinessPartnerFullName")),
            "code": str(supplier["Supplier"]),
            "is_active": not blocked,
            "email": _text(email.get("EmailAddress")) if email else None,
            "phone": (
                _text(phone.get("InternationalPhoneNumber")) or _text(phone.get("PhoneNumber"))
                if phone
                else None
            ),
            "website": _text(url.get("WebsiteURL")) if url else None,
            "address": _address(address),
            "currency": _text(orgs[0].get("PurchaseOrderCurrency")) if orgs else None,
            "payment_terms": _text(orgs[0].get("PaymentTerms")) if orgs else None,
            "tax_id": _text(supplier.get("VATRegistration")),
        },
        **_std(
            raw,
            _date_time(raw.get("CreationDate"), raw.get("CreationTime")),
            _date_time(raw.get("LastChangeDate"), raw.get("LastChangeTime")),
        ),
    )


# --- work orders ---------------------------------------------------------------------------


def work_order_status(system_status: Any, operations: list[dict[str, Any]]) -> str | None:
    """Normalized status from the order's system status line (e.g. ``REL MACM PRC SETC``).

    Precedence: deletion flag, closed, technically completed, released (in progress
    once any operation is confirmed or has started, else scheduled), created.
    """
    codes = set(status_codes(system_status))
    if "DLFL" in codes:
        return "cancelled"
    if "CLSD" in codes:
        return "closed"
    if "TECO" in codes:
        return "completed"
    if "REL" in codes:
        started = codes & {"PCNF", "CNF"} or any(
            set(status_codes(op.get("SystemStatusText"))) & {"PCNF", "CNF"}
            or op.get("OpActualExecutionStartDateTime")
            for op in operations
        )
        return "in_progress" if started else "scheduled"
    if "CRTD" in codes:
        return "open"
    return None


def _hours(quantity: Any, unit: Any) -> Decimal | None:
    value = _decimal(quantity)
    factor = WORK_UNITS.get(str(unit or "H").upper())
    if value is None or factor is None:
        return None
    return value * factor


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _task_status(op: dict[str, Any]) -> str:
    codes = set(status_codes(op.get("SystemStatusText")))
    if op.get("IsMarkedForDeletion") or "DLFL" in codes:
        return "cancelled"
    if "CNF" in codes or op.get("MaintOrdOpHasNoRemainingWork"):
        return "done"
    if "PCNF" in codes:
        return "in_progress"
    return "open"


def work_order(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    operations = sorted(
        expanded(raw, "to_MaintenanceOrderOperation"),
        key=lambda o: (
            str(o.get("MaintenanceOrderOperation")),
            str(o.get("MaintenanceOrderSubOperation")),
        ),
    )
    components = [
        c
        for op in operations
        for c in expanded(op, "to_MaintOrderOpComponent_2")
        if not c.get("IsDeleted")
    ]
    tasks = [
        {
            "sequence": _sequence(op.get("MaintenanceOrderOperation")),
            "description": _text(op.get("OperationDescription")),
            "status": _task_status(op),
        }
        for op in operations
    ]
    materials = [
        {
            "part_id": ctx.ref("parts", _text(c.get("Product"))),
            "location_id": None,
            "quantity_planned": MapContext.decimal(c.get("MaintOrdOpCompRequiredQuantity")),
            "quantity_used": MapContext.decimal(c.get("QuantityWithdrawnInBaseUnit")),
        }
        for c in components
    ]
    starts = [
        s for s in (parse_date(op.get("OpActualExecutionStartDateTime")) for op in operations) if s
    ]
    status = work_order_status(raw.get("SystemStatusText"), operations)
    completed = None
    if status in ("completed", "closed"):
        completed = instant(raw.get("MainWorkCompletedDateTime")) or instant(
            raw.get("MaintOrderReferenceDateTime")
        )
    order_type = _text(raw.get("MaintenanceOrderType"))
    priority = _text(raw.get("MaintPriority"))
    yield Mapped(
        "work_orders",
        str(raw["MaintenanceOrder"]),
        {
            "number": str(raw["MaintenanceOrder"]),
            "title": _text(raw.get("MaintenanceOrderDesc")),
            "description": None,
            "status": status,
            "remote_status": _text(raw.get("SystemStatusText")),
            "priority": PRIORITY.get(priority or ""),
            "remote_priority": priority,
            "type": ORDER_TYPE.get(order_type or "", "other") if order_type else None,
            "remote_type": order_type,
            "asset_id": ctx.ref("assets", equipment_id(raw.get("Equipment"))),
            "location_id": ctx.ref("locations", _text(raw.get("FunctionalLocation"))),
            "site_id": ctx.ref(
                "sites",
                _text(raw.get("MaintenancePlant")) or _text(raw.get("MaintenancePlanningPlant")),
            ),
            "assignee_ids": [],
            "requested_by_id": None,
            "maintenance_schedule_id": None,
            "service_request_id": None,
            "scheduled_start_at": instant(raw.get("MaintOrdSchedldBscStrtDateTime"))
            or instant(raw.get("MaintOrdBasicStartDateTime")),
            "due_at": instant(raw.get("MaintOrdSchedldBscEndDateTime"))
            or instant(raw.get("MaintOrdBasicEndDateTime")),
            "started_at": MapContext.instant(min(starts)) if starts else None,
            "completed_at": completed,
            "estimated_hours": MapContext.decimal(
                _sum(
                    _hours(
                        o.get("MaintOrdOperationWorkDuration"), o.get("MaintOrdOpWorkDurationUnit")
                    )
                    for o in operations
                )
            ),
            "actual_hours": MapContext.decimal(
                _sum(
                    _hours(o.get("ActualWorkQuantity"), o.get("MaintOrdOpWorkDurationUnit"))
                    for o in operations
                    if o.get("ActualWorkQuantity") is not None
                )
            ),
            "tasks": tasks,
            "materials": materials,
            "labor_cost": None,
            "parts_cost": None,
            "total_cost": None,
            "currency": _text(raw.get("Currency")),
            "completion_notes": None,
        },
        **_std(
            raw,
            instant(raw.get("MaintOrderCreationDateTime")),
            instant(raw.get("LastChangeDateTime")),
        ),
    )


def _sequence(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


# --- purchase orders -----------------------------------------------------------------------


def purchase_order_status(raw: dict[str, Any], items: list[dict[str, Any]]) -> str | None:
    """Deletion indicator, then delivery and invoice completion of the live items,
    then the processing (release) status."""
    if raw.get("PurchasingDocumentDeletionCode") == DELETED:
        return "cancelled"
    live = [i for i in items if i.get("PurchasingDocumentDeletionCode") != DELETED]
    if items and not live:
        return "cancelled"
    delivered = [i for i in live if i.get("IsCompletelyDelivered")]
    if live and len(delivered) == len(live):
        return "closed" if all(i.get("IsFinallyInvoiced") for i in live) else "received"
    if delivered:
        return "partially_received"
    if raw.get("ReleaseIsNotCompleted"):
        return "pending_approval"
    return PO_PROCESSING.get(_text(raw.get("PurchasingProcessingStatus")) or "")


def _line_status(item: dict[str, Any]) -> str:
    if item.get("PurchasingDocumentDeletionCode") == DELETED:
        return "cancelled"
    return "received" if item.get("IsCompletelyDelivered") else "open"


def purchase_order(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    number = str(raw["PurchaseOrder"])
    items = sorted(
        expanded(raw, "to_PurchaseOrderItem"), key=lambda i: str(i.get("PurchaseOrderItem"))
    )
    lines = []
    subtotal = Decimal(0)
    priced = False
    deliveries: list[str] = []
    plants = set()
    for item in items:
        item_no = str(item.get("PurchaseOrderItem"))
        qty = _decimal(item.get("OrderQuantity"))
        price = _decimal(item.get("NetPriceAmount"))
        per = _decimal(item.get("NetPriceQuantity")) or Decimal(1)
        unit_price = price / per if price is not None else None
        total = unit_price * qty if unit_price is not None and qty is not None else None
        live = item.get("PurchasingDocumentDeletionCode") != DELETED
        if total is not None and live:
            subtotal += total
            priced = True
        dates = sorted(
            d
            for d in (
                day(s.get("ScheduleLineDeliveryDate")) for s in expanded(item, "to_ScheduleLine")
            )
            if d
        )
        if dates and live:
            deliveries.append(dates[0])
        if live and _text(item.get("Plant")):
            plants.add(str(item["Plant"]))
        lines.append(
            {
                "id": ctx.ref("purchase_order_lines", f"{number}/{item_no}"),
                "remote_id": item_no,
                "line_number": _sequence(item_no),
                "part_id": ctx.ref("parts", _text(item.get("Material"))),
                "description": _text(item.get("PurchaseOrderItemText")),
                "quantity": MapContext.decimal(qty),
                "quantity_received": None,
                "uom": _text(item.get("PurchaseOrderQuantityUnit")),
                "unit_price": MapContext.decimal(unit_price),
                "line_total": MapContext.decimal(total),
                "expected_delivery_date": dates[0] if dates else None,
                "location_id": None,
                "status": _line_status(item),
            }
        )
    yield Mapped(
        "purchase_orders",
        number,
        {
            "number": number,
            "status": purchase_order_status(raw, items),
            "remote_status": _text(raw.get("PurchasingProcessingStatus")),
            "vendor_id": ctx.ref("vendors", _text(raw.get("Supplier"))),
            "order_date": day(raw.get("PurchaseOrderDate")) or day(raw.get("CreationDate")),
            "expected_delivery_date": min(deliveries) if deliveries else None,
            "delivered_on": None,
            "currency": _text(raw.get("DocumentCurrency")),
            "subtotal": MapContext.decimal(subtotal) if priced else None,
            "tax_total": None,
            "total": None,
            "payment_terms": _text(raw.get("PaymentTerms")),
            "ship_to": None,
            "bill_to": None,
            "requested_by_id": None,
            "approved_by_id": None,
            "approved_at": None,
            "site_id": ctx.ref("sites", plants.pop()) if len(plants) == 1 else None,
            "notes": None,
            "lines": lines,
        },
        **_std(raw, instant(raw.get("CreationDate")), instant(raw.get("LastChangeDateTime"))),
    )
