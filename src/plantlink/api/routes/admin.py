"""Admin endpoints (admin key): connections and the organization's settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from plantlink import connect
from plantlink.api.deps import AdminOrg, Ctx
from plantlink.api.errors import APIError
from plantlink.api.schemas import (
    ConnectionOut,
    ConnectionWithToken,
    CreateConnection,
    Reconnect,
    UpdateOrganization,
    connection_out,
)
from plantlink.store.accounts import ConnectionRow, Organization

router = APIRouter(prefix="/v1/admin", tags=["admin"])


def _out(ctx: Ctx, conn: ConnectionRow) -> dict[str, Any]:
    connector = connect.connector_for(conn.system)
    creds = ctx.store.accounts.credentials(conn.id)
    return connection_out(
        conn, connector.models, connect.public_credentials(connector, creds), conn.lease_until
    )


def _owned(ctx: Ctx, org: Organization, connection_id: str) -> ConnectionRow:
    conn = ctx.store.accounts.get_connection(connection_id)
    if conn is None or conn.organization_id != org.id:
        raise APIError(404, "NOT_FOUND", f"no connection {connection_id!r} in this organization")
    return conn


def _connect_error(exc: connect.ConnectError) -> APIError:
    details = {"field": exc.field} if exc.field else None
    return APIError(exc.status, exc.code, exc.message, details=details)


@router.post("/connections", status_code=201, response_model=ConnectionWithToken)
def create_connection(body: CreateConnection, org: AdminOrg, ctx: Ctx) -> JSONResponse:
    """Check the credentials against the source, store the connection, start its first sync."""
    try:
        made = connect.create_connection(
            ctx.store, org.id, body.system, body.name, body.credentials, body.settings
        )
    except connect.ConnectError as exc:
        raise _connect_error(exc) from exc
    ctx.dispatcher.request_sync(made.connection.id, None, False, "initial")
    return JSONResponse(
        {"connection": _out(ctx, made.connection), "token": made.token}, status_code=201
    )


@router.get("/connections", response_model=dict[str, list[ConnectionOut]])
def list_connections(org: AdminOrg, ctx: Ctx) -> dict[str, Any]:
    return {"data": [_out(ctx, c) for c in ctx.store.accounts.list_connections(org.id)]}


@router.get("/connections/{connection_id}", response_model=ConnectionOut)
def get_connection(connection_id: str, org: AdminOrg, ctx: Ctx) -> dict[str, Any]:
    return _out(ctx, _owned(ctx, org, connection_id))


@router.delete("/connections/{connection_id}", response_model=ConnectionOut)
def disconnect(connection_id: str, org: AdminOrg, ctx: Ctx) -> dict[str, Any]:
    """Revoke the token and stop syncing; stored data is kept until purged."""
    conn = _owned(ctx, org, connection_id)
    ctx.store.accounts.disconnect(conn.id)
    refreshed = ctx.store.accounts.get_connection(conn.id)
    assert refreshed is not None
    return _out(ctx, refreshed)


@router.post("/connections/{connection_id}/reconnect", response_model=ConnectionWithToken)
def reconnect(connection_id: str, body: Reconnect, org: AdminOrg, ctx: Ctx) -> dict[str, Any]:
    """New source credentials: a new token (the old one stops at once), syncs resume."""
    conn = _owned(ctx, org, connection_id)
    try:
        made = connect.reconnect(ctx.store, conn, body.credentials)
    except connect.ConnectError as exc:
        raise _connect_error(exc) from exc
    ctx.dispatcher.request_sync(conn.id, None, False, "reconnect")
    return {"connection": _out(ctx, made.connection), "token": made.token}


@router.get("/organization")
def get_organization(org: AdminOrg) -> dict[str, Any]:
    return {"id": org.id, "name": org.name, "redirect_urls": org.redirect_urls}


@router.put("/organization")
def put_organization(body: UpdateOrganization, org: AdminOrg, ctx: Ctx) -> dict[str, Any]:
    for url in body.redirect_urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise APIError(
                422,
                "VALIDATION_ERROR",
                f"redirect URL {url!r} must be an absolute http(s) URL without a fragment",
                details={"field": "redirect_urls"},
            )
    ctx.store.accounts.set_redirect_urls(org.id, body.redirect_urls)
    return {"id": org.id, "name": org.name, "redirect_urls": body.redirect_urls}
