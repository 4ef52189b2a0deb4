"""Fault injection for vendor-API responses (``POST /_sandbox/faults``).

One draw per vendor-API request, in arrival order, from a SplitMix64 stream seeded with
the call's ``seed``: the same request sequence then fails at the same places, which is
what lets a connector test assert its retry behaviour exactly.

How a vendor plugs in: it does not; the core middleware asks ``FaultInjector.draw()`` and
renders ``429``/``500``/``503`` with the vendor's own bodies.
"""

from __future__ import annotations

import os
from typing import Literal

from plantlink.sandbox.core.rng import Rng

FaultKind = Literal["429", "500", "503", "timeout", "reset", "truncated"]
FAULT_KINDS: tuple[FaultKind, ...] = ("429", "500", "503", "timeout", "reset", "truncated")


class FaultInjector:
    def __init__(self) -> None:
        self.rate = 0.0
        self.kinds: tuple[FaultKind, ...] = ()
        self.timeout_ms = 5000
        #: Requests still answered normally before draws begin (``after``).
        self._spared = 0
        self._rng = Rng(0)

    def configure(
        self,
        rate: float,
        kinds: list[FaultKind],
        seed: int | None = None,
        timeout_ms: int = 5000,
        after: int = 0,
    ) -> None:
        """``after``: answer that many requests normally first (a source that fails mid-listing)."""
        self.rate = rate
        self._spared = after
        self.kinds = tuple(kinds) or FAULT_KINDS
        self.timeout_ms = timeout_ms
        self._rng = Rng(int.from_bytes(os.urandom(8)) if seed is None else seed)

    def draw(self) -> FaultKind | None:
        """The fault for the next request, or None to answer normally."""
        if self.rate <= 0:
            return None
        if self._spared > 0:
            self._spared -= 1
            return None
        hit = self._rng.random() < self.rate
        kind = self._rng.choice(self.kinds)
        return kind if hit else None
