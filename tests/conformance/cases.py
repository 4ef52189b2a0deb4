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


#: Systems whose suite needs more data than the default. SAP reads seven models in pages
#: of 100 to 500 entities, so at 400 orders a run is ~8 requests; the fault test's seeded
#: fault stream only reaches its first 429/500/503 after ~20 requests.
SCALES = {"sap_s4hana": 2000}

CASES = [
    Case(system, SCALES.get(system, Case.scale))
    for system in sorted(CONNECTORS)
    if system in SANDBOXES
]
