"""Pure-ASGI middleware (cheap on the hot path): request ids and the body-size limit."""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class RequestContextMiddleware:
    """Gives every request an id (honouring a sane incoming ``X-Request-Id``), returns it
    on every response, and refuses bodies over ``max_body`` bytes with a 413."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        length = None
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                incoming = value.decode("latin-1")
            elif key == b"content-length":
                length = value
        request_id = incoming if _SAFE_ID.match(incoming) else f"req_{uuid.uuid4().hex}"
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _too_large(send_with_id, request_id, self.max_body)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:
            await _too_large(send_with_id, request_id, self.max_body)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Any, request_id: str, limit: int) -> None:
    body = orjson.dumps(
        {
            "error": {
                "code": "PAYLOAD_TOO_LARGE",
                "type": "invalid_request_error",
                "message": f"request body larger than {limit} bytes",
                "request_id": request_id,
            }
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
