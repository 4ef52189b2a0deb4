"""SAP S/4HANA writes over OData V2: the spec (data) and the calls that carry it.

How SAP takes writes (PROTOCOLS.md §1): every modifying request carries a CSRF token
(``GET`` with ``X-CSRF-Token: Fetch`` first; the session cookie stays in the client's
jar; a ``403`` with ``X-CSRF-Token: Required`` means the token went stale: fetch again,
retry once). Updates are ``PATCH`` (MERGE semantics: only the properties sent change) with
``If-Match: <ETag>`` on the concurrency-controlled sets; the ETag is read right before,
and a ``412`` (someone changed the record in between) is retried once with the new ETag,
then answered ``409 INVALID_STATE``. A purchase order is created with its items by deep
insert (``POST A_PurchaseOrder`` with ``to_PurchaseOrderItem``), all or nothing.
Maintenance-order status is never a field: it moves through function imports
(``ReleaseMaintenanceOrder``, ``SetMaintOrdToTechCompleted``, …, ``POST`` with the order in
the query string). SAP's error body (``error.message.value``, ``innererror``) is kept in
``details``; ``propertyref`` names the unified field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import orjson

from plantlink.connectors.base import MapContext
from plantlink.connectors.errors import SourceError, SourceNotFound, SourceRejected
from plantlink.connectors.http import RateLimit, safe_json
from plantlink.connectors.sap_s4hana import mapping
from plantlink.connectors.sap_s4hana.client import SERVICE_ROOT, SapClient, raise_for
from plantlink.connectors.sap_s4hana.odata import ODataStream, string_literal
from plantlink.connectors.sap_s4hana.streams import (
    BUSINESS_PARTNER,
    EQUIPMENT,
    FUNCTIONAL_LOCATION,
    MAINTENANCE_ORDER,
    PRODUCT,
    PURCHASE_ORDER,
    STREAMS,
)
from plantlink.connectors.writes import (
    ConnectorWriter,
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

#: Marks a call whose ``If-Match`` is read from the entity right before it is sent.
CURRENT_ETAG = "<current>"


def _merge(url: str, payload: dict[str, Any], purpose: str, field: str | None = None) -> SourceCall:
    """A ``PATCH`` (MERGE: only the properties sent change) against the current ETag."""
    return SourceCall(
        "PATCH", url, payload, purpose, headers={"If-Match": CURRENT_ETAG}, field=field
    )


def _items(current: Fetched) -> dict[str, dict[str, Any]]:
    """The stored purchase order's items by item number."""
    return {
        str(i.get("PurchaseOrderItem")): i
        for i in (current.raw.get("to_PurchaseOrderItem") or {}).get("results") or ()
    }


ORDER_TYPES = {"corrective": "PM01", "preventive": "PM02", "other": "PM03"}
PRIORITIES = {v: k for k, v in mapping.PRIORITY.items()}  # urgent → "1", …
WO_TO_REMOTE = {
    "open": "CRTD",
    "scheduled": "REL",
    "completed": "TECO",
    "closed": "CLSD",
    "cancelled": "DLFL",
}
#: (from, to) → the function import that moves a maintenance order.
FUNCTIONS = {
    ("CRTD", "REL"): "ReleaseMaintenanceOrder",
    ("CRTD", "TECO"): "SetMaintOrdToTechCompleted",
    ("REL", "TECO"): "SetMaintOrdToTechCompleted",
    ("TECO", "CLSD"): "SetMaintOrderStatusToClosed",
    ("CLSD", "TECO"): "ResetMaintOrderStatusClosed",
    ("CRTD", "DLFL"): "SetMaintOrdStsToMrkdForDeltn",
    ("TECO", "DLFL"): "SetMaintOrdStsToMrkdForDeltn",
    ("CLSD", "DLFL"): "SetMaintOrdStsToMrkdForDeltn",
}
#: The transitions are exactly the moves a function import exists for.
WO_TRANSITIONS = {
    status: frozenset(to for (frm, to) in FUNCTIONS if frm == status)
    for status in ("CRTD", "REL", "TECO", "CLSD", "DLFL")
}
#: Organizational data a purchase order header needs besides the supplier.
PO_ORG_FIELDS = ("CompanyCode", "PurchasingOrganization", "PurchasingGroup", "PurchaseOrderType")
#: Item property → unified line field (SAP's error names the property, not the item).
ITEM_FIELDS = {
    "Material": "part_id",
    "OrderQuantity": "quantity",
    "NetPriceAmount": "unit_price",
    "PurchaseOrderItemText": "description",
}
REFERENCE_FIELDS = {
    "Supplier": "vendor_id",
    "FunctionalLocationLabelName": "location_id",
    "SuperordinateEquipment": "parent_id",
    "Equipment": "asset_id",
    "FunctionalLocation": "location_id",
    "MaintenancePlanningPlant": "site_id",
}

