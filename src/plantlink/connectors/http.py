"""The one polite HTTP client every connector talks through.

Politeness is not optional and not per-connector code: a per-credential rate limit
(``limits`` moving window, shared across threads — and across processes when a shared
storage is configured), the vendor's own rate-limit headers, ``Retry-After``, and
exponential backoff with jitter (``stamina``) for 429, 5xx, timeouts, resets and
truncated bodies, with a bounded number of attempts.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson
import stamina
import structlog
from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from plantlink.connectors.errors import (
    AuthFailed,
    SourceError,
    SourceRateLimited,
    SourceUnavailable,
)
from plantlink.core import metrics

log = structlog.get_logger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: float

    def item(self) -> Any:
        if float(self.per_seconds).is_integer():
            return parse(f"{self.requests}/{int(self.per_seconds)} second")
        return RateLimitItemPerSecond(self.requests, max(1, round(self.per_seconds)))


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    wait_initial: float = 0.5
    wait_max: float = 30.0
    wait_jitter: float = 0.5
    timeout: float = 300.0


class _Retryable(Exception):
    def __init__(self, response: httpx.Response | None, reason: str, wait: float | None) -> None:
        super().__init__(reason)
        self.response = response
        self.reason = reason
        self.wait = wait


#: Sources count our requests as they arrive, in windows of their own clock. A request
#: sent the instant the oldest one leaves our window may still land in the source's
#: previous window (the oldest took longer to arrive), so every request also keeps this
#: much distance from the one ``limit`` places before it. ``limits`` counts whole
#: seconds only (and must, for its Redis storage), hence this small in-process guard.
ARRIVAL_MARGIN_SECONDS = 0.05


class _ArrivalGuard:
    """Per limiter key, the send times of the last ``limit`` requests of this process."""

    def __init__(self) -> None:
        self._sent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, limit: int, per_seconds: float) -> float:
        """Seconds until a request may go without crowding the source's window."""
        with self._lock:
            sent = self._sent.get(key)
            if sent is None or len(sent) < limit:
                return 0.0
            return sent[0] + per_seconds + ARRIVAL_MARGIN_SECONDS - time.monotonic()

    def record(self, key: str, limit: int) -> None:
        with self._lock:
            sent = self._sent.get(key)
            if sent is None or sent.maxlen != limit:
                sent = self._sent[key] = deque(maxlen=limit)
            sent.append(time.monotonic())


_guard = _ArrivalGuard()
_storages: dict[str, Storage] = {}
_storages_lock = threading.Lock()


def retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem, *identifiers: str) -> int:
    """Whole seconds (at least 1) until ``item``'s window admits a request again: Retry-After."""
    stats = limiter.get_window_stats(item, *identifiers)
    return max(1, int(stats.reset_time - time.time()) + 1)


