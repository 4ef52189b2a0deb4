"""MaintainX REST API v1: bearer key, ``x-organization-id``, cursor paging, JSON errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from plantlink.connectors.errors import raise_for_status
from plantlink.connectors.http import PoliteClient


def error_message(body: Any) -> str:
    """MaintainX errors: ``{"error": "..."}`` or ``{"errors": [{"error": "..."}]}``."""
    if isinstance(body, dict):
        if isinstance(body.get("error"), str):
            return str(body["error"])
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            parts = [
                e.get("error") or e.get("message") or str(e) for e in errors if isinstance(e, dict)
            ]
            return "; ".join(str(p) for p in parts) or str(errors)
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return (str(body)[:500] if body else "") or "MaintainX error"


class RateLimitWindow:
    """Hold off until the window resets once ``X-Rate-Limit-Remaining`` hits zero.

    ``X-Rate-Limit-Reset`` is read as epoch seconds when it looks like one, else as
    seconds from now (the vendor documents the header, not its unit). Seconds from now
    come rounded up to whole seconds, so the value read when the window is spent can
    overstate the wait by up to a second — a whole window when windows are short (with a
    10 requests/s limit that halved the pace). The reset instant is a property of the
    window, so every response of the window estimates it; the tightest (earliest)
    estimate since the window began is the one used. Every estimate is at or after the
    true reset, so the pause never ends early. One instance per client (it keeps state).
    """

    def __init__(self) -> None:
        self._reset_at: float | None = None
        self._remaining: int | None = None

    def __call__(self, response: httpx.Response) -> float | None:
        remaining_text = response.headers.get("x-rate-limit-remaining")
        reset_text = response.headers.get("x-rate-limit-reset")
        if remaining_text is None or reset_text is None:
            return None
        try:
            remaining = int(float(remaining_text))
            value = float(reset_text)
        except ValueError:
            return None
        now = time.monotonic()
        wait = value - time.time() if value > 1e9 else value
        estimate = now + max(0.0, min(wait, 120.0))
        new_window = (
            self._reset_at is None
            or now >= self._reset_at
            or (self._remaining is not None and remaining > self._remaining)
        )
        if new_window or self._reset_at is None:  # (the second test narrows the type)
            self._reset_at = estimate
        else:
            self._reset_at = min(self._reset_at, estimate)
        self._remaining = remaining
        if remaining > 0:
            return None
        return max(0.0, self._reset_at - now)


def format_time(value: datetime) -> str:
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


class MaintainXClient:
    def __init__(self, http: PoliteClient) -> None:
        self.http = http
        self._cache: dict[str, Any] = {}

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        """Reference data fetched once per client (one sync run or one write)."""
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def list_all(self, path: str, key: str) -> list[dict[str, Any]]:
        """Every record of a small collection (criticalities, teams), following cursors."""
        out: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 200}
        while True:
            body, _ = self.get_json(path, params)
            out.extend(body.get(key) or [])
            cursor = body.get("nextCursor")
            if not cursor:
                return out
            params = {"limit": 200, "cursor": cursor}

    def request_json(self, method: str, path: str, **kw: Any) -> Any:
        response, body = self.http.json(method, path, **kw)
        if response.status_code >= 400:
            raise_for(response.status_code, body)
        return body

    def get_json(self, path: str, params: dict[str, Any]) -> tuple[Any, datetime | None]:
        response, body = self.http.json("GET", path, params=params)
        if response.status_code >= 400:
            raise_for(response.status_code, body)
        return body, self.http.last_source_time


def raise_for(status: int, body: Any) -> None:
    raise_for_status(status, body, error_message(body))
