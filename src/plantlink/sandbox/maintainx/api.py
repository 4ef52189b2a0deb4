"""Read endpoints of the MaintainX API v1: list (cursor paging, filters, sort, expand) and get.

Paging: ``limit`` 1-200 (default 100) and an opaque ``cursor``; the response carries
``nextCursor`` and ``nextPageUrl`` (null on the last page). Cursors are keyset positions
(see ``core.store``): stateless, resumable at any later time, and stable under ties and
concurrent edits. A cursor is bound to its ``sort``; reusing it with another sort is a
400. Default order is id ascending.

Filters follow the spec per collection: ``updatedAt``/``createdAt`` ``[gte]``/``[lte]``
on work orders, purchase orders, assets and parts only; list filters such as
``statuses``/``assets``/``locations`` on work orders; custom-field filters
(``?<Custom Field Label>=value``) where the spec has ``customFieldName``. Unknown values
and malformed parameters are answered with the vendor's 400 ``{"error": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plantlink.sandbox.core import (
    Query,
    Record,
    Table,
    decode_cursor,
    encode_cursor,
    json_response,
    parse_iso,
)
from plantlink.sandbox.maintainx.data import CUSTOM_FIELDS, PRIORITIES, WR_STATUSES
from plantlink.sandbox.maintainx.errors import not_found, query_error
from plantlink.sandbox.maintainx.ops import Org
from plantlink.sandbox.maintainx.render import Render, organization

PREFIX = "/v1"
DATE_PARAMS = ("updatedAt[gte]", "updatedAt[lte]", "createdAt[gte]", "createdAt[lte]")
COMMON_PARAMS = frozenset({"cursor", "limit", "expand", "sort", "skipWebhook"})

WO_EXPAND_LIST = frozenset(
    [
        "thumbnail",
        "assignees",
        "categories",
        "parts",
        "asset",
        "location",
        "procedure",
        "vendor_ids",
        "times",
        "time_items",
        "expenditures",
        "extra_fields",
        "part_extra_fields",
        "asset_extra_fields",
        "location_extra_fields",
        "estimated_time",
    ]
)
WO_EXPAND_GET = frozenset(
    [
        "assignees",
        "asset",
        "estimated_time",
        "location",
        "parts",
        "times",
        "time_items",
        "expenditures",
        "extra_fields",
        "part_extra_fields",
        "asset_extra_fields",
        "location_extra_fields",
    ]
)
ASSET_EXPAND = frozenset(
    [
        "barcode",
        "team_ids",
        "asset_types",
        "extra_fields",
        "vendor_ids",
        "depreciation",
        "status",
        "manufacturer",
        "model",
    ]
)

Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Facet:
    """A list query parameter backed by a table facet (any-of; ``exclude`` for none-of)."""

    facet: str
    parse: Parser
    exclude: bool = False


@dataclass
class Collection:
    """One MaintainX collection: its table, keys, renderer and what its list accepts."""

    path: str
    key: str
    single: str
    label: str
    table: Table
    render: Callable[..., Record]
    expand_list: frozenset[str] = frozenset()
    expand_get: frozenset[str] = frozenset()
    sorts: tuple[str, ...] = ()
    dates: bool = False
    facets: dict[str, Facet] = field(default_factory=dict)
    filters: dict[str, Callable[[list[str]], Callable[[Record], bool]]] = field(
        default_factory=dict
    )
    custom_fields: str | None = None
    """Custom-field entity for ``?<label>=value`` filters (the spec's customFieldName)."""


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an integer") from None


def _choice(values: tuple[str, ...]) -> Parser:
    def parse(value: str) -> str:
        if value not in values:
            raise ValueError(f"{value!r} is not one of {', '.join(values)}")
        return value

    return parse


def _values(request: Request, name: str) -> list[str]:
    """Repeated (``a=1&a=2``) or comma-separated (``a=1,2``) values of a parameter."""
    return [v for raw in request.query_params.getlist(name) for v in raw.split(",") if v != ""]


def _bool(value: str) -> bool:
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ValueError(f"{value!r} is not a boolean")


class Reader:
    """Builds the GET routes over the organisation's collections."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.render = Render(org)
        d = org.data
        r = self.render
        ids = _int
        self.collections = [
            Collection(
                "workorders",
                "workOrders",
                "workOrder",
                "Work Order",
                d.workorders,
                r.work_order,
                WO_EXPAND_LIST,
                WO_EXPAND_GET,
                sorts=("updatedAt", "createdAt", "dueDate", "startedAt", "completedAt"),
                dates=True,
                facets={
                    "statuses": Facet(
                        "status",
                        _choice(("OPEN", "IN_PROGRESS", "ON_HOLD", "DONE", "CANCELED", "SKIPPED")),
                    ),
                    "priorities": Facet("priority", _choice(PRIORITIES)),
                    "partStatuses": Facet(
                        "partStatus",
                        _choice(("NO_PARTS", "ASSIGNED", "RESERVED", "KITTED", "STAGED", "ISSUED")),
                    ),
                    "assets": Facet("asset", ids),
                    "notAssets": Facet("asset", ids, exclude=True),
                    "locations": Facet("location", ids),
                    "notLocations": Facet("location", ids, exclude=True),
                    "assignees": Facet("assignee", ids),
                    "teams": Facet("team", ids),
                    "vendors": Facet("vendor", ids),
                    "notVendors": Facet("vendor", ids, exclude=True),
                    "parts": Facet("part", ids),
                    "notParts": Facet("part", ids, exclude=True),
                    "categories": Facet("category", self._category_label),
                    "notCategories": Facet("category", self._category_label, exclude=True),
                },
                filters={"title": _contains("title")},
            ),
            Collection(
                "assets",
                "assets",
                "asset",
                "Asset",
                d.assets,
                r.asset,
                ASSET_EXPAND,
                sorts=("id", "createdAt", "updatedAt"),
                dates=True,
                facets={
                    "locationId": Facet("location", ids),
                    "manufacturer": Facet("manufacturer", str),
                    "model": Facet("model", str),
                },
                custom_fields="assets",
            ),
            Collection(
                "locations",
                "locations",
                "location",
                "Location",
                d.locations,
                r.location,
                frozenset({"extra_fields", "team_ids", "vendor_ids", "barcode"}),
                filters={"name": _prefix("name")},
                custom_fields="locations",
            ),
            Collection(
                "parts",
                "parts",
                "part",
                "Part",
                d.parts,
                r.part,
                frozenset({"extra_fields", "vendors"}),
                sorts=("id", "createdAt", "updatedAt"),
                dates=True,
                facets={"partNumber": Facet("partNumber", str)},
                custom_fields="parts",
            ),
            Collection(
                "vendors",
                "vendors",
                "vendor",
                "Vendor",
                d.vendors,
                r.vendor,
                frozenset({"extra_fields"}),
                custom_fields="vendors",
            ),
            Collection(
                "users",
                "users",
                "user",
                "User",
                d.users,
                r.user,
                frozenset({"role", "extra_fields"}),
                filters={"email": _email, "onlyAssignable": _assignable},
            ),
            Collection("teams", "teams", "team", "Team", d.teams, r.team),
            Collection(
                "purchaseorders",
                "purchaseOrders",
                "purchaseOrder",
                "Purchase Order",
                d.purchaseorders,
                r.purchase_order,
                sorts=("id", "createdAt", "updatedAt"),
                dates=True,
                custom_fields="purchaseOrders",
            ),
            Collection(
                "meters",
                "meters",
                "meter",
                "Meter",
                d.meters,
                r.meter,
                frozenset({"asset", "location", "last_reading"}),
                frozenset({"asset", "location", "last_reading"}),
                facets={
                    "assets": Facet("asset", ids),
                    "measurementType": Facet(
                        "measurementType", _choice(("MANUAL", "IOT_DEVICE", "AUTOMATED_SENSOR"))
                    ),
                },
            ),
            Collection(
                "workrequests",
                "workRequests",
                "workRequest",
                "Work Request",
                d.workrequests,
                r.work_request,
                frozenset({"asset", "location", "work_order", "extra_fields"}),
                frozenset({"asset", "location", "work_order", "extra_fields"}),
                facets={
                    "assets": Facet("asset", ids),
                    "locations": Facet("location", ids),
                    "priorities": Facet("priority", _choice(PRIORITIES)),
                    "statuses": Facet("status", _choice(WR_STATUSES)),
                },
                filters={"title": _contains("title")},
            ),
            Collection(
                "maintenanceplans",
                "maintenancePlans",
                "maintenancePlan",
                "Maintenance Plan",
                d.plans,
                r.plan,
            ),
            Collection(
                "categories", "categories", "category", "Category", d.categories, r.category
            ),
            Collection(
                "assetcriticalities",
                "assetCriticalities",
                "assetCriticality",
                "Asset Criticality",
                d.criticalities,
                r.criticality,
                filters={"label": _equals("label", str), "level": _equals("level", _int)},
            ),
        ]
        self.by_path = {c.path: c for c in self.collections}

    def _category_label(self, value: str) -> str:
        """Categories are filtered by label or by id; both resolve to the label."""
        d = self.org.data
        if value.isdigit():
            rec = d.categories.get_live(int(value))
            if rec is None:
                raise ValueError(f"unknown category {value}")
            return str(rec["label"])
        return value

    # -- routes ----------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter(prefix=PREFIX)
        for coll in self.collections:
            router.add_api_route(f"/{coll.path}", self._list_route(coll), methods=["GET"])
            router.add_api_route(
                f"/{coll.path}/{{record_id}}", self._get_route(coll), methods=["GET"]
            )

        @router.get("/organizations")
        async def organizations(request: Request) -> Response:
            limit = _limit(request)
            items = [organization(self.org)][:limit]
            return json_response({"organizations": items, "nextCursor": None, "nextPageUrl": None})

        @router.get("/customfields/{entity}")
        async def custom_fields(entity: str) -> Response:
            fields = CUSTOM_FIELDS.get(entity)
            if fields is None:
                raise not_found("Custom Fields")
            return json_response(
                [
                    {
                        "id": 9000 + i,
                        "label": label,
                        "sortOrder": i,
                        "type": kind,
                        "required": False,
                        "unlisted": False,
                        "options": list(options),
                    }
                    for i, (label, (kind, options)) in enumerate(fields.items())
                ]
            )

        return router

    def _list_route(self, coll: Collection) -> Callable[[Request], Any]:
        async def list_records(request: Request) -> Response:
            return json_response(self.list_page(coll, request))

        list_records.__name__ = f"list_{coll.path}"
        return list_records

    def _get_route(self, coll: Collection) -> Callable[[Request, str], Any]:
        async def get_record(request: Request, record_id: str) -> Response:
            expand = parse_expand(request, coll.expand_get)
            rec = self.lookup(coll, record_id, request)
            return json_response({coll.single: coll.render(rec, expand, single=True)})

        get_record.__name__ = f"get_{coll.path}"
        return get_record

    def lookup(self, coll: Collection, record_id: str, request: Request | None = None) -> Record:
        """The live record for a path id, or the vendor's 404."""
        if not record_id.isdigit():
            raise query_error(f"id should be integer, got {record_id!r}")
        table = coll.table
        if coll.path == "workorders" and request is not None and _flag(request, "useSequentialId"):
            row = int(record_id) - 1  # sequentialId = row + 1
            rec = None if row < 0 or row >= table.n or row in table.deleted else table.get(row)
        else:
            rec = table.get_live(int(record_id))
        if rec is None:
            raise not_found(coll.label)
        return rec

    # -- list ------------------------------------------------------------------------

    def list_page(self, coll: Collection, request: Request) -> dict[str, Any]:
        qp = request.query_params
        limit = _limit(request)
        expand = parse_expand(request, coll.expand_list)
        order, descending = _sort(request, coll.sorts)
        ranges: dict[str, tuple[int | None, int | None]] = {}
        facets: dict[str, frozenset[Any]] = {}
        exclude: dict[str, frozenset[Any]] = {}
        wheres: list[Callable[[Record], bool]] = []
        where_key: list[tuple[str, tuple[str, ...]]] = []
        for name in sorted(set(qp.keys())):
            if name in COMMON_PARAMS:
                continue
            values = _values(request, name)
            if name in DATE_PARAMS:
                if not coll.dates:
                    raise query_error(f"{name} is not a supported filter for {coll.path}")
                field_name, bound = name[:-5], name[-4:-1]
                try:
                    ms = parse_iso(qp[name])
                except ValueError:
                    raise query_error(f"{name} should be an ISO 8601 date-time") from None
                lo, hi = ranges.get(field_name, (None, None))
                ranges[field_name] = (ms, hi) if bound == "gte" else (lo, ms)
            elif name in coll.facets:
                spec = coll.facets[name]
                try:
                    parsed = frozenset(spec.parse(v) for v in values)
                except ValueError as exc:
                    raise query_error(f"{name}: {exc}") from None
                if not parsed:
                    continue
                target = exclude if spec.exclude else facets
                target[spec.facet] = target.get(spec.facet, frozenset()) | parsed
            elif name in coll.filters:
                try:
                    wheres.append(coll.filters[name](qp.getlist(name)))
                except ValueError as exc:
                    raise query_error(f"{name}: {exc}") from None
                where_key.append((name, tuple(qp.getlist(name))))
            elif coll.custom_fields is not None:
                if name not in CUSTOM_FIELDS[coll.custom_fields]:
                    raise query_error(f"Unknown custom field '{name}' for {coll.path}")
                wheres.append(_custom_field(name, qp.getlist(name)))
                where_key.append((name, tuple(qp.getlist(name))))
        for name, (lo, hi) in ranges.items():
            if lo is not None and hi is not None and lo > hi:
                raise query_error(f"{name}[gte] is after {name}[lte]")
        query = Query(
            order=order,
            descending=descending,
            ranges=ranges,
            facets=facets,
            exclude=exclude,
            where=_all(wheres) if wheres else None,
            where_key=tuple(where_key) or None,
        )
        after = None
        if qp.get("cursor"):
            try:
                c_order, c_desc, after = decode_cursor(qp["cursor"])
            except ValueError:
                raise query_error("Invalid cursor") from None
            if (c_order, c_desc) != (order, descending):
                raise query_error("Invalid cursor: it belongs to a different sort")
        table = coll.table
        rows, more = table.page(query, after, limit)
        items = [coll.render(table.get(r), expand) for r in rows]
        next_cursor = next_url = None
        if more:
            last = rows[-1]
            next_cursor = encode_cursor(order, descending, (table.key_of(order, last), last))
            params = [(k, v) for k, v in qp.multi_items() if k != "cursor"]
            params.append(("cursor", next_cursor))
            next_url = f"{request.url.path}?{urlencode(params)}"
        return {coll.key: items, "nextCursor": next_cursor, "nextPageUrl": next_url}


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return 100
    try:
        limit = int(raw)
    except ValueError:
        raise query_error("limit should be integer") from None
    if not 1 <= limit <= 200:
        raise query_error("limit should be >= 1 and <= 200")
    return limit


def parse_expand(request: Request, allowed: frozenset[str]) -> frozenset[str]:
    """``expand`` values, each of which must be one the endpoint lists."""
    values = frozenset(_values(request, "expand"))
    unknown = values - allowed
    if unknown:
        raise query_error(
            f"Invalid expand value(s): {', '.join(sorted(unknown))}"
            + (f" (allowed: {', '.join(sorted(allowed))})" if allowed else "")
        )
    return values


def _sort(request: Request, allowed: tuple[str, ...]) -> tuple[str, bool]:
    raw = request.query_params.get("sort")
    if raw is None:
        return "id", False
    descending = raw.startswith("-")
    name = raw[1:] if descending else raw
    if name not in allowed:
        raise query_error(f"Invalid sort value '{raw}'")
    return name, descending


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    try:
        return _bool(raw)
    except ValueError:
        raise query_error(f"{name} should be boolean") from None


def _all(predicates: list[Callable[[Record], bool]]) -> Callable[[Record], bool]:
    return lambda rec: all(p(rec) for p in predicates)


def _contains(field_name: str) -> Callable[[list[str]], Callable[[Record], bool]]:
    def make(values: list[str]) -> Callable[[Record], bool]:
        needle = values[-1].lower()
        return lambda rec: (
            needle in str(rec[field_name]).lower() or needle == str(rec.get("sequentialId", ""))
        )

    return make


def _prefix(field_name: str) -> Callable[[list[str]], Callable[[Record], bool]]:
    def make(values: list[str]) -> Callable[[Record], bool]:
        start = values[-1].lower()
        return lambda rec: str(rec[field_name]).lower().startswith(start)

    return make


def _equals(field_name: str, parse: Parser) -> Callable[[list[str]], Callable[[Record], bool]]:
    def make(values: list[str]) -> Callable[[Record], bool]:
        wanted = parse(values[-1])
        return lambda rec: rec[field_name] == wanted

    return make


def _email(values: list[str]) -> Callable[[Record], bool]:
    wanted = {v.lower() for raw in values for v in raw.split(",") if v}
    return lambda rec: str(rec["email"]).lower() in wanted


def _assignable(values: list[str]) -> Callable[[Record], bool]:
    only = _bool(values[-1])
    return lambda rec: not only or rec["role"] != "REQUESTER"


def _custom_field(label: str, values: list[str]) -> Callable[[Record], bool]:
    wanted = set(values)
    return lambda rec: rec["extraFields"].get(label) in wanted
