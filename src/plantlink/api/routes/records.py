"""The read API: ``GET /v1/{model}`` and ``GET /v1/{model}/{id}`` for every unified model.

Routes are generated per model so the OpenAPI schema shows each model's record shape
and filters. Records are stored pre-rendered, so a page is assembled by concatenating
stored JSON; only ``expand`` needs to parse documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, create_model
from sqlalchemy import Connection
from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import Response

from plantlink.api.cursor import CursorError
from plantlink.api.deps import authenticate_connection, get_ctx
from plantlink.api.errors import APIError, invalid_parameter
from plantlink.api.query import openapi_parameters, parse_list
from plantlink.connectors.registry import get_connector
from plantlink.model.registry import MODELS, MODELS_BY_PATH, ModelSpec, record_class
from plantlink.store import records as rec
from plantlink.store.accounts import ConnectionRow
from plantlink.store.db import read_connection

router = APIRouter(prefix="/v1", tags=["records"])


def supported_models(conn: ConnectionRow) -> tuple[str, ...]:
    connector = get_connector(conn.system)
    return connector.models if connector else ()


def require_supported(conn: ConnectionRow, spec: ModelSpec) -> None:
    if spec.name not in supported_models(conn):
        raise APIError(
            400,
            "MODEL_NOT_SUPPORTED",
            f"{conn.system} connections do not provide {spec.path}",
            details={
                "model": spec.path,
                "supported": [MODELS[m].path for m in supported_models(conn)],
            },
        )


def _with_remote_data(doc: str, raw: str | None) -> str:
    return doc[:-1] + ',"remote_data":' + (raw or "null") + "}"


def _expand(db: Connection, conn_id: str, docs: list[str], fields: list[str]) -> list[str]:
    parsed = [orjson.loads(d) for d in docs]
    wanted: list[str] = []
    for d in parsed:
        for f in fields:
            value = d.get(f)
            if isinstance(value, list):
                wanted.extend(v for v in value if v)
            elif value:
                wanted.append(value)
    found = {k: orjson.loads(v) for k, v in rec.get_docs(db, conn_id, wanted).items()}
    for d in parsed:
        for f in fields:
            key = f.removesuffix("_ids") + "s" if f.endswith("_ids") else f.removesuffix("_id")
            value = d.get(f)
            if isinstance(value, list):
                d[key] = [found[v] for v in value if v in found]
            else:
                d[key] = found.get(value) if value else None
    return [orjson.dumps(d).decode() for d in parsed]


def _list_endpoint(spec: ModelSpec) -> Callable[..., Any]:
    def list_records(request: Request) -> Response:
        # Authentication, rate limit and page on one pooled connection (no FastAPI
        # dependencies: the token lookup must share the page's connection).
        ctx = get_ctx(request)
        with read_connection(ctx.store.engine) as db:
            conn = authenticate_connection(request, ctx, db)
            require_supported(conn, spec)
            parsed = parse_list(spec, request.query_params, conn.id)
            q = parsed.query
            if parsed.cursor is not None:
                try:
                    q.after = ctx.services["cursor"].decode(parsed.scope, parsed.cursor)
                except CursorError as exc:
                    raise invalid_parameter("cursor", str(exc)) from exc
            rows = rec.list_records(db, conn.id, q)
            more = len(rows) > q.page_size
            rows = rows[: q.page_size]
            docs = [r[1] for r in rows]
            if parsed.expand:
                docs = _expand(db, conn.id, docs, parsed.expand)
        if q.include_remote_data:
            docs = [_with_remote_data(d, r[3]) for d, r in zip(docs, rows, strict=True)]
        next_cursor = (
            ctx.services["cursor"].encode(parsed.scope, rows[-1][2], rows[-1][0]) if more else None
        )
        body = (
            b'{"data":['
            + ",".join(docs).encode()
            + b'],"next_cursor":'
            + orjson.dumps(next_cursor)
            + b"}"
        )
        return Response(body, media_type="application/json")

    list_records.__name__ = f"list_{spec.name}"
    return list_records


def _get_endpoint(spec: ModelSpec) -> Callable[..., Any]:
    allowed = {"include_remote_data", "expand"}

    def get_record(record_id: str, request: Request) -> Response:
        ctx = get_ctx(request)
        with read_connection(ctx.store.engine) as db:
            conn = authenticate_connection(request, ctx, db)
            require_supported(conn, spec)
            for name in request.query_params:
                if name not in allowed:
                    raise invalid_parameter(
                        name, f"unknown parameter '{name}' for /v1/{spec.path}/{{id}}"
                    )
            include_raw = False
            if "include_remote_data" in request.query_params:
                value = request.query_params["include_remote_data"].lower()
                if value not in ("true", "false", "1", "0"):
                    raise invalid_parameter(
                        "include_remote_data", "'include_remote_data' must be true or false"
                    )
                include_raw = value in ("true", "1")
            expand = [
                e.strip() for e in request.query_params.get("expand", "").split(",") if e.strip()
            ]
            bad = [e for e in expand if e not in spec.expandable]
            if bad:
                raise invalid_parameter("expand", f"cannot expand {bad[0]!r} on {spec.path}")
            found = rec.get_record(db, conn.id, spec.name, record_id)
            if found is None:
                raise APIError(
                    404,
                    "NOT_FOUND",
                    f"no {spec.path} record with id {record_id!r} on this connection",
                )
            doc, raw = found
            if expand:
                doc = _expand(db, conn.id, [doc], expand)[0]
        if include_raw:
            doc = _with_remote_data(doc, raw)
        return Response(doc.encode(), media_type="application/json")

    get_record.__name__ = f"get_{spec.name}"
    return get_record


def _list_model(spec: ModelSpec) -> type[BaseModel]:
    item = record_class(spec)
    return create_model(
        f"{item.__name__}List",
        data=(list[item], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, None),
    )


class _ModelPath(Convertor[str]):
    """Matches exactly the unified models' paths (``work-orders``, ``assets``, …)."""

    regex = "|".join(map(re.escape, MODELS_BY_PATH))

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("model_path", _ModelPath())

