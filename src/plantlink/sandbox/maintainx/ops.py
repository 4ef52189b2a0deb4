"""State changes of the MaintainX organisation, shared by the vendor API and ``/_sandbox``.

Every change stamps ``updatedAt`` from the sandbox clock (so clock skew shows up in data)
and goes through ``Table.put``/``append``/``delete`` so paging indexes follow. Callers
validate first: these methods assume valid input and never fail half-way, which is what
makes purchase-order creation all-or-nothing.
"""

from __future__ import annotations

from typing import Any

from plantlink.sandbox.core import Clock, Record, Table, iso_ms, live_record
from plantlink.sandbox.maintainx.data import FIRST_ID, PO_ITEM_BASE, MaintainXData, po_line

# PATCH /purchaseorders/{id}/status: exactly PROTOCOLS.md §2 / the spec's table.
PO_TRANSITIONS: dict[str, frozenset[str]] = {
    "REQUESTED": frozenset({"PENDING", "DECLINED", "CANCELED"}),
    "PENDING": frozenset({"APPROVED", "DECLINED", "CANCELED"}),
    "DECLINED": frozenset({"PENDING", "CANCELED"}),
    "APPROVED": frozenset({"CANCELED", "PARTIALLY_FULFILLED", "COMPLETED"}),
    "PARTIALLY_FULFILLED": frozenset({"COMPLETED"}),
    "COMPLETED": frozenset({"PARTIALLY_FULFILLED"}),
    "CANCELED": frozenset(),
}
PO_EDITABLE = frozenset({"REQUESTED", "PENDING", "DECLINED"})
"""Statuses in which a PO's content may still be edited; approved or beyond is locked."""

API_USER = FIRST_ID["users"]
"""The user the sandbox API key belongs to (creator/approver of API writes)."""


