"""Opaque, signed list cursors.

A cursor names the last ``(modified_at, id)`` returned and the query it belongs to. It
is HMAC-signed so a forged or edited cursor, or one replayed against another
connection, model or filter set, is refused with a 400 instead of silently returning
the wrong page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import orjson


class CursorError(ValueError):
    pass


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"plantlink-cursor\x00" + secret.encode()).digest()

    def _sig(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def encode(self, scope: str, modified_at: int, record_id: str) -> str:
        payload = orjson.dumps([1, scope, modified_at, record_id])
        token = base64.urlsafe_b64encode(payload + self._sig(payload)).decode()
        return token.rstrip("=")

    def decode(self, scope: str, token: str) -> tuple[int, str]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError) as exc:
            raise CursorError("cursor is not valid") from exc
        payload, sig = raw[:-16], raw[-16:]
        if len(raw) <= 16 or not hmac.compare_digest(sig, self._sig(payload)):
            raise CursorError("cursor is not valid (forged or damaged)")
        try:
            version, cur_scope, modified_at, record_id = orjson.loads(payload)
        except (orjson.JSONDecodeError, ValueError) as exc:
            raise CursorError("cursor is not valid") from exc
        if version != 1 or cur_scope != scope:
            raise CursorError(
                "cursor belongs to a different query: keep the same filters while paging"
            )
        return int(modified_at), str(record_id)
