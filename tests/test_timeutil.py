from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plantlink.core.timeutil import DateParseError, format_us, parse_instant, to_us

NOW = to_us(datetime(2024, 6, 15, 12, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T00:00:00Z", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T02:00:00+02:00", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T00:00:00.123456Z", datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2024-01-01T00:00:00.5-01:30", datetime(2024, 1, 1, 1, 30, 0, 500000, tzinfo=UTC)),
    ],
)
def test_absolute_values(text: str, expected: datetime) -> None:
    assert parse_instant(text, now=NOW) == to_us(expected)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("-30m", 1800), ("-24h", 86400), ("-7d", 7 * 86400), ("-P7D", 7 * 86400), ("-PT12H", 43200)],
)
def test_relative_values(text: str, seconds: int) -> None:
    assert parse_instant(text, now=NOW) == NOW - seconds * 1_000_000


@pytest.mark.parametrize(
    "text",
    ["2024-13-40", "2024-02-30", "yesterday", "", "-7x", "-P7Q", "2024/01/01", "7d", "20240101T"],
)
def test_malformed_values_are_refused(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_instant(text, now=NOW)


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1), timezones=st.just(UTC)
    )
)
def test_format_round_trips(value: datetime) -> None:
    us = to_us(value)
    text = format_us(us)
    assert text is not None and text.endswith("Z") and len(text) == 27
    assert parse_instant(text) == us
