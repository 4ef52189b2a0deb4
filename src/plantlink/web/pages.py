"""Server-rendered pages: the Jinja2 environment, display filters and ``render``.

Pages carry no scripts and load nothing from elsewhere: one stylesheet we serve, and
inline SVG for the chart, so they work with JavaScript off and under a strict CSP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from plantlink.api.deps import AppContext
from plantlink.connectors.registry import CONNECTORS
from plantlink.core.config import Settings
from plantlink.core.timeutil import format_us, from_us, now_us
from plantlink.web.security import CSRF_COOKIE, Csrf, Signer, is_https, page_headers, set_cookie


def ago(value: int | None, now: int | None = None) -> str:
    """``5 min ago`` / ``in 3 h`` — what a glance at a table needs."""
    if value is None:
        return "never"
    delta = ((now if now is not None else now_us()) - value) / 1e6
    future, seconds = delta < 0, abs(delta)
    if seconds < 45:
        return "in under a minute" if future else "just now"
    if seconds < 3_600:
        amount, unit = max(1, round(seconds / 60)), "min"
    elif seconds < 2 * 86_400:
        amount, unit = round(seconds / 3_600), "h"
    else:
        amount, unit = round(seconds / 86_400), "d"
    return f"in {amount} {unit}" if future else f"{amount} {unit} ago"


def due(value: int | None) -> str:
    """For instants that are *scheduled*: an overdue one is due now, not "5 min ago"."""
    if value is None:
        return "not scheduled"
    now = now_us()
    return "due now" if value - now < 45_000_000 else ago(value, now)


def when(value: int | None) -> str:
    return "—" if value is None else from_us(value).strftime("%Y-%m-%d %H:%M:%S UTC")


def number(value: int | None) -> str:
    return "0" if value is None else f"{value:,}"


def system_label(system: str) -> str:
    connector = CONNECTORS.get(system)
    return connector.label if connector else system


_env = Environment(
    loader=PackageLoader("plantlink.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    ago=ago, due=due, when=when, iso=format_us, number=number, system_label=system_label
)


async def _form_data(request: Request) -> dict[str, str]:
    """The posted form as plain strings (a repeated name keeps its last value)."""
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


#: A posted form, parsed before a (sync) route runs in the thread pool.
FormData = Annotated[dict[str, str], Depends(_form_data)]


@dataclass
class Web:
    """What the browser-facing routes share, kept in ``AppContext.services["web"]``."""

    settings: Settings
    signer: Signer
    csrf: Csrf


def web_of(ctx: AppContext) -> Web:
    web: Web = ctx.services["web"]
    return web


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    csrf_scope: str | None = None,
    form_action: str = "'self'",
) -> HTMLResponse:
    """Render a page; with ``csrf_scope`` its forms get a token (and the nonce cookie)."""
    web = web_of(request.app.state.ctx)
    values = {"root": request.scope.get("root_path", ""), **context}
    fresh = None
    if csrf_scope is not None:
        values["csrf_token"], fresh = web.csrf.token(request, csrf_scope)
    body = _env.get_template(template).render(values)
    response = HTMLResponse(body, status_code=status, headers=page_headers(form_action))
    if fresh is not None:
        secure = is_https(request, web.settings.public_url)
        set_cookie(response, CSRF_COOKIE, fresh, path="/", secure=secure)
    return response


def message(
    request: Request,
    status: int,
    title: str,
    text: str,
    *,
    link: tuple[str, str] | None = None,
) -> HTMLResponse:
    """A page that only explains something (expired link, refused form, …)."""
    return render(
        request,
        "message.html",
        {"title": title, "text": text, "link": link, "status": status},
        status=status,
    )
