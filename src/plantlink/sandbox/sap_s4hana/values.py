"""EDM values: the sandbox's internal form, V2 JSON, URI literals and ETags.

Internal form (what rows hold): strings, bools and ints as such; `Edm.DateTime` and
`Edm.DateTimeOffset` as epoch milliseconds (UTC); `Edm.Time` as milliseconds since
midnight; `Edm.Decimal` as its canonical string with the property's scale (V2 JSON
sends decimals as strings, so serializing costs nothing); `Edm.Guid` as a lowercase string.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from urllib.parse import quote

from plantlink.sandbox.core.clock import iso_ms
from plantlink.sandbox.sap_s4hana.edm import Prop
from plantlink.sandbox.sap_s4hana.errors import bad_request

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_MS = 86_400_000
MAX_DATE_MS = 253_402_214_400_000  # 9999-12-31T00:00:00Z: SAP's "valid forever"

_DATETIME = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,7}))?)?$")
_OFFSET = re.compile(r"^(.*?)(Z|[+-]\d\d:\d\d)?$")
_TIME = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?$")
_JSON_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_PLAIN = re.compile(r"^[A-Za-z0-9_.-]*$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def ms_to_datetime(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def datetime_to_ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def iso(ms: int) -> str:
    """`2024-01-31T10:00:00` (naive, UTC)."""
    return iso_ms(ms)[:19]


def parse_datetime(text: str) -> int | None:
    """`2024-01-31T10:00[:00[.fff]]` → epoch ms (UTC), or None when malformed."""
    match = _DATETIME.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC
        )
    except ValueError:
        return None
    return datetime_to_ms(moment) + int((fraction or "0").ljust(3, "0")[:3])


def parse_datetimeoffset(text: str) -> int | None:
    """ISO date-time with `Z` or `±hh:mm` (none = UTC) → epoch ms, or None when malformed."""
    match = _OFFSET.match(text)
    assert match is not None  # the pattern matches any string
    base, offset = match.groups()
    ms = parse_datetime(base)
    if ms is None:
        return None
    if offset and offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        ms -= sign * (int(offset[1:3]) * 60 + int(offset[4:6])) * 60_000
    return ms


def parse_time(text: str) -> int | None:
    """`PT14H30M00S` → milliseconds since midnight, or None when malformed."""
    match = _TIME.match(text)
    if not match or text == "PT":
        return None
    hours, minutes, seconds, fraction = match.groups()
    ms = ((int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds or 0)) * 1000
    ms += int((fraction or "0").ljust(3, "0")[:3])
    return ms if ms < DAY_MS else None


@cache
def format_time(ms: int) -> str:
    seconds = ms // 1000
    return f"PT{seconds // 3600:02d}H{seconds // 60 % 60:02d}M{seconds % 60:02d}S"


def canonical_decimal(value: Decimal, prop: Prop) -> str:
    """The decimal padded to the property's scale, after checking precision and scale."""
    scale = prop.scale or 0
    precision = prop.precision or 38
    if not value.is_finite():
        raise bad_request(f"Property '{prop.name}' has an invalid value", prop=prop.name)
    quantized = value.quantize(Decimal(1).scaleb(-scale))
    if quantized != value:
        raise bad_request(
            f"Property '{prop.name}': value {value} has more than {scale} decimal places",
            prop=prop.name,
        )
    if len(quantized.as_tuple().digits) > precision and quantized != 0:
        raise bad_request(
            f"Property '{prop.name}': value {value} exceeds precision {precision}", prop=prop.name
        )
    return f"{quantized:f}"


def json_converter(prop: Prop) -> Callable[[Any], Any] | None:
    """How an internal value is written in V2 JSON (None: as is)."""
    match prop.type:
        case "Edm.DateTime":
            return lambda ms: f"/Date({ms})/"
        case "Edm.DateTimeOffset":
            return lambda ms: f"/Date({ms}+0000)/"
        case "Edm.Time":
            return format_time
        case "Edm.Int64":
            return str
        case _:
            return None


def from_json(prop: Prop, value: Any) -> Any:
    """A V2 JSON request value → internal form; SAP error naming the property when invalid."""
    if value is None:
        if not prop.nullable:
            raise bad_request(f"Property '{prop.name}' must not be null", prop=prop.name)
        return None
    invalid = bad_request(
        f"Invalid value {value!r} for property '{prop.name}' of type {prop.type}",
        code="/IWBEP/CM_MGW_RT/028",
        prop=prop.name,
    )
    match prop.type:
        case "Edm.String":
            if not isinstance(value, str):
                raise invalid
            if prop.max_length is not None and len(value) > prop.max_length:
                raise bad_request(
                    f"Property '{prop.name}': value exceeds maximum length {prop.max_length}",
                    code="/IWBEP/CM_MGW_RT/028",
                    prop=prop.name,
                )
            return value.upper() if prop.display_format == "UpperCase" else value
        case "Edm.Boolean":
            if not isinstance(value, bool):
                raise invalid
            return value
        case "Edm.DateTime" | "Edm.DateTimeOffset":
            ms = _json_date(value, prop.type == "Edm.DateTimeOffset")
            if ms is None:
                raise invalid
            if prop.display_format == "Date" and ms % DAY_MS:
                raise bad_request(
                    f"Property '{prop.name}' takes a date without time", prop=prop.name
                )
            return ms
        case "Edm.Time":
            ms = parse_time(value) if isinstance(value, str) else None
            if ms is None:
                raise invalid
            return ms
        case "Edm.Decimal":
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise invalid
            try:
                return canonical_decimal(Decimal(str(value)), prop)
            except InvalidOperation:
                raise invalid from None
        case "Edm.Guid":
            if not isinstance(value, str) or not _GUID.match(value):
                raise invalid
            return value.lower()
        case _:  # integers
            if isinstance(value, str) and prop.type == "Edm.Int64" and value.lstrip("-").isdigit():
                return int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise invalid
            return value


def _json_date(value: Any, offset_allowed: bool) -> int | None:
    if not isinstance(value, str):
        return None
    match = _JSON_DATE.match(value)
    if match:  # V2: the number is UTC already; an offset only says where it was written
        return int(match.group(1))
    return parse_datetimeoffset(value) if offset_allowed else parse_datetime(value)


def key_literal(prop: Prop, value: Any) -> str:
    """A key value as it appears in an entity URI, e.g. `'4000001'` or `datetime'9999-…'`."""
    match prop.type:
        case "Edm.String":
            if _PLAIN.match(value):  # the usual key: nothing to escape
                return f"'{value}'"
            return "'" + quote(value.replace("'", "''"), safe="") + "'"
        case "Edm.DateTime":
            return "datetime'" + quote(iso(value), safe="") + "'"
        case "Edm.DateTimeOffset":
            return "datetimeoffset'" + quote(iso(value) + "Z", safe="") + "'"
        case "Edm.Time":
            return f"time'{format_time(value)}'"
        case "Edm.Guid":
            return f"guid'{value}'"
        case "Edm.Boolean":
            return "true" if value else "false"
        case "Edm.Decimal":
            return f"{value}M"
        case "Edm.Int64":
            return f"{value}L"
        case _:
            return str(value)


def etag(ms: int) -> str:
    """SAP's weak ETag over a change timestamp: `W/"datetimeoffset'2024-…Z'"` (colons escaped)."""
    text = iso_ms(ms)  # 2024-01-31T10:00:00.123Z
    return f"W/\"datetimeoffset'{text[:13]}%3A{text[14:16]}%3A{text[17:23]}0000Z'\""
