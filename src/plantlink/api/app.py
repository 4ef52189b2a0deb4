"""The FastAPI application: routes, error envelope, middleware, background services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from starlette.responses import Response

from plantlink import __version__, web
from plantlink.api import errors
from plantlink.api.cursor import CursorCodec
from plantlink.api.deps import AppContext
from plantlink.api.middleware import RequestContextMiddleware
from plantlink.api.routes import (
    admin,
    connection,
    link_sessions,
    passthrough,
    records,
    systems,
    webhooks,
    writes,
)
from plantlink.connectors.http import limiter_storage
from plantlink.core.config import Settings, get_settings
from plantlink.jobs import Dispatcher
from plantlink.jobs.embedded import EmbeddedDispatcher
from plantlink.store import Store
from plantlink.sync.engine import SyncEngine
from plantlink.webhooks import events
from plantlink.webhooks.worker import WebhookWorker
from plantlink.writes.idempotency import IdempotencyStore
from plantlink.writes.pipeline import WriteService

if TYPE_CHECKING:  # procrastinate is loaded only in scale-out mode
    from plantlink.jobs.procrastinate_app import ProcrastinateDispatcher

DESCRIPTION = """One API over maintenance and ERP systems.

Admin calls use `Authorization: Bearer <admin key>`; data calls use
`Authorization: Bearer <connection token>`. Errors are
`{"error": {"code", "type", "message", "request_id", "details"?}}`.
"""


def build_context(settings: Settings, store: Store | None = None) -> AppContext:
    """Embedded mode runs syncs and deliveries here; scale-out mode only queues jobs.

    With embedded workers off on SQLite (tests, a read-only API) requests are only
    recorded: whoever runs syncs on that file picks them up from the database.
    """
    store = store or Store.open(settings)
    storage = limiter_storage(settings.rate_limit_storage)
    worker: WebhookWorker | None = None
    scaleout: ProcrastinateDispatcher | None = None
    queue_metrics: CollectorRegistry | None = None
    wake: Callable[[], None] | None = None
    if settings.run_embedded_workers:
        worker = WebhookWorker(store, retry_base_seconds=settings.webhook_retry_base_seconds)
        wake = worker.wake
    elif not settings.is_sqlite:
        from plantlink.jobs.procrastinate_app import ProcrastinateDispatcher, QueueCollector

        scaleout = ProcrastinateDispatcher(settings, store)
        wake = scaleout.wake_deliveries
        queue_metrics = CollectorRegistry(auto_describe=False)
        queue_metrics.register(QueueCollector(store, settings.worker_stalled_seconds))
    engine = SyncEngine(
        store, rate_limit_storage=settings.rate_limit_storage, on_event=events.sink(store, wake)
    )
    dispatcher: Dispatcher = scaleout or EmbeddedDispatcher(store, engine)
    ctx = AppContext(
        settings=settings,
        store=store,
        dispatcher=dispatcher,
        limiter_storage=storage,
        services={"sync_engine": engine, "webhook_worker": worker, "queue_metrics": queue_metrics},
    )
    ctx.services["cursor"] = CursorCodec(settings.resolved_secret_key())
    ctx.services["writes"] = WriteService(store, engine, storage)
    ctx.services["idempotency"] = IdempotencyStore(
        store.engine,
        ttl_seconds=settings.idempotency_ttl_hours * 3600,
        wait_seconds=settings.idempotency_wait_seconds,
    )
    return ctx


def _document_in_reading_order(app: FastAPI, after: APIRouter, insert: APIRouter) -> None:
    """Generate the OpenAPI document with ``insert``'s routes right after ``after``'s.

    The read API is served by two undocumented routes matched first (the hot path); its
    per-model routes (``records.documented``) are listed where readers expect them
    (admin, …, writes, then the read API).
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            routes = list(app.routes)
            anchor = next(
                (i for i, r in enumerate(routes) if getattr(r, "original_router", None) is after),
                len(routes) - 1,
            )
            routes = routes[: anchor + 1] + list(insert.routes) + routes[anchor + 1 :]
            app.openapi_schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                terms_of_service=app.terms_of_service,
                contact=app.contact,
                license_info=app.license_info,
                routes=routes,
                webhooks=app.webhooks.routes,
                tags=app.openapi_tags,
                servers=app.servers,
                separate_input_output_schemas=app.separate_input_output_schemas,
                external_docs=app.openapi_external_docs,
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None, ctx: AppContext | None = None) -> FastAPI:
    settings = settings or get_settings()
    context = ctx or build_context(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker: WebhookWorker | None = context.services.get("webhook_worker")
        if settings.run_embedded_workers:
            context.dispatcher.start()
            if worker is not None:
                worker.start()
        try:
            yield
        finally:
            context.dispatcher.stop()
            if worker is not None:
                worker.stop()

    app = FastAPI(
        title="plantlink",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.ctx = context
    errors.install(app)
    app.add_middleware(RequestContextMiddleware, max_body=settings.max_body_bytes)
    # The read API first: routes are matched in order, and it is the hot path (matching
    # ~80 routes before it was a sixth of a list request's CPU). Its two routes match
    # only model paths, which no other route matches (tested): the order changes no
    # outcome.
    for module in (
        records,
        admin,
        link_sessions,
        webhooks,
        systems,
        connection,
        passthrough,
        writes,
    ):
        app.include_router(module.router)
    web.install(app, context)
    _document_in_reading_order(app, after=writes.router, insert=records.documented)

    @app.get("/v1/{name}", include_in_schema=False)
    def unknown_model(name: str) -> None:
        raise records.unknown_model(name)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz(request: Request) -> Response:
        try:
            with context.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return errors.error_response(request, 503, "NOT_READY", f"database unreachable: {exc}")
        return Response(b'{"status":"ready"}', media_type="application/json")

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        body = generate_latest()
        queue_metrics: CollectorRegistry | None = context.services.get("queue_metrics")
        if queue_metrics is not None:
            body += generate_latest(queue_metrics)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app
