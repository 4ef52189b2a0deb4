"""The connectors under test: every connector with a sandbox must pass the same suite."""

from __future__ import annotations

from dataclasses import dataclass

from plantlink.connectors.registry import CONNECTORS
from plantlink.sandbox.registry import SANDBOXES


@dataclass(frozen=True)
class Case:
    system: str
    #: Work orders seeded in the sandbox (other entities scale with it).
    scale: int = 400

    def __str__(self) -> str:
        return self.system


CASES = [Case(system) for system in sorted(CONNECTORS) if system in SANDBOXES]
