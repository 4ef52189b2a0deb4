"""MaintainX (REST API v1) connector."""

from __future__ import annotations

from typing import Any

import httpx

from plantlink.connectors.base import BASE_URL, Connector, CredentialField, SourceAccount
from plantlink.connectors.http import PoliteClient, RateLimit
from plantlink.connectors.maintainx.client import MaintainXClient, RateLimitWindow
from plantlink.connectors.maintainx.streams import STREAMS
from plantlink.connectors.maintainx.writes import WRITER


class MaintainXConnector(Connector[MaintainXClient]):
    system = "maintainx"
    label = "MaintainX"
    credential_fields = (
        BASE_URL,
        CredentialField(
            "api_key", "API key", secret=True, help="Settings > Integrations > API keys"
        ),
        CredentialField(
            "organization_id",
            "Organization id",
            required=False,
            help="Needed when the key spans several organizations",
        ),
    )
    #: The vendor's documented limit: 100 requests per 60 s per user.
    rate_limit = RateLimit(100, 60)
    streams = STREAMS
    writer = WRITER

    def http_options(self, credentials: dict[str, Any]) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if credentials.get("organization_id"):
            headers["x-organization-id"] = str(credentials["organization_id"])
        return {
            "base_url": credentials["base_url"],
            "auth": _Bearer(credentials["api_key"]),
            "headers": headers,
            "pause_hint": RateLimitWindow(),
        }

    def client(self, http: PoliteClient, credentials: dict[str, Any]) -> MaintainXClient:
        return MaintainXClient(http)

    def check_credentials(self, client: MaintainXClient) -> SourceAccount:
        body = client.request_json("GET", "/users", params={"limit": 1})
        users = body.get("users") if isinstance(body, dict) else None
        return SourceAccount(details={"users_visible": bool(users)})


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = self._header
        yield request


CONNECTOR = MaintainXConnector()
