"""Connection endpoints (connection token): the connection, its sync status, sync now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from plantlink import connect
from plantlink.api.deps import Ctx, CurrentConnection
from plantlink.api.errors import APIError
from plantlink.api.schemas import ConnectionOut, SyncTrigger, connection_out, connection_status
from plantlink.core.timeutil import format_us
from plantlink.model.registry import MODELS, MODELS_BY_PATH
from plantlink.sync import state

router = APIRouter(prefix="/v1", tags=["connection"])


@router.get("/connection", response_model=ConnectionOut)
def get_connection(conn: CurrentConnection, ctx: Ctx) -> dict[str, Any]:
    connector = connect.connector_for(conn.system)
    creds = ctx.store.accounts.credentials(conn.id)
    return connection_out(
        conn, connector.models, connect.public_credentials(connector, creds), conn.lease_until
    )


@router.get("/sync-status")
def sync_status(conn: CurrentConnection, ctx: Ctx) -> dict[str, Any]:
    """Per-model sync state; ``last_successful_sync_at`` is safe to use as ``modified_after``."""
    supported = connect.connector_for(conn.system).models
    states = state.load_states(ctx.store.engine, conn.id)
    models = []
    for name, spec in MODELS.items():
        st = states.get(name)
        if name not in supported:
            status = "not_supported"
        elif st is None:
            status = "pending"
        else:
            status = st.status
        models.append(
            {
                "model": spec.path,
                "status": status,
                "is_initial_sync": bool(st is None or st.is_initial_sync) and name in supported,
                "last_successful_sync_at": format_us(st.last_successful_sync_at) if st else None,
                "last_sync_started_at": format_us(st.last_sync_started_at) if st else None,
                "last_sync_finished_at": format_us(st.last_sync_finished_at) if st else None,
                "next_sync_at": format_us(conn.next_sync_at) if name in supported else None,
                "records": st.records if st else 0,
                "error": (
                    {"code": st.error_code, "message": st.error_message}
                    if st is not None and st.error_code
                    else None
                ),
            }
        )
    return {
        "connection_id": conn.id,
        "status": connection_status(conn, conn.lease_until),
        "last_successful_sync_at": format_us(conn.last_successful_sync_at),
        "next_sync_at": format_us(conn.next_sync_at),
        "models": models,
    }


@router.post("/sync", status_code=202)
def trigger_sync(
    conn: CurrentConnection, ctx: Ctx, body: SyncTrigger | None = None
) -> JSONResponse:
    body = body or SyncTrigger()
    supported = connect.connector_for(conn.system).models
    models: list[str] | None = None
    if body.models is not None:
        models = []
        for path in body.models:
            spec = MODELS_BY_PATH.get(path) or MODELS.get(path)
            if spec is None:
                raise APIError(
                    422, "VALIDATION_ERROR", f"unknown model {path!r}", details={"field": "models"}
                )
            if spec.name not in supported:
                raise APIError(
                    400,
                    "MODEL_NOT_SUPPORTED",
                    f"{conn.system} connections do not provide {spec.path}",
                    details={"model": spec.path},
                )
            models.append(spec.name)
    if conn.status == "auth_required":
        raise APIError(
            409,
            "CONNECTION_AUTH_REQUIRED",
            "the source refused the stored credentials; reconnect the connection",
        )
    merged = ctx.dispatcher.request_sync(conn.id, models, body.full, "api")
    return JSONResponse(
        {
            "status": "queued",
            "models": [MODELS[m].path for m in (merged["models"] or supported)],
            "full": merged["full"],
        },
        status_code=202,
    )
