"""SAP S/4HANA sandbox: six OData V2 APIs over deterministic plant data.

Serves `API_MAINTENANCEORDER`, `API_EQUIPMENT`, `API_FUNCTIONALLOCATION`,
`API_PURCHASEORDER_PROCESS_SRV`, `API_BUSINESS_PARTNER` and `API_PRODUCT_SRV` under
`/sap/opu/odata/sap/<SERVICE>/` with HTTP Basic auth and SAP's CSRF-token dance; the core
adds `/_sandbox`, faults, latency, rate limits and the runner.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from plantlink.sandbox import core
from plantlink.sandbox.core.ratelimit import Verdict
from plantlink.sandbox.core.rng import Rng, derive
from plantlink.sandbox.core.vendor import PermissionDenied, SandboxState, Vendor, VendorError
from plantlink.sandbox.sap_s4hana.api import SESSION_COOKIE, ServiceEndpoint
from plantlink.sandbox.sap_s4hana.control import control_entities
from plantlink.sandbox.sap_s4hana.db import Database
from plantlink.sandbox.sap_s4hana.errors import ODataError
from plantlink.sandbox.sap_s4hana.services import SERVICES
from plantlink.sandbox.sap_s4hana.writes import Writer

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "MERGE", "DELETE"]
MAX_SESSIONS = 10_000
USERNAME = "PLANTLINK"
REALM = "SAP NetWeaver Application Server [S4H/100]"


class SapS4Hana(Vendor):
    system = "sap_s4hana"
    api_prefix = "/sap/opu/odata/sap"

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.db = Database(state.seed, state.scale, state.clock.anchor_ms)
        self.username = USERNAME
        self.password = Rng(derive(state.seed, "sap-password")).hex(24)
        self.sessions: dict[str, str] = {}  # session cookie → its CSRF token
        self.page_sizes = {s.name: s.max_page for v in SERVICES.values() for s in v.sets}
        """Server-side page size per entity set (SAP sets it in the backend; tests shrink it)."""
        self.writer = Writer(self.db, state.clock, lambda: self.username)
        self.entities = control_entities(self)

    # --- the vendor's routes -------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter()
        for service in SERVICES.values():
            endpoint = ServiceEndpoint(self, service)
            root = f"{self.api_prefix}/{service.name}"
            router.add_api_route(root, endpoint, methods=METHODS, include_in_schema=False)
            router.add_api_route(
                root + "/{resource:path}", endpoint, methods=METHODS, include_in_schema=False
            )

        async def unknown_service(request: Request) -> Response:
            name = request.path_params["service"]
            error = ODataError(
                404,
                "/IWFND/MED/170",
                f"No service found for namespace '', name '{name}', version '0001'",
            )
            return core.json_response(error.body(name, self.state.clock.now_ms()), 404)

        router.add_api_route(
            self.api_prefix + "/{service}/{resource:path}",
            unknown_service,
            methods=METHODS,
            include_in_schema=False,
        )
        return router

    def require(self, permission: str) -> None:
        """The core's permission check, answered with SAP's 403 body."""
        try:
            self.state.require(permission)
        except PermissionDenied:
            raise self.permission_error(permission) from None

    def permission_error(self, permission: str) -> ODataError:
        entity, _, action = permission.partition(":")
        return ODataError(
            403,
            "/IWBEP/CM_MGW_RT/000",
            f"User {self.username} is not authorized to {action} {entity.replace('_', ' ')}",
        )

    # --- CSRF: GET/HEAD with `X-CSRF-Token: Fetch` issues a token bound to a session ------

    def csrf_fetch(self, request: Request) -> dict[str, str]:
        session = request.cookies.get(SESSION_COOKIE)
        headers: dict[str, str] = {}
        if session is None or session not in self.sessions:
            session = secrets.token_hex(16)
            if len(self.sessions) >= MAX_SESSIONS:
                del self.sessions[next(iter(self.sessions))]
            self.sessions[session] = secrets.token_urlsafe(18)
            headers["set-cookie"] = f"{SESSION_COOKIE}={session}; path=/; HttpOnly"
        headers["x-csrf-token"] = self.sessions[session]
        return headers

    def csrf_refusal(self, request: Request) -> Response | None:
        """None if the request carries a valid token for its session, else SAP's 403."""
        session = request.cookies.get(SESSION_COOKIE)
        token = request.headers.get("x-csrf-token")
        if session is not None and token and self.sessions.get(session) == token:
            return None
        return Response(
            b"CSRF token validation failed", 403, {"x-csrf-token": "Required"}, "text/plain"
        )

    # --- credentials, auth and the core's error hooks ------------------------------------

    def credentials(self, root_url: str) -> dict[str, Any]:
        return {"base_url": root_url, "username": self.username, "password": self.password}

    def rotate_credentials(self) -> None:
        self.password = secrets.token_hex(12)
        self.sessions.clear()  # tokens are bound to the old logon

    def _user(self, headers: dict[str, str]) -> tuple[str, str] | None:
        scheme, _, encoded = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (user, password) if sep else None

    def authenticate(self, headers: dict[str, str]) -> VendorError | None:
        login = self._user(headers)
        if login is not None and login[0].upper() == self.username and login[1] == self.password:
            return None
        return self.vendor_error(
            ODataError(
                401,
                "/IWFND/CM_CONSUMER/101",
                "Logon failed: user or password is incorrect",
                headers={"www-authenticate": f'Basic realm="{REALM}"'},
            )
        )

    def client_key(self, headers: dict[str, str]) -> str:
        login = self._user(headers)
        return login[0].upper() if login else "anonymous"

    def vendor_error(self, error: ODataError) -> VendorError:
        """An SAP error raised by the core's middleware (before any service is resolved)."""
        return VendorError(error.status, error.body("", self.state.clock.now_ms()), error.headers)

    def error_body(self, status: int) -> Any:
        if status == 503:
            error = ODataError(
                503,
                "/IWFND/CM_BEC/026",
                "Service is temporarily unavailable: the backend system is overloaded",
            )
        else:
            error = ODataError(
                500, "/IWBEP/CM_MGW_RT/017", "An exception was raised in the backend system"
            )
        return self.vendor_error(error).body

    def too_many_requests(self, verdict: Verdict) -> VendorError:
        return self.vendor_error(
            ODataError(
                429,
                "/IWFND/CM_CONSUMER/429",
                f"Too many requests: limit of {verdict.limit} reached, retry later",
                headers={"retry-after": str(verdict.reset_seconds)},
            )
        )

    def rate_limit_headers(self, verdict: Verdict) -> dict[str, str]:
        return {}  # SAP Gateway publishes no rate-limit headers

    def forbidden(self, permission: str) -> VendorError:
        return self.vendor_error(self.permission_error(permission))


def create_app(seed: int, scale: int, *, anchor_ms: int | None = None) -> FastAPI:
    return core.create_app(SapS4Hana, seed, scale, anchor_ms=anchor_ms)
