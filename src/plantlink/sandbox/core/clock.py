"""The sandbox clock and timestamp formatting.

All sandbox time is integer milliseconds since the epoch (UTC). Two instants matter:

* the *anchor*: seeded data is spread over the year before it. It defaults to today's
  midnight UTC, so two servers started the same day with the same seed and scale serve
  byte-identical data; tests pin it explicitly.
* *now*: real time plus a skew set through ``POST /_sandbox/clock``. Every change
  timestamp written after start and the HTTP ``Date`` header come from it, which is how a
  vendor whose clock runs early or late is emulated.

How a vendor plugs in: read ``clock.now_ms()`` when stamping an edit and format with
``iso_ms`` (or its own formatter, e.g. OData ``/Date(ms)/``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import formatdate

DAY_MS = 86_400_000

_day_prefix: dict[int, str] = {}
_HMS = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(86_400)]
_MILLI = [f"{m:03d}Z" for m in range(1000)]


def today_midnight_ms() -> int:
    return int(time.time() * 1000) // DAY_MS * DAY_MS


class Clock:
    """Real time shifted by a settable skew."""

    def __init__(self, anchor_ms: int | None = None) -> None:
        self.anchor_ms = today_midnight_ms() if anchor_ms is None else anchor_ms
        self.skew_ms = 0

    def set_skew(self, seconds: float) -> None:
        self.skew_ms = round(seconds * 1000)

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.skew_ms


def iso_ms(ms: int) -> str:
    """``2024-01-01T00:00:00.000Z`` — ISO 8601 / RFC 3339 UTC with milliseconds.

    Hot path of every list response, hence lookup tables instead of datetime.
    """
    day, rest = divmod(ms, DAY_MS)
    prefix = _day_prefix.get(day)
    if prefix is None:
        prefix = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%dT")
        _day_prefix[day] = prefix
    return prefix + _HMS[rest // 1000] + _MILLI[rest % 1000]


def parse_iso(text: str) -> int:
    """Milliseconds for an ISO 8601 date-time; naive values are taken as UTC.

    Raises ``ValueError`` on anything else, which vendors turn into their 400 body.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)


def http_date(ms: int) -> str:
    """RFC 9110 ``Date`` header value."""
    return formatdate(ms / 1000, usegmt=True)
