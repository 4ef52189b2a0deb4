"""Fixtures for the hosted connect flow, passthrough and dashboard tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, func, select

from plantlink.core.config import Settings
from plantlink.sandbox.core.server import SandboxServer
from tests.api.conftest import linked, maintainx  # noqa: F401  (fixtures used here)
from tests.conftest import Api
from tests.web.redirect_receiver import RedirectReceiver


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Parametrize this to change the app's settings for a test (e.g. short lifetimes)."""
    return {}


@pytest.fixture
def settings(settings: Settings, settings_overrides: dict[str, Any]) -> Settings:
    return settings.model_copy(update=settings_overrides)


def count(api: Api, table: Table) -> int:
    with api.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@dataclass
class Integrator:
    """An organization with its redirect page registered, driving the admin API."""

    api: Api
    admin_key: str
    receiver: RedirectReceiver

    def admin(self) -> httpx.Client:
        return self.api.client(self.admin_key)

    def link_session(self, **body: Any) -> str:
        """A new link session's URL, redirecting to the receiver and offering MaintainX
        only (so the page goes straight to its form) unless told otherwise."""
        defaults = {"redirect_url": self.receiver.url, "systems": ["maintainx"]}
        with self.admin() as admin:
            r = admin.post("/v1/admin/link-sessions", json={**defaults, **body})
        assert r.status_code == 201, r.text
        url: str = r.json()["url"]
        return url

    def exchange(self, code: str) -> httpx.Response:
        with self.admin() as admin:
            return admin.post("/v1/admin/link-sessions/exchange", json={"code": code})


@pytest.fixture
def integrator(api: Api) -> Iterator[Integrator]:
    receiver = RedirectReceiver()
    key = api.new_org()
    with api.client(key) as admin:
        r = admin.put("/v1/admin/organization", json={"redirect_urls": [receiver.url]})
        assert r.status_code == 200, r.text
    yield Integrator(api, key, receiver)
    receiver.close()


class FormClient:
    """Posts the hosted pages' forms the way a browser does: cookies kept, CSRF field sent."""

    def __init__(self) -> None:
        self.http = httpx.Client(timeout=60)

    def get(self, url: str, params: dict[str, str] | None = None) -> httpx.Response:
        return self.http.get(url, params=params)

    @staticmethod
    def csrf(page: httpx.Response) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)

    def post(self, url: str, data: dict[str, str]) -> httpx.Response:
        return self.http.post(url, data=data)

    def connect(
        self,
        url: str,
        credentials: dict[str, Any],
        *,
        system: str = "maintainx",
        csrf: str | None = None,
    ) -> httpx.Response:
        """Submit the credential form (fetching it first for its CSRF token)."""
        token = csrf if csrf is not None else self.csrf(self.get(url))
        fields = {f"credentials.{k}": str(v) for k, v in credentials.items()}
        return self.post(url, {"csrf_token": token, "system": system, **fields})

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def browser_form() -> Iterator[FormClient]:
    client = FormClient()
    yield client
    client.close()


def creds(sandbox: SandboxServer, **override: Any) -> dict[str, Any]:
    return {**sandbox.info["credentials"], **override}


def code_of(location: str) -> str:
    found = re.search(r"[?&]code=([^&]+)", location)
    assert found, location
    return found.group(1)
