"""The MaintainX vendor plug-in: auth, errors, rate-limit headers and wiring.

Auth is ``Authorization: Bearer <api key>`` (scheme case-insensitive). The sandbox key is
a multi-organization key, so every call except ``GET /organizations`` must name the
organization in ``x-organization-id``: missing → 400 with the vendor's
"Missing x-organization-id header." body, any other organization → 403. A bad or
rotated-away key → 401. Rate limits count per API key (= per user) and are reported in
``X-Rate-Limit-Limit``/``-Remaining``/``-Reset`` on every response.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request

from plantlink.sandbox.core import SandboxState, Vendor, VendorError, Verdict, derive
from plantlink.sandbox.maintainx.api import PREFIX, Reader
from plantlink.sandbox.maintainx.control import Control
from plantlink.sandbox.maintainx.data import MaintainXData
from plantlink.sandbox.maintainx.errors import forbidden
from plantlink.sandbox.maintainx.ops import API_USER, Org
from plantlink.sandbox.maintainx.writes import Writer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _api_key(secret: bytes, organization_id: int, issued: int) -> str:
    """A JWT-shaped key like the vendor's (HS256 over a user/organizations payload)."""
    header = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
    payload = _b64(
        orjson.dumps({"userId": API_USER, "organizationIds": [organization_id], "iat": issued})
    )
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


class MaintainX(Vendor):
    system = "maintainx"
    api_prefix = PREFIX

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.data = MaintainXData(state.seed, state.scale, state.clock.anchor_ms)
        self.org = Org(self.data, state.clock)
        self.reader = Reader(self.org)
        self.writer = Writer(self.org, self.reader, state)
        self.entities.update(Control(self.org).entities())
        secret = derive(state.seed, "api-key").to_bytes(8, "little")
        self.api_key = _api_key(secret, self.data.organization_id, state.clock.anchor_ms // 1000)

    def router(self) -> APIRouter:
        router = APIRouter(dependencies=[Depends(self._organization)])
        router.include_router(self.reader.router())
        router.include_router(self.writer.router())
        return router

    async def _organization(self, request: Request) -> None:
        problem = self.check_organization(request.url.path, request.headers)
        if problem is not None:
            raise problem

    def credentials(self, root_url: str) -> dict[str, Any]:
        return {
            "base_url": f"{root_url}{PREFIX}",
            "api_key": self.api_key,
            "organization_id": self.data.organization_id,
        }

    def rotate_credentials(self) -> None:
        self.api_key = _api_key(
            os.urandom(16), self.data.organization_id, self.state.clock.now_ms() // 1000
        )

    def client_key(self, headers: dict[str, str]) -> str:
        return headers.get("authorization", "").partition(" ")[2].strip() or "anonymous"

    def authenticate(self, headers: dict[str, str]) -> VendorError | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self.api_key.encode()
        ):
            return VendorError(401, {"error": "Invalid token"})
        single = headers.get("x-organization-id")
        several = headers.get("x-organization-ids")
        if single is not None and several is not None:
            return VendorError(
                400,
                {
                    "errors": [
                        {
                            "error": "You cannot use both x-organization-id and "
                            "x-organization-ids headers."
                        }
                    ]
                },
            )
        return None

    def check_organization(self, path: str, headers: Mapping[str, str]) -> VendorError | None:
        """The organisation headers: required for every call but ``/organizations``."""
        if path.rstrip("/") == f"{PREFIX}/organizations":
            return None
        raw = headers.get("x-organization-id") or headers.get("x-organization-ids")
        if raw is None:
            return VendorError(400, {"errors": [{"error": "Missing x-organization-id header."}]})
        ids = [part.strip() for part in raw.split(",")]
        if not all(part.isdigit() for part in ids):
            return VendorError(
                400,
                {
                    "errors": [
                        {
                            "error": "x-organization-id should be integer",
                            "fieldPath": "x-organization-id",
                            "fieldValue": raw,
                        }
                    ]
                },
            )
        if any(int(part) != self.data.organization_id for part in ids):
            return VendorError(
                403,
                {
                    "errors": [
                        {"error": "Forbidden", "fieldPath": "x-organization-id", "fieldValue": raw}
                    ]
                },
            )
        return None

    def error_body(self, status: int) -> Any:
        if status == 503:
            return {"error": "Service Unavailable"}
        return {"error": "Internal server error."}

    def too_many_requests(self, verdict: Verdict) -> VendorError:
        wait = verdict.reset_seconds
        return VendorError(
            429,
            {"error": f"Too many requests. Please retry in {wait} seconds"},
            {"Retry-After": str(wait)},
        )

    def rate_limit_headers(self, verdict: Verdict) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(verdict.limit),
            "X-Rate-Limit-Remaining": str(verdict.remaining),
            "X-Rate-Limit-Reset": str(verdict.reset_seconds),
        }

    def forbidden(self, permission: str) -> VendorError:
        return forbidden()
