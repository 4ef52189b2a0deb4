"""The OData V2 endpoint of one service: URL resolution, CSRF, reads, writes, functions.

Resource paths handled (`<root>` = `/sap/opu/odata/sap/<SERVICE>`): the service document,
`$metadata`, `Set`, `Set/$count`, `Set(key)`, `Set(key)/Prop`, `Set(key)/to_Nav`,
`Set(key)/to_Nav/$count` and function imports. Responses are V2 JSON only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
from fastapi import Request
from fastapi.responses import Response

from plantlink.sandbox.sap_s4hana.edm import EntitySet, Nav, Prop, Service
from plantlink.sandbox.sap_s4hana.engine import Reader
from plantlink.sandbox.sap_s4hana.errors import ODataError, bad_request, not_found
from plantlink.sandbox.sap_s4hana.filter import Lit, parse_literal
from plantlink.sandbox.sap_s4hana.metadata import DUMMY_RESULT, render_metadata
from plantlink.sandbox.sap_s4hana.query import Query, Shape, parse_query
from plantlink.sandbox.sap_s4hana.render import Renderer
from plantlink.sandbox.sap_s4hana.store import Key, Row
from plantlink.sandbox.sap_s4hana.values import etag, json_converter
from plantlink.sandbox.sap_s4hana.writes import change_status

if TYPE_CHECKING:
    from plantlink.sandbox.sap_s4hana import SapS4Hana

JSON_TYPE = "application/json; charset=utf-8"
SESSION_COOKIE = "SAP_SESSIONID_S4H_100"
WRITES = ("POST", "PUT", "PATCH", "MERGE", "DELETE")
URI_SAFE = "'(),/:=$*@!"
UNIFIED = {
    "MaintenanceOrder": "work_orders",
    "MaintenanceOrderOperation": "work_orders",
    "MaintOrderOpComponent": "work_orders",
    "Equipment": "assets",
    "FunctionalLocation": "locations",
    "A_PurchaseOrder": "purchase_orders",
    "A_PurchaseOrderItem": "purchase_orders",
    "A_PurchaseOrderScheduleLine": "purchase_orders",
    "A_Product": "parts",
    "A_ProductDescription": "parts",
    "A_ProductPlant": "parts",
    "A_ProductValuation": "parts",
}
"""Unified entity whose permissions govern writes to a set (the rest are vendors)."""


@dataclass
class Target:
    """A resolved resource path."""

    entity_set: EntitySet
    rowid: int | None = None
    row: Row | None = None
    nav: Nav | None = None
    prop: Prop | None = None
    count: bool = False


def split_unquoted(text: str, separator: str) -> list[str]:
    """`text` split at `separator`s outside quoted literals (keys may contain `/` or `,`)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == "'":
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def typed(prop_type: str, literal: Lit, name: str) -> Any:
    """A URI literal as the internal value of an EDM type; SAP's error if it does not fit."""
    wanted = {
        "Edm.String": "string",
        "Edm.DateTime": "datetime",
        "Edm.DateTimeOffset": "datetime",
        "Edm.Time": "time",
        "Edm.Guid": "guid",
        "Edm.Boolean": "bool",
    }.get(prop_type, "number")
    if literal.kind == "null":
        return None
    # keys and function parameters are never decimals: a number must be an integer
    if literal.kind != wanted or (wanted == "number" and not isinstance(literal.value, int)):
        raise bad_request(f"Invalid value for '{name}' of type {prop_type}", prop=name)
    return literal.value


def parse_key(entity_set: EntitySet, text: str) -> Key:
    entity = entity_set.type
    invalid = bad_request(
        f"Invalid key predicate '({text})' for entity set '{entity_set.name}'",
        code="/IWBEP/CM_MGW_RT/024",
    )
    parts = split_unquoted(text, ",")
    values: dict[str, Any] = {}
    try:
        if len(parts) == 1 and "=" not in parts[0].split("'")[0] and len(entity.keys) == 1:
            values[entity.keys[0]] = parse_literal(parts[0])
        else:
            for part in parts:
                name, _, literal = part.partition("=")
                values[name.strip()] = parse_literal(literal)
    except ODataError:
        raise invalid from None
    if sorted(values) != sorted(entity.keys):
        raise invalid
    return tuple(typed(entity.by_name[k].type, values[k], k) for k in entity.keys)


