"""What can go wrong talking to a source, in terms the engine and the API act on."""

from __future__ import annotations

from typing import Any


class SourceError(Exception):
    """The source failed in a way we could not map (→ 502 ``SOURCE_ERROR``)."""

    code = "SOURCE_ERROR"
    http_status = 502

    def __init__(
        self, message: str, *, status: int | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details or {}


class AuthFailed(SourceError):
    """The source refused our credentials; the connection needs a reconnect."""

    code = "CONNECTION_AUTH_REQUIRED"
    http_status = 409


class SourceUnavailable(SourceError):
    """Unreachable, timing out or failing with 5xx after every retry (→ 503)."""

    code = "SOURCE_UNAVAILABLE"
    http_status = 503


class SourceRateLimited(SourceUnavailable):
    """Still rate limited after every retry."""

    code = "RATE_LIMIT_EXCEEDED"
    http_status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class SourceRejected(SourceError):
    """The source refused a request with a 4xx we pass on (business rule, bad input)."""

    code = "SOURCE_ERROR"
    http_status = 422


class SourcePermissionDenied(SourceRejected):
    code = "PERMISSION_DENIED"
    http_status = 403


class SourceNotFound(SourceRejected):
    code = "NOT_FOUND"
    http_status = 404


def raise_for_status(status: int, body: Any, message: str) -> None:
    """Turn a source's error answer into our error classes; ``message`` is the source's
    own text, read from ``body`` by the connector (every vendor words errors differently)."""
    details = {"source_error": body} if isinstance(body, dict) else None
    if status == 403:
        raise SourcePermissionDenied(message, status=status, details=details)
    if status == 404:
        raise SourceNotFound(message, status=status, details=details)
    if 400 <= status < 500:
        raise SourceRejected(message, status=status, details=details)
    raise SourceError(message, status=status, details=details)