def limiter_storage(uri: str = "") -> Storage:
    """Process-wide limiter storage: memory by default, or a shared ``limits`` storage URI."""
    key = uri or "memory://"
    with _storages_lock:
        if key not in _storages:
            storage = MemoryStorage() if not uri else storage_from_string(uri)
            assert isinstance(storage, Storage), "an async limits storage cannot be used here"
            _storages[key] = storage
        return _storages[key]


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class PoliteClient:
    """httpx with manners. One instance per sync run or write request.

    ``pause_hint`` lets a connector read its vendor's rate-limit headers and return how
    long to hold off before the next request (e.g. MaintainX ``X-Rate-Limit-Remaining: 0``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        system: str,
        limiter_key: str,
        rate_limit: RateLimit | None,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        pause_hint: Callable[[httpx.Response], float | None] | None = None,
        storage: Storage | None = None,
        transport: httpx.BaseTransport | None = None,
        max_wait: float | None = None,
    ) -> None:
        self.system = system
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            headers={"User-Agent": "plantlink/0.1", **(headers or {})},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            follow_redirects=False,
        )
        self._limit = rate_limit.item() if rate_limit else None
        self._limiter = MovingWindowRateLimiter(storage or limiter_storage())
        self._key = limiter_key
        self._retry = retry or RetryPolicy()
        self._pause_hint = pause_hint
        self._paused_until = 0.0
        #: Interactive callers (API writes) give up with ``SourceRateLimited`` rather than
        #: wait longer than this for the source's rate limit; syncs wait (None).
        self._max_wait = max_wait
        self.requests = 0
        self.retries = 0
        self.last_source_time: datetime | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._http.cookies

    def _too_long(self, wait: float) -> None:
        if self._max_wait is not None and wait > self._max_wait:
            raise SourceRateLimited(
                f"{self.system}'s rate limit needs a pause of {wait:.0f} s",
                status=429,
                retry_after=wait,
            )

    def _wait_for_slot(self) -> None:
        pause = self._paused_until - time.monotonic()
        if pause > 0:
            self._too_long(pause)
            time.sleep(pause)
        if self._limit is None:
            return
        amount, per = self._limit.amount, self._limit.get_expiry()
        while True:
            wait = _guard.wait(self._key, amount, per)
            if wait > 0:
                self._too_long(wait)
                time.sleep(wait)
            if self._limiter.hit(self._limit, self._key):
                break
            stats = self._limiter.get_window_stats(self._limit, self._key)
            wait = max(stats.reset_time - time.time(), 0.005)
            self._too_long(wait)
            time.sleep(min(wait, 5.0))
        _guard.record(self._key, amount)

    def _send_once(self, method: str, url: str, kw: dict[str, Any]) -> httpx.Response:
        self._wait_for_slot()
        self.requests += 1
        try:
            response = self._http.request(method, url, **kw)
        except httpx.TransportError as exc:
            metrics.SOURCE_REQUESTS.labels(self.system, "error").inc()
            raise _Retryable(None, f"{type(exc).__name__}: {exc}", None) from exc
        metrics.SOURCE_REQUESTS.labels(self.system, str(response.status_code)).inc()
        date = response.headers.get("date")
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.last_source_time = parsedate_to_datetime(date).astimezone(UTC)
        if self._pause_hint is not None:
            pause = self._pause_hint(response)
            if pause:
                self._paused_until = max(self._paused_until, time.monotonic() + pause)
        if response.status_code in RETRY_STATUSES:
            wait = retry_after_seconds(response)
            if response.status_code == 429 and wait is None and self._pause_hint:
                wait = self._pause_hint(response)
            raise _Retryable(response, f"HTTP {response.status_code}", wait)
        return response

    def request(self, method: str, url: str, *, retry: bool = True, **kw: Any) -> httpx.Response:
        """Send with rate limiting and retries; 401 raises AuthFailed, other 4xx are returned."""
        policy = self._retry

        def backoff(exc: Exception) -> bool | float:
            if not isinstance(exc, _Retryable):
                return False
            if self._max_wait is not None and (exc.wait or 0) > self._max_wait:
                return False
            self.retries += 1
            metrics.SOURCE_RETRIES.labels(self.system).inc()
            log.info("source_retry", system=self.system, reason=exc.reason, wait=exc.wait)
            return exc.wait if exc.wait is not None else True

        attempts = policy.attempts if retry else 1
        try:
            for attempt in stamina.retry_context(
                on=backoff,
                attempts=attempts,
                timeout=policy.timeout,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=policy.wait_jitter,
            ):
                with attempt:
                    response = self._send_once(method, url, kw)
        except _Retryable as exc:
            if exc.response is not None and exc.response.status_code == 429:
                raise SourceRateLimited(
                    f"{self.system} kept answering 429 after {attempts} attempts",
                    status=429,
                    retry_after=exc.wait,
                ) from None
            status = exc.response.status_code if exc.response is not None else None
            raise SourceUnavailable(
                f"{self.system} unavailable after {attempts} attempts: {exc.reason}", status=status
            ) from None
        if response.status_code == 401:
            raise AuthFailed(
                f"{self.system} refused the credentials: {_brief(response)}", status=401
            )
        return response

    def json(self, method: str, url: str, **kw: Any) -> tuple[httpx.Response, Any]:
        """Request and parse JSON; a body that does not parse is retried like a reset."""
        for _ in range(self._retry.attempts):
            response = self.request(method, url, **kw)
            if response.status_code >= 400:
                return response, safe_json(response)
            try:
                return response, orjson.loads(response.content)
            except orjson.JSONDecodeError:
                self.retries += 1
                metrics.SOURCE_RETRIES.labels(self.system).inc()
                continue
        raise SourceError(f"{self.system} kept sending bodies that are not JSON")


def safe_json(response: httpx.Response) -> Any:
    """A source's answer as JSON where it is JSON, else its text (None when empty):
    error bodies are kept whatever shape the source gave them."""
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text[:2000]


def _brief(response: httpx.Response) -> str:
    body = safe_json(response)
    if isinstance(body, dict):
        for key in ("error", "message", "errors"):
            if key in body:
                val = body[key]
                if isinstance(val, dict):
                    msg = val.get("message")
                    if isinstance(msg, dict):
                        return str(msg.get("value", msg))
                    return str(msg or val)
                return str(val)
    return (str(body)[:300] if body else "") or f"HTTP {response.status_code}"
