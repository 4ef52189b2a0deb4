"""``POST /v1/passthrough``: a raw request to the connection's source system.

It goes out through the connection's own ``PoliteClient`` (``SyncEngine.make_client``):
the managed credentials, the same rate limit its syncs count against, ``Retry-After``
and backoff. It can only reach URLs below the connection's ``base_url``: the path is
checked in its fully percent-decoded form (no scheme, no ``//host``, no ``.``/``..``
segments, no backslashes) and the URL actually sent is checked again. Callers cannot
set headers that carry identity or framing (auth, cookies, hop-by-hop, the connector's
own headers such as MaintainX's organization id). Only idempotent requests are retried;
a write the source may have applied is never sent twice.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import unquote

import httpx
import orjson
import structlog
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import Response

from plantlink import connect
from plantlink.api.deps import Ctx, CurrentConnection
from plantlink.api.errors import APIError, invalid_parameter
from plantlink.connectors.base import Connector
from plantlink.connectors.errors import AuthFailed
from plantlink.store.accounts import ConnectionRow
from plantlink.sync.engine import SyncEngine

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1", tags=["passthrough"])

Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "MERGE", "DELETE"]
IDEMPOTENT = frozenset({"GET", "HEAD"})
REFUSED_HEADERS = frozenset(
    {
        # hop-by-hop and framing: ours to set
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "expect",
        # identity: the connection's managed credentials only
        "authorization",
        "proxy-authorization",
        "cookie",
    }
)
#: Connector default headers a caller may still override (content negotiation only).
NEGOTIABLE = frozenset({"accept", "accept-language", "content-type"})
RELAYED_HEADERS = frozenset(
    {"content-type", "content-language", "etag", "last-modified", "retry-after", "location"}
)
RELAYED_PREFIXES = ("x-rate-limit-", "x-ratelimit-", "ratelimit")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|$)|^(https?|ftp|file):", re.IGNORECASE)

QueryValue = str | int | float | bool


class PassthroughRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Method = Field(description="HTTP method (case-insensitive)")
    path: str = Field(
        max_length=4096,
        description="path relative to the connection's base_url, e.g. /workorders/42; "
        "query parameters go in `query`",
    )
    query: dict[str, QueryValue | list[QueryValue]] | None = None
    headers: dict[str, str] | None = Field(
        default=None, description="extra request headers (no auth, cookie or hop-by-hop ones)"
    )
    body: Any = Field(
        default=None,
        description="a string is sent as is (text/plain unless headers say otherwise); "
        "anything else as JSON",
    )

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


def _decoded(path: str) -> str:
    """Percent-decode until stable, so double-encoded traversal (%252e) is seen too."""
    for _ in range(5):
        decoded = unquote(path)
        if decoded == path:
            return decoded
        path = decoded
    raise invalid_parameter("path", "path is percent-encoded too many times over")


def relative_path(path: str) -> str:
    """The path to append to the base URL, or a 400 naming ``path`` if it could leave it."""
    decoded = _decoded(path)

    def refuse(why: str) -> APIError:
        return invalid_parameter("path", f"path {path[:200]!r} refused: {why}")

    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in decoded):
        raise refuse("it contains control characters")
    if "\\" in decoded:
        raise refuse("it contains a backslash")
    if "?" in path or "#" in path:
        raise refuse("put query parameters in 'query' (fragments are never sent)")
    if decoded.startswith("//") or _ABSOLUTE.match(decoded):
        raise refuse("it must be relative to the connection's base URL, not an absolute URL")
    if any(segment in (".", "..") for segment in decoded.split("/")):
        raise refuse("'.' and '..' segments are not allowed (it must stay below the base URL)")
    return path.lstrip("/")


def _target(base_url: str, path: str) -> str:
    """Base URL plus path, re-checked after parsing: same origin, below the base path."""
    base = httpx.URL(base_url + "/")
    url = httpx.URL(base_url + "/" + path)
    if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port) or not (
        url.raw_path.startswith(base.raw_path)
    ):
        raise invalid_parameter("path", f"path {path[:200]!r} leaves the connection's base URL")
    return str(url)


def _headers(given: dict[str, str], connector_headers: dict[str, str]) -> dict[str, str]:
    managed = {k.lower() for k in connector_headers} - NEGOTIABLE
    out = {}
    for name, value in given.items():
        low = name.lower()
        if low in REFUSED_HEADERS or low in managed or low.startswith(("proxy-", "x-plantlink-")):
            raise invalid_parameter(
                "headers",
                f"header {name!r} cannot be set: plantlink sends the connection's own "
                "credentials and manages connection-level headers",
            )
        if not _HEADER_NAME.match(name) or any(c in value for c in "\r\n\x00"):
            raise invalid_parameter("headers", f"header {name[:100]!r} is not a valid header")
        out[name] = value
    return out


def _relayed(response: httpx.Response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.lower() in RELAYED_HEADERS or name.lower().startswith(RELAYED_PREFIXES)
    }


def relay(
    engine: SyncEngine, conn: ConnectionRow, connector: Connector[Any], req: PassthroughRequest
) -> httpx.Response:
    """Send ``req`` to the connection's source; raises APIError for refused input and
    SourceError (mapped by the API's handlers) for what the source or network did."""
    path = relative_path(req.path)
    if req.body is not None and req.method in IDEMPOTENT:
        raise invalid_parameter("body", f"a {req.method} request carries no body")
    creds = engine.store.accounts.credentials(conn.id)
    headers = _headers(req.headers or {}, connector.http_options(creds).get("headers") or {})
    content = None
    if req.body is not None:
        is_text = isinstance(req.body, str)
        content = req.body.encode() if is_text else orjson.dumps(req.body)
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "text/plain; charset=utf-8" if is_text else "application/json"
    http, client = engine.make_client(conn, connector)
    with http:
        url = _target(http.base_url, path)
        if req.method not in IDEMPOTENT:
            headers.update(connector.prepare_write(http, client))
        return http.request(
            req.method,
            url,
            params=req.query,
            headers=headers,
            content=content,
            retry=req.method in IDEMPOTENT,
        )


@router.post(
    "/passthrough",
    responses={200: {"description": "the source's response: its status, body and headers"}},
)
def passthrough(body: PassthroughRequest, conn: CurrentConnection, ctx: Ctx) -> Response:
    """A raw request to the source system with the connection's managed credentials.

    The answer is the source's own status and body, with its content-type, etag,
    last-modified, location, retry-after and rate-limit headers, marked
    ``X-Plantlink-Passthrough: <system>``. plantlink's own errors keep the usual
    envelope: 409 ``CONNECTION_AUTH_REQUIRED`` when the source refuses the credentials,
    503 ``SOURCE_UNAVAILABLE`` when it cannot be reached.
    """
    if conn.status == "auth_required":
        raise APIError(
            409,
            "CONNECTION_AUTH_REQUIRED",
            "the source refused the stored credentials; reconnect the connection",
        )
    connector = connect.connector_for(conn.system)
    engine: SyncEngine = ctx.services["sync_engine"]
    try:
        response = relay(engine, conn, connector, body)
    except AuthFailed as exc:
        engine.mark_auth_required(conn, exc.message)
        raise
    log.info("passthrough", method=body.method, path=body.path[:200], status=response.status_code)
    headers = {**_relayed(response), "X-Plantlink-Passthrough": connector.system}
    return Response(response.content, status_code=response.status_code, headers=headers)