#: The per-model routes, for the OpenAPI document only (each model's record shape and
#: filters). Requests are served by the two routes of ``router`` below, which pick the
#: same endpoint by path: matching went through every model's routes in turn
#: (~15 per list request, a fifth of FastAPI's routing time).
documented = APIRouter(prefix="/v1", tags=["records"])
_LIST: dict[str, Callable[[Request], Response]] = {}
_GET: dict[str, Callable[[str, Request], Response]] = {}
for _spec in MODELS.values():
    _LIST[_spec.path] = _list_endpoint(_spec)
    _GET[_spec.path] = _get_endpoint(_spec)
    documented.add_api_route(
        f"/{_spec.path}",
        _LIST[_spec.path],
        methods=["GET"],
        summary=f"List {_spec.path}",
        responses={200: {"model": _list_model(_spec)}},
        openapi_extra={"parameters": openapi_parameters(_spec)},
    )
    documented.add_api_route(
        f"/{_spec.path}/{{record_id}}",
        _GET[_spec.path],
        methods=["GET"],
        summary=f"Get one {_spec.path} record",
        responses={200: {"model": record_class(_spec)}},
    )


def list_model_records(request: Request) -> Response:
    return _LIST[request.path_params["model"]](request)


def get_model_record(request: Request) -> Response:
    params = request.path_params
    return _GET[params["model"]](params["record_id"], request)


#: Plain Starlette routes: the endpoints take only the request and are documented
#: above, so FastAPI's parameter solving would find nothing to do (~5 % of a request).
router = APIRouter()
router.add_route(
    "/v1/{model:model_path}", list_model_records, methods=["GET"], include_in_schema=False
)
router.add_route(
    "/v1/{model:model_path}/{record_id}", get_model_record, methods=["GET"], include_in_schema=False
)


def unknown_model(name: str) -> APIError:
    guess = name.replace("_", "-").lower()
    hint = f" (did you mean '{guess}'?)" if guess in MODELS_BY_PATH else ""
    known = ", ".join(sorted(MODELS_BY_PATH))
    return APIError(404, "NOT_FOUND", f"unknown model '{name}'{hint}; models: {known}")
