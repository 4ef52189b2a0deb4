"""MaintainX writes: the spec (data) and how a checked unified body becomes API calls.

What the vendor allows (PROTOCOLS.md §2, the OpenAPI spec): ``POST``/``PATCH`` on work
orders, purchase orders, assets, parts and vendors. Work-order status moves only through
``PATCH /workorders/{id}/status`` (any of its statuses to any other); purchase-order
status only through ``PATCH /purchaseorders/{id}/status`` with the vendor's transition
table, and a purchase order's content is locked once it is approved. A purchase order is
created with its items in one ``POST`` (one transaction at the vendor). A create that also
asks for a status is a create followed by status calls; if one of those fails the new
record is deleted again (``DELETE``), so the source never keeps half a write. Money is
integer cents, durations seconds, ids integers. The vendor has no idempotency mechanism.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from plantlink.connectors.base import MapContext, ReadPlan
from plantlink.connectors.errors import SourceError, SourceNotFound
from plantlink.connectors.http import RateLimit, safe_json
from plantlink.connectors.maintainx import mapping
from plantlink.connectors.maintainx.client import MaintainXClient, format_time, raise_for
from plantlink.connectors.maintainx.streams import STREAMS
from plantlink.connectors.writes import (
    ConnectorWriter,
    CustomField,
    Fetched,
    FieldRule,
    LinesRule,
    ModelWriteSpec,
    SourceCall,
    StatusRule,
    WriteContext,
    WriteError,
    WritePlan,
    WriteSpecs,
    default_classification,
)
from plantlink.core.timeutil import parse_source_datetime

#: unified model → (collection path, single-record key, custom-field entity, GET expand)
COLLECTIONS: dict[str, tuple[str, str, str | None, tuple[str, ...]]] = {
    "work_orders": (
        "/workorders",
        "workOrder",
        "workOrders",
        ("assignees", "parts", "times", "extra_fields", "estimated_time"),
    ),
    "purchase_orders": ("/purchaseorders", "purchaseOrder", "purchaseOrders", ()),
    # GET by id renders these in full and accepts no ``expand``.
    "assets": ("/assets", "asset", "assets", ()),
    "parts": ("/parts", "part", "parts", ()),
    "vendors": ("/vendors", "vendor", "vendors", ()),
    "locations": ("/locations", "location", None, ()),
    "users": ("/users", "user", None, ()),
}

WO_STATUS_TO_REMOTE = {
    "open": "OPEN",
    "in_progress": "IN_PROGRESS",
    "on_hold": "ON_HOLD",
    "completed": "DONE",
    "cancelled": "CANCELED",
}
_WO_REMOTE = frozenset(WO_STATUS_TO_REMOTE.values())
PO_STATUS_TO_REMOTE = {
    "draft": "REQUESTED",
    "pending_approval": "PENDING",
    "approved": "APPROVED",
    "cancelled": "CANCELED",
    "partially_received": "PARTIALLY_FULFILLED",
    "received": "COMPLETED",
}
#: PATCH /purchaseorders/{id}/status — exactly the vendor's table (PROTOCOLS.md §2).
PO_TRANSITIONS = {
    "REQUESTED": frozenset({"PENDING", "DECLINED", "CANCELED"}),
    "PENDING": frozenset({"APPROVED", "DECLINED", "CANCELED"}),
    "DECLINED": frozenset({"PENDING", "CANCELED"}),
    "APPROVED": frozenset({"CANCELED", "PARTIALLY_FULFILLED", "COMPLETED"}),
    "PARTIALLY_FULFILLED": frozenset({"COMPLETED"}),
    "COMPLETED": frozenset({"PARTIALLY_FULFILLED"}),
    "CANCELED": frozenset(),
}
PRIORITY_TO_REMOTE = {"low": "LOW", "medium": "MEDIUM", "high": "HIGH"}
TYPE_TO_REMOTE = {"corrective": "REACTIVE", "preventive": "PREVENTIVE", "other": "OTHER"}

SPECS = WriteSpecs(
    models={
        "work_orders": ModelWriteSpec(
            "work_orders",
            create=True,
            update=True,
            fields=(
                FieldRule("title", required=True),
                FieldRule("description"),
                FieldRule("status", note="through PATCH /workorders/{id}/status"),
                FieldRule("priority", enum=tuple(PRIORITY_TO_REMOTE)),
                FieldRule("type", enum=tuple(TYPE_TO_REMOTE)),
                FieldRule("asset_id"),
                FieldRule("location_id", note="defaults to the asset's location"),
                FieldRule("assignee_ids"),
                FieldRule("requested_by_id"),
                FieldRule("due_at"),
                FieldRule("scheduled_start_at", note="only together with a due date"),
                FieldRule("estimated_hours", note="sent in whole seconds"),
            ),
            status=StatusRule(
                to_remote=WO_STATUS_TO_REMOTE,
                transitions={s: _WO_REMOTE - {s} for s in _WO_REMOTE},
                to_unified={v: k for k, v in WO_STATUS_TO_REMOTE.items()},
                mechanism="PATCH /workorders/{id}/status (any status to any other)",
                on_create=tuple(WO_STATUS_TO_REMOTE),
                create_paths={
                    "OPEN": (),
                    **{r: (r,) for r in _WO_REMOTE if r != "OPEN"},
                },
            ),
            custom_fields=True,
            transaction="one POST /workorders; a status other than open is a second call, "
            "and the new work order is deleted again if that call fails",
            limitations=(
                "priority 'urgent' and types 'inspection' and 'emergency' do not exist in "
                "MaintainX",
                "tasks, materials, costs and hours worked are not written through this API",
            ),
        ),
        "purchase_orders": ModelWriteSpec(
            "purchase_orders",
            create=True,
            update=True,
            fields=(
                FieldRule("vendor_id", required=True),
                FieldRule("status", note="through PATCH /purchaseorders/{id}/status"),
                FieldRule("number", note="MaintainX overrideNumber"),
                FieldRule("expected_delivery_date", note="MaintainX dueDate"),
                FieldRule("notes"),
            ),
            lines=LinesRule(
                fields=(
                    FieldRule("part_id"),
                    FieldRule("description", note="the item name"),
                    FieldRule("quantity", required=True, note="a positive number"),
                    FieldRule("unit_price", note="sent in cents; at most 2 decimals"),
                ),
                min_items=1,
                one_of=("part_id", "description"),
            ),
            status=StatusRule(
                to_remote=PO_STATUS_TO_REMOTE,
                transitions=PO_TRANSITIONS,
                to_unified=dict(mapping.PO_STATUS),
                mechanism="PATCH /purchaseorders/{id}/status with the vendor's transition table",
                locked=frozenset({"APPROVED", "PARTIALLY_FULFILLED", "COMPLETED", "CANCELED"}),
                on_create=("draft", "pending_approval", "approved", "cancelled"),
                create_paths={
                    "REQUESTED": (),
                    "PENDING": ("PENDING",),
                    "APPROVED": ("PENDING", "APPROVED"),
                    "CANCELED": ("CANCELED",),
                },
            ),
            custom_fields=True,
            transaction="header and lines in one POST /purchaseorders (all or nothing at "
            "the vendor); a status beyond draft is reached by status calls after it, and the "
            "new order is deleted again if one of them fails",
            atomic_lines=True,
            limitations=(
                "content (vendor, lines, notes, …) can be edited only while the order is "
                "draft, pending approval or declined; approved, received and cancelled "
                "orders are locked",
                "lines sent in a PATCH replace the order's lines; name existing lines by "
                "'id' or 'remote_id' to keep them",
                "MaintainX's DECLINED status has no unified target (it reads as cancelled)",
            ),
        ),
        "assets": ModelWriteSpec(
            "assets",
            create=True,
            update=True,
            fields=(
                FieldRule("name", required=True),
                FieldRule("description"),
                FieldRule("code", note="MaintainX barcode"),
                FieldRule("parent_id", note="an asset may not become its own descendant"),
                FieldRule("location_id"),
                FieldRule("serial_number"),
                FieldRule("manufacturer"),
                FieldRule("model", note="requires a manufacturer"),
                FieldRule("vendor_id"),
            ),
            custom_fields=True,
            transaction="one POST /assets or PATCH /assets/{id}",
            limitations=("asset status changes are downtime events; not written here",),
        ),
        "parts": ModelWriteSpec(
            "parts",
            create=True,
            update=True,
            fields=(
                FieldRule("name", required=True),
                FieldRule("description"),
                FieldRule("part_number", note="MaintainX barcode"),
                FieldRule("category", note="the first part type"),
                FieldRule("unit_cost", note="sent in cents; at most 2 decimals"),
                FieldRule("vendor_ids"),
            ),
            custom_fields=True,
            transaction="one POST /parts or PATCH /parts/{id}",
            limitations=("stock levels are inventory records; not written here",),
        ),
        "vendors": ModelWriteSpec(
            "vendors",
            create=True,
            update=True,
            fields=(
                FieldRule("name", required=True),
                FieldRule("email", update=False, note="only when creating"),
                FieldRule("phone", update=False, note="only when creating"),
            ),
            custom_fields=True,
            transaction="one POST /vendors or PATCH /vendors/{id}",
            limitations=("e-mail and phone become vendor contacts after creation",),
        ),
    },
    # The vendor documents 100 requests per 60 s per user; a write takes 2 to 5 of them.
    rate_limit=RateLimit(100, 60),
    idempotency=None,
    limitations=(
        "MaintainX has no idempotency mechanism: plantlink's Idempotency-Key is enforced "
        "by plantlink alone",
    ),
)

_CENT = Decimal("0.01")


def _int(remote_id: Any) -> Any:
    text = str(remote_id)
    return int(text) if text.isdigit() else text


def _cents(value: Any, field: str) -> int:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise WriteError(422, "VALIDATION_ERROR", f"{field} is not a number", field=field) from None
    if number < 0:
        raise WriteError(422, "VALIDATION_ERROR", f"{field} must not be negative", field=field)
    if number.quantize(_CENT) != number:
        raise WriteError(
            422,
            "VALIDATION_ERROR",
            f"{field}: MaintainX stores money in cents; at most 2 decimals",
            field=field,
        )
    return int(number * 100)


def _number(value: Any, field: str) -> int | float:
    number = Decimal(str(value))
    if number <= 0:
        raise WriteError(422, "VALIDATION_ERROR", f"{field} must be positive", field=field)
    return int(number) if number == number.to_integral_value() else float(number)


def _instant(value: Any) -> str | None:
    if value is None:
        return None
    parsed = parse_source_datetime(str(value))
    assert parsed is not None
    return format_time(parsed)


def _day(value: Any) -> str | None:
    return None if value is None else f"{value}T00:00:00.000Z"


class MaintainXWriter(ConnectorWriter[MaintainXClient]):
    specs = SPECS

    # -- reading ---------------------------------------------------------------------------

    def custom_fields(self, client: MaintainXClient, model: str) -> dict[str, CustomField] | None:
        entity = COLLECTIONS.get(model, ("", "", None, ()))[2]
        if entity is None:
            return {}
        rows = client.cached(
            f"customfields:{entity}", lambda: client.request_json("GET", f"/customfields/{entity}")
        )
        if not isinstance(rows, list):
            return None
        return {
            str(r["label"]): CustomField(
                str(r["label"]), str(r.get("type") or "text"), tuple(r.get("options") or ())
            )
            for r in rows
            if isinstance(r, dict) and r.get("label")
        }

    def _get(self, client: MaintainXClient, model: str, remote_id: str) -> dict[str, Any] | None:
        path, single, _entity, expand = COLLECTIONS[model]
        if not str(remote_id).isdigit():
            return None
        params = {"expand": list(expand)} if expand else {}
        try:
            body = client.request_json("GET", f"{path}/{remote_id}", params=params)
        except SourceNotFound:
            return None
        record = body.get(single) if isinstance(body, dict) else None
        return record if isinstance(record, dict) else None

    def exists(
        self, client: MaintainXClient, connection_id: str, model: str, remote_id: str
    ) -> bool:
        if model not in COLLECTIONS:
            return False
        return self._get(client, model, remote_id) is not None

    def fetch(
        self,
        client: MaintainXClient,
        connection_id: str,
        model: str,
        remote_id: str,
        *,
        exact: bool = False,
    ) -> Fetched | None:
        """The record now. ``exact``: as the sync's listing renders it (the list endpoint,
        narrowed by ``updatedAt``), so stored ``remote_data`` equals a sync's."""
        raw = self._get(client, model, remote_id)
        if raw is None:
            return None
        stream = next(s for s in STREAMS if s.model == model)
        if exact and stream.incremental and raw.get("updatedAt"):
            since = parse_source_datetime(str(raw["updatedAt"]))
            for page_no, page in enumerate(stream.read(client, ReadPlan(since=since))):
                listed = next((r for r in page.records if str(r.get("id")) == str(remote_id)), None)
                if listed is not None:
                    return self._mapped(connection_id, model, listed, page.lookups)
                if page_no >= 4:
                    break
        lookups = stream.lookups(client) if stream.lookups else {}
        return self._mapped(connection_id, model, raw, lookups)

    def _mapped(
        self, connection_id: str, model: str, raw: dict[str, Any], lookups: dict[str, Any]
    ) -> Fetched:
        stream = next(s for s in STREAMS if s.model == model)
        ctx = MapContext(connection_id, lookups)
        records = [m for m in stream.map(raw, ctx) if m.model == model]
        if model == "parts":  # a part's stock rows are inventory records
            stock = next(s for s in STREAMS if s.model == "inventory")
            records += [m for m in stock.map(raw, ctx) if m.model == "inventory"]
        status = raw.get("status") if isinstance(raw.get("status"), str) else None
        return Fetched(str(raw["id"]), raw, records, status)

    # -- planning --------------------------------------------------------------------------

    def plan_create(self, model: str, body: dict[str, Any], ctx: WriteContext) -> WritePlan:
        path = COLLECTIONS[model][0]
        payload = self._payload(model, body, ctx, creating=True)
        calls = [SourceCall("POST", path, payload, f"create the {model[:-1].replace('_', ' ')}")]
        spec = SPECS.models[model]
        status = body.get("status")
        if status is not None and spec.status is not None:
            target = spec.status.to_remote[status]
            # A create lands in the starting status; the path holds the steps after it.
            for step in spec.status.create_paths.get(target, ()):
                calls.append(self._status_call(model, "{id}", step))
        compensate = None
        if len(calls) > 1:
            compensate = SourceCall(
                "DELETE", f"{path}/{{id}}", None, "undo the create (a later call failed)"
            )
        return WritePlan(model, "create", calls, None, compensate, spec.transaction)

    def plan_update(
        self, model: str, current: Fetched, body: dict[str, Any], ctx: WriteContext
    ) -> WritePlan:
        path = COLLECTIONS[model][0]
        spec = SPECS.models[model]
        content = {k: v for k, v in body.items() if k != "status"}
        calls = []
        if content:
            payload = self._payload(model, content, ctx, creating=False, current=current)
            calls.append(
                SourceCall(
                    "PATCH",
                    f"{path}/{current.remote_id}",
                    payload,
                    "change the fields sent",
                )
            )
        status = body.get("status")
        if status is not None and spec.status is not None:
            target = spec.status.to_remote[status]
            if target != current.remote_status:
                calls.append(self._status_call(model, current.remote_id, target))
        return WritePlan(model, "update", calls, current.remote_id, None, spec.transaction)

    def _status_call(self, model: str, remote_id: str, status: str) -> SourceCall:
        path = COLLECTIONS[model][0]
        return SourceCall(
            "PATCH",
            f"{path}/{remote_id}/status",
            {"status": status},
            f"move the status to {status}",
            field="status",
        )

    def _payload(
        self,
        model: str,
        body: dict[str, Any],
        ctx: WriteContext,
        *,
        creating: bool,
        current: Fetched | None = None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        sent = ctx.sent_fields

        def put(source: str, unified: str, value: Any) -> None:
            out[source] = value
            sent[source] = unified

        if model == "work_orders":
            for name, source in (("title", "title"), ("description", "description")):
                if name in body:
                    put(source, name, body[name])
            if "priority" in body:
                put("priority", "priority", PRIORITY_TO_REMOTE.get(body["priority"], "NONE"))
            if "type" in body:
                put("type", "type", TYPE_TO_REMOTE[body["type"]] if body["type"] else "OTHER")
            for name, source in (("asset_id", "assetId"), ("location_id", "locationId")):
                if name in body:
                    put(source, name, None if body[name] is None else _int(body[name]))
            if "requested_by_id" in body:
                value = body["requested_by_id"]
                put("requesterId", "requested_by_id", None if value is None else _int(value))
            if "assignee_ids" in body:
                put(
                    "assignees",
                    "assignee_ids",
                    [{"type": "USER", "id": _int(u)} for u in body["assignee_ids"] or ()],
                )
                for i in range(len(body["assignee_ids"] or ())):
                    sent[f"assignees[{i}].id"] = f"assignee_ids[{i}]"
            if "due_at" in body:
                put("dueDate", "due_at", _instant(body["due_at"]))
            if "scheduled_start_at" in body:
                put("startDate", "scheduled_start_at", _instant(body["scheduled_start_at"]))
            if "estimated_hours" in body:
                hours = body["estimated_hours"]
                put(
                    "estimatedTime",
                    "estimated_hours",
                    None if hours is None else int(Decimal(str(hours)) * 3600),
                )
        elif model == "purchase_orders":
            if "vendor_id" in body:
                put("vendorId", "vendor_id", _int(body["vendor_id"]))
            if "number" in body:
                put("overrideNumber", "number", body["number"])
            if "expected_delivery_date" in body:
                put("dueDate", "expected_delivery_date", _day(body["expected_delivery_date"]))
            if "notes" in body:
                put("note", "notes", body["notes"])
            if "lines" in body:
                put("items", "lines", self._items(body["lines"], sent, current))
        elif model == "assets":
            for name, source in (
                ("name", "name"),
                ("description", "description"),
                ("code", "barcode"),
                ("serial_number", "serialNumber"),
            ):
                if name in body:
                    put(source, name, body[name])
            for name, source in (("parent_id", "parentId"), ("location_id", "locationId")):
                if name in body:
                    put(source, name, None if body[name] is None else _int(body[name]))
            for name in ("manufacturer", "model"):
                if name in body:
                    put(name, name, None if body[name] is None else {"name": body[name]})
            if "vendor_id" in body:
                value = body["vendor_id"]
                put("vendorIds", "vendor_id", [] if value is None else [_int(value)])
                sent["vendorIds[0]"] = "vendor_id"
        elif model == "parts":
            for name, source in (
                ("name", "name"),
                ("description", "description"),
                ("part_number", "barcode"),
            ):
                if name in body:
                    put(source, name, body[name])
            if "category" in body:
                put("partTypes", "category", [body["category"]] if body["category"] else [])
            if "unit_cost" in body:
                cost = body["unit_cost"]
                put("unitCost", "unit_cost", None if cost is None else _cents(cost, "unit_cost"))
            if "vendor_ids" in body:
                put(
                    "vendors",
                    "vendor_ids",
                    [{"vendorId": _int(v)} for v in body["vendor_ids"] or ()],
                )
                for i in range(len(body["vendor_ids"] or ())):
                    sent[f"vendors[{i}].vendorId"] = f"vendor_ids[{i}]"
        elif model == "vendors":
            if "name" in body:
                put("name", "name", body["name"])
            if "email" in body:
                put("emails", "email", [body["email"]] if body["email"] else [])
            if "phone" in body:
                put("phoneNumbers", "phone", [body["phone"]] if body["phone"] else [])
        if body.get("custom_fields"):
            put("extraFields", "custom_fields", dict(body["custom_fields"]))
            for key in body["custom_fields"]:
                sent[f"extraFields.{key}"] = f"custom_fields.{key}"
        return out

    def _items(
        self, lines: list[dict[str, Any]], sent: dict[str, str], current: Fetched | None
    ) -> list[dict[str, Any]]:
        items = []
        for i, line in enumerate(lines):
            item: dict[str, Any] = {}
            prefix = f"lines[{i}]"
            if line.get("remote_id") is not None:
                item["id"] = _int(line["remote_id"])
                sent[f"items[{i}].id"] = f"{prefix}.remote_id"
            if line.get("part_id") is not None:
                item["partId"] = _int(line["part_id"])
                sent[f"items[{i}].partId"] = f"{prefix}.part_id"
            if line.get("description") is not None:
                item["name"] = line["description"]
                sent[f"items[{i}].name"] = f"{prefix}.description"
            if "quantity" in line:
                item["quantityOrdered"] = _number(line["quantity"], f"{prefix}.quantity")
                sent[f"items[{i}].quantityOrdered"] = f"{prefix}.quantity"
            elif current is not None and line.get("remote_id") is not None:
                old = next(
                    (
                        r
                        for r in current.raw.get("items") or ()
                        if str(r.get("id")) == line["remote_id"]
                    ),
                    None,
                )
                if old is not None:
                    item["quantityOrdered"] = old.get("quantityOrdered")
            if line.get("unit_price") is not None:
                item["unitCost"] = _cents(line["unit_price"], f"{prefix}.unit_price")
                sent[f"items[{i}].unitCost"] = f"{prefix}.unit_price"
            items.append(item)
        return items

    # -- sending ---------------------------------------------------------------------------

    def send(self, client: MaintainXClient, call: SourceCall, ctx: WriteContext) -> tuple[int, Any]:
        response = client.http.request(
            call.method,
            call.path,
            json=call.body,
            params=call.params,
            headers=call.headers or None,
            # A write the source may have applied is never sent twice; a 429 is refused
            # outright and surfaces as RATE_LIMIT_EXCEEDED with the source's Retry-After.
            retry=False,
        )
        body = safe_json(response)
        if response.status_code >= 400:
            raise_for(response.status_code, body)
        return response.status_code, body

    def created_id(self, call: SourceCall, body: Any) -> str:
        if isinstance(body, dict) and body.get("id") is not None:
            return str(body["id"])
        raise SourceError(f"{call.method} {call.path} answered without an id")

    def classify(self, exc: SourceError, call: SourceCall, ctx: WriteContext) -> WriteError:
        """Name the unified field from the vendor's ``fieldPath`` and pick the code."""
        body = exc.details.get("source_error")
        errors = body.get("errors") if isinstance(body, dict) else None
        first = errors[0] if isinstance(errors, list) and errors else {}
        source_path = first.get("fieldPath") if isinstance(first, dict) else None
        field = call.field
        if source_path:
            field = _unified_path(str(source_path), ctx.sent_fields) or field
        error = default_classification(exc, field)
        message = exc.message
        if exc.status == 400:
            low = message.lower()
            if "transition" in low or "cannot be modified" in low:
                error.status, error.code = 409, "INVALID_STATE"
            elif "not valid" in low and field and _is_reference(field):
                error.code = "INVALID_REFERENCE"
                error.message = f"{field}: the source has no such record ({message})"
        if source_path:
            error.details["source_field"] = source_path
        return error


def _unified_path(source_path: str, sent: dict[str, str]) -> str | None:
    if source_path in sent:
        return sent[source_path]
    # "items[2].partId" when only "items" was recorded: keep the index, map the names.
    match = re.match(r"^(\w+)\[(\d+)\]\.?(.*)$", source_path)
    if match and match.group(1) in sent:
        base = sent[match.group(1)]
        return f"{base}[{match.group(2)}]" + (f".{match.group(3)}" if match.group(3) else "")
    head = source_path.split(".", 1)[0].split("[", 1)[0]
    return sent.get(head)


def _is_reference(field: str) -> bool:
    name = re.sub(r"\[\d+\]$", "", field.rsplit(".", 1)[-1])
    return name.endswith("_id") or name.endswith("_ids")


WRITER = MaintainXWriter()