def query_string(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={quote(v, safe=URI_SAFE)}" for k, v in params.items())


class ServiceEndpoint:
    """Answers every request under one service root."""

    def __init__(self, sandbox: SapS4Hana, service: Service) -> None:
        self.sandbox = sandbox
        self.service = service
        self.db = sandbox.db
        self._metadata: bytes | None = None

    # --- plumbing ------------------------------------------------------------------------

    async def __call__(self, request: Request) -> Response:
        body = await request.body()
        try:
            return self.handle(request, body)
        except ODataError as exc:
            return self.error(exc)

    def error(self, exc: ODataError) -> Response:
        body = exc.body(self.service.name, self.sandbox.state.clock.now_ms())
        return Response(orjson.dumps(body), exc.status, exc.headers, JSON_TYPE)

    def json(
        self, payload: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            orjson.dumps(payload),
            status,
            {"dataserviceversion": "2.0", **(headers or {})},
            JSON_TYPE,
        )

    def handle(self, request: Request, raw: bytes) -> Response:
        method = request.method
        tunnelled = request.headers.get("x-http-method", "").upper()
        if method == "POST" and tunnelled in ("MERGE", "PATCH", "PUT", "DELETE"):
            method = tunnelled
        extra: dict[str, str] = {}
        if method in WRITES:
            refused = self.sandbox.csrf_refusal(request)
            if refused is not None:
                return refused
        elif request.headers.get("x-csrf-token", "").lower() == "fetch":
            extra = self.sandbox.csrf_fetch(request)
        response = self.route(request, method, raw)
        response.headers.update(extra)
        if method == "HEAD":
            response.body = b""
            response.headers["content-length"] = "0"
        return response

    def route(self, request: Request, method: str, raw: bytes) -> Response:
        resource = request.path_params.get("resource", "")
        params = dict(request.query_params)
        segments = split_unquoted(resource, "/")
        if not segments:
            self.only(method, "GET", "HEAD")
            return self.json({"d": {"EntitySets": [s.name for s in self.service.sets]}})
        if segments == ["$metadata"]:
            self.only(method, "GET", "HEAD")
            if self._metadata is None:
                self._metadata = render_metadata(self.service)
            return Response(self._metadata, 200, {"dataserviceversion": "2.0"}, "application/xml")
        if segments == ["$batch"]:
            raise ODataError(501, "/IWBEP/CM_MGW_RT/021", "$batch is not supported by the sandbox")
        head, _, key_text = segments[0].partition("(")
        function = self.service.function_by_name.get(head)
        if function is not None and len(segments) == 1 and not key_text:
            if method != function.http_method:
                raise ODataError(
                    405,
                    "/IWBEP/CM_MGW_RT/025",
                    f"Function import {head} requires {function.http_method}",
                )
            return self.call(request, head, params)
        target = self.resolve(head, key_text, segments[1:])
        root = str(request.base_url).rstrip("/")
        if method in ("GET", "HEAD"):
            return self.read(request, target, params, root)
        if method == "POST":
            return self.create(target, raw, root)
        if method == "DELETE":
            return self.delete(target)
        return self.update(request, target, raw, replace=method == "PUT")

    def only(self, method: str, *allowed: str) -> None:
        if method not in allowed:
            raise ODataError(405, "/IWBEP/CM_MGW_RT/025", f"Method {method} is not allowed here")

    def resolve(self, head: str, key_text: str, rest: list[str]) -> Target:
        entity_set = self.service.set_by_name.get(head)
        if entity_set is None:
            raise not_found(head)
        target = Target(entity_set)
        if not key_text:
            if rest == ["$count"]:
                target.count = True
            elif rest:
                raise not_found(rest[0])
            return target
        if not key_text.endswith(")"):
            raise bad_request(
                f"Invalid key predicate in '{head}({key_text}'", code="/IWBEP/CM_MGW_RT/024"
            )
        key = parse_key(entity_set, key_text[:-1])
        table = self.db.table(entity_set.name)
        rowid = table.find(key)
        row = None if rowid is None else table.get(rowid)
        if rowid is None or row is None:
            raise not_found(entity_set.type.name)
        target.rowid, target.row = rowid, row
        if not rest:
            return target
        entity = entity_set.type
        if rest[0] in entity.nav_by_name and (rest[1:] in ([], ["$count"])):
            target.nav = entity.nav_by_name[rest[0]]
            target.count = rest[1:] == ["$count"]
            return target
        if rest[0] in entity.by_name and len(rest) == 1:
            target.prop = entity.by_name[rest[0]]
            return target
        raise not_found(rest[0])

    # --- reads ---------------------------------------------------------------------------

    def read(self, request: Request, target: Target, params: dict[str, str], root: str) -> Response:
        renderer = Renderer(self.db, root)
        entity_set, row = target.entity_set, target.row
        if row is not None and target.nav is None:
            if target.prop is not None:
                convert = json_converter(target.prop)
                value = row[target.prop.name]
                value = value if convert is None or value is None else convert(value)
                return self.json({"d": {target.prop.name: value}})
            query = parse_query(params, self.service, entity_set, collection=False)
            headers = {"etag": etag(row[entity_set.etag])} if entity_set.etag else {}
            return self.json({"d": renderer.entity(entity_set, row, query.shape)}, headers=headers)
        prefix: Key = ()
        if target.nav is not None:
            assert row is not None
            entity_set = self.db.set_of[target.nav.target]
            if not target.nav.to_many:
                query = parse_query(params, self.service, entity_set, collection=False)
                related = self.db.related(target.nav, row)
                if not related:
                    return self.json({"d": None})
                return self.json({"d": renderer.entity(entity_set, related[0], query.shape)})
            prefix = self.db.join_prefix(target.nav, row)
        query = parse_query(params, self.service, entity_set, collection=True)
        table = self.db.table(entity_set.name)
        reader = Reader(table, query, self.sandbox.page_sizes[entity_set.name], prefix)
        if target.count:
            return Response(str(reader.count()), 200, {"dataserviceversion": "2.0"}, "text/plain")
        page = reader.page()
        body: dict[str, Any] = {
            "results": [renderer.entity(entity_set, r, query.shape) for r in page.rows]
        }
        if page.count is not None:
            body["__count"] = str(page.count)
        if page.next_token is not None:
            body["__next"] = self.next_link(
                request, root, params, query, len(page.rows), page.next_token
            )
        return self.json({"d": body})

    def next_link(
        self,
        request: Request,
        root: str,
        params: dict[str, str],
        query: Query,
        sent: int,
        token: str,
    ) -> str:
        following = {k: v for k, v in params.items() if k not in ("$skip", "$skiptoken")}
        if query.top is not None:
            following["$top"] = str(query.top - sent)
        following["$skiptoken"] = token
        return f"{root}{quote(request.url.path, safe=URI_SAFE)}?{query_string(following)}"

    # --- writes --------------------------------------------------------------------------

    def permission(self, entity_set: EntitySet, action: str) -> None:
        self.sandbox.require(f"{UNIFIED.get(entity_set.name, 'vendors')}:{action}")

    def check_etag(self, request: Request, entity_set: EntitySet, row: Row, required: bool) -> None:
        if entity_set.etag is None:
            return
        sent = request.headers.get("if-match")
        if sent is None:
            if required:
                raise ODataError(
                    428,
                    "/IWBEP/CM_MGW_RT/178",
                    f"Precondition required: send If-Match with the ETag of {entity_set.name}",
                )
            return
        current = etag(row[entity_set.etag])
        if sent.strip() != "*" and current not in [t.strip() for t in sent.split(",")]:
            raise ODataError(
                412,
                "/IWBEP/CM_MGW_RT/022",
                f"Precondition failed: {entity_set.name} was changed by another user "
                "(ETag mismatch)",
                headers={"etag": current},
            )

    def body(self, raw: bytes) -> Any:
        try:
            return orjson.loads(raw or b"{}")
        except orjson.JSONDecodeError:
            raise bad_request(
                "The request body is not valid JSON", code="/IWBEP/CM_MGW_RT/010"
            ) from None

    def create(self, target: Target, raw: bytes, root: str) -> Response:
        entity_set, parent = target.entity_set, None
        if target.nav is not None:
            if not target.nav.to_many:
                raise ODataError(405, "/IWBEP/CM_MGW_RT/025", f"Cannot POST to {target.nav.name}")
            parent, entity_set = target.row, self.db.set_of[target.nav.target]
        elif target.row is not None or target.count or target.prop is not None:
            raise ODataError(405, "/IWBEP/CM_MGW_RT/025", "POST is allowed on entity sets only")
        if not entity_set.creatable:
            raise ODataError(
                405, "/IWBEP/CM_MGW_RT/025", f"Entity set {entity_set.name} is not creatable"
            )
        self.permission(entity_set, "update" if parent is not None else "create")
        body = self.body(raw)
        created = self.sandbox.writer.create(entity_set.name, body, parent)
        shape = Shape()
        if isinstance(body, dict):
            shape.navs = {
                nav.name: Shape() for nav in created.entity_set.type.navs if nav.name in body
            }
        renderer = Renderer(self.db, root)
        entity = renderer.entity(created.entity_set, created.row, shape)
        headers = {"location": renderer.uri(created.entity_set, created.row)}
        if created.entity_set.etag:
            headers["etag"] = etag(created.row[created.entity_set.etag])
        return self.json({"d": entity}, 201, headers)

    def update(self, request: Request, target: Target, raw: bytes, replace: bool) -> Response:
        entity_set, row, rowid = target.entity_set, target.row, target.rowid
        if row is None or rowid is None or target.nav is not None or target.prop is not None:
            raise ODataError(405, "/IWBEP/CM_MGW_RT/025", "Updates address a single entity")
        if not entity_set.updatable:
            raise ODataError(
                405, "/IWBEP/CM_MGW_RT/025", f"Entity set {entity_set.name} is not updatable"
            )
        self.permission(entity_set, "update")
        self.check_etag(request, entity_set, row, required=True)
        new = self.sandbox.writer.update(entity_set.name, rowid, self.body(raw), replace)
        headers = {"etag": etag(new[entity_set.etag])} if entity_set.etag else {}
        return Response(status_code=204, headers={"dataserviceversion": "2.0", **headers})

    def delete(self, target: Target) -> Response:
        entity_set = target.entity_set
        if target.row is None or target.nav is not None or target.prop is not None:
            raise ODataError(405, "/IWBEP/CM_MGW_RT/025", "DELETE addresses a single entity")
        if not entity_set.deletable:
            raise ODataError(
                405,
                "/IWBEP/CM_MGW_RT/025",
                f"Entity set {entity_set.name} does not support deletion",
            )
        self.permission(entity_set, "delete")
        raise ODataError(
            400,
            "/IWBEP/CM_MGW_RT/030",
            f"Deleting {entity_set.name} entries is not permitted for communication user "
            f"{self.sandbox.username}; set the deletion indicator in the application instead",
        )

    # --- function imports ----------------------------------------------------------------

    def call(self, request: Request, name: str, params: dict[str, str]) -> Response:
        function = self.service.function_by_name[name]
        expected = {p.name: p for p in function.params}
        unknown = [k for k in params if k not in expected and not k.startswith(("$", "sap-"))]
        if unknown:
            raise bad_request(
                f"Function import {name} has no parameter '{unknown[0]}'", prop=unknown[0]
            )
        values: dict[str, Any] = {}
        for param in function.params:
            raw = params.get(param.name)
            if raw is None:
                if not param.nullable:
                    raise bad_request(
                        f"Parameter '{param.name}' of {name} is missing", prop=param.name
                    )
                continue
            try:
                values[param.name] = typed(param.type, parse_literal(raw), param.name)
            except ODataError:
                raise bad_request(
                    f"Invalid value for parameter '{param.name}'", prop=param.name
                ) from None
        entity_set = self.service.set_of_type(function.action_for)
        table = self.db.table(entity_set.name)
        key = tuple(values.get(k) for k in entity_set.type.keys)
        rowid = table.find(key)
        row = None if rowid is None else table.get(rowid)
        if rowid is None or row is None:
            raise not_found(entity_set.type.name)
        self.permission(entity_set, "status")
        self.check_etag(request, entity_set, row, required=False)
        new = change_status(self.sandbox.writer, name, rowid, values)
        result = {
            "__metadata": {"type": f"{self.service.namespace}.{DUMMY_RESULT}"},
            "IsInvalid": False,
        }
        return self.json(
            {"d": {name: result}},
            headers={"etag": etag(new[entity_set.etag])} if entity_set.etag else {},
        )
