"""The dashboard (``/dashboard``): an organization's connections, syncs and webhooks.

Sign-in takes an admin key once; the session is a cookie naming the key's *id* (never
the key) with an expiry, HMAC-signed with the app secret. Every request re-checks that
the key is still live, so revoking a key ends its dashboard sessions. Logging out
deletes the cookie. Every form, sign-in included, carries a CSRF token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from plantlink.api.deps import Ctx
from plantlink.api.schemas import connection_status
from plantlink.connectors.registry import get_connector
from plantlink.core.security import ADMIN_KEY_PREFIX
from plantlink.model.registry import MODELS
from plantlink.store.accounts import ConnectionRow, Organization
from plantlink.sync import state
from plantlink.web import queries
from plantlink.web.chart import records_chart
from plantlink.web.pages import FormData, message, render, web_of
from plantlink.web.security import is_https, set_cookie
from plantlink.webhooks import delivery, endpoints

router = APIRouter(prefix="/dashboard", include_in_schema=False)

SESSION_COOKIE = "plk_dash"
SESSION_SECONDS = 8 * 3600
RECENT_DELIVERIES = 10


@dataclass(frozen=True)
class Admin:
    org: Organization
    key_id: str

    @property
    def csrf_scope(self) -> str:
        return f"dashboard:{self.key_id}"


def _session_value(ctx: Ctx, key_id: str) -> str:
    payload = f"{key_id}.{int(time.time()) + SESSION_SECONDS}"
    return f"{payload}.{web_of(ctx).signer.sign('dashboard-session', payload)}"


def current_admin(request: Request, ctx: Ctx) -> Admin | None:
    """The signed-in admin, if the cookie is genuine, unexpired and its key still live."""
    key_id, _, rest = request.cookies.get(SESSION_COOKIE, "").partition(".")
    expires, _, signature = rest.partition(".")
    payload = f"{key_id}.{expires}"
    if not signature or not web_of(ctx).signer.verify("dashboard-session", payload, signature):
        return None
    if not expires.isdigit() or int(expires) < time.time():
        return None
    org = queries.organization_for_key_id(ctx.store, key_id)
    return None if org is None else Admin(org, key_id)


def _to_login(request: Request) -> Response:
    """To the sign-in page; a session that just ended (expired, revoked) says so there."""
    if SESSION_COOKIE not in request.cookies:
        return RedirectResponse("/dashboard/login", status_code=303)
    response = RedirectResponse("/dashboard/login?ended=1", status_code=303)
    _forget(response)
    return response


def _forget(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/dashboard", httponly=True, samesite="lax")


def _page(
    request: Request, admin: Admin, template: str, section: str, context: dict[str, Any]
) -> Response:
    return render(
        request,
        template,
        {"org": admin.org, "section": section, **context},
        csrf_scope=admin.csrf_scope,
    )


def _forged(request: Request) -> Response:
    return message(
        request,
        403,
        "This form could not be verified",
        "The request was not accepted because it did not come from this dashboard's own "
        "form. Nothing was changed.",
        link=("Back to the dashboard", "/dashboard"),
    )


# -- sign-in ------------------------------------------------------------------------------


def _login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    ended = request.query_params.get("ended") == "1"
    context = {"error": error, "ended": ended and error is None}
    return render(request, "dashboard/login.html", context, status=status, csrf_scope="login")


@router.get("/login")
def login_page(request: Request, ctx: Ctx) -> Response:
    if current_admin(request, ctx) is not None:
        return RedirectResponse("/dashboard", status_code=303)
    return _login_form(request)


@router.post("/login")
def login(request: Request, ctx: Ctx, form: FormData) -> Response:
    if not web_of(ctx).csrf.check(request, form, "login"):
        return _forged(request)
    key = form.get("admin_key", "").strip()
    key_id = queries.admin_key_id(ctx.store, key) if key.startswith(ADMIN_KEY_PREFIX) else None
    if key_id is None:
        return _login_form(
            request,
            "That admin key was not recognized (wrong, incomplete or revoked). Keys start "
            f"with {ADMIN_KEY_PREFIX}.",
            status=401,
        )
    response = RedirectResponse("/dashboard", status_code=303)
    set_cookie(
        response,
        SESSION_COOKIE,
        _session_value(ctx, key_id),
        path="/dashboard",
        secure=is_https(request, web_of(ctx).settings.public_url),
        max_age=SESSION_SECONDS,
    )
    return response


@router.post("/logout")
def logout(request: Request, ctx: Ctx, form: FormData) -> Response:
    admin = current_admin(request, ctx)
    if admin is not None and not web_of(ctx).csrf.check(request, form, admin.csrf_scope):
        return _forged(request)
    response = RedirectResponse("/dashboard/login", status_code=303)
    _forget(response)
    return response


# -- pages --------------------------------------------------------------------------------


@router.get("")
def home(request: Request, ctx: Ctx) -> Response:
    admin = current_admin(request, ctx)
    if admin is None:
        return _to_login(request)
    totals = queries.model_totals(ctx.store, admin.org.id)
    rows = []
    for conn in ctx.store.accounts.list_connections(admin.org.id):
        t = totals.get(conn.id, queries.ModelTotals(0, 0))
        rows.append(
            {
                "id": conn.id,
                "name": conn.name,
                "system": conn.system,
                "status": connection_status(conn, conn.lease_until),
                "status_reason": conn.status_reason,
                "last_successful_sync_at": conn.last_successful_sync_at,
                "next_sync_at": conn.next_sync_at,
                "records": t.records,
                "failing": t.failing,
            }
        )
    chart = records_chart(queries.hourly_changes(ctx.store, admin.org.id))
    return _page(
        request, admin, "dashboard/home.html", "connections", {"rows": rows, "chart_data": chart}
    )


def _owned(ctx: Ctx, admin: Admin, connection_id: str) -> ConnectionRow | None:
    conn = ctx.store.accounts.get_connection(connection_id)
    return conn if conn is not None and conn.organization_id == admin.org.id else None


def _no_connection(request: Request) -> Response:
    return message(
        request,
        404,
        "Connection not found",
        "There is no such connection in your organization.",
        link=("All connections", "/dashboard"),
    )


def _sync_blocked(conn: ConnectionRow) -> str | None:
    if conn.status == "auth_required":
        return "The source refused the stored credentials: reconnect this connection first."
    if conn.status == "disconnected":
        return "This connection is disconnected; it no longer syncs."
    return None


@router.get("/connections/{connection_id}")
def connection_page(connection_id: str, request: Request, ctx: Ctx) -> Response:
    admin = current_admin(request, ctx)
    if admin is None:
        return _to_login(request)
    conn = _owned(ctx, admin, connection_id)
    if conn is None:
        return _no_connection(request)
    connector = get_connector(conn.system)
    supported = connector.models if connector else ()
    states = state.load_states(ctx.store.engine, conn.id)
    models = [
        {"path": spec.path, "state": states.get(name)}
        for name, spec in MODELS.items()
        if name in supported
    ]
    chart = records_chart(queries.hourly_changes(ctx.store, admin.org.id, connection_id=conn.id))
    context = {
        "c": conn,
        "status": connection_status(conn, conn.lease_until),
        "models": models,
        "runs": queries.recent_runs(ctx.store, conn.id),
        "chart_data": chart,
        "blocked": _sync_blocked(conn),
        "queued": request.query_params.get("queued") == "1",
    }
    return _page(request, admin, "dashboard/connection.html", "connections", context)


@router.post("/connections/{connection_id}/sync")
def sync_now(connection_id: str, request: Request, ctx: Ctx, form: FormData) -> Response:
    admin = current_admin(request, ctx)
    if admin is None:
        return _to_login(request)
    if not web_of(ctx).csrf.check(request, form, admin.csrf_scope):
        return _forged(request)
    conn = _owned(ctx, admin, connection_id)
    if conn is None:
        return _no_connection(request)
    blocked = _sync_blocked(conn)
    if blocked is not None:
        link = ("Back to the connection", f"/dashboard/connections/{conn.id}")
        return message(request, 409, "Cannot sync now", blocked, link=link)
    ctx.dispatcher.request_sync(conn.id, None, False, "dashboard")
    return RedirectResponse(f"/dashboard/connections/{conn.id}?queued=1", status_code=303)


@router.get("/webhooks")
def webhooks_page(request: Request, ctx: Ctx) -> Response:
    admin = current_admin(request, ctx)
    if admin is None:
        return _to_login(request)
    hooks = [
        {
            "endpoint": e,
            "deliveries": delivery.list_deliveries(ctx.store, e.id, limit=RECENT_DELIVERIES),
        }
        for e in endpoints.list_endpoints(ctx.store, admin.org.id)
    ]
    return _page(request, admin, "dashboard/webhooks.html", "webhooks", {"hooks": hooks})
