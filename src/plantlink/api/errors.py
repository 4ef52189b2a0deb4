"""The error envelope: ``{"error": {"code", "type", "message", "request_id", "details"?}}``.

Every failure — ours, the framework's, or a source's — leaves through ``APIError`` or
one of the handlers here, so clients see one shape and a documented code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from plantlink.connectors.errors import SourceError, SourceRateLimited
from plantlink.connectors.writes import WriteError

log = structlog.get_logger(__name__)

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "invalid_request_error",
    422: "validation_error",
    429: "rate_limit_error",
    500: "api_error",
    502: "source_error",
    503: "source_error",
}


class APIError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details
        self.headers = headers or {}


def invalid_parameter(name: str, message: str) -> APIError:
    return APIError(400, "INVALID_PARAMETER", message, details={"parameter": name})


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def error_body(
    request: Request, status: int, code: str, message: str, details: Any = None
) -> bytes:
    """The envelope's bytes (kept for idempotent replays, sent by ``error_response``)."""
    body: dict[str, Any] = {
        "code": code,
        "type": _TYPES.get(status, "api_error"),
        "message": message,
        "request_id": request_id_of(request),
    }
    if details is not None:
        body["details"] = details
    return orjson.dumps({"error": body})


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        error_body(request, status, code, message, details),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    async def _api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, APIError | WriteError)
        return error_response(request, exc.status, exc.code, exc.message, exc.details, exc.headers)

    # Both carry status, code, message, details and headers: one handler for the two.
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(WriteError, _api_error)

    @app.exception_handler(SourceError)
    async def _source_error(request: Request, exc: SourceError) -> Response:
        headers = {}
        if isinstance(exc, SourceRateLimited) and exc.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        details = {"source_status": exc.status, **exc.details} if exc.status else exc.details
        return error_response(
            request, exc.http_status, exc.code, exc.message, details or None, headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _field_path(tuple(e.get("loc", ()))), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        in_query = any(e.get("loc", ("",))[0] in ("query", "path") for e in exc.errors())
        if in_query:
            first = errors[0]
            return error_response(
                request,
                400,
                "INVALID_PARAMETER",
                f"invalid parameter '{first['field']}': {first['message']}",
                {"parameter": first["field"], "errors": errors},
            )
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return error_response(
            request, 422, "VALIDATION_ERROR", f"invalid request body: {summary}", {"errors": errors}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_response(
                request, 404, "NOT_FOUND", f"no such endpoint: {request.method} {request.url.path}"
            )
        if exc.status_code == 405:
            return error_response(
                request,
                405,
                "METHOD_NOT_ALLOWED",
                f"{request.method} is not allowed on {request.url.path}",
            )
        return error_response(
            request, exc.status_code, "HTTP_ERROR", str(exc.detail), headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> Response:
        log.exception("unhandled_error", path=request.url.path)
        return error_response(
            request, 500, "INTERNAL_ERROR", "internal error; quote the request id to support"
        )
