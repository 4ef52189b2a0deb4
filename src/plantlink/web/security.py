"""Browser-facing security: HMAC signatures, CSRF tokens, cookies and response headers.

CSRF uses a signed double submit: a random nonce lives in an ``HttpOnly``,
``SameSite=Lax`` cookie and every form carries ``HMAC(secret, scope, nonce)``. A
cross-site post arrives without the cookie (SameSite) and could not compute the field
anyway; the scope ties a token to one link session or one dashboard login, so a token
lifted from one form does not work on another. No server-side state is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping

from fastapi import Request
from starlette.responses import Response

CSRF_COOKIE = "plk_csrf"
CSRF_FIELD = "csrf_token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Signer:
    """HMAC-SHA256 under a key derived from the app secret (domain-separated per purpose)."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"plantlink-web\x00" + secret.encode()).digest()

    def sign(self, purpose: str, value: str) -> str:
        msg = f"{purpose}\x00{value}".encode()
        return _b64(hmac.new(self._key, msg, hashlib.sha256).digest())

    def verify(self, purpose: str, value: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(purpose, value), signature)


class Csrf:
    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    def token(self, request: Request, scope: str) -> tuple[str, str | None]:
        """The form token for ``scope``, and a new nonce to set as cookie if there was none."""
        nonce = request.cookies.get(CSRF_COOKIE)
        fresh = None
        if not nonce:
            nonce = fresh = secrets.token_urlsafe(24)
        return self._signer.sign(f"csrf:{scope}", nonce), fresh

    def check(self, request: Request, form: Mapping[str, str], scope: str) -> bool:
        nonce = request.cookies.get(CSRF_COOKIE, "")
        sent = form.get(CSRF_FIELD, "")
        return bool(nonce and sent) and self._signer.verify(f"csrf:{scope}", nonce, sent)


def is_https(request: Request, public_url: str) -> bool:
    return request.url.scheme == "https" or public_url.startswith("https://")


def set_cookie(
    response: Response,
    name: str,
    value: str,
    *,
    path: str,
    secure: bool,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, secure=secure, httponly=True, samesite="lax"
    )


def page_headers(form_action: str = "'self'") -> dict[str, str]:
    """Headers for every HTML page: no scripts at all, no framing, no caching, no referrer.

    ``no-referrer`` matters: a link page's URL is a bearer secret and must not leak to the
    integrator's site in the ``Referer`` of the redirect. ``form-action`` must allow the
    integrator's origin because browsers apply it to the redirect that follows a post.
    """
    csp = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
