"""Write endpoints of the MaintainX API v1, validated the vendor's way.

Bodies are checked against the spec's request schemas (required fields, types, enums;
unknown properties rejected), then references are resolved (unknown asset, vendor, part,
user, team, category, location → 400 naming the field). Only then does anything change,
so a failed request changes nothing. Every write first asks ``/_sandbox/permissions``
(``<entity>:<create|update|delete|status>``) and is counted by the rate limiter like any
other vendor call.

Custom fields (``extraFields``): the writable keys are exactly the labels of
``data.CUSTOM_FIELDS`` for the entity (also served by ``GET /customfields/{entity}``);
values are strings (numbers are accepted and stored as strings), a ``singleSelect``
value must be one of its options, and ``null`` clears a field. Any other key → 400.
Users, meters, work requests and maintenance plans have no writable custom fields here.

Purchase orders: created with their items in one step (all or nothing), status
``REQUESTED``. Content edits (``PATCH /purchaseorders/{id}``) are accepted only while
the order is REQUESTED, PENDING or DECLINED; once APPROVED or beyond the vendor's table
says it can only be canceled or received (and a CANCELED order "cannot be modified"), so
the edit is refused with 400 naming the status. Status changes go through
``PATCH /purchaseorders/{id}/status`` with exactly the transition table of PROTOCOLS.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from plantlink.sandbox.core import Record, SandboxState, Table, iso_ms, json_response, parse_iso
from plantlink.sandbox.maintainx.api import PREFIX, Collection, Reader, parse_expand
from plantlink.sandbox.maintainx.data import CUSTOM_FIELDS, FIRST_ID, PO_STATUSES
from plantlink.sandbox.maintainx.errors import (
    ANY,
    BOOLEAN,
    INTEGER,
    NUMBER,
    STRING,
    Check,
    array,
    body_error,
    date_time,
    enum,
    not_found,
    nullable,
    obj,
    one_of,
    query_error,
    string_map,
    validate,
)
from plantlink.sandbox.maintainx.ops import PO_EDITABLE, PO_TRANSITIONS, Org

WO_STATUS_VALUES = ("OPEN", "IN_PROGRESS", "ON_HOLD", "DONE", "CANCELED")
ASSIGNEE = obj(
    {"type": enum(("USER", "TEAM"), "assignee type"), "id": one_of(INTEGER, STRING)}, ("type", "id")
)
PART_USED = obj(
    {
        "partId": INTEGER,
        "quantityUsed": INTEGER,
        "locationId": nullable(INTEGER),
        "copyOnRecurring": enum(("NoCopy", "Copy", "Default"), "copyOnRecurring"),
    },
    ("partId",),
)
WO_FIELDS: dict[str, Check] = {
    "title": STRING,
    "description": nullable(STRING),
    "assetId": nullable(INTEGER),
    "locationId": nullable(INTEGER),
    "assignees": array(ASSIGNEE),
    "categories": array(STRING),
    "dueDate": nullable(date_time),
    "startDate": nullable(date_time),
    "estimatedTime": nullable(INTEGER),
    "priority": enum(("NONE", "LOW", "MEDIUM", "HIGH"), "priority"),
    "type": enum(("OTHER", "REACTIVE", "PREVENTIVE"), "type"),
    "requesterId": nullable(one_of(INTEGER, STRING)),
    "extraFields": string_map,
    "vendorIds": array(NUMBER),
    "partsUsed": array(PART_USED),
    "externalData": ANY,
    "repeatability": ANY,
}
WO_CREATE_ONLY: dict[str, Check] = {
    "workRequestId": nullable(INTEGER),
    "workOrderTemplateId": nullable(INTEGER),
    "isParent": nullable(BOOLEAN),
    "procedure": ANY,
    "procedureTemplateId": nullable(NUMBER),
    "skipRestHook": BOOLEAN,
    "parentId": nullable(NUMBER),
}
STOCK = obj(
    {
        "locationId": INTEGER,
        "availableQuantity": INTEGER,
        "minimumQuantity": nullable(INTEGER),
        "maximumQuantity": nullable(INTEGER),
        "area": nullable(STRING),
    },
    ("locationId",),
)
COMMITTED = obj({"kitted": INTEGER, "reserved": INTEGER, "staged": INTEGER})
PART_VENDOR = obj({"vendorId": INTEGER, "partNumber": STRING})
PART_FIELDS: dict[str, Check] = {
    "name": STRING,
    "description": nullable(STRING),
    "area": nullable(STRING),
    "unitCost": nullable(INTEGER),
    "availableQuantity": INTEGER,
    "minimumQuantity": INTEGER,
    "barcode": nullable(STRING),
    "locationId": nullable(INTEGER),
    "partTypes": array(STRING),
    "assetIds": array(INTEGER),
    "teamIds": array(INTEGER),
    "extraFields": string_map,
    "vendors": array(PART_VENDOR),
    "committedQuantities": COMMITTED,
    "assignedQuantity": INTEGER,
    "vendorIds": array(INTEGER),
}
PART_LOCATIONS_PATCH = obj({"addedUpdated": array(STOCK), "removedLocationIds": array(INTEGER)})
MAKER = nullable(obj({"id": nullable(INTEGER), "name": nullable(STRING)}))
DEPRECIATION = nullable(
    obj(
        {
            k: nullable(
                NUMBER if "Date" not in k and k not in ("createdAt", "archivedAt") else date_time
            )
            for k in (
                "id",
                "accumulatedDepreciation",
                "annualDepreciation",
                "depreciationStartDate",
                "currentBookValue",
                "purchasePrice",
                "purchaseDate",
                "salvageValue",
                "usefulLifeYears",
                "yearsDepreciated",
                "createdAt",
                "archivedAt",
            )
        }
    )
)
ASSET_FIELDS: dict[str, Check] = {
    "name": STRING,
    "description": nullable(STRING),
    "barcode": nullable(STRING),
    "criticalityId": nullable(INTEGER),
    "parentId": nullable(INTEGER),
    "locationId": nullable(INTEGER),
    "teamIds": array(INTEGER),
    "assetTypes": array(STRING),
    "extraFields": string_map,
    "vendorIds": array(NUMBER),
    "serialNumber": nullable(STRING),
    "depreciation": DEPRECIATION,
    "manufacturer": MAKER,
    "model": MAKER,
}
VENDOR_PATCH: dict[str, Check] = {
    "name": STRING,
    "description": nullable(STRING),
    "extraFields": string_map,
}
VENDOR_CREATE = {**VENDOR_PATCH, "emails": array(STRING), "phoneNumbers": array(STRING)}
ADDRESS = nullable(
    obj(
        {k: STRING for k in ("city", "country", "postalCode", "state", "street")}
        | {"label": nullable(STRING)},
        ("city", "country", "postalCode", "state", "street"),
    )
)
COST = obj(
    {
        "id": NUMBER,
        "name": STRING,
        "type": enum(("AMOUNT_NON_TAXABLE", "AMOUNT_TAXABLE", "PERCENT_TAXABLE"), "cost type"),
        "amount": NUMBER,
    },
    ("name", "type", "amount"),
)
PO_ITEM_FIELDS: dict[str, Check] = {
    "partId": nullable(NUMBER),
    "name": nullable(STRING),
    "partNumber": nullable(STRING),
    "price": nullable(NUMBER),
    "quantityOrdered": NUMBER,
    "quantityReceived": nullable(NUMBER),
    "unitCost": nullable(NUMBER),
    "extraFields": string_map,
    "lineExtraFields": string_map,
}
PO_COMMON: dict[str, Check] = {
    "note": nullable(STRING),
    "dueDate": nullable(date_time),
    "vendorId": nullable(NUMBER),
    "overrideNumber": nullable(STRING),
    "deletedAt": nullable(date_time),
    "vendorContactIds": array(NUMBER),
    "shippingAddress": ADDRESS,
    "shippingAddressId": nullable(NUMBER),
    "billingAddress": ADDRESS,
    "billingAddressId": nullable(NUMBER),
    "extraFields": string_map,
    "costs": array(COST),
    "title": nullable(STRING),
}
PO_CREATE = {**PO_COMMON, "items": array(obj(PO_ITEM_FIELDS, ("quantityOrdered",)), 1)}
PO_PATCH = {
    **PO_COMMON,
    "reviewNote": nullable(STRING),
    "status": nullable(STRING),
    "items": array(obj({**PO_ITEM_FIELDS, "id": NUMBER}, ("quantityOrdered",))),
}


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return orjson.loads(raw or b"null")
    except orjson.JSONDecodeError:
        raise body_error("Unexpected token in JSON body") from None


class Writer:
    """Builds the write routes; see the module docstring for the rules."""

    def __init__(self, org: Org, reader: Reader, state: SandboxState) -> None:
        self.org = org
        self.d = org.data
        self.reader = reader
        self.state = state

    # -- reference checks ------------------------------------------------------------

    def _exists(self, table: Table, record_id: Any, path: str, label: str) -> int:
        if not isinstance(record_id, int | float) or table.get_live(int(record_id)) is None:
            raise body_error(f"{label} is not valid", path, record_id)
        return int(record_id)

    def _user(self, value: Any, path: str) -> int:
        if isinstance(value, str):
            for row in self.d.users.live_rows():
                if str(self.d.users.get(row)["email"]).lower() == value.lower():
                    return self.d.users.id_of(row)
            raise body_error("ID is invalid or user is not part of the organization", path, value)
        return self._exists(self.d.users, value, path, "user ID")

    def _extra(self, entity: str, values: dict[str, Any], current: Record | None) -> Record:
        fields = CUSTOM_FIELDS[entity]
        out = dict(current or {})
        for label, value in values.items():
            spec = fields.get(label)
            if spec is None:
                raise body_error(f"Unknown custom field '{label}'", f"extraFields.{label}", label)
            if value is None:
                out.pop(label, None)
                continue
            text = str(value)
            kind, options = spec
            if kind == "singleSelect" and text not in options:
                raise body_error(
                    f"'{text}' is not an option of custom field '{label}'",
                    f"extraFields.{label}",
                    text,
                )
            if kind == "number":
                try:
                    float(text)
                except ValueError:
                    raise body_error("should be number", f"extraFields.{label}", text) from None
            out[label] = text
        return out

    def _categories(self, labels: list[str]) -> list[str]:
        known = {str(self.d.categories.get(r)["label"]) for r in self.d.categories.live_rows()}
        for i, label in enumerate(labels):
            if label not in known:
                raise body_error("category is not valid", f"categories[{i}]", label)
        return list(dict.fromkeys(labels))

    # -- work orders -----------------------------------------------------------------

    def _wo_values(self, body: dict[str, Any], current: Record | None) -> dict[str, Any]:
        d = self.d
        out: dict[str, Any] = {}
        for key in ("title", "description", "priority", "type", "estimatedTime", "externalData"):
            if key in body:
                out[key] = body[key]
        if body.get("assetId") is not None:
            out["assetId"] = self._exists(d.assets, body["assetId"], "assetId", "assetId")
        elif "assetId" in body:
            out["assetId"] = None
        if body.get("locationId") is not None:
            out["locationId"] = self._exists(
                d.locations, body["locationId"], "locationId", "locationId"
            )
        elif "locationId" in body:
            out["locationId"] = None
        if "assignees" in body:
            users, teams = [], []
            for i, a in enumerate(body["assignees"]):
                path = f"assignees[{i}].id"
                if a["type"] == "USER":
                    users.append(self._user(a["id"], path))
                else:
                    teams.append(self._exists(d.teams, a["id"], path, "team ID"))
            out["assigneeIds"], out["teamIds"] = list(dict.fromkeys(users)), teams
        if "categories" in body:
            out["categories"] = self._categories(body["categories"])
        due = body.get("dueDate", current["dueDate"] if current else None)
        if "dueDate" in body:
            out["dueDate"] = None if due is None else iso_ms(_ms(due))
        if body.get("startDate") is not None:
            if due is None:
                raise body_error(
                    "startDate is only valid when dueDate is set", "startDate", body["startDate"]
                )
            out["startDate"] = iso_ms(_ms(body["startDate"]))
        elif "startDate" in body:
            out["startDate"] = None
        if body.get("requesterId") is not None:
            out["requesterId"] = self._user(body["requesterId"], "requesterId")
        if "vendorIds" in body:
            out["vendorIds"] = [
                self._exists(d.vendors, v, f"vendorIds[{i}]", "vendor ID")
                for i, v in enumerate(body["vendorIds"])
            ]
        if "partsUsed" in body:
            used = []
            for i, p in enumerate(body["partsUsed"]):
                part_id = self._exists(d.parts, p["partId"], f"partsUsed[{i}].partId", "partId")
                part = d.parts.get_live(part_id) or {}
                stocked = [s["locationId"] for s in part.get("locations", [])]
                location = p.get("locationId")
                if location is not None and location not in stocked:
                    raise body_error(
                        "part is not stocked at this location",
                        f"partsUsed[{i}].locationId",
                        location,
                    )
                used.append(
                    {
                        "partId": part_id,
                        "quantityUsed": p.get("quantityUsed", 0),
                        "locationId": location
                        if location is not None
                        else (stocked[0] if stocked else None),
                        "copyOnRecurring": p.get("copyOnRecurring", "Default"),
                    }
                )
            out["partsUsed"] = used
        if "extraFields" in body:
            current_extra = current["extraFields"] if current else None
            out["extraFields"] = self._extra("workOrders", body["extraFields"], current_extra)
        if body.get("workRequestId") is not None:
            wr_id = body["workRequestId"]
            request = d.workrequests.get_live(wr_id)
            if request is None or request["requestStatus"] != "PENDING":
                raise body_error("workRequestId is not valid", "workRequestId", wr_id)
            out["workRequestId"] = wr_id
            out.setdefault("requesterId", request["creatorId"])
        if body.get("isParent") is not None:
            out["isParent"] = body["isParent"]
        return out

    async def create_work_order(self, request: Request) -> Response:
        self.state.require("work_orders:create")
        body = validate(await _json(request), {**WO_FIELDS, **WO_CREATE_ONLY}, ("title",))
        row = self.org.create_work_order(self._wo_values(body, None))
        return json_response({"id": self.d.workorders.id_of(row)})

    async def update_work_order(self, request: Request, record_id: str) -> Response:
        self.state.require("work_orders:update")
        coll = self.reader.by_path["workorders"]
        current = self.reader.lookup(coll, record_id)
        body = validate(await _json(request), WO_FIELDS)
        record = {**current, **self._wo_values(body, current)}
        row = self.d.workorders.row_of(current["id"])
        assert row is not None
        self.org.save(self.d.workorders, row, record)
        return self._one(request, coll, record)

    async def work_order_status(self, request: Request, record_id: str) -> Response:
        self.state.require("work_orders:status")
        coll = self.reader.by_path["workorders"]
        current = self.reader.lookup(coll, record_id)
        body = validate(
            await _json(request), {"status": enum(WO_STATUS_VALUES, "status")}, ("status",)
        )
        row = self.d.workorders.row_of(current["id"])
        assert row is not None
        return self._one(request, coll, self.org.set_work_order_status(row, body["status"]))

    # -- assets ----------------------------------------------------------------------

    def _asset_values(self, body: dict[str, Any], current: Record | None) -> dict[str, Any]:
        d = self.d
        out: dict[str, Any] = {}
        for key in ("name", "description", "barcode", "serialNumber", "assetTypes"):
            if key in body:
                out[key] = body[key]
        for key, table, label in (
            ("criticalityId", d.criticalities, "criticalityId"),
            ("locationId", d.locations, "locationId"),
            ("parentId", d.assets, "parentId"),
        ):
            if body.get(key) is not None:
                out[key] = self._exists(table, body[key], key, label)
            elif key in body:
                out[key] = None
        if current is not None and out.get("parentId") is not None:
            ancestor: int | None = out["parentId"]
            while ancestor is not None:  # no cycles: the parent may not descend from us
                if ancestor == current["id"]:
                    raise body_error("parentId is not valid", "parentId", out["parentId"])
                parent = d.assets.get_live(ancestor)
                ancestor = parent["parentId"] if parent else None
        if "teamIds" in body:
            out["teamIds"] = [
                self._exists(d.teams, t, f"teamIds[{i}]", "team ID")
                for i, t in enumerate(body["teamIds"])
            ]
        if "vendorIds" in body:
            out["vendorIds"] = [
                self._exists(d.vendors, v, f"vendorIds[{i}]", "vendor ID")
                for i, v in enumerate(body["vendorIds"])
            ]
        if "extraFields" in body:
            out["extraFields"] = self._extra(
                "assets", body["extraFields"], current["extraFields"] if current else None
            )
        if "depreciation" in body:
            out["depreciation"] = body["depreciation"]
        if "manufacturer" in body:
            maker = body["manufacturer"]
            if maker is not None and not maker.get("name"):
                raise body_error("manufacturer name is required", "manufacturer.name", None)
            out["manufacturer"] = None if maker is None else maker["name"]
            if maker is None:
                out["model"] = None
        if "model" in body:
            model = body["model"]
            if model is not None and not model.get("name"):
                raise body_error("model name is required", "model.name", None)
            maker_now = out.get("manufacturer", current["manufacturer"] if current else None)
            if model is not None and maker_now is None:
                raise body_error("model requires a manufacturer", "model", model.get("name"))
            out["model"] = None if model is None else model["name"]
        return out

    async def create_asset(self, request: Request) -> Response:
        self.state.require("assets:create")
        body = validate(await _json(request), ASSET_FIELDS, ("name",))
        values = self._asset_values(body, None)
        now = iso_ms(self.org.clock.now_ms())
        record: Record = {
            "name": values["name"],
            "description": values.get("description"),
            "parentId": values.get("parentId"),
            "criticalityId": values.get("criticalityId"),
            "locationId": values.get("locationId"),
            "serialNumber": values.get("serialNumber"),
            "barcode": values.get("barcode"),
            "teamIds": values.get("teamIds", []),
            "assetTypes": values.get("assetTypes", []),
            "vendorIds": values.get("vendorIds", []),
            "manufacturer": values.get("manufacturer"),
            "model": values.get("model"),
            "extraFields": values.get("extraFields", {}),
            "depreciation": values.get("depreciation"),
            "status": {
                "status": "ONLINE",
                "downtimeType": None,
                "startedAt": now,
                "endedAt": None,
                "description": None,
            },
            "creatorId": FIRST_ID["users"],
        }
        row = self.org.add(self.d.assets, record)
        return json_response({"id": self.d.assets.id_of(row)}, 201)

    async def update_asset(self, request: Request, record_id: str) -> Response:
        self.state.require("assets:update")
        coll = self.reader.by_path["assets"]
        current = self.reader.lookup(coll, record_id)
        body = validate(await _json(request), ASSET_FIELDS)
        record = {**current, **self._asset_values(body, current)}
        self._save(self.d.assets, record)
        return self._one(request, coll, record)

    # -- parts -----------------------------------------------------------------------

    def _stock(self, entries: list[dict[str, Any]], path: str) -> list[Record]:
        storerooms = set()
        out = []
        for i, s in enumerate(entries):
            loc = self._exists(
                self.d.locations, s["locationId"], f"{path}[{i}].locationId", "locationId"
            )
            if loc in storerooms:
                raise body_error("duplicate locationId", f"{path}[{i}].locationId", loc)
            storerooms.add(loc)
            lo, hi = s.get("minimumQuantity"), s.get("maximumQuantity")
            if lo is not None and hi is not None and hi < lo:
                raise body_error(
                    "maximumQuantity must be greater than or equal to minimumQuantity",
                    f"{path}[{i}].maximumQuantity",
                    hi,
                )
            out.append(
                {
                    "locationId": loc,
                    "availableQuantity": s.get("availableQuantity", 0),
                    "minimumQuantity": lo,
                    "maximumQuantity": hi,
                    "area": s.get("area"),
                    "reservedQuantity": 0,
                    "committedQuantities": {"kitted": 0, "reserved": 0, "staged": 0},
                    "assignedQuantity": 0,
                }
            )
        return out

    def _part_values(self, body: dict[str, Any], current: Record | None) -> dict[str, Any]:
        d = self.d
        out: dict[str, Any] = {}
        for key in ("name", "description", "unitCost", "barcode", "partTypes"):
            if key in body:
                out[key] = body[key]
        legacy = [
            k for k in ("area", "availableQuantity", "minimumQuantity", "locationId") if k in body
        ]
        if legacy and "locations" in body:
            raise body_error(f"{legacy[0]} cannot be sent together with locations", legacy[0], None)
        if "assetIds" in body:
            out["assetIds"] = [
                self._exists(d.assets, a, f"assetIds[{i}]", "asset ID")
                for i, a in enumerate(body["assetIds"])
            ]
        if "teamIds" in body:
            out["teamIds"] = [
                self._exists(d.teams, t, f"teamIds[{i}]", "team ID")
                for i, t in enumerate(body["teamIds"])
            ]
        vendors = body.get("vendors")
        if vendors is None and "vendorIds" in body:
            vendors = [{"vendorId": v} for v in body["vendorIds"]]
        if vendors is not None:
            out["vendors"] = [
                {
                    "vendorId": self._exists(
                        d.vendors, v.get("vendorId"), f"vendors[{i}].vendorId", "vendor ID"
                    ),
                    "partNumber": v.get("partNumber", ""),
                }
                for i, v in enumerate(vendors)
            ]
        if "extraFields" in body:
            out["extraFields"] = self._extra(
                "parts", body["extraFields"], current["extraFields"] if current else None
            )
        if legacy:  # single-location fields of the deprecated API act on the first row
            stock = [dict(s) for s in (current["locations"] if current else [])]
            loc = body.get("locationId", stock[0]["locationId"] if stock else None)
            if loc is None:
                raise body_error("locationId is required with stock fields", "locationId", None)
            entry = {
                "locationId": loc,
                "availableQuantity": body.get(
                    "availableQuantity", stock[0]["availableQuantity"] if stock else 0
                ),
                "minimumQuantity": body.get(
                    "minimumQuantity", stock[0]["minimumQuantity"] if stock else None
                ),
                "area": body.get("area", stock[0]["area"] if stock else None),
            }
            out["locations"] = self._stock([entry], "locations") + stock[1:]
        return out

    async def create_part(self, request: Request) -> Response:
        self.state.require("parts:create")
        body = validate(await _json(request), {**PART_FIELDS, "locations": array(STOCK)}, ("name",))
        values = self._part_values(body, None)
        if "locations" in body:
            self.state.require("inventory:create")
            values["locations"] = self._stock(body["locations"], "locations")
        record: Record = {
            "name": values["name"],
            "description": values.get("description"),
            "barcode": values.get("barcode"),
            "unitCost": values.get("unitCost"),
            "partTypes": values.get("partTypes", []),
            "assetIds": values.get("assetIds", []),
            "teamIds": values.get("teamIds", []),
            "vendors": values.get("vendors", []),
            "locations": values.get("locations", []),
            "extraFields": values.get("extraFields", {}),
            "orderedQuantity": 0,
        }
        row = self.org.add(self.d.parts, record)
        return json_response({"id": self.d.parts.id_of(row)}, 201)

    async def update_part(self, request: Request, record_id: str) -> Response:
        self.state.require("parts:update")
        coll = self.reader.by_path["parts"]
        current = self.reader.lookup(coll, record_id)
        body = validate(await _json(request), {**PART_FIELDS, "locations": PART_LOCATIONS_PATCH})
        values = self._part_values(body, current)
        if "locations" in body:
            change = body["locations"]
            stock = {s["locationId"]: s for s in current["locations"]}
            removed = change.get("removedLocationIds", [])
            for i, loc in enumerate(removed):
                if loc not in stock:
                    raise body_error(
                        "location is not a location of this part",
                        f"locations.removedLocationIds[{i}]",
                        loc,
                    )
            upserts = self._stock(change.get("addedUpdated", []), "locations.addedUpdated")
            if removed:
                self.state.require("inventory:delete")
            if any(s["locationId"] in stock for s in upserts):
                self.state.require("inventory:update")
            if any(s["locationId"] not in stock for s in upserts):
                self.state.require("inventory:create")
            for loc in removed:
                del stock[loc]
            for s in upserts:
                stock[s["locationId"]] = {**stock.get(s["locationId"], {}), **s}
            values["locations"] = list(stock.values())
        elif "locations" in values:
            self.state.require("inventory:update")
        record = {**current, **values}
        self._save(self.d.parts, record)
        return self._one(request, coll, record)

    # -- vendors ---------------------------------------------------------------------

    async def create_vendor(self, request: Request) -> Response:
        self.state.require("vendors:create")
        body = validate(await _json(request), VENDOR_CREATE, ("name",))
        record: Record = {
            "name": body["name"],
            "description": body.get("description"),
            "emails": body.get("emails", []),
            "phoneNumbers": body.get("phoneNumbers", []),
            "contactIds": [],
            "extraFields": self._extra("vendors", body.get("extraFields", {}), None),
        }
        row = self.org.add(self.d.vendors, record)
        return json_response({"id": self.d.vendors.id_of(row)}, 201)

    async def update_vendor(self, request: Request, record_id: str) -> Response:
        self.state.require("vendors:update")
        coll = self.reader.by_path["vendors"]
        current = self.reader.lookup(coll, record_id)
        body = validate(await _json(request), VENDOR_PATCH)
        record = dict(current)
        for key in ("name", "description"):
            if key in body:
                record[key] = body[key]
        if "extraFields" in body:
            record["extraFields"] = self._extra(
                "vendors", body["extraFields"], current["extraFields"]
            )
        self._save(self.d.vendors, record)
        return self._one(request, coll, record)

    # -- purchase orders -------------------------------------------------------------

    def _po_items(self, items: list[dict[str, Any]], vendor_id: int) -> list[dict[str, Any]]:
        out = []
        for i, item in enumerate(items):
            path = f"items[{i}]"
            qty = item["quantityOrdered"]
            if qty <= 0:
                raise body_error("quantityOrdered should be > 0", f"{path}.quantityOrdered", qty)
            if item.get("partId") is not None:
                self._exists(self.d.parts, item["partId"], f"{path}.partId", "partId")
            elif not item.get("name"):
                raise body_error("an item needs a partId or a name", f"{path}.name", None)
            for key in ("unitCost", "price"):
                if item.get(key) is not None and item[key] < 0:
                    raise body_error(f"{key} should be >= 0", f"{path}.{key}", item[key])
            extra = item.get("lineExtraFields") or item.get("extraFields") or {}
            values = dict(item)
            values["lineExtraFields"] = self._extra("lineItemPurchaseOrders", extra, None)
            out.append(values)
        return out

    def _po_header(self, body: dict[str, Any], current: Record | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in (
            "note",
            "overrideNumber",
            "title",
            "shippingAddress",
            "billingAddress",
            "vendorContactIds",
            "reviewNote",
        ):
            if key in body:
                out[key] = body[key]
        if "dueDate" in body:
            out["dueDate"] = None if body["dueDate"] is None else iso_ms(_ms(body["dueDate"]))
        if "costs" in body:
            out["costs"] = [
                {
                    "id": c.get("id") or self.org.new_item_id(),
                    "name": c["name"],
                    "type": c["type"],
                    "amount": c["amount"],
                }
                for c in body["costs"]
            ]
        if "extraFields" in body:
            out["extraFields"] = self._extra(
                "purchaseOrders", body["extraFields"], current["extraFields"] if current else None
            )
        if body.get("deletedAt") is not None:
            raise body_error(
                "use DELETE /purchaseorders/{id} to delete", "deletedAt", body["deletedAt"]
            )
        return out

    async def create_purchase_order(self, request: Request) -> Response:
        self.state.require("purchase_orders:create")
        body = validate(await _json(request), PO_CREATE, ("vendorId", "items"))
        if body["vendorId"] is None:
            raise body_error("vendorId is required", "vendorId", None)
        vendor_id = self._exists(self.d.vendors, body["vendorId"], "vendorId", "vendorId")
        values = self._po_header(body, None)
        values["vendorId"] = vendor_id
        values["items"] = self._po_items(body["items"], vendor_id)
        row = self.org.create_purchase_order(values)
        return json_response(self.d.purchaseorders.get(row), 201)

    async def update_purchase_order(self, request: Request, record_id: str) -> Response:
        coll = self.reader.by_path["purchaseorders"]
        current = self.reader.lookup(coll, record_id)
        body = validate(await _json(request), PO_PATCH)
        row = self.d.purchaseorders.row_of(current["id"])
        assert row is not None
        if set(body) <= {"status", "reviewNote"} and body.get("status") is not None:
            self.state.require("purchase_orders:status")
            record = self._po_transition(row, current, body["status"], body.get("reviewNote"))
            return self._one(request, coll, record)
        self.state.require("purchase_orders:update")
        status = current["status"]
        if status not in PO_EDITABLE:
            raise body_error(
                f"Purchase Order with status {status} cannot be modified", "status", status
            )
        if body.get("status") is not None:
            raise body_error(
                "use PATCH /purchaseorders/{id}/status to change the status",
                "status",
                body["status"],
            )
        values = self._po_header(body, current)
        vendor_id = current["vendorId"]
        if body.get("vendorId") is not None:
            vendor_id = values["vendorId"] = self._exists(
                self.d.vendors, body["vendorId"], "vendorId", "vendorId"
            )
        if "items" in body:
            existing = {i["id"]: i for i in current["items"]}
            merged = []
            for i, item in enumerate(body["items"]):
                item_id = item.get("id")
                if item_id is None:
                    merged.append(item)
                    continue
                if item_id not in existing:
                    raise body_error("item id is not valid", f"items[{i}].id", item_id)
                old = existing[item_id]  # an item named by id keeps what the PATCH omits
                kept = {k: old[k] for k in ("partId", "name", "partNumber", "unitCost")}
                merged.append({**kept, "lineExtraFields": old["lineExtraFields"], **item})
            items = []
            for item in self._po_items(merged, vendor_id):
                item_id = item.get("id")
                line = self.org.po_line(item, vendor_id, item_id or self.org.new_item_id())
                if item_id is not None and item.get("quantityReceived") is None:
                    line["quantityReceived"] = existing[item_id]["quantityReceived"]
                    line["fulfillments"] = existing[item_id]["fulfillments"]
                items.append(line)
            if not items:
                raise body_error("should NOT have fewer than 1 items", "items", None)
            values["items"] = items
        record = {**current, **values}
        self._save(self.d.purchaseorders, record)
        return self._one(request, coll, record)

    def _po_transition(self, row: int, current: Record, status: str, note: str | None) -> Record:
        if status not in PO_STATUSES or status == "REQUESTED":
            raise body_error("Invalid status", "status", status)
        old = current["status"]
        if status not in PO_TRANSITIONS[old]:
            raise body_error(f"Invalid status transition from {old} to {status}", "status", status)
        return self.org.set_po_status(row, status, note)

    async def purchase_order_status(self, request: Request, record_id: str) -> Response:
        self.state.require("purchase_orders:status")
        coll = self.reader.by_path["purchaseorders"]
        current = self.reader.lookup(coll, record_id)
        statuses = [s for s in PO_STATUSES if s != "REQUESTED"]
        body = validate(
            await _json(request),
            {"status": enum(statuses, "status"), "reviewNote": nullable(STRING)},
            ("status",),
        )
        row = self.d.purchaseorders.row_of(current["id"])
        assert row is not None
        record = self._po_transition(row, current, body["status"], body.get("reviewNote"))
        return self._one(request, coll, record)

    # -- meter readings --------------------------------------------------------------

    async def create_reading(self, request: Request, meter_id: str) -> Response:
        self.state.require("meter_readings:create")
        coll = self.reader.by_path["meters"]
        meter = self.reader.lookup(coll, meter_id)
        body = validate(
            await _json(request),
            {"readingValue": NUMBER, "readingDate": nullable(date_time)},
            ("readingValue",),
        )
        taken = _ms(body["readingDate"]) if body.get("readingDate") else None
        row = self.d.meters.row_of(meter["id"])
        assert row is not None
        reading = self.org.add_reading(row, body["readingValue"], taken)
        return json_response(
            {
                "id": reading["id"],
                "createdAt": reading["createdAt"],
                "readingDate": reading["readingDate"],
                "readingValue": reading["value"],
            },
            201,
        )

    # -- deletes and helpers ---------------------------------------------------------

    def _delete_route(self, path: str, permission: str, label: str) -> Any:
        coll = self.reader.by_path[path]

        async def delete(record_id: str) -> Response:
            self.state.require(permission)
            if not record_id.isdigit():
                raise query_error(f"id should be integer, got {record_id!r}")
            table = coll.table
            row = table.row_of(int(record_id))
            if row is None or row in table.deleted:
                raise not_found(label)
            self.org.remove(table, row)
            return Response(status_code=204)

        delete.__name__ = f"delete_{path}"
        return delete

    def _save(self, table: Table, record: Record) -> None:
        row = table.row_of(record["id"])
        assert row is not None
        self.org.save(table, row, record)

    def _one(self, request: Request, coll: Collection, record: Record) -> Response:
        expand = parse_expand(request, coll.expand_get)
        return json_response({coll.single: coll.render(record, expand, single=True)})

    def router(self) -> APIRouter:
        r = APIRouter(prefix=PREFIX)
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("POST", "/workorders", self.create_work_order),
            ("PATCH", "/workorders/{record_id}", self.update_work_order),
            ("PATCH", "/workorders/{record_id}/status", self.work_order_status),
            ("POST", "/assets", self.create_asset),
            ("PATCH", "/assets/{record_id}", self.update_asset),
            ("POST", "/parts", self.create_part),
            ("PATCH", "/parts/{record_id}", self.update_part),
            ("POST", "/vendors", self.create_vendor),
            ("PATCH", "/vendors/{record_id}", self.update_vendor),
            ("POST", "/purchaseorders", self.create_purchase_order),
            ("PATCH", "/purchaseorders/{record_id}", self.update_purchase_order),
            ("PATCH", "/purchaseorders/{record_id}/status", self.purchase_order_status),
            ("POST", "/meters/{meter_id}/readings", self.create_reading),
        ]
        for path, permission, label in (
            ("workorders", "work_orders:delete", "workOrder"),
            ("assets", "assets:delete", "asset"),
            ("parts", "parts:delete", "part"),
            ("vendors", "vendors:delete", "vendor"),
            ("purchaseorders", "purchase_orders:delete", "purchaseOrder"),
            ("locations", "locations:delete", "location"),
            ("users", "users:delete", "user"),
            ("meters", "meters:delete", "meter"),
            ("workrequests", "service_requests:delete", "workRequest"),
            ("maintenanceplans", "maintenance_schedules:delete", "maintenancePlan"),
        ):
            routes.append(
                ("DELETE", f"/{path}/{{record_id}}", self._delete_route(path, permission, label))
            )
        for method, path, endpoint in routes:
            r.add_api_route(path, endpoint, methods=[method])
        return r


def _ms(value: str) -> int:
    return parse_iso(value)
