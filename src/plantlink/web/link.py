"""The hosted connect page: ``/link/{token}`` — choose a system, enter credentials, go back.

The integrator creates the session (``POST /v1/admin/link-sessions``) and sends its
customer to the URL. The credentials are checked live by ``plantlink.connect`` (the same
code as the admin API), so a wrong password shows the source's own reason and nothing is
stored. On success the browser is sent to the integrator's registered redirect URL with a
one-time ``code`` (and their ``state``), which they exchange server-side for the
connection and its token: the token never passes through the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from plantlink import connect
from plantlink.api.deps import Ctx
from plantlink.connectors.base import Connector
from plantlink.connectors.registry import CONNECTORS, get_connector
from plantlink.core.timeutil import now_us
from plantlink.store import links
from plantlink.store.accounts import ConnectionRow, Organization
from plantlink.store.links import LinkSession, Unusable
from plantlink.web.pages import FormData, message, render, web_of

router = APIRouter(prefix="/link", include_in_schema=False)


@dataclass
class _Link:
    token: str
    session: LinkSession
    org: Organization
    #: The connection being reconnected, if this is a reconnect session.
    connection: ConnectionRow | None
    choices: list[Connector[Any]]

    @property
    def action(self) -> str:
        return f"/link/{self.token}"


def with_query(url: str, params: dict[str, str | None]) -> str:
    """``url`` with ``params`` added (replacing same-named ones, dropping None values)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    added = [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(kept + added)))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def _csrf_scope(token: str) -> str:
    return f"link:{token}"


def _cancel_url(link: _Link, error: str) -> str:
    return with_query(link.session.redirect_url, {"error": error, "state": link.session.state})


def _unusable_page(request: Request, link: _Link, why: Unusable) -> Response:
    org = link.org.name
    if why == "expired":
        return message(
            request,
            410,
            "This link has expired",
            f"For your security, connect links work for a limited time only. Ask {org} for a "
            "new link; nothing was connected with this one.",
            link=(f"Return to {org}", _cancel_url(link, "expired")),
        )
    if why == "completed":
        return message(
            request,
            410,
            "This link was already used",
            f"Your system was connected with this link. To change the credentials, ask {org} "
            "for a new link.",
        )
    return message(
        request,
        409,
        "Already connecting",
        "This link is being submitted in another tab or window. Wait a moment, then reload "
        "this page.",
        link=("Reload", link.action),
    )


def _not_found(request: Request) -> Response:
    return message(
        request,
        404,
        "Link not found",
        "This connect link is not valid. Check that the whole link was opened, or ask for a "
        "new one.",
    )


def _load(request: Request, ctx: Ctx, token: str) -> _Link | Response:
    """The session behind the URL, or the page that explains why it cannot be used."""
    session = links.find_session(ctx.store, token)
    org = ctx.store.accounts.get_organization(session.organization_id) if session else None
    if session is None or org is None:
        return _not_found(request)
    connection = None
    if session.connection_id is not None:
        connection = ctx.store.accounts.get_connection(session.connection_id)
        connector = get_connector(connection.system) if connection else None
        choices = [connector] if connector else []
    else:
        ids = session.systems if session.systems is not None else list(CONNECTORS)
        choices = [CONNECTORS[s] for s in ids if s in CONNECTORS]
    link = _Link(token, session, org, connection, choices)
    why = session.unusable(now_us())
    if why is not None:
        return _unusable_page(request, link, why)
    if not choices:
        return message(
            request,
            409,
            "Nothing to connect",
            f"This link offers no system that can be connected any more. Ask {org.name} for "
            "a new link.",
        )
    return link


def _page(link: _Link) -> dict[str, Any]:
    return {
        "org_name": link.org.name,
        "end_user_name": link.session.end_user_name,
        "action": link.action,
        "cancel_url": _cancel_url(link, "cancelled"),
        "expires_at": link.session.expires_at,
    }


def _choose(
    request: Request, link: _Link, *, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "link/choose.html",
        {**_page(link), "choices": link.choices, "error": error},
        status=status,
    )


