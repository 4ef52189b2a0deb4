"""Typed dependencies: the application context and the two kinds of bearer credentials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from limits import RateLimitItemPerMinute
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Connection

from plantlink.api.errors import APIError
from plantlink.connectors.http import retry_after
from plantlink.core.config import Settings
from plantlink.core.security import ADMIN_KEY_PREFIX, CONNECTION_TOKEN_PREFIX
from plantlink.jobs import Dispatcher
from plantlink.store import Store
from plantlink.store.accounts import ConnectionRow, Organization, connection_for_token_on


@dataclass
class AppContext:
    settings: Settings
    store: Store
    dispatcher: Dispatcher
    limiter_storage: Storage
    #: Extra services later layers hang here (webhooks, write-back, link sessions).
    services: dict[str, Any]

    def __post_init__(self) -> None:
        self.api_limiter = MovingWindowRateLimiter(self.limiter_storage)
        self.api_limit = RateLimitItemPerMinute(self.settings.api_rate_limit_per_minute)


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise APIError(
            401,
            "AUTHENTICATION_FAILED",
            "missing bearer token: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def admin_org(request: Request, ctx: Ctx) -> Organization:
    token = _bearer(request)
    org = (
        ctx.store.accounts.organization_for_admin_key(token)
        if token.startswith(ADMIN_KEY_PREFIX)
        else None
    )
    if org is None:
        raise APIError(
            401,
            "AUTHENTICATION_FAILED",
            "admin key not recognized (missing, wrong or revoked)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.organization_id = org.id
    return org


def authenticate_connection(
    request: Request, ctx: AppContext, db: Connection | None = None
) -> ConnectionRow:
    """The token's connection (401 if unknown or revoked), counted against its rate limit.

    The read API passes ``db``, the connection its page query runs on, so one pooled
    connection serves the whole request; the lookup is never cached, so revocation
    takes effect on the next request in every process.
    """
    token = _bearer(request)
    conn: ConnectionRow | None = None
    if token.startswith(CONNECTION_TOKEN_PREFIX):
        conn = (
            ctx.store.accounts.connection_for_token(token)
            if db is None
            else connection_for_token_on(db, token)
        )
    if conn is None:
        raise APIError(
            401,
            "AUTHENTICATION_FAILED",
            "connection token not recognized (missing, wrong or revoked)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not ctx.api_limiter.hit(ctx.api_limit, "api", conn.id):
        retry = retry_after(ctx.api_limiter, ctx.api_limit, "api", conn.id)
        raise APIError(
            429,
            "RATE_LIMIT_EXCEEDED",
            f"more than {ctx.settings.api_rate_limit_per_minute} requests per minute on this "
            "connection token",
            headers={"Retry-After": str(retry)},
        )
    request.state.connection_id = conn.id
    return conn


def current_connection(request: Request, ctx: Ctx) -> ConnectionRow:
    return authenticate_connection(request, ctx)


AdminOrg = Annotated[Organization, Depends(admin_org)]
CurrentConnection = Annotated[ConnectionRow, Depends(current_connection)]
