"""MapContext's canonical values: the fast paths must give what the general path gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plantlink.connectors.base import MapContext


def _general(value: str) -> str:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(
    moment=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9998, 12, 31)),
    offset_minutes=st.integers(-14 * 60, 14 * 60),
    form=st.sampled_from(["ms_z", "s_z", "us_z", "offset", "naive", "iso"]),
)
def test_instant_matches_the_general_conversion(
    moment: datetime, offset_minutes: int, form: str
) -> None:
    if form == "ms_z":
        text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    elif form == "s_z":
        text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif form == "us_z":
        text = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    elif form == "offset":
        text = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))).isoformat()
    elif form == "naive":
        text = moment.isoformat()
    else:
        text = moment.replace(tzinfo=UTC).isoformat()
    assert MapContext.instant(text) == _general(text)


@pytest.mark.parametrize(
    "text", ["2024-13-01T10:00:00.123Z", "2024-02-30T10:00:00Z", "2024-01-01T25:00:00.000000Z"]
)
def test_instant_refuses_impossible_values_in_every_form(text: str) -> None:
    with pytest.raises(ValueError):
        MapContext.instant(text)


@given(value=st.integers(-(10**30), 10**30), scale=st.integers(-3, 8))
def test_decimal_of_an_integer_matches_the_decimal_conversion(value: int, scale: int) -> None:
    number = Decimal(str(value)).scaleb(-scale) if scale else Decimal(str(value))
    assert MapContext.decimal(value, scale=scale) == format(number.normalize(), "f")
    # The same amount given as text (or as a Decimal) takes the general path.
    assert MapContext.decimal(str(value), scale=scale) == MapContext.decimal(value, scale=scale)
    assert MapContext.decimal(Decimal(value), scale=scale) == MapContext.decimal(value, scale=scale)


def test_decimal_refuses_what_is_not_a_number() -> None:
    assert MapContext.decimal(True) is None
    assert MapContext.decimal("12 kg") is None
    assert MapContext.decimal(None) is None and MapContext.decimal("") is None
