"""Request and response bodies of the admin and connection endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plantlink.core.timeutil import format_us
from plantlink.model.registry import MODELS
from plantlink.store.accounts import ConnectionRow
from plantlink.sync.lease import is_held


class CreateConnection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: str = Field(description="System id, see GET /v1/systems")
    name: str = Field(min_length=1, max_length=200)
    credentials: dict[str, Any]
    settings: dict[str, Any] = Field(default_factory=dict)


class Reconnect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credentials: dict[str, Any]


class UpdateOrganization(BaseModel):
    model_config = ConfigDict(extra="forbid")
    redirect_urls: list[str] = Field(max_length=50)


class SyncTrigger(BaseModel):
    model_config = ConfigDict(extra="forbid")
    models: list[str] | None = Field(default=None, description="model path names; all if omitted")
    full: bool = Field(default=False, description="re-read the whole window, not just changes")


class ConnectionOut(BaseModel):
    id: str
    system: str
    name: str
    status: str
    status_reason: str | None
    settings: dict[str, Any]
    credentials: dict[str, Any] = Field(description="non-secret credential fields only")
    created_at: str
    updated_at: str
    last_successful_sync_at: str | None
    next_sync_at: str | None
    models: dict[str, list[str]]


class ConnectionWithToken(BaseModel):
    connection: ConnectionOut
    token: str = Field(description="the connection token; shown once")


def connection_status(conn: ConnectionRow, lease_until: int | None) -> str:
    if conn.status == "active" and is_held(lease_until):
        return "syncing"
    return conn.status


def connection_out(
    conn: ConnectionRow,
    supported: tuple[str, ...],
    public_credentials: dict[str, Any],
    lease_until: int | None,
) -> dict[str, Any]:
    return {
        "id": conn.id,
        "system": conn.system,
        "name": conn.name,
        "status": connection_status(conn, lease_until),
        "status_reason": conn.status_reason,
        "settings": conn.settings,
        "credentials": public_credentials,
        "created_at": format_us(conn.created_at),
        "updated_at": format_us(conn.updated_at),
        "last_successful_sync_at": format_us(conn.last_successful_sync_at),
        "next_sync_at": format_us(conn.next_sync_at),
        "models": {
            "supported": [MODELS[m].path for m in MODELS if m in supported],
            "not_supported": [MODELS[m].path for m in MODELS if m not in supported],
        },
    }
