"""MaintainX records → unified records. Pure functions of (raw record, MapContext).

Conventions of the vendor that shape the mapping: ids are integers (remote ids are
their decimal strings); money is integer cents unless a ``…Decimal`` string is given;
custom fields live in ``extraFields``; there are no sites, so ``site_id`` stays null.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from plantlink.connectors.base import MapContext
from plantlink.model.mapped import Mapped

WO_STATUS = {
    "OPEN": "open",
    "IN_PROGRESS": "in_progress",
    "ON_HOLD": "on_hold",
    "DONE": "completed",
    "CANCELED": "cancelled",
    "SKIPPED": "cancelled",
}
PRIORITY = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high"}
WO_TYPE = {
    "REACTIVE": "corrective",
    "PREVENTIVE": "preventive",
    "CYCLE_COUNT": "inspection",
    "OTHER": "other",
}
PO_STATUS = {
    "REQUESTED": "draft",
    "PENDING": "pending_approval",
    "APPROVED": "approved",
    "DECLINED": "cancelled",
    "CANCELED": "cancelled",
    "PARTIALLY_FULFILLED": "partially_received",
    "COMPLETED": "received",
}
ASSET_STATUS = {"ONLINE": "active", "OFFLINE": "in_repair", "IGNORE": "other"}
REQUEST_STATUS = {
    "PENDING": "open",
    "APPROVED": "approved",
    "REJECTED": "rejected",
    "DONE": "closed",
}
TRIGGER = {"CALENDAR": "time", "METER": "meter", "CALENDAR_OR_METER": "both"}
RECURRENCE_UNIT = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}


def _rid(value: Any) -> str | None:
    return None if value is None else str(value)


def _custom(raw: dict[str, Any]) -> dict[str, Any]:
    extra = raw.get("extraFields")
    return dict(extra) if isinstance(extra, dict) else {}


def _money(cents: Any, decimal_text: Any = None) -> str | None:
    if decimal_text not in (None, ""):
        return MapContext.decimal(decimal_text)
    return MapContext.decimal(cents, scale=2)


def _hours(seconds: Any) -> str | None:
    if seconds is None:
        return None
    return MapContext.decimal(Decimal(str(seconds)) / Decimal(3600))


def _std(raw: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    return {
        "remote_created_at": ctx.instant(raw.get("createdAt")),
        "remote_modified_at": ctx.instant(raw.get("updatedAt")),
        "remote_deleted": raw.get("deletedAt") is not None,
        "custom_fields": _custom(raw),
        "raw": raw,
    }


def _address(text: Any) -> dict[str, Any] | None:
    if not text:
        return None
    if isinstance(text, dict):
        return {
            "street": text.get("street"),
            "city": text.get("city"),
            "state": text.get("state"),
            "postal_code": text.get("postalCode"),
            "country": text.get("country"),
        }
    return {"street": str(text), "city": None, "state": None, "postal_code": None, "country": None}


def location(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    yield Mapped(
        "locations",
        str(raw["id"]),
        {
            "name": raw.get("name"),
            "code": raw.get("barcode"),
            "description": raw.get("description"),
            "type": None,
            "parent_id": ctx.ref("locations", raw.get("parentId")),
            "site_id": None,
            "address": _address(raw.get("address")),
        },
        **_std(raw, ctx),
    )


def asset(raw: dict[str, Any], ctx: MapContext, criticalities: dict[str, str]) -> Iterable[Mapped]:
    status_obj = raw.get("status") if isinstance(raw.get("status"), dict) else None
    remote_status = None
    if status_obj:
        custom = status_obj.get("customStatus")
        remote_status = (custom or {}).get("label") or status_obj.get("status")
    types = raw.get("assetTypes") or []
    vendor_ids = raw.get("vendorIds") or []
    crit = raw.get("criticalityId")
    yield Mapped(
        "assets",
        str(raw["id"]),
        {
            "name": raw.get("name"),
            "code": raw.get("barcode"),
            "description": raw.get("description"),
            "status": ASSET_STATUS.get(status_obj.get("status", "")) if status_obj else None,
            "remote_status": remote_status,
            "parent_id": ctx.ref("assets", raw.get("parentId")),
            "location_id": ctx.ref("locations", raw.get("locationId")),
            "site_id": None,
            "category": str(types[0]) if types else None,
            "criticality": criticalities.get(str(crit), str(crit)) if crit is not None else None,
            "manufacturer": _name(raw.get("manufacturer")),
            "model": _name(raw.get("model")),
            "serial_number": raw.get("serialNumber"),
            "vendor_id": ctx.ref("vendors", vendor_ids[0]) if vendor_ids else None,
            "installed_on": None,
            "warranty_expires_on": None,
        },
        **_std(raw, ctx),
    )


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("name")
    return value


def _part_vendor_ids(raw: dict[str, Any]) -> list[Any]:
    ids = [v.get("vendorId") for v in raw.get("vendors") or () if isinstance(v, dict)]
    return ids or list(raw.get("vendorIds") or ())


def part(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    vendors = [v for v in raw.get("vendors") or () if isinstance(v, dict)]
    yield Mapped(
        "parts",
        str(raw["id"]),
        {
            "name": raw.get("name"),
            "part_number": raw.get("barcode")
            or next((v.get("partNumber") for v in vendors if v.get("partNumber")), None),
            "description": raw.get("description"),
            "category": str(raw["partTypes"][0]) if raw.get("partTypes") else None,
            "uom": None,
            "unit_cost": _money(raw.get("unitCost")),
            "currency": ctx.lookups.get("currency"),
            "manufacturer": None,
            "manufacturer_part_number": None,
            "reorder_point": MapContext.decimal(raw.get("minimumQuantity")),
            "is_active": raw.get("deletedAt") is None,
            "vendor_ids": ctx.refs("vendors", _part_vendor_ids(raw)),
        },
        **_std(raw, ctx),
    )


def inventory(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    """One unified inventory record per (part, location) stock row."""
    std = _std(raw, ctx)
    for row in raw.get("locations") or ():
        loc = row.get("locationId")
        if loc is None:
            continue
        on_hand = row.get("availableQuantity")
        reserved = row.get("reservedQuantity")
        committed = row.get("committedQuantities") or {}
        if reserved is None and committed:
            reserved = sum(int(v or 0) for v in committed.values())
        available = None
        if on_hand is not None:
            available = on_hand - (reserved or 0)
        yield Mapped(
            "inventory",
            f"{raw['id']}/{loc}",
            {
                "part_id": ctx.ref("parts", raw["id"]),
                "location_id": ctx.ref("locations", loc),
                "quantity_on_hand": MapContext.decimal(on_hand),
                "quantity_reserved": MapContext.decimal(reserved),
                "quantity_available": MapContext.decimal(available),
                "reorder_point": MapContext.decimal(row.get("minimumQuantity")),
                "max_quantity": MapContext.decimal(row.get("maximumQuantity")),
                "bin": row.get("area"),
                "unit_cost": _money(raw.get("unitCost")),
                "currency": ctx.lookups.get("currency"),
            },
            remote_created_at=std["remote_created_at"],
            remote_modified_at=std["remote_modified_at"],
            remote_deleted=std["remote_deleted"],
            custom_fields={},
            raw=row,
        )


def vendor(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    emails = raw.get("emails") or []
    phones = raw.get("phoneNumbers") or []
    custom = _custom(raw)
    yield Mapped(
        "vendors",
        str(raw["id"]),
        {
            "name": raw.get("name"),
            "code": None,
            "is_active": raw.get("deletedAt") is None,
            "email": _contact(emails[0]) if emails else None,
            "phone": _contact(phones[0]) if phones else None,
            "website": None,
            "address": None,
            "currency": None,
            "payment_terms": None,
            "tax_id": None,
        },
        remote_created_at=ctx.instant(raw.get("createdAt")),
        remote_modified_at=ctx.instant(raw.get("updatedAt")),
        remote_deleted=raw.get("deletedAt") is not None,
        custom_fields=custom,
        raw=raw,
    )


def _contact(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("value") or value.get("email") or value.get("phoneNumber")
    return str(value) if value is not None else None


def user(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    name = " ".join(p for p in (raw.get("firstName"), raw.get("lastName")) if p) or None
    yield Mapped(
        "users",
        str(raw["id"]),
        {
            "name": name,
            "email": raw.get("email"),
            "username": raw.get("email"),
            "title": raw.get("customRole") or raw.get("role"),
            # The vendor lists members of the organization only; removed users are gone.
            "is_active": not raw.get("removedFromOrganization", False),
            "team_names": [],
        },
        **_std(raw, ctx),
    )


def _task_rows(procedure: Any) -> list[dict[str, Any]]:
    if not isinstance(procedure, dict):
        return []
    tasks = []
    for i, f in enumerate(procedure.get("fields") or (), start=1):
        if not isinstance(f, dict) or f.get("type") == "HEADING":
            continue
        value = f.get("value")
        done = value not in (None, "", [], {}) if not isinstance(value, dict) else bool(value)
        tasks.append(
            {"sequence": i, "description": f.get("label"), "status": "done" if done else "open"}
        )
    return tasks


def work_order(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    costs = [c for c in raw.get("times") or raw.get("timeItems") or () if isinstance(c, dict)]
    labor = parts = other = seconds = Decimal(0)
    for c in costs:  # most work orders have none
        kind = c.get("type")
        if kind == "TIME":
            labor += Decimal(str(c.get("rowTotal") or 0))
            seconds += Decimal(str(c.get("durationTotal") or 0))
        elif kind == "PART":
            parts += Decimal(str(c.get("rowTotal") or 0))
        elif kind == "EXPENSE":
            other += Decimal(str(c.get("rowTotal") or 0))
    materials = [
        {
            "part_id": ctx.ref("parts", p.get("id")),
            "location_id": ctx.ref("locations", p.get("locationId")),
            "quantity_planned": None,
            "quantity_used": MapContext.decimal(p.get("quantityUsed")),
        }
        for p in raw.get("parts") or ()
        if isinstance(p, dict)
    ]
    assignees = raw.get("assigneeIds")
    if assignees is None:
        assignees = [a.get("id") for a in raw.get("assignees") or () if a.get("type") == "USER"]
    yield Mapped(
        "work_orders",
        str(raw["id"]),
        {
            "number": _rid(raw.get("sequentialId")),
            "title": raw.get("title"),
            "description": raw.get("description"),
            "status": WO_STATUS.get(raw.get("status", "")),
            "remote_status": raw.get("status"),
            "priority": PRIORITY.get(raw.get("priority") or ""),
            "remote_priority": raw.get("priority"),
            "type": WO_TYPE.get(raw.get("type") or ""),
            "remote_type": raw.get("type"),
            "asset_id": ctx.ref("assets", raw.get("assetId")),
            "location_id": ctx.ref("locations", raw.get("locationId")),
            "site_id": None,
            "assignee_ids": ctx.refs("users", assignees),
            "requested_by_id": ctx.ref("users", raw.get("requesterId")),
            "maintenance_schedule_id": None,
            "service_request_id": None,
            "scheduled_start_at": ctx.instant(raw.get("startDate")),
            "due_at": ctx.instant(raw.get("dueDate")),
            "started_at": None,
            "completed_at": ctx.instant(raw.get("completedAt")),
            "estimated_hours": _hours(raw.get("estimatedTime")),
            "actual_hours": _hours(seconds) if costs else None,
            "tasks": _task_rows(raw.get("procedure")),
            "materials": materials,
            "labor_cost": _money(None, labor) if costs else None,
            "parts_cost": _money(None, parts) if costs else None,
            "total_cost": _money(None, labor + parts + other) if costs else None,
            "currency": ctx.lookups.get("currency") if costs else None,
            "completion_notes": None,
        },
        **_std(raw, ctx),
    )


def purchase_order(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    lines = []
    subtotal = Decimal(0)
    for n, item in enumerate(raw.get("items") or (), start=1):
        price = _money(
            item.get("unitCost", item.get("price")),
            item.get("unitCostDecimal") or item.get("priceDecimal"),
        )
        qty = item.get("quantityOrdered")
        total = None
        if price is not None and qty is not None:
            line_total = Decimal(price) * Decimal(str(qty))
            subtotal += line_total
            total = MapContext.decimal(line_total)
        fulfilments = [f for f in item.get("fulfillments") or () if isinstance(f, dict)]
        line_rid = f"{raw['id']}/{item.get('id', n)}"
        lines.append(
            {
                "id": ctx.ref("purchase_order_lines", line_rid),
                "remote_id": str(item.get("id", n)),
                "line_number": n,
                "part_id": ctx.ref("parts", item.get("partId")),
                "description": item.get("name"),
                "quantity": MapContext.decimal(qty),
                "quantity_received": MapContext.decimal(item.get("quantityReceived")),
                "uom": None,
                "unit_price": price,
                "line_total": total,
                "expected_delivery_date": None,
                "location_id": ctx.ref("locations", fulfilments[0].get("locationId"))
                if fulfilments
                else None,
                "status": None,
            }
        )
    extra = Decimal(0)
    tax = Decimal(0)
    for cost in raw.get("costs") or ():
        amount = Decimal(str(cost.get("amount") or 0))
        if cost.get("type") == "PERCENT_TAXABLE":
            tax += subtotal * amount / 100
        else:
            extra += amount / 100
    number = raw.get("overrideNumber") or _rid(raw.get("autoGeneratedNumber"))
    yield Mapped(
        "purchase_orders",
        str(raw["id"]),
        {
            "number": number,
            "status": PO_STATUS.get(raw.get("status") or ""),
            "remote_status": raw.get("status"),
            "vendor_id": ctx.ref("vendors", raw.get("vendorId")),
            "order_date": ctx.day(raw.get("createdAt")),
            "expected_delivery_date": ctx.day(raw.get("dueDate")),
            "delivered_on": None,
            "currency": ctx.lookups.get("currency"),
            "subtotal": MapContext.decimal(subtotal) if lines else None,
            "tax_total": MapContext.decimal(tax) if raw.get("costs") else None,
            "total": MapContext.decimal(subtotal + tax + extra) if lines else None,
            "payment_terms": None,
            "ship_to": _address(raw.get("shippingAddress")),
            "bill_to": _address(raw.get("billingAddress")),
            "requested_by_id": ctx.ref("users", raw.get("creatorId")),
            "approved_by_id": ctx.ref("users", raw.get("approverId")),
            "approved_at": ctx.instant(raw.get("approvalDate")),
            "site_id": None,
            "notes": raw.get("note"),
            "lines": lines,
        },
        **_std(raw, ctx),
    )


def _last_reading(raw: dict[str, Any]) -> dict[str, Any] | None:
    reading = raw.get("lastReading")
    return reading if isinstance(reading, dict) else None


def meter(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    reading = _last_reading(raw)
    asset_ref = raw.get(
        "assetId",
        (raw.get("asset") or {}).get("id") if isinstance(raw.get("asset"), dict) else None,
    )
    yield Mapped(
        "meters",
        str(raw["id"]),
        {
            "name": raw.get("name"),
            "asset_id": ctx.ref("assets", asset_ref),
            "unit": raw.get("unit"),
            "type": None,
            "last_reading": MapContext.decimal(reading.get("value")) if reading else None,
            "last_read_at": ctx.instant(reading.get("createdAt") or reading.get("readAt"))
            if reading
            else None,
        },
        **_std(raw, ctx),
    )


def meter_reading(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    """MaintainX lists only a meter's last reading; each one observed becomes a record."""
    reading = _last_reading(raw)
    if not reading:
        return
    read_at = ctx.instant(reading.get("readingDate") or reading.get("createdAt"))
    key = reading.get("id") or read_at
    yield Mapped(
        "meter_readings",
        f"{raw['id']}/{key}",
        {
            "meter_id": ctx.ref("meters", raw["id"]),
            "value": MapContext.decimal(reading.get("value")),
            "read_at": read_at,
        },
        remote_created_at=read_at,
        remote_modified_at=read_at,
        raw=reading,
    )