class Org:
    """The organisation's data plus the clock that stamps its changes."""

    def __init__(self, data: MaintainXData, clock: Clock) -> None:
        self.data = data
        self.clock = clock

    # -- generic ---------------------------------------------------------------------

    def save(self, table: Table, row: int, record: Record) -> Record:
        """Store an edited copy, moving ``updatedAt`` to now."""
        now = self.clock.now_ms()
        record["updatedAt"] = iso_ms(now)
        table.put(row, record, now)
        return record

    def add(self, table: Table, record: Record) -> int:
        """Append a new record (its ``id`` is assigned here) created now."""
        now = self.clock.now_ms()
        record["id"] = table.next_id()
        record["createdAt"] = record["updatedAt"] = iso_ms(now)
        record.setdefault("deletedAt", None)
        return table.append(record, now)

    def remove(self, table: Table, row: int) -> None:
        """Soft-delete: ``deletedAt`` set, hidden from the API, kept for the control API."""
        now = self.clock.now_ms()
        record = live_record(table, row)
        record["deletedAt"] = record["updatedAt"] = iso_ms(now)
        table.delete(row, record, now)

    # -- work orders -----------------------------------------------------------------

    def create_work_order(self, values: dict[str, Any]) -> int:
        d = self.data
        asset_id = values.get("assetId")
        location = values.get("locationId")
        if location is None and asset_id is not None:
            location = d.assets.get(asset_id - FIRST_ID["assets"])["locationId"]
        row = d.workorders.n
        record: Record = {
            "sequentialId": row + 1,
            "title": values["title"],
            "description": values.get("description"),
            "status": "OPEN",
            "priority": values.get("priority", "NONE"),
            "type": values.get("type", "REACTIVE"),
            "assetId": asset_id,
            "locationId": location,
            "completedAt": None,
            "completerId": None,
            "creatorId": API_USER,
            "requesterId": values.get("requesterId"),
            "workRequestId": values.get("workRequestId"),
            "dueDate": values.get("dueDate"),
            "dueDateIsFullDay": False,
            "startDate": values.get("startDate"),
            "estimatedTime": values.get("estimatedTime"),
            "lastMessageSentAt": None,
            "assigneeIds": values.get("assigneeIds", []),
            "teamIds": values.get("teamIds", []),
            "categories": values.get("categories", []),
            "partsUsed": values.get("partsUsed", []),
            "vendorIds": values.get("vendorIds", []),
            "extraFields": values.get("extraFields", {}),
            "partStatus": "ASSIGNED" if values.get("partsUsed") else "NO_PARTS",
            "partsAvailability": "PARTS_AVAILABLE",
            "organizationId": d.organization_id,
            "recurrenceInfo": None,
            "isParent": bool(values.get("isParent", False)),
            "parentId": values.get("parentId"),
            "nextId": None,
            "previousId": None,
            "externalData": values.get("externalData"),
        }
        row = self.add(d.workorders, record)
        wr_id = values.get("workRequestId")
        if wr_id is not None:  # creating the order approves the request
            wr_row = wr_id - FIRST_ID["workrequests"]
            request = live_record(d.workrequests, wr_row)
            request["requestStatus"] = "APPROVED"
            request["workOrderId"] = record["id"]
            self.save(d.workrequests, wr_row, request)
        return row

    def set_work_order_status(self, row: int, status: str) -> Record:
        record = live_record(self.data.workorders, row)
        if record["status"] == status:
            return record
        record["status"] = status
        if status == "DONE":
            record["completedAt"] = iso_ms(self.clock.now_ms())
            record["completerId"] = API_USER
            if record["partsUsed"]:
                record["partStatus"] = "ISSUED"
        return self.save(self.data.workorders, row, record)

    # -- purchase orders -------------------------------------------------------------

    def po_line(self, item: dict[str, Any], vendor_id: int, item_id: int) -> Record:
        """A PO line from validated API/control input; part lines default to part data."""
        d = self.data
        qty = item["quantityOrdered"]
        extra = item.get("lineExtraFields") or item.get("extraFields") or {}
        part_id = item.get("partId")
        if part_id is None:
            return po_line(
                item_id,
                None,
                item.get("name"),
                item.get("partNumber"),
                qty,
                item.get("quantityReceived") or 0,
                item.get("unitCost"),
                None,
                extra,
                {},
            )
        part = d.parts.get(part_id - FIRST_ID["parts"])
        number = next(
            (v["partNumber"] for v in part["vendors"] if v["vendorId"] == vendor_id),
            item.get("partNumber") or part["extraFields"].get("Part Number"),
        )
        unit_cost = item.get("unitCost", part["unitCost"])
        line = po_line(
            item_id,
            part_id,
            item.get("name") or part["name"],
            item.get("partNumber") or number,
            qty,
            item.get("quantityReceived") or 0,
            unit_cost,
            part["locations"][0]["locationId"] if part["locations"] else None,
            extra,
            dict(part["extraFields"]),
        )
        if item.get("price") is not None:
            line["price"] = item["price"]
            line["priceDecimal"] = f"{item['price'] / 100:.2f}"
        return line

    def new_item_id(self) -> int:
        self.data.next_item_id += 1
        return self.data.next_item_id

    def create_purchase_order(self, values: dict[str, Any]) -> int:
        """Header and lines in one step (the caller validated everything first)."""
        d = self.data
        vendor_id = values["vendorId"]
        row = d.purchaseorders.n
        items = [
            self.po_line(item, vendor_id, PO_ITEM_BASE + row * 8 + i)
            if i < 7
            else self.po_line(item, vendor_id, self.new_item_id())
            for i, item in enumerate(values["items"])
        ]
        record: Record = {
            "title": values.get("title")
            or f"{d.vendor_name(vendor_id - FIRST_ID['vendors'])} - {items[0]['name']}",
            "note": values.get("note"),
            "reviewNote": None,
            "status": "REQUESTED",
            "dueDate": values.get("dueDate"),
            "creatorId": API_USER,
            "vendorId": vendor_id,
            "autoGeneratedNumber": row + 1,
            "overrideNumber": values.get("overrideNumber"),
            "approverId": None,
            "approvalDate": None,
            "items": items,
            "costs": [{"id": self.new_item_id(), **cost} for cost in values.get("costs", [])],
            "vendorContactIds": list(values.get("vendorContactIds", [])),
            "shippingAddress": values.get("shippingAddress"),
            "billingAddress": values.get("billingAddress"),
            "extraFields": values.get("extraFields", {}),
            "thumbnail": None,
            "attachments": [],
        }
        return self.add(d.purchaseorders, record)

    def set_po_status(self, row: int, status: str, review_note: str | None = None) -> Record:
        """Apply a transition the caller checked against ``PO_TRANSITIONS``."""
        record = live_record(self.data.purchaseorders, row)
        now = iso_ms(self.clock.now_ms())
        record["status"] = status
        if review_note is not None:
            record["reviewNote"] = review_note
        if status == "APPROVED":
            record["approverId"] = API_USER
            record["approvalDate"] = now
        elif status in ("COMPLETED", "PARTIALLY_FULFILLED"):
            items = [dict(i) for i in record["items"]]
            if status == "COMPLETED":
                for item in items:
                    _receive(item, item["quantityOrdered"])
            elif not any(i["quantityReceived"] for i in items):
                _receive(items[0], max(1, items[0]["quantityOrdered"] // 2))
            record["items"] = items
        return self.save(self.data.purchaseorders, row, record)

    # -- meters ----------------------------------------------------------------------

    def readings(self, meter_row: int, include_deleted: bool = False) -> list[Record]:
        """All readings of a meter, oldest first: the seeded one plus later ones."""
        d = self.data
        out = [d.base_reading(meter_row), *d.readings.get(meter_row, ())]
        if include_deleted:
            return out
        return [r for r in out if r["id"] not in d.deleted_readings]

    def last_reading(self, meter_row: int) -> Record | None:
        readings = self.readings(meter_row)
        return max(readings, key=lambda r: (r["readingDate"], int(r["id"]))) if readings else None

    def add_reading(self, meter_row: int, value: float, reading_ms: int | None = None) -> Record:
        d = self.data
        d.next_reading_id += 1
        now = self.clock.now_ms()
        reading = {
            "id": str(d.next_reading_id),
            "meterId": d.meters.id_of(meter_row),
            "createdAt": iso_ms(now),
            "readingDate": iso_ms(now if reading_ms is None else reading_ms),
            "value": value,
        }
        d.readings.setdefault(meter_row, []).append(reading)
        return reading


def _receive(item: Record, quantity: int) -> None:
    item["quantityReceived"] = quantity
    item["fulfillments"] = [
        {
            "id": item["id"],
            "locationId": (item["fulfillments"] or [{}])[0].get("locationId"),
            "quantityReceived": str(quantity),
            "isLegacy": False,
        }
    ]
