"""Per-client rate limiting for the vendor API (``POST /_sandbox/rate-limit``).

Built on the ``limits`` library's fixed window, which is how the vendors we emulate count
("N requests per window; the window resets at a point in time"). Until a limit is
configured nothing is enforced, but callers still get numbers for a generous limit so
that every response can carry the vendor's rate-limit headers.

How a vendor plugs in: ``Vendor.client_key`` names the bucket (API key, user, tenant)
and ``Vendor.rate_limit_headers`` spells the verdict in the vendor's header names.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

GENEROUS = (100_000, 60)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    """Whole seconds until the window resets (at least 1 while the window runs)."""


class RateLimiter:
    def __init__(self) -> None:
        self._storage = MemoryStorage()
        self._limiter = FixedWindowRateLimiter(self._storage)
        self.enforced = False
        self._item = RateLimitItemPerSecond(*GENEROUS)

    def configure(self, requests: int, per_seconds: int) -> None:
        """Enforce ``requests`` per ``per_seconds`` window; ``requests=0`` lifts the limit."""
        self._storage.reset()
        self.enforced = requests > 0
        self._item = RateLimitItemPerSecond(*((requests, per_seconds) if requests else GENEROUS))

    def hit(self, client: str) -> Verdict:
        """Count one request of ``client``; ``allowed`` is False once the window is spent."""
        allowed = self._limiter.hit(self._item, client)
        stats = self._limiter.get_window_stats(self._item, client)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        return Verdict(
            allowed=allowed or not self.enforced,
            limit=self._item.amount,
            remaining=max(0, stats.remaining),
            reset_seconds=reset,
        )