SPECS = WriteSpecs(
    models={
        "work_orders": ModelWriteSpec(
            "work_orders",
            create=True,
            update=True,
            fields=(
                FieldRule(
                    "type",
                    required=True,
                    update=False,
                    enum=tuple(ORDER_TYPES),
                    note="the order type (PM01/PM02/PM03); fixed once created",
                ),
                FieldRule("title", note="MaintenanceOrderDesc, at most 40 characters"),
                FieldRule("status", note="through the maintenance-order function imports"),
                FieldRule("priority", enum=tuple(PRIORITIES), note="priority type PM: 1 to 4"),
                FieldRule("asset_id", note="the equipment; location and plant follow from it"),
                FieldRule("location_id", note="the functional location"),
                FieldRule(
                    "site_id",
                    update=False,
                    note="the maintenance planning plant (needed without an asset or location)",
                ),
                FieldRule("scheduled_start_at", note="basic start date"),
                FieldRule("due_at", note="basic finish date"),
            ),
            status=StatusRule(
                to_remote=WO_TO_REMOTE,
                transitions=WO_TRANSITIONS,
                to_unified={v: k for k, v in WO_TO_REMOTE.items()},
                mechanism="function imports of API_MAINTENANCEORDER: ReleaseMaintenanceOrder, "
                "SetMaintOrdToTechCompleted, SetMaintOrderStatusToClosed, "
                "ResetMaintOrderStatusClosed, SetMaintOrdStsToMrkdForDeltn",
                locked=frozenset({"CLSD", "DLFL"}),
                on_create=("open",),
            ),
            transaction="one POST MaintenanceOrder (SAP adds a first operation); changes are "
            "one PATCH with If-Match, a status change one function import",
            limitations=(
                "a new order starts as created (CRTD); release it with a PATCH of status",
                "'in_progress' follows from confirmations, which this API does not take",
                "closed and deleted orders cannot be changed; a deletion flag cannot be "
                "taken back through plantlink",
                "operations, components and costs are not written here",
            ),
        ),
        "assets": ModelWriteSpec(
            "assets",
            create=True,
            update=True,
            fields=(
                FieldRule("name", required=True, note="EquipmentName, at most 40 characters"),
                FieldRule("code", note="TechnicalObjectSortCode, at most 25 characters"),
                FieldRule("location_id", note="installs the equipment at that functional location"),
                FieldRule("site_id", note="the maintenance plant"),
                FieldRule("parent_id", note="the superordinate equipment"),
                FieldRule("category", note="TechnicalObjectType"),
                FieldRule("criticality", note="ABC indicator, one character"),
                FieldRule("manufacturer", note="at most 30 characters"),
                FieldRule("model", note="ManufacturerPartTypeName, at most 20 characters"),
                FieldRule("serial_number", note="ManufacturerSerialNumber"),
                FieldRule("installed_on", note="start-up date"),
            ),
            transaction="one POST Equipment, or one PATCH of its current time slice with If-Match",
            limitations=(
                "the equipment category is the connection's write_defaults EquipmentCategory "
                "(default M, machines)",
                "status (installation, deletion flags) is not written here",
            ),
        ),
        "purchase_orders": ModelWriteSpec(
            "purchase_orders",
            create=True,
            update=True,
            fields=(
                FieldRule("vendor_id", required=True, update=False, note="the supplier"),
                FieldRule(
                    "site_id",
                    required=True,
                    update=False,
                    note="the plant every item is ordered for",
                ),
                FieldRule("order_date", note="PurchaseOrderDate"),
                FieldRule("payment_terms", note="an SAP payment terms key, e.g. 0001"),
                FieldRule(
                    "expected_delivery_date",
                    note="the delivery date of every item's schedule line",
                ),
            ),
            lines=LinesRule(
                fields=(
                    FieldRule("part_id", required=True, note="the material"),
                    FieldRule("quantity", required=True, note="a positive order quantity"),
                    FieldRule("unit_price", note="net price per 1 unit"),
                    FieldRule("description", note="short text, at most 40 characters"),
                    FieldRule("expected_delivery_date", note="the item's delivery date"),
                ),
                min_items=1,
            ),
            transaction="header and items in one deep insert (POST A_PurchaseOrder with "
            "to_PurchaseOrderItem): all or nothing. A change is one PATCH per entity "
            "touched (header and items with If-Match, schedule lines without); new lines are "
            "POSTed to the order's to_PurchaseOrderItem",
            atomic_lines=True,
            limitations=(
                "purchase-order status is read-only: this API has no release, cancel or "
                "deletion function for purchase orders",
                "company code, purchasing organization, purchasing group and order type are "
                "taken from the supplier's most recently changed order among up to 50 order items at "
                "that plant (or the connection's "
                "write_defaults)",
                "lines sent in a PATCH change the lines they name (by 'id' or 'remote_id') and "
                "add the others; SAP items cannot be removed through this API",
                "supplier and plant cannot change after creation",
            ),
        ),
    },
    rate_limit=RateLimit(10, 1),
    idempotency=None,
    limitations=(
        "SAP's OData V2 APIs have no idempotency mechanism: plantlink's Idempotency-Key is "
        "enforced by plantlink alone",
        "vendors (A_Supplier) are not creatable through the API; functional locations and "
        "products are read-only here",
    ),
)


