"""Time in plantlink: integer microseconds since the epoch, UTC, everywhere inside.

Microsecond integers compare exactly in SQLite and PostgreSQL alike and make the
``(modified_at, id)`` cursor order total; conversion happens only at the edges.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta

from pydantic import TypeAdapter, ValidationError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RELATIVE = re.compile(r"^-(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = TypeAdapter(timedelta)


def now_us() -> int:
    return time.time_ns() // 1000


def to_us(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def format_us(value: int | None) -> str | None:
    """RFC 3339 in UTC with exactly six fractional digits, e.g. 2024-01-01T00:00:00.000000Z."""
    if value is None:
        return None
    return utc_text(from_us(value))


def utc_text(value: datetime) -> str:
    """An aware UTC datetime as ``2024-01-01T00:00:00.000000Z`` (faster than strftime)."""
    return value.isoformat(timespec="microseconds")[:-6] + "Z"


def format_dt(value: datetime | None) -> str | None:
    return None if value is None else format_us(to_us(value))


def date_to_us(value: date) -> int:
    return to_us(datetime(value.year, value.month, value.day, tzinfo=UTC))


class DateParseError(ValueError):
    pass


def parse_instant(text: str, *, now: int | None = None) -> int:
    """Parse a filter value into microseconds.

    Accepts ``2024-01-01`` (midnight UTC), RFC 3339 with any offset and fractional
    seconds (a value without offset is read as UTC), relative values ``-30m``,
    ``-24h``, ``-7d``, ``-2w`` and negative ISO 8601 durations ``-P7D``, ``-PT12H``.
    """
    value = text.strip()
    if not value:
        raise DateParseError("empty date value")
    base = now_us() if now is None else now
    rel = _RELATIVE.match(value)
    if rel:
        return base - int(rel.group(1)) * _UNIT_SECONDS[rel.group(2)] * 1_000_000
    if value.startswith("-P"):
        try:
            delta = _DURATION.validate_python(value[1:])
        except ValidationError as exc:
            raise DateParseError(f"not an ISO 8601 duration: {text!r}") from exc
        return base - (delta.days * 86400 + delta.seconds) * 1_000_000 - delta.microseconds
    if len(value) == 10:
        try:
            return date_to_us(date.fromisoformat(value))
        except ValueError as exc:
            raise DateParseError(f"not a valid date: {text!r}") from exc
    if "T" not in value and " " not in value[10:11]:
        raise DateParseError(f"not a date or RFC 3339 timestamp: {text!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise DateParseError(f"not a valid RFC 3339 timestamp: {text!r}") from exc
    return to_us(parsed)


def instant_us(text: str) -> int:
    """Microseconds of an absolute instant or date in the form mappings write them.

    The sync's hot path (several values a record): one ``fromisoformat``; anything it does
    not take goes through ``parse_instant`` and its errors.
    """
    try:
        return to_us(datetime.fromisoformat(text))
    except ValueError:
        return parse_instant(text)


def parse_source_datetime(value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp coming from a source system (lenient about 'Z')."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)
