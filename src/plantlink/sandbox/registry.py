"""Which sandbox serves which system id.

Each vendor package registers one factory here: ``(seed, scale, *, anchor_ms=None) ->
FastAPI``. Factories import their package lazily so that starting one sandbox (or just the
CLI) never pays for generating or importing the others.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from fastapi import FastAPI


class SandboxFactory(Protocol):
    def __call__(self, seed: int, scale: int, *, anchor_ms: int | None = None) -> FastAPI: ...


def _lazy(module: str) -> SandboxFactory:
    """Factory that imports ``module`` on first use and calls its ``create_app``."""

    def factory(seed: int, scale: int, *, anchor_ms: int | None = None) -> FastAPI:
        app: FastAPI = importlib.import_module(module).create_app(seed, scale, anchor_ms=anchor_ms)
        return app

    return factory


SANDBOXES: dict[str, SandboxFactory] = {
    "maintainx": _lazy("plantlink.sandbox.maintainx"),
    "sap_s4hana": _lazy("plantlink.sandbox.sap_s4hana"),
}
"""System id → factory. A vendor package adds ``"<system>": _lazy("plantlink.sandbox.<pkg>")``."""
