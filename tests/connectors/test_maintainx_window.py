"""MaintainX rate-limit headers: wait for the window's reset, no longer, never shorter."""

from __future__ import annotations

import httpx
import pytest

from plantlink.connectors.maintainx import client as mx
from plantlink.connectors.maintainx.client import RateLimitWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _response(remaining: int, reset: str = "1") -> httpx.Response:
    return httpx.Response(
        200,
        headers={
            "X-Rate-Limit-Limit": "10",
            "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Reset": reset,
        },
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(mx.time, "monotonic", c)
    return c


def test_no_pause_while_requests_remain(clock: Clock) -> None:
    window = RateLimitWindow()
    assert window(_response(9)) is None
    assert window(_response(1)) is None
    assert window(httpx.Response(200)) is None  # no headers, no opinion


def test_spent_window_waits_for_the_reset_seen_when_it_began(clock: Clock) -> None:
    """Whole-second ``Reset`` values round up; the earliest estimate of the window wins."""
    window = RateLimitWindow()
    window(_response(9, "1"))  # window began: resets ~1 s from now
    clock.now += 0.7
    pause = window(_response(0, "1"))  # read alone, "1" would mean a full second more
    assert pause == pytest.approx(0.3)


def test_a_new_window_is_estimated_afresh(clock: Clock) -> None:
    window = RateLimitWindow()
    window(_response(9, "1"))
    clock.now += 1.5  # the first window is over
    window(_response(9, "1"))
    clock.now += 0.2
    assert window(_response(0, "1")) == pytest.approx(0.8)


def test_remaining_going_up_means_a_new_window(clock: Clock) -> None:
    window = RateLimitWindow()
    window(_response(2, "60"))
    clock.now += 10
    window(_response(9, "5"))  # reset early (a shorter window): trust the new numbers
    clock.now += 1
    assert window(_response(0, "5")) == pytest.approx(4.0)


def test_epoch_resets_are_read_as_instants(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mx.time, "time", lambda: 1_800_000_000.0)
    window = RateLimitWindow()
    assert window(_response(0, "1800000002")) == pytest.approx(2.0)
