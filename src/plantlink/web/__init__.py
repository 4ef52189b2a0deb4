"""Browser-facing pages: the hosted connect flow (``/link``) and the dashboard (``/dashboard``)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from plantlink.api.deps import AppContext
from plantlink.web import dashboard, link
from plantlink.web.pages import Web
from plantlink.web.security import Csrf, Signer


def install(app: FastAPI, ctx: AppContext) -> None:
    signer = Signer(ctx.settings.resolved_secret_key())
    ctx.services["web"] = Web(ctx.settings, signer, Csrf(signer))
    app.include_router(link.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(packages=[("plantlink.web", "static")]), name="static")
