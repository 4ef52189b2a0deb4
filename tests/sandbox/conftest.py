"""Shared fixtures: real sandboxes over HTTP (``SandboxServer``) and clients for them.

``mx`` is one MaintainX sandbox per test module for read-only checks; tests that change
server-wide settings (faults, limits, permissions, clock) or depend on exact counts use
``fresh_mx``, a new sandbox per test (scale 300 starts in well under a second).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from plantlink.sandbox.core import SandboxServer

ANCHOR_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: pinned so data never depends on today
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "maintainx.json").read_text())


class MX:
    """A running MaintainX sandbox plus clients for its API and its control API."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        info = server.info
        self.creds: dict[str, Any] = info["credentials"]
        self.api = self.client()
        self.control = httpx.Client(base_url=f"{server.base_url}/_sandbox", timeout=60)

    def client(self, api_key: str | None = None, **headers: str) -> httpx.Client:
        """An API client authenticated like a connector (bearer key + organization)."""
        base: dict[str, str] = {
            "Authorization": f"Bearer {api_key or self.creds['api_key']}",
            "x-organization-id": str(self.creds["organization_id"]),
        }
        base.update(headers)
        return httpx.Client(base_url=self.creds["base_url"], headers=base, timeout=60)

    def records(self, entity: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        response = self.control.get(
            f"/records/{entity}", params={"include_deleted": include_deleted}
        )
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()["records"]
        return records

    def ctl(self, path: str, **body: Any) -> dict[str, Any]:
        response = self.control.post(path, json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def pull(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every record of a collection, following ``nextCursor``."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = dict(params, **({"cursor": cursor} if cursor else {}))
            response = self.api.get(path, params=query)
            assert response.status_code == 200, response.text
            body = response.json()
            items += body[key]
            cursor = body["nextCursor"]
            if cursor is None:
                return items

    def close(self) -> None:
        self.api.close()
        self.control.close()
        self.server.stop()


def start(seed: int = 1, scale: int = 300) -> MX:
    return MX(SandboxServer("maintainx", seed=seed, scale=scale, anchor_ms=ANCHOR_MS).start())


@pytest.fixture(scope="module")
def mx() -> Iterator[MX]:
    sandbox = start(seed=1, scale=600)
    yield sandbox
    sandbox.close()


@pytest.fixture
def fresh_mx() -> Iterator[MX]:
    sandbox = start()
    yield sandbox
    sandbox.close()


def _conforms(response_name: str, body: Any) -> None:
    """Validate a body against our MaintainX schema file (``$defs/responses/<name>``)."""
    pointer = response_name.replace("~", "~0").replace("/", "~1")
    schema = {**SCHEMA, "$ref": f"#/$defs/responses/{pointer}"}
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


@pytest.fixture(scope="session")
def conforms() -> Any:
    """``conforms("GET /workorders", body)`` asserts the body matches our schema file."""
    return _conforms


@pytest.fixture(scope="session")
def new_mx() -> Any:
    """Factory for extra sandboxes (``new_mx(seed=…, scale=…)``); the caller closes them."""
    return start
