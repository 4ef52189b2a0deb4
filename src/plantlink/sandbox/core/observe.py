"""Stats and the request log of the vendor API (``/_sandbox/stats``, ``/_sandbox/requests``).

Both record every vendor-API request, including faulted and rate-limited ones, with the
status actually sent (a ``reset`` is recorded as 0). The log is bounded (last 100k) and
carries the ``X-Plantlink-Connection``/``X-Plantlink-Run`` headers so a test can prove
that two syncs of one connection never overlapped.

How a vendor plugs in: it does not; the core middleware records requests.
"""

from __future__ import annotations

from collections import Counter, deque
from itertools import islice
from typing import Any

from plantlink.sandbox.core.clock import iso_ms

LOG_SIZE = 100_000


class Observer:
    def __init__(self) -> None:
        self.requests = 0
        self.by_status: Counter[str] = Counter()
        self.by_path: Counter[str] = Counter()
        self._log: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)
        self._next_id = 1

    def reset(self) -> None:
        self.requests = 0
        self.by_status.clear()
        self.by_path.clear()
        self._log.clear()

    def record(
        self,
        *,
        method: str,
        path: str,
        route: str,
        query: str,
        status: int,
        started_ms: int,
        finished_ms: int,
        headers: dict[str, str],
    ) -> None:
        self.requests += 1
        self.by_status[str(status)] += 1
        self.by_path[route] += 1
        self._log.append(
            {
                "id": self._next_id,
                "method": method,
                "path": path,
                "query": query,
                "status": status,
                "started_at": iso_ms(started_ms),
                "finished_at": iso_ms(finished_ms),
                "user_agent": headers.get("user-agent"),
                "plantlink_connection": headers.get("x-plantlink-connection"),
                "plantlink_run": headers.get("x-plantlink-run"),
            }
        )
        self._next_id += 1

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_status": dict(self.by_status),
            "by_path": dict(self.by_path),
        }

    def log_after(self, after: int) -> list[dict[str, Any]]:
        """Entries with ``id > after``, oldest first (ids are dense and increasing)."""
        if not self._log:
            return []
        skip = max(0, after - self._log[0]["id"] + 1)
        return list(islice(self._log, skip, None))
