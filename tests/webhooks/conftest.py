"""Webhook fixtures: loopback receivers that verify every signature."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from webhook_receiver import Receiver


@pytest.fixture
def make_receiver() -> Iterator[Callable[[], Receiver]]:
    receivers: list[Receiver] = []

    def make() -> Receiver:
        receivers.append(Receiver())
        return receivers[-1]

    yield make
    for r in receivers:
        r.close()
