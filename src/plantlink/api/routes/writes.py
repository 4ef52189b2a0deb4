"""Writes: ``POST /v1/{model}``, ``PATCH /v1/{model}/{id}`` and ``GET /v1/meta/{model}``.

The body is read raw and handed to the write pipeline (``plantlink.writes``), which owns
every check and its order; the OpenAPI schema still shows the unified write body. An
``Idempotency-Key`` is claimed here, around the pipeline, so twins never both write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import structlog
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from plantlink.api.deps import AppContext, Ctx, CurrentConnection
from plantlink.api.errors import error_body, invalid_parameter
from plantlink.connectors.writes import WriteError
from plantlink.model.registry import MODELS, ModelSpec
from plantlink.writes import meta
from plantlink.writes.idempotency import HEADER, Claim, Replay, check_key, request_hash
from plantlink.writes.pipeline import Progress, WriteRequest
from plantlink.writes.schema import write_model

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1", tags=["writes"])


def _dry_run(request: Request) -> bool:
    for name in request.query_params:
        if name != "dry_run":
            raise invalid_parameter(name, f"unknown parameter '{name}' for a write")
    value = request.query_params.get("dry_run", "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise invalid_parameter("dry_run", "'dry_run' must be true or false")
    return value in ("true", "1")


async def _write(
    request: Request,
    ctx: AppContext,
    conn: Any,
    spec: ModelSpec,
    operation: str,
    record_id: str | None,
) -> Response:
    dry_run = _dry_run(request)
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        raise WriteError(
            422, "VALIDATION_ERROR", "the request body is not valid JSON", field="body"
        ) from None
    key = request.headers.get(HEADER.lower())
    claim: Claim | None = None
    idem = ctx.services["idempotency"]
    if key is not None and not dry_run:
        got = await run_in_threadpool(  # a WriteError goes to the app's handler
            idem.begin,
            conn.id,
            check_key(key),
            request_hash(request.method, request.url.path, raw),
        )
        if isinstance(got, Replay):
            return Response(
                got.body,
                status_code=got.status,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        claim = got
    req = WriteRequest(conn, spec.name, operation, body, record_id, dry_run, key)
    progress = Progress()
    try:
        result = await run_in_threadpool(ctx.services["writes"].run, req, progress)
    except WriteError as exc:
        payload = error_body(request, exc.status, exc.code, exc.message, exc.details)
        if claim is not None:
            if exc.dirty:
                await run_in_threadpool(idem.finish, claim, exc.status, payload)
            else:
                await run_in_threadpool(idem.release, claim)
        return Response(
            payload, status_code=exc.status, media_type="application/json", headers=exc.headers
        )
    except BaseException:
        if claim is not None:
            if progress.dirty:
                payload = error_body(
                    request,
                    500,
                    "INTERNAL_ERROR",
                    "the write reached the source but plantlink failed afterwards; "
                    "quote the request id to support",
                )
                await run_in_threadpool(idem.finish, claim, 500, payload)
            else:
                await run_in_threadpool(idem.release, claim)
        raise
    content = orjson.dumps(result.body)
    if claim is not None:
        await run_in_threadpool(idem.finish, claim, result.status, content)
    return Response(
        content, status_code=result.status, media_type="application/json", headers=result.headers
    )


def _create_endpoint(spec: ModelSpec) -> Callable[..., Any]:
    async def create(request: Request, conn: CurrentConnection, ctx: Ctx) -> Response:
        return await _write(request, ctx, conn, spec, "create", None)

    create.__name__ = f"create_{spec.name}"
    return create


def _update_endpoint(spec: ModelSpec) -> Callable[..., Any]:
    async def update(
        record_id: str, request: Request, conn: CurrentConnection, ctx: Ctx
    ) -> Response:
        return await _write(request, ctx, conn, spec, "update", record_id)

    update.__name__ = f"update_{spec.name}"
    return update


def _meta_endpoint(spec: ModelSpec) -> Callable[..., Any]:
    def describe(conn: CurrentConnection, ctx: Ctx) -> dict[str, Any]:
        return meta.describe(
            ctx.services["sync_engine"],
            conn,
            spec.name,
            ttl_hours=ctx.settings.idempotency_ttl_hours,
        )

    describe.__name__ = f"meta_{spec.name}"
    return describe


_PARAMETERS = [
    {
        "name": "dry_run",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": False},
        "description": "run every check (including against the source) without writing",
    },
    {
        "name": HEADER,
        "in": "header",
        "required": False,
        "schema": {"type": "string", "maxLength": 255},
        "description": "same key + same body returns the first result and never writes "
        "twice; same key + another body is 409 IDEMPOTENCY_KEY_REUSED; kept at least 24 h "
        "(the server's idempotency_ttl_hours)",
    },
]


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with its ``$defs`` references inlined (OpenAPI has no ``$defs``)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _body_schema(spec: ModelSpec) -> dict[str, Any]:
    schema = write_model(spec.name).model_json_schema()
    return {
        "required": True,
        "content": {"application/json": {"schema": _inline(schema, schema.get("$defs", {}))}},
    }


for _spec in MODELS.values():
    router.add_api_route(
        f"/meta/{_spec.path}",
        _meta_endpoint(_spec),
        methods=["GET"],
        summary=f"What this connection's system lets you write for {_spec.path}",
    )
    router.add_api_route(
        f"/{_spec.path}",
        _create_endpoint(_spec),
        methods=["POST"],
        status_code=201,
        summary=f"Create a {_spec.path} record in the source system",
        openapi_extra={"parameters": _PARAMETERS, "requestBody": _body_schema(_spec)},
    )
    router.add_api_route(
        f"/{_spec.path}/{{record_id}}",
        _update_endpoint(_spec),
        methods=["PATCH"],
        summary=f"Change a {_spec.path} record in the source system",
        openapi_extra={"parameters": _PARAMETERS, "requestBody": _body_schema(_spec)},
    )
