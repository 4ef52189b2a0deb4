"""The ``/_sandbox`` control API, identical for every system.

Entity names are the unified model names; each maps to a ``ControlEntity`` the vendor
registered in ``Vendor.entities``. Keys in and out are the remote ids a plantlink
connector reports. Control calls never see faults, latency or rate limits and are not
counted in stats or the request log.

How a vendor plugs in: fill ``Vendor.entities``; nothing else here is vendor-specific.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from plantlink.sandbox.core.clock import iso_ms
from plantlink.sandbox.core.faults import FaultKind
from plantlink.sandbox.core.vendor import (
    ACTIONS,
    UNIFIED_ENTITIES,
    ControlEntity,
    SandboxState,
    Unsupported,
    Vendor,
)


class CountBody(BaseModel):
    entity: str
    count: int = Field(1, ge=1, le=100_000)


class FaultsBody(BaseModel):
    rate: float = Field(ge=0, le=1)
    kinds: list[FaultKind] = Field(default_factory=list)
    seed: int | None = None
    timeout_ms: int = Field(5000, ge=0, le=600_000)
    #: Vendor requests answered normally before the faults begin.
    after: int = Field(0, ge=0)


class RateLimitBody(BaseModel):
    requests: int = Field(ge=0, description="0 lifts the limit (back to the default)")
    per_seconds: int = Field(ge=1)


class LatencyBody(BaseModel):
    ms: int = Field(ge=0, le=600_000)


class PermissionsBody(BaseModel):
    deny: list[str] = Field(default_factory=list)


class ClockBody(BaseModel):
    skew_seconds: float


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def control_router(state: SandboxState, vendor: Vendor) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["sandbox control"])

    def entity(name: str) -> ControlEntity:
        found = vendor.entities.get(name)
        if found is None:
            served = ", ".join(vendor.entities)
            raise HTTPException(404, f"{vendor.system} serves no entity {name!r} ({served})")
        return found

    @router.get("/info")
    async def info(request: Request) -> Response:
        creds = vendor.credentials(str(request.base_url).rstrip("/"))
        return _json(
            {
                "system": vendor.system,
                "base_url": creds["base_url"],
                "credentials": creds,
                "counts": {name: e.count() for name, e in vendor.entities.items()},
            }
        )

    @router.post("/mutate")
    async def mutate(body: CountBody) -> Response:
        target = entity(body.entity)
        try:
            keys = target.mutate(state.control_rng, body.count)
        except Unsupported as exc:
            raise HTTPException(422, str(exc)) from exc
        return _json({"keys": keys})

    @router.post("/create")
    async def create(body: CountBody) -> Response:
        target = entity(body.entity)
        try:
            keys = target.create(state.control_rng, body.count)
        except Unsupported as exc:
            raise HTTPException(422, str(exc)) from exc
        return _json({"keys": keys})

    @router.delete("/records/{name}/{key:path}")
    async def delete(name: str, key: str) -> Response:
        target = entity(name)
        try:
            found = target.delete(key)
        except Unsupported as exc:
            raise HTTPException(422, str(exc)) from exc
        if not found:
            raise HTTPException(404, f"no {name} record {key!r}")
        return _json({"keys": [key]})

    @router.get("/records/{name}")
    async def records(name: str, include_deleted: bool = False) -> Response:
        rows = entity(name).records(include_deleted)
        return _json(
            {
                "records": [
                    {"key": k, "created_at": iso_ms(c), "updated_at": iso_ms(u), "deleted": d}
                    for k, c, u, d in rows
                ]
            }
        )

    @router.post("/faults")
    async def faults(body: FaultsBody) -> Response:
        state.faults.configure(body.rate, body.kinds, body.seed, body.timeout_ms, body.after)
        return _json(
            {
                "rate": body.rate,
                "kinds": list(state.faults.kinds),
                "seed": body.seed,
                "timeout_ms": body.timeout_ms,
                "after": body.after,
            }
        )

    @router.post("/rate-limit")
    async def rate_limit(body: RateLimitBody) -> Response:
        state.limiter.configure(body.requests, body.per_seconds)
        return _json({"requests": body.requests, "per_seconds": body.per_seconds})

    @router.post("/latency")
    async def latency(body: LatencyBody) -> Response:
        state.latency_ms = body.ms
        return _json({"ms": body.ms})

    @router.post("/credentials/rotate")
    async def rotate(request: Request) -> Response:
        vendor.rotate_credentials()
        return _json(vendor.credentials(str(request.base_url).rstrip("/")))

    @router.post("/permissions")
    async def permissions(body: PermissionsBody) -> Response:
        for perm in body.deny:
            name, _, action = perm.partition(":")
            if name not in UNIFIED_ENTITIES or action not in ACTIONS:
                raise HTTPException(
                    422, f"bad permission {perm!r}: want <entity>:<{'|'.join(ACTIONS)}>"
                )
        state.denied = frozenset(body.deny)
        return _json({"deny": sorted(state.denied)})

    @router.get("/stats")
    async def stats() -> Response:
        return _json(state.observer.stats())

    @router.post("/reset-stats")
    async def reset_stats() -> Response:
        state.observer.reset()
        return _json({"ok": True})

    @router.get("/requests")
    async def requests(after: int = 0) -> Response:
        return _json({"requests": state.observer.log_after(after)})

    @router.post("/clock")
    async def clock(body: ClockBody) -> Response:
        state.clock.set_skew(body.skew_seconds)
        now = state.clock.now_ms()
        return _json({"skew_seconds": body.skew_seconds, "now": iso_ms(now)})

    return router