def _form(
    request: Request,
    ctx: Ctx,
    link: _Link,
    connector: Connector[Any],
    *,
    values: dict[str, str] | None = None,
    field_errors: dict[str, str] | None = None,
    error: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    fields = connector.credential_fields
    if values is None and link.connection is not None:
        stored = ctx.store.accounts.credentials(link.connection.id)
        values = {k: str(v) for k, v in connect.public_credentials(connector, stored).items()}
    field_errors = field_errors or {}
    groups: dict[str, list[Any]] = {}
    for f in fields:
        if f.group:
            groups.setdefault(f.group, []).append(f)
    focus = next(iter(field_errors), None)
    if focus is None and error is not None:
        focus = next((f.name for f in fields if f.secret), None)
    context = {
        **_page(link),
        "connector": connector,
        "common": [f for f in fields if not f.group],
        "groups": list(groups.items()),
        "values": values or {},
        "field_errors": field_errors,
        "error_title": error[0] if error else None,
        "error": error[1] if error else None,
        "focus": focus,
        "reconnect": link.connection is not None,
        "connection_name": link.connection.name if link.connection else None,
        "choose_url": link.action if len(link.choices) > 1 else None,
    }
    return render(
        request,
        "link/form.html",
        context,
        status=status,
        csrf_scope=_csrf_scope(link.token),
        form_action=f"'self' {_origin(link.session.redirect_url)}",
    )


@router.get("/{token}")
def open_link(token: str, request: Request, ctx: Ctx, system: str | None = None) -> Response:
    link = _load(request, ctx, token)
    if isinstance(link, Response):
        return link
    if len(link.choices) == 1:
        return _form(request, ctx, link, link.choices[0])
    if system is None:
        return _choose(request, link)
    chosen = next((c for c in link.choices if c.system == system), None)
    if chosen is None:
        return _choose(request, link, error="Choose one of the systems listed.", status=400)
    return _form(request, ctx, link, chosen)


def _connect(ctx: Ctx, link: _Link, connector: Connector[Any], creds: dict[str, Any]) -> str:
    """Check the credentials live and store the connection; returns its id."""
    if link.connection is not None:
        return connect.reconnect(ctx.store, link.connection, creds).connection.id
    name = link.session.end_user_name or connector.label
    made = connect.create_connection(
        ctx.store, link.session.organization_id, connector.system, name, creds
    )
    return made.connection.id


def _refusal(connector: Connector[Any], exc: connect.ConnectError) -> tuple[str, str]:
    if exc.code == "INVALID_CREDENTIALS":
        return f"{connector.label} did not accept these credentials", exc.message
    if exc.code == "SOURCE_UNAVAILABLE":
        return f"{connector.label} could not be reached", exc.message
    return "The connection could not be made", exc.message


@router.post("/{token}")
def submit(token: str, request: Request, ctx: Ctx, form: FormData) -> Response:
    if not web_of(ctx).csrf.check(request, form, _csrf_scope(token)):
        return message(
            request,
            403,
            "This form could not be verified",
            "For your security the form was not accepted: it was sent from another page or "
            "site, or your browser did not keep this site's cookie. Nothing was connected. "
            "Reload the form and try again.",
            link=("Reload the form", f"/link/{token}"),
        )
    link = _load(request, ctx, token)
    if isinstance(link, Response):
        return link
    connector = next((c for c in link.choices if c.system == form.get("system")), None)
    if connector is None:
        return _choose(request, link, error="Choose one of the systems listed.", status=422)
    creds = {f.name: form.get(f"credentials.{f.name}", "") for f in connector.credential_fields}
    values = {f.name: creds[f.name] for f in connector.credential_fields if not f.secret}
    busy = links.claim_session(ctx.store, link.session.id)
    if busy is not None:
        return _unusable_page(request, link, busy)
    try:
        connection_id = _connect(ctx, link, connector, creds)
    except connect.ConnectError as exc:
        links.release_session(ctx.store, link.session.id)
        name = (exc.field or "").removeprefix("credentials.")
        if name in creds:
            return _form(
                request,
                ctx,
                link,
                connector,
                values=values,
                field_errors={name: exc.message},
                status=exc.status,
            )
        return _form(
            request,
            ctx,
            link,
            connector,
            values=values,
            error=_refusal(connector, exc),
            status=exc.status,
        )
    except BaseException:
        links.release_session(ctx.store, link.session.id)
        raise
    trigger = "reconnect" if link.connection is not None else "initial"
    ctx.dispatcher.request_sync(connection_id, None, False, trigger)
    settings = web_of(ctx).settings
    code = links.complete_session(
        ctx.store, link.session, connection_id, settings.link_code_ttl_seconds
    )
    target = with_query(link.session.redirect_url, {"code": code, "state": link.session.state})
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    return RedirectResponse(target, status_code=303, headers=headers)
