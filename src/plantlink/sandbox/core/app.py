"""App factory and the vendor-API traffic middleware.

``create_app(VendorClass, seed, scale)`` builds the state, instantiates the vendor (which
generates its tables), mounts the vendor router and the ``/_sandbox`` control router, and
wraps everything in ``VendorTraffic``. That pure-ASGI middleware is where the emulation of
a real, imperfect service lives, for every request under ``Vendor.api_prefix`` only:

1. latency, then one fault draw (in request order, so seeded faults are reproducible);
2. the rate limit for the client (the vendor's headers on every response, its 429);
3. the vendor's auth check;
4. the route, with ``Date`` from the sandbox clock and the rate-limit headers added;
5. stats and the request log, with the status actually sent (0 for a reset).

How a vendor plugs in: export ``create_app = partial(core.create_app, MyVendor)`` style
factory and register it in ``plantlink.sandbox.registry``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plantlink.sandbox.core.clock import Clock, http_date
from plantlink.sandbox.core.control import control_router
from plantlink.sandbox.core.ratelimit import Verdict
from plantlink.sandbox.core.vendor import PermissionDenied, SandboxState, Vendor, VendorError

JSON = "application/json"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=JSON)


def create_app(
    vendor_cls: type[Vendor], seed: int, scale: int, *, anchor_ms: int | None = None
) -> FastAPI:
    """A complete sandbox for one system; same (seed, scale, anchor) ⇒ same data."""
    state = SandboxState(system=vendor_cls.system, seed=seed, scale=scale, clock=Clock(anchor_ms))
    vendor = vendor_cls(state)
    app = FastAPI(
        title=f"plantlink sandbox: {vendor.system}",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sandbox = state
    app.state.vendor = vendor
    app.include_router(vendor.router())
    app.include_router(control_router(state, vendor))

    async def on_vendor_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, VendorError)
        return json_response(exc.body, exc.status, exc.headers)

    async def on_denied(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, PermissionDenied)
        err = vendor.forbidden(exc.permission)
        return json_response(err.body, err.status, err.headers)

    app.add_exception_handler(VendorError, on_vendor_error)
    app.add_exception_handler(PermissionDenied, on_denied)
    app.add_middleware(VendorTraffic, state=state, vendor=vendor)
    return app


class VendorTraffic:
    """Faults, latency, rate limits, auth, ``Date`` and bookkeeping (see module docstring)."""

    def __init__(self, app: ASGIApp, state: SandboxState, vendor: Vendor) -> None:
        self.app = app
        self.state = state
        self.vendor = vendor
        self.prefix = vendor.api_prefix.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, self._dated(send, {}))
            return
        await self._vendor_call(scope, receive, send)

    def _dated(self, send: Send, extra: dict[str, str], sent: list[int] | None = None) -> Send:
        clock = self.state.clock

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                added = [(k.lower().encode(), v.encode()) for k, v in extra.items()]
                added.append((b"date", http_date(clock.now_ms()).encode()))
                names = {k for k, _ in added}
                headers = [(k, v) for k, v in message.get("headers", []) if k not in names]
                headers.extend(added)
                message = {**message, "headers": headers}
                if sent is not None:
                    sent[0] = message["status"]
            await send(message)

        return wrapped

    async def _vendor_call(self, scope: Scope, receive: Receive, send: Send) -> None:
        state, vendor = self.state, self.vendor
        started = state.clock.now_ms()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        sent = [0]
        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            route: str = getattr(scope.get("route"), "path", None) or scope["path"]
            state.observer.record(
                method=scope["method"],
                path=scope["path"],
                route=route,
                query=scope.get("query_string", b"").decode("latin-1"),
                status=sent[0],
                started_ms=started,
                finished_ms=state.clock.now_ms(),
                headers=headers,
            )

        try:
            if state.latency_ms:
                await asyncio.sleep(state.latency_ms / 1000)
            fault = state.faults.draw()
            verdict = state.limiter.hit(vendor.client_key(headers))
            if fault == "reset":
                self._abort(scope, rst=True)
                record()  # before yielding: the client may already be asking for stats
                await asyncio.sleep(0.01)  # let the loop tear the connection down
                return
            if fault == "timeout":
                await asyncio.sleep(state.faults.timeout_ms / 1000)
            if fault == "429":  # injected: looks exhausted, but retrying soon works
                verdict = Verdict(False, verdict.limit, 0, 1)
            limit_headers = vendor.rate_limit_headers(verdict)
            error: VendorError | None = None
            if not verdict.allowed:
                error = vendor.too_many_requests(verdict)
            elif fault in ("500", "503"):
                error = VendorError(int(fault), vendor.error_body(int(fault)))
            else:
                error = vendor.authenticate(headers)
            out = self._dated(send, limit_headers, sent)
            if error is not None:
                response = json_response(error.body, error.status, error.headers)
                await response(scope, receive, out)
            elif fault == "truncated":
                await self.app(scope, receive, self._truncating(scope, out, record))
            else:
                await self.app(scope, receive, out)
        finally:
            record()

    def _abort(self, scope: Scope, rst: bool) -> None:
        abort = self.state.abort_connection
        if abort is None or not abort(scope, rst):
            raise RuntimeError("connection faults need the SandboxServer runner")

    def _truncating(self, scope: Scope, send: Send, hung_up: Callable[[], None]) -> Send:
        """Send status and headers (full Content-Length), half the body, then hang up."""
        start: list[Message] = []
        body = bytearray()

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.append(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            head = start[0]
            headers = [(k, v) for k, v in head.get("headers", []) if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**head, "headers": headers})
            await send(
                {
                    "type": "http.response.body",
                    "body": bytes(body[: len(body) // 2]),
                    "more_body": True,
                }
            )
            self._abort(scope, rst=False)
            hung_up()
            await asyncio.sleep(0.01)

        return wrapped
