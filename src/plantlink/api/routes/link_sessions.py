"""Admin endpoints of the hosted connect flow: create a link session, exchange its code.

The redirect URL must be one the organization registered, character for character:
prefix or pattern matching is how open redirects and stolen codes happen, and an exact
list costs integrators nothing (put per-customer context in ``state``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from plantlink.api.deps import AdminOrg, Ctx
from plantlink.api.errors import APIError
from plantlink.api.routes.admin import _out as connection_view
from plantlink.api.schemas import ConnectionWithToken
from plantlink.connectors.registry import CONNECTORS
from plantlink.core.timeutil import format_us
from plantlink.store import links

router = APIRouter(prefix="/v1/admin/link-sessions", tags=["link sessions"])


class CreateLinkSession(BaseModel):
    model_config = ConfigDict(extra="forbid")
    redirect_url: str = Field(
        max_length=2048,
        description="where the customer's browser returns (with `code` and `state`); must "
        "exactly equal one of the organization's `redirect_urls`",
    )
    end_user_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="your customer's name: shown on the page, and the new connection's name",
    )
    systems: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="system ids the customer may choose from (GET /v1/systems); all if omitted",
    )
    connection_id: str | None = Field(
        default=None, description="reconnect this connection (new credentials, new token)"
    )
    state: str | None = Field(
        default=None,
        max_length=500,
        description="opaque value sent back unchanged as `state` on the redirect",
    )


class LinkSessionOut(BaseModel):
    url: str = Field(description="the hosted connect page; send your customer there")
    expires_at: str


class ExchangeCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=200, description="the `code` of the redirect")


def _invalid(field: str, message: str, **details: Any) -> APIError:
    return APIError(422, "VALIDATION_ERROR", message, details={"field": field, **details})


@router.post("", status_code=201, response_model=LinkSessionOut)
def create_link_session(
    body: CreateLinkSession, request: Request, org: AdminOrg, ctx: Ctx
) -> dict[str, Any]:
    """A hosted connect page for one customer; the URL works once, for a limited time."""
    if body.redirect_url not in org.redirect_urls:
        registered = ", ".join(org.redirect_urls) or "none"
        raise _invalid(
            "redirect_url",
            f"redirect_url {body.redirect_url[:200]!r} is not registered for this organization "
            f"(registered: {registered}); add it with PUT /v1/admin/organization",
        )
    systems = None
    if body.systems is not None:
        unknown = [s for s in body.systems if s not in CONNECTORS]
        if unknown:
            raise _invalid(
                "systems",
                f"systems: unknown system {unknown[0]!r}; available: "
                f"{', '.join(sorted(CONNECTORS))}",
            )
        systems = list(dict.fromkeys(body.systems))
    if body.connection_id is not None:
        conn = ctx.store.accounts.get_connection(body.connection_id)
        if conn is None or conn.organization_id != org.id:
            raise _invalid(
                "connection_id",
                f"connection_id: no connection {body.connection_id!r} in this organization",
            )
        if systems is not None and conn.system not in systems:
            raise _invalid(
                "systems",
                f"systems: connection {conn.id!r} is a {conn.system} connection, which "
                "systems excludes",
            )
    session, token = links.create_session(
        ctx.store,
        organization_id=org.id,
        redirect_url=body.redirect_url,
        state=body.state,
        end_user_name=body.end_user_name,
        systems=systems,
        connection_id=body.connection_id,
        ttl_seconds=ctx.settings.link_session_ttl_seconds,
    )
    base = ctx.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return {"url": f"{base}/link/{token}", "expires_at": format_us(session.expires_at)}


@router.post("/exchange", response_model=ConnectionWithToken)
def exchange_code(body: ExchangeCode, org: AdminOrg, ctx: Ctx) -> dict[str, Any]:
    """Trade the redirect's one-time code for the connection and its new token.

    Codes are single-use and short-lived; exchanging issues the connection's one live
    token (any earlier one stops working).
    """
    try:
        connection_id, token = links.exchange_code(ctx.store, org.id, body.code)
    except links.CodeRefused as exc:
        details: dict[str, Any] = {"field": "code", "reason": exc.reason}
        if exc.connection_id:
            details["connection_id"] = exc.connection_id
        if exc.reason == "disconnected":
            raise APIError(409, "INVALID_STATE", exc.message, details=details) from exc
        raise APIError(422, "VALIDATION_ERROR", exc.message, details=details) from exc
    conn = ctx.store.accounts.get_connection(connection_id)
    assert conn is not None
    return {"connection": connection_view(ctx, conn), "token": token}
