"""The polite HTTP client against a live sandbox: retries, Retry-After, auth failures."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from plantlink.connectors.errors import AuthFailed, SourceRateLimited, SourceUnavailable
from plantlink.connectors.http import PoliteClient, RateLimit, RetryPolicy
from plantlink.sandbox.core.server import SandboxServer


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer("maintainx", seed=1, scale=50) as sb:
        yield sb


def _client(sb: SandboxServer, *, key: str | None = None, **kw: object) -> PoliteClient:
    creds = sb.info["credentials"]
    return PoliteClient(
        creds["base_url"],
        system="maintainx",
        limiter_key=f"test-{time.monotonic_ns()}",
        rate_limit=kw.pop("rate_limit", None),  # type: ignore[arg-type]
        headers={
            "Authorization": f"Bearer {key or creds['api_key']}",
            "x-organization-id": str(creds["organization_id"]),
        },
        **kw,  # type: ignore[arg-type]
    )


def _control(sb: SandboxServer, path: str, body: dict[str, object]) -> None:
    assert httpx.post(f"{sb.base_url}{path}", json=body, timeout=30).status_code == 200


def test_retry_after_is_waited_for(sandbox: SandboxServer) -> None:
    _control(sandbox, "/_sandbox/rate-limit", {"requests": 2, "per_seconds": 1})
    try:
        with _client(
            sandbox, retry=RetryPolicy(attempts=6, wait_initial=0.01, wait_jitter=0)
        ) as http:
            started = time.monotonic()
            statuses = [
                http.request("GET", "/users", params={"limit": 1}).status_code for _ in range(5)
            ]
            elapsed = time.monotonic() - started
        assert statuses == [200] * 5
        assert http.retries >= 1
        assert elapsed >= 1.0  # it waited for the window instead of hammering
    finally:
        _control(sandbox, "/_sandbox/rate-limit", {"requests": 100000, "per_seconds": 60})


def test_transport_faults_are_retried(sandbox: SandboxServer) -> None:
    _control(
        sandbox,
        "/_sandbox/faults",
        {"rate": 0.5, "kinds": ["reset", "truncated", "500"], "seed": 4},
    )
    try:
        with _client(
            sandbox, retry=RetryPolicy(attempts=12, wait_initial=0.01, wait_max=0.05)
        ) as http:
            for _ in range(6):
                response, body = http.json("GET", "/workorders", params={"limit": 50})
                assert response.status_code == 200 and len(body["workOrders"]) == 50
        assert http.retries > 0
    finally:
        _control(sandbox, "/_sandbox/faults", {"rate": 0})


def test_attempts_are_bounded(sandbox: SandboxServer) -> None:
    _control(sandbox, "/_sandbox/faults", {"rate": 1, "kinds": ["503"]})
    try:
        with _client(
            sandbox, retry=RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02)
        ) as http:
            with pytest.raises(SourceUnavailable):
                http.request("GET", "/users")
            assert http.requests == 3
    finally:
        _control(sandbox, "/_sandbox/faults", {"rate": 0})


def test_refused_credentials_are_not_retried(sandbox: SandboxServer) -> None:
    with _client(sandbox, key="wrong") as http:
        with pytest.raises(AuthFailed, match="Invalid token"):
            http.request("GET", "/users")
        assert http.requests == 1


def test_our_own_limit_spaces_requests(sandbox: SandboxServer) -> None:
    with _client(sandbox, rate_limit=RateLimit(3, 1)) as http:
        started = time.monotonic()
        for _ in range(7):
            http.request("GET", "/users", params={"limit": 1})
        assert time.monotonic() - started >= 2.0


def test_max_wait_gives_up_instead_of_waiting(sandbox: SandboxServer) -> None:
    """Interactive callers (API writes) get SourceRateLimited with the wait, not a stall."""
    with _client(sandbox, rate_limit=RateLimit(1, 60), max_wait=2.0) as http:
        assert http.request("GET", "/users", params={"limit": 1}).status_code == 200
        with pytest.raises(SourceRateLimited) as exc:
            http.request("GET", "/users", params={"limit": 1})
    assert exc.value.retry_after is not None and exc.value.retry_after > 2.0
    assert http.requests == 1  # the second request was never sent