# ---- values ----------------------------------------------------------------------------------


def _json_date(value: Any) -> str | None:
    """A unified instant or date as a V2 JSON ``/Date(ms)/``."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 10:
        moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    else:
        parsed = parse_source_datetime(str(value))
        assert parsed is not None
        moment = parsed
    return f"/Date({int(moment.timestamp() * 1000)})/"


def _decimal(value: Any, field: str) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise WriteError(422, "VALIDATION_ERROR", f"{field} is not a number", field=field) from None
    if number <= 0 and field.endswith("quantity"):
        raise WriteError(422, "VALIDATION_ERROR", f"{field} must be positive", field=field)
    if number < 0:
        raise WriteError(422, "VALIDATION_ERROR", f"{field} must not be negative", field=field)
    return format(number.normalize(), "f")


def _text(value: Any, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if len(str(value)) > limit:
        raise WriteError(
            422,
            "VALIDATION_ERROR",
            f"{field}: SAP takes at most {limit} characters",
            field=field,
            details={"max_length": limit},
        )
    return str(value)


def _equipment(remote_id: str) -> str:
    return remote_id.split("/", 1)[0]


def main_status(system_status: Any) -> str | None:
    codes = mapping.status_codes(system_status)
    if "DLFL" in codes:
        return "DLFL"
    return codes[0] if codes else None


# ---- the writer ----------------------------------------------------------------------------


def _stream(model: str) -> ODataStream:
    found = next(s for s in STREAMS if s.model == model)
    assert isinstance(found, ODataStream)
    return found


class SapWriter(ConnectorWriter[SapClient]):
    specs = SPECS

    # -- urls ----------------------------------------------------------------------------------

    def _url(self, client: SapClient, service: str, resource: str, **params: str) -> str:
        return client.collection_url(service, resource, dict(params))

    def _entity(self, client: SapClient, model: str, remote_id: str) -> str | None:
        key = string_literal
        if model == "work_orders":
            return self._url(client, MAINTENANCE_ORDER, f"MaintenanceOrder({key(remote_id)})")
        if model == "purchase_orders":
            return self._url(client, PURCHASE_ORDER, f"A_PurchaseOrder({key(remote_id)})")
        if model == "parts":
            return self._url(client, PRODUCT, f"A_Product({key(remote_id)})")
        if model == "locations":
            return self._url(client, FUNCTIONAL_LOCATION, f"FunctionalLocation({key(remote_id)})")
        if model == "assets":
            number, _, valid_to = remote_id.partition("/")
            valid_to = valid_to or mapping.CURRENT_SLICE
            return self._url(
                client,
                EQUIPMENT,
                f"Equipment(Equipment={key(number)},ValidityEndDate=datetime'{valid_to}T00:00:00')",
            )
        if model == "vendors":  # a supplier's business partner carries its number
            return self._url(client, BUSINESS_PARTNER, f"A_BusinessPartner({key(remote_id)})")
        return None

    def _get(self, client: SapClient, url: str) -> dict[str, Any] | None:
        try:
            body = client.get_json(url)
        except SourceNotFound:
            return None
        except SourceRejected as exc:  # a key SAP cannot even parse names nothing
            if exc.status == 400:
                return None
            raise
        d = body.get("d") if isinstance(body, dict) else None
        return d if isinstance(d, dict) else None

    # -- reading -------------------------------------------------------------------------------

    def fetch(
        self,
        client: SapClient,
        connection_id: str,
        model: str,
        remote_id: str,
        *,
        exact: bool = False,
    ) -> Fetched | None:
        """The entity with the stream's own ``$expand``, mapped by the stream: a single
        entity renders exactly as it does in the stream's listing."""
        url = self._entity(client, model, remote_id)
        if url is None:
            return None
        stream = _stream(model)
        if stream.expand:
            url += ("&" if "?" in url else "?") + "$expand=" + ",".join(stream.expand)
        raw = self._get(client, url)
        if raw is None:
            return None
        records = [m for m in stream.map(raw, MapContext(connection_id)) if m.model == model]
        if not records:
            return None
        status = main_status(raw.get("SystemStatusText")) if model == "work_orders" else None
        return Fetched(records[0].remote_id, raw, records, status)

    def exists(self, client: SapClient, connection_id: str, model: str, remote_id: str) -> bool:
        if model == "sites":
            url = self._url(
                client,
                FUNCTIONAL_LOCATION,
                "FunctionalLocation",
                **{
                    "$filter": f"MaintenancePlant eq {string_literal(remote_id)}",
                    "$top": "1",
                    "$select": "FunctionalLocation",
                },
            )
            try:
                rows = client.get_json(url)["d"]["results"]
            except SourceRejected:
                return False
            return bool(rows)
        if model == "vendors":
            url = self._url(client, BUSINESS_PARTNER, f"A_Supplier({string_literal(remote_id)})")
            return self._get(client, url) is not None
        entity = self._entity(client, model, remote_id)
        return entity is not None and self._get(client, entity) is not None

    def prepare(
        self,
        client: SapClient,
        model: str,
        body: dict[str, Any],
        current: Fetched | None,
        ctx: WriteContext,
    ) -> None:
        """A new purchase order inherits its organizational data from the supplier's latest
        order at the same plant (else the supplier's latest, else the plant's latest)."""
        if model != "purchase_orders" or current is not None:
            return
        defaults = dict(ctx.state.get("write_defaults") or {})
        missing = [f for f in PO_ORG_FIELDS if not defaults.get(f)]
        if missing:
            found = self._org_data(client, body["vendor_id"], body["site_id"])
            for name in missing:
                if found.get(name):
                    defaults[name] = found[name]
        defaults.setdefault("PurchaseOrderType", "NB")
        ctx.state["po_header"] = {f: defaults[f] for f in PO_ORG_FIELDS if defaults.get(f)}

    def _org_data(self, client: SapClient, supplier: str, plant: str) -> dict[str, Any]:
        select = ",".join(PO_ORG_FIELDS)
        order = "LastChangeDateTime desc"
        items = self._url(
            client,
            PURCHASE_ORDER,
            "A_PurchaseOrderItem",
            **{
                "$filter": f"Plant eq {string_literal(plant)}",
                "$select": "PurchaseOrder",
                "$top": "50",
            },
        )
        at_plant = [r["PurchaseOrder"] for r in client.get_json(items)["d"]["results"]]
        for flt in (f"Supplier eq {string_literal(supplier)}", None):
            params = {"$select": select + ",PurchaseOrder", "$orderby": order, "$top": "200"}
            if flt:
                params["$filter"] = flt
            url = self._url(client, PURCHASE_ORDER, "A_PurchaseOrder", **params)
            rows = client.get_json(url)["d"]["results"]
            for row in rows:
                if row["PurchaseOrder"] in at_plant:
                    return dict(row)
            if flt and rows:
                return dict(rows[0])
        return {}

    # -- planning ------------------------------------------------------------------------------

    def plan_create(self, model: str, body: dict[str, Any], ctx: WriteContext) -> WritePlan:
        spec = SPECS.models[model]
        if model == "assets":
            payload = self._equipment_payload(body, ctx)
            defaults = ctx.state.get("write_defaults") or {}
            payload["EquipmentCategory"] = defaults.get("EquipmentCategory", "M")
            url = f"{SERVICE_ROOT}/{EQUIPMENT}/Equipment"
            call = SourceCall("POST", url, payload, "create the equipment")
            return WritePlan(model, "create", [call], None, None, spec.transaction)
        if model == "work_orders":
            payload = self._order_payload(body, ctx, creating=True)
            url = f"{SERVICE_ROOT}/{MAINTENANCE_ORDER}/MaintenanceOrder"
            call = SourceCall("POST", url, payload, "create the maintenance order")
            return WritePlan(model, "create", [call], None, None, spec.transaction)
        ctx.state["items"] = []
        header: dict[str, Any] = dict(ctx.state.get("po_header") or {})
        header["Supplier"] = body["vendor_id"]
        ctx.sent_fields["Supplier"] = "vendor_id"
        for name in ("CompanyCode", "PurchasingOrganization", "PurchasingGroup"):
            ctx.sent_fields.setdefault(name, "site_id")
        if "order_date" in body:
            header["PurchaseOrderDate"] = _json_date(body["order_date"])
            ctx.sent_fields["PurchaseOrderDate"] = "order_date"
        if body.get("payment_terms") is not None:
            header["PaymentTerms"] = body["payment_terms"]
            ctx.sent_fields["PaymentTerms"] = "payment_terms"
        items = []
        for i, line in enumerate(body["lines"]):
            item = self._item(line, i, ctx)
            item["Plant"] = body["site_id"]
            ctx.sent_fields.setdefault("Plant", "site_id")
            delivery = line.get("expected_delivery_date") or body.get("expected_delivery_date")
            if delivery is not None:
                item["to_ScheduleLine"] = {
                    "results": [{"ScheduleLineDeliveryDate": _json_date(delivery)}]
                }
            items.append(item)
        header["to_PurchaseOrderItem"] = {"results": items}
        url = f"{SERVICE_ROOT}/{PURCHASE_ORDER}/A_PurchaseOrder"
        call = SourceCall("POST", url, header, "create the purchase order with its items")
        return WritePlan(model, "create", [call], None, None, spec.transaction)

    def _item(self, line: dict[str, Any], i: int, ctx: WriteContext) -> dict[str, Any]:
        item: dict[str, Any] = {}
        prefix = f"lines[{i}]"
        if line.get("part_id") is not None:
            item["Material"] = line["part_id"]
        if line.get("quantity") is not None:
            item["OrderQuantity"] = _decimal(line["quantity"], f"{prefix}.quantity")
        if line.get("unit_price") is not None:
            item["NetPriceAmount"] = _decimal(line["unit_price"], f"{prefix}.unit_price")
            item["NetPriceQuantity"] = "1"
        if "description" in line:
            item["PurchaseOrderItemText"] = _text(line["description"], f"{prefix}.description", 40)
        ctx.state.setdefault("items", []).append((i, dict(item)))
        return item

    def _equipment_payload(self, body: dict[str, Any], ctx: WriteContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for unified, source, limit in (
            ("name", "EquipmentName", 40),
            ("code", "TechnicalObjectSortCode", 25),
            ("category", "TechnicalObjectType", 10),
            ("criticality", "ABCIndicator", 1),
            ("manufacturer", "AssetManufacturerName", 30),
            ("model", "ManufacturerPartTypeName", 20),
            ("serial_number", "ManufacturerSerialNumber", 30),
        ):
            if unified in body:
                out[source] = _text(body[unified], unified, limit)
                ctx.sent_fields[source] = unified
        refs = (
            ("location_id", "FunctionalLocationLabelName", lambda v: v),
            ("site_id", "MaintenancePlant", lambda v: v),
            ("parent_id", "SuperordinateEquipment", _equipment),
        )
        for unified, source, convert in refs:
            if unified in body:
                value = body[unified]
                out[source] = None if value is None else convert(value)
                ctx.sent_fields[source] = unified
        if "installed_on" in body:
            out["OperationStartDate"] = _json_date(body["installed_on"])
            ctx.sent_fields["OperationStartDate"] = "installed_on"
        return out

    def _order_payload(
        self, body: dict[str, Any], ctx: WriteContext, *, creating: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        sent = ctx.sent_fields

        def put(source: str, unified: str, value: Any) -> None:
            out[source] = value
            sent[source] = unified

        if creating and "type" in body:
            put("MaintenanceOrderType", "type", ORDER_TYPES[body["type"]])
        if "title" in body:
            put("MaintenanceOrderDesc", "title", _text(body["title"], "title", 40))
        if "priority" in body:
            value = body["priority"]
            put("MaintPriority", "priority", None if value is None else PRIORITIES[value])
        if "asset_id" in body:
            value = body["asset_id"]
            put("Equipment", "asset_id", None if value is None else _equipment(value))
        if "location_id" in body:
            put("FunctionalLocation", "location_id", body["location_id"])
        if creating and "site_id" in body:
            put("MaintenancePlanningPlant", "site_id", body["site_id"])
        if "scheduled_start_at" in body:
            put(
                "MaintOrdBasicStartDateTime",
                "scheduled_start_at",
                _json_date(body["scheduled_start_at"]),
            )
        if "due_at" in body:
            put("MaintOrdBasicEndDateTime", "due_at", _json_date(body["due_at"]))
        return out

    def plan_update(
        self, model: str, current: Fetched, body: dict[str, Any], ctx: WriteContext
    ) -> WritePlan:
        spec = SPECS.models[model]
        calls: list[SourceCall] = []
        if model == "assets":
            number, _, valid_to = current.remote_id.partition("/")
            url = (
                f"{SERVICE_ROOT}/{EQUIPMENT}/Equipment(Equipment='{number}',"
                f"ValidityEndDate=datetime'{valid_to or mapping.CURRENT_SLICE}T00:00:00')"
            )
            payload = self._equipment_payload(body, ctx)
            if payload:
                calls.append(_merge(url, payload, "change the fields sent (MERGE)"))
            return WritePlan(model, "update", calls, current.remote_id, None, spec.transaction)
        if model == "work_orders":
            content = {k: v for k, v in body.items() if k != "status"}
            if content:
                payload = self._order_payload(content, ctx, creating=False)
                url = f"{SERVICE_ROOT}/{MAINTENANCE_ORDER}/MaintenanceOrder('{current.remote_id}')"
                calls.append(_merge(url, payload, "change the fields sent (MERGE)"))
            target = body.get("status")
            if target is not None:
                calls.extend(self._status_calls(current, WO_TO_REMOTE[target]))
            return WritePlan(model, "update", calls, current.remote_id, None, spec.transaction)
        number = current.remote_id
        ctx.state["items"] = []
        header: dict[str, Any] = {}
        if "order_date" in body:
            header["PurchaseOrderDate"] = _json_date(body["order_date"])
            ctx.sent_fields["PurchaseOrderDate"] = "order_date"
        if "payment_terms" in body:
            header["PaymentTerms"] = body["payment_terms"]
            ctx.sent_fields["PaymentTerms"] = "payment_terms"
        root = f"{SERVICE_ROOT}/{PURCHASE_ORDER}"
        if header:
            calls.append(
                _merge(
                    f"{root}/A_PurchaseOrder('{number}')",
                    header,
                    "change the header fields sent (MERGE)",
                )
            )
        items = _items(current)
        for i, line in enumerate(body.get("lines") or ()):
            item_no = line.get("remote_id")
            values = self._item(line, i, ctx)
            if item_no is None:
                values["Plant"] = next(
                    (str(it.get("Plant")) for it in items.values() if it.get("Plant")), None
                )
                delivery = line.get("expected_delivery_date") or body.get("expected_delivery_date")
                if delivery is not None:
                    values["to_ScheduleLine"] = {
                        "results": [{"ScheduleLineDeliveryDate": _json_date(delivery)}]
                    }
                calls.append(
                    SourceCall(
                        "POST",
                        f"{root}/A_PurchaseOrder('{number}')/to_PurchaseOrderItem",
                        values,
                        f"add line {i + 1}",
                        field=f"lines[{i}]",
                    )
                )
                continue
            if values:
                calls.append(
                    _merge(
                        f"{root}/A_PurchaseOrderItem(PurchaseOrder='{number}',"
                        f"PurchaseOrderItem='{item_no}')",
                        values,
                        f"change item {item_no} (MERGE)",
                        field=f"lines[{i}]",
                    )
                )
            if line.get("expected_delivery_date") is not None:
                calls.extend(
                    self._schedule_calls(
                        items, number, [item_no], line["expected_delivery_date"], f"lines[{i}]"
                    )
                )
        if body.get("expected_delivery_date") is not None:
            own = {
                line.get("remote_id")
                for line in body.get("lines") or ()
                if line.get("expected_delivery_date") is not None
            }
            calls.extend(
                self._schedule_calls(
                    items,
                    number,
                    [n for n in items if n not in own],
                    body["expected_delivery_date"],
                    None,
                )
            )
        return WritePlan(model, "update", calls, number, None, spec.transaction)

    def _schedule_calls(
        self,
        items: dict[str, dict[str, Any]],
        number: str,
        item_numbers: list[str],
        when: Any,
        field: str | None,
    ) -> list[SourceCall]:
        calls = []
        root = f"{SERVICE_ROOT}/{PURCHASE_ORDER}"
        for item_no in item_numbers:
            item = items.get(item_no) or {}
            if item.get("PurchasingDocumentDeletionCode") == mapping.DELETED:
                continue
            lines = (item.get("to_ScheduleLine") or {}).get("results") or [{"ScheduleLine": "1"}]
            for line in lines:
                calls.append(
                    SourceCall(
                        "PATCH",
                        f"{root}/A_PurchaseOrderScheduleLine(PurchasingDocument='{number}',"
                        f"PurchasingDocumentItem='{item_no}',ScheduleLine='{line['ScheduleLine']}')",
                        {"ScheduleLineDeliveryDate": _json_date(when)},
                        f"move the delivery date of item {item_no}",
                        field=field or "expected_delivery_date",
                    )
                )
        return calls

    def _status_calls(self, current: Fetched, target: str) -> list[SourceCall]:
        source = current.remote_status
        if source == target:
            return []
        function = FUNCTIONS[(source or "", target)]
        url = f"{SERVICE_ROOT}/{MAINTENANCE_ORDER}/{function}"
        return [
            SourceCall(
                "POST",
                url,
                None,
                f"{function} (status {source} → {target})",
                params={"MaintenanceOrder": f"'{current.remote_id}'"},
                field="status",
            )
        ]

    # -- sending -------------------------------------------------------------------------------

    def _absolute(self, client: SapClient, path: str) -> str:
        """A ``/sap/opu/odata/sap/…`` path on the instance (below its own path prefix)."""
        prefix = urlsplit(client.http.base_url).path.rstrip("/")
        return client._absolute(prefix + path)

    def csrf(self, client: SapClient, ctx: WriteContext, *, renew: bool = False) -> str:
        token = ctx.state.get("csrf")
        if token is None or renew:
            # The token belongs to the session of one SAP client: fetch it in that client.
            url = client._absolute(client.collection_url(MAINTENANCE_ORDER, "", {}))
            response = client.http.request("GET", url, headers={"X-CSRF-Token": "Fetch"})
            token = response.headers.get("x-csrf-token")
            if response.status_code >= 400 or not token:
                raise SourceError("SAP did not hand out a CSRF token", status=response.status_code)
            ctx.state["csrf"] = token
        return str(token)

    def _etag(self, client: SapClient, url: str, params: dict[str, str]) -> str:
        response = client.http.request("GET", url, params=params or None)
        if response.status_code >= 400:
            raise_for(response.status_code, safe_json(response))
        tag = response.headers.get("etag")
        if not tag:
            body = safe_json(response)
            meta = (body.get("d") or {}).get("__metadata") if isinstance(body, dict) else None
            tag = (meta or {}).get("etag")
        if not tag:
            raise SourceError(f"SAP sent no ETag for {url}")
        return str(tag)

    def send(self, client: SapClient, call: SourceCall, ctx: WriteContext) -> tuple[int, Any]:
        url = self._absolute(client, call.path)
        content = orjson.dumps(call.body) if call.body is not None else None
        params = dict(call.params or {})
        if client.sap_client:
            params["sap-client"] = client.sap_client
        csrf_retried = etag_retried = False
        etag = None
        while True:
            headers = {"X-CSRF-Token": self.csrf(client, ctx), "Accept": "application/json"}
            if content is not None:
                headers["Content-Type"] = "application/json"
            if call.headers.get("If-Match") == CURRENT_ETAG:
                etag = etag or self._etag(client, url, params)
                headers["If-Match"] = etag
            response = client.http.request(
                call.method,
                url,
                params=params or None,
                content=content,
                headers=headers,
                retry=False,
            )
            status = response.status_code
            if status == 403 and response.headers.get("x-csrf-token", "").lower() == "required":
                if csrf_retried:
                    raise SourceRejected("SAP kept refusing the CSRF token", status=403)
                csrf_retried = True
                self.csrf(client, ctx, renew=True)
                continue
            if status == 412 and not etag_retried:
                etag_retried, etag = True, None  # changed meanwhile: MERGE on the new state
                continue
            body = safe_json(response)
            if status >= 400:
                raise_for(status, body)
            return status, body

    def created_id(self, call: SourceCall, body: Any) -> str:
        """The new entity's key, by the entity set the call created it in."""
        d = body.get("d") if isinstance(body, dict) else None
        entity_set = call.path.rsplit("/", 1)[-1]
        if isinstance(d, dict):
            if entity_set == "Equipment" and d.get("Equipment"):
                return mapping.equipment_key(d)
            key = {"MaintenanceOrder": "MaintenanceOrder", "A_PurchaseOrder": "PurchaseOrder"}
            if entity_set in key and d.get(key[entity_set]):
                return str(d[key[entity_set]])
        raise SourceError(f"{call.method} {call.path} answered without the new key")

    def classify(self, exc: SourceError, call: SourceCall, ctx: WriteContext) -> WriteError:
        body = exc.details.get("source_error")
        error = body.get("error") if isinstance(body, dict) else None
        inner = (error or {}).get("innererror") if isinstance(error, dict) else None
        details = (inner or {}).get("errordetails") if isinstance(inner, dict) else None
        prop = next(
            (
                d.get("propertyref")
                for d in details or ()
                if isinstance(d, dict) and d.get("propertyref")
            ),
            None,
        )
        code = (error or {}).get("code") if isinstance(error, dict) else None
        field = call.field
        if prop:
            field = (
                self._line_field(prop, exc.message, ctx)
                or ctx.sent_fields.get(prop)
                or REFERENCE_FIELDS.get(prop)
                or field
            )
        result = default_classification(exc, field)
        low = exc.message.lower()
        if exc.status == 412:
            result.message = f"the record changed in SAP meanwhile: {exc.message}"
        if exc.status == 400:
            if code in ("BS/007", "BS/013", "06/017") or ("status" in low and "active" in low):
                result.status, result.code = 409, "INVALID_STATE"
            elif (
                "does not exist" in low
                and field
                and (field.endswith("_id") or field.endswith(".part_id"))
            ):
                result.code = "INVALID_REFERENCE"
        if prop:
            result.details["source_field"] = prop
        if code:
            result.details["source_code"] = code
        return result

    @staticmethod
    def _line_field(prop: str, message: str, ctx: WriteContext) -> str | None:
        """The line an item property error is about: the one whose value SAP quotes."""
        unified = ITEM_FIELDS.get(prop)
        if unified is None:
            return None
        items = ctx.state.get("items") or []
        quoted = [i for i, item in items if item.get(prop) and str(item[prop]) in message]
        index = quoted[0] if quoted else (items[0][0] if len(items) == 1 else None)
        return None if index is None else f"lines[{index}].{unified}"


WRITER = SapWriter()