def service_request(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    yield Mapped(
        "service_requests",
        str(raw["id"]),
        {
            "title": raw.get("title"),
            "description": raw.get("description"),
            "status": REQUEST_STATUS.get(raw.get("requestStatus") or ""),
            "remote_status": raw.get("requestStatus"),
            "priority": PRIORITY.get(raw.get("priority") or ""),
            "remote_priority": raw.get("priority"),
            "asset_id": ctx.ref("assets", raw.get("assetId")),
            "location_id": ctx.ref("locations", raw.get("locationId")),
            "requested_by_id": None,
            "requested_at": ctx.instant(raw.get("createdAt")),
            "work_order_id": ctx.ref("work_orders", raw.get("workOrderId")),
        },
        **_std(raw, ctx),
    )


def maintenance_schedule(raw: dict[str, Any], ctx: MapContext) -> Iterable[Mapped]:
    rec = raw.get("recurrence")
    recurrence: dict[str, Any] = rec if isinstance(rec, dict) else {}
    assets = raw.get("assets") or []
    first_asset = assets[0] if assets else None
    if isinstance(first_asset, dict):
        first_asset = first_asset.get("id") or first_asset.get("assetId")
    yield Mapped(
        "maintenance_schedules",
        str(raw["id"]),
        {
            "name": raw.get("name"),
            "code": None,
            "description": None,
            "asset_id": ctx.ref("assets", first_asset),
            "location_id": None,
            "trigger": TRIGGER.get(raw.get("triggerType") or ""),
            "interval": MapContext.decimal(recurrence.get("interval")),
            "interval_unit": RECURRENCE_UNIT.get(recurrence.get("type") or ""),
            "meter_id": None,
            "next_due_at": ctx.instant(raw.get("nextScheduledWorkOrderDueDate")),
            "last_completed_at": None,
            "is_active": raw.get("archivedAt") is None,
            "estimated_hours": _hours(raw.get("blueprintEstimatedTime")),
            "tasks": [],
        },
        **_std(raw, ctx),
    )
