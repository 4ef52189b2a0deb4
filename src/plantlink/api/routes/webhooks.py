"""Admin endpoints (admin key): webhook endpoints, their delivery log and replays."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from plantlink.api.cursor import CursorCodec, CursorError
from plantlink.api.deps import AdminOrg, Ctx
from plantlink.api.errors import APIError, invalid_parameter
from plantlink.core.timeutil import format_us
from plantlink.store.accounts import Organization
from plantlink.webhooks import delivery, endpoints
from plantlink.webhooks.endpoints import EVENT_TYPES, Endpoint, EndpointError

router = APIRouter(prefix="/v1/admin/webhooks", tags=["webhooks"])

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
_LIST_PARAMS = ("page_size", "cursor")


class CreateWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(description="absolute http(s) URL that receives the POSTs")
    events: list[str] = Field(description="event types: " + ", ".join(EVENT_TYPES))


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: str


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Standard Webhooks signing secret (whsec_…); shown once")


class AttemptOut(BaseModel):
    id: str
    attempted_at: str
    status_code: int | None
    duration_ms: int
    error: str | None
    response: str | None = Field(description="start of the receiver's answer (at most 1 KB)")


class DeliveryOut(BaseModel):
    id: str
    event_id: str = Field(description="the webhook-id header; replays keep it")
    type: str
    status: str = Field(description="pending | succeeded | failed")
    payload: dict[str, Any]
    created_at: str
    next_attempt_at: str | None
    first_attempted_at: str | None
    last_attempted_at: str | None
    last_status_code: int | None
    last_error: str | None
    replay_of: str | None
    attempt_count: int
    attempts: list[AttemptOut]


class DeliveryPage(BaseModel):
    data: list[DeliveryOut]
    next_cursor: str | None


def _webhook_out(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "created_at": format_us(endpoint.created_at),
    }


def _delivery_out(d: delivery.Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event_id": d.event_id,
        "type": d.event_type,
        "status": d.status,
        "payload": orjson.loads(d.payload),
        "created_at": format_us(d.created_at),
        "next_attempt_at": format_us(d.next_attempt_at),
        "first_attempted_at": format_us(d.first_attempted_at),
        "last_attempted_at": format_us(d.last_attempted_at),
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "replay_of": d.replay_of,
        "attempt_count": d.attempt_count,
        "attempts": [
            {
                "id": a.id,
                "attempted_at": format_us(a.attempted_at),
                "status_code": a.status_code,
                "duration_ms": a.duration_ms,
                "error": a.error,
                "response": a.response,
            }
            for a in d.attempts
        ],
    }


def _owned(ctx: Ctx, org: Organization, webhook_id: str) -> Endpoint:
    endpoint = endpoints.get_endpoint(ctx.store, org.id, webhook_id)
    if endpoint is None:
        raise APIError(404, "NOT_FOUND", f"no webhook {webhook_id!r} in this organization")
    return endpoint


@router.post("", status_code=201, response_model=WebhookCreated)
def create_webhook(body: CreateWebhook, org: AdminOrg, ctx: Ctx) -> dict[str, Any]:
    """Register an endpoint; the signing secret is in this response only."""
    try:
        endpoint, secret = endpoints.create_endpoint(ctx.store, org.id, body.url, body.events)
    except EndpointError as exc:
        details = {"field": exc.field} | ({"event": exc.value} if exc.value else {})
        raise APIError(422, "VALIDATION_ERROR", exc.message, details=details) from exc
    return {**_webhook_out(endpoint), "secret": secret}


@router.get("", response_model=dict[str, list[WebhookOut]])
def list_webhooks(org: AdminOrg, ctx: Ctx) -> dict[str, Any]:
    return {"data": [_webhook_out(e) for e in endpoints.list_endpoints(ctx.store, org.id)]}


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(webhook_id: str, org: AdminOrg, ctx: Ctx) -> dict[str, Any]:
    return _webhook_out(_owned(ctx, org, webhook_id))


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: str, org: AdminOrg, ctx: Ctx) -> Response:
    """Stop sending to this endpoint; its pending deliveries fail, its log is kept."""
    if not endpoints.delete_endpoint(ctx.store, org.id, webhook_id):
        raise APIError(404, "NOT_FOUND", f"no webhook {webhook_id!r} in this organization")
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage)
def list_deliveries(
    webhook_id: str,
    request: Request,
    org: AdminOrg,
    ctx: Ctx,
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
) -> dict[str, Any]:
    """Deliveries to this endpoint, newest first, each with every attempt made."""
    for name in request.query_params:
        if name not in _LIST_PARAMS:
            raise invalid_parameter(name, f"unknown parameter '{name}'")
    endpoint = _owned(ctx, org, webhook_id)
    codec: CursorCodec = ctx.services["cursor"]
    scope = f"webhook-deliveries:{endpoint.id}"
    before = None
    if cursor is not None:
        try:
            before = codec.decode(scope, cursor)
        except CursorError as exc:
            raise invalid_parameter("cursor", str(exc)) from exc
    page = delivery.list_deliveries(ctx.store, endpoint.id, limit=page_size + 1, before=before)
    more = len(page) > page_size
    page = page[:page_size]
    next_cursor = codec.encode(scope, page[-1].created_at, page[-1].id) if more else None
    return {"data": [_delivery_out(d) for d in page], "next_cursor": next_cursor}


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/replay", status_code=202, response_model=DeliveryOut
)
def replay_delivery(webhook_id: str, delivery_id: str, org: AdminOrg, ctx: Ctx) -> dict[str, Any]:
    """Send the delivery's event again (same webhook-id and body) as a new delivery."""
    endpoint = _owned(ctx, org, webhook_id)
    replayed = delivery.replay(ctx.store, endpoint.id, delivery_id)
    if replayed is None:
        raise APIError(404, "NOT_FOUND", f"no delivery {delivery_id!r} for webhook {webhook_id!r}")
    worker = ctx.services.get("webhook_worker")
    if worker is not None:
        worker.wake()
    return _delivery_out(replayed)
