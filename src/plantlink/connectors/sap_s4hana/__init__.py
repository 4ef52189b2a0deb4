"""SAP S/4HANA (OData V2) connector: read side of six standard APIs.

Basic auth with a communication user; optional ``sap-client``. Writes (CSRF token,
ETags, deep insert, function imports) are in ``writes.py``.
"""

from __future__ import annotations

from typing import Any

import httpx

from plantlink.connectors.base import BASE_URL, Connector, CredentialField, SourceAccount
from plantlink.connectors.http import PoliteClient, RateLimit
from plantlink.connectors.sap_s4hana.client import SapClient, base_path
from plantlink.connectors.sap_s4hana.streams import MAINTENANCE_ORDER, STREAMS
from plantlink.connectors.sap_s4hana.writes import WRITER
from plantlink.connectors.writes import WriteContext


class SapS4HanaConnector(Connector[SapClient]):
    system = "sap_s4hana"
    label = "SAP S/4HANA"
    credential_fields = (
        CredentialField(
            "base_url",
            BASE_URL.label,
            help="https://host:port of the SAP Gateway (services under /sap/opu/odata/sap)",
        ),
        CredentialField(
            "username", "User", help="A communication user with the maintenance and MM roles"
        ),
        CredentialField("password", "Password", secret=True),
        CredentialField(
            "sap_client",
            "SAP client",
            required=False,
            help="Client number (sap-client), e.g. 100; the system default when empty",
        ),
    )
    #: SAP documents no limit; Gateway answers 503 under load. Stay gentle by default.
    rate_limit = RateLimit(10, 1)
    streams = STREAMS
    writer = WRITER

    def http_options(self, credentials: dict[str, Any]) -> dict[str, Any]:
        return {
            "base_url": base_path(credentials["base_url"]),
            "auth": httpx.BasicAuth(credentials["username"], credentials["password"]),
            "headers": {"Accept": "application/json"},
        }

    def client(self, http: PoliteClient, credentials: dict[str, Any]) -> SapClient:
        return SapClient(http, credentials.get("sap_client"))

    def prepare_write(self, http: PoliteClient, client: SapClient) -> dict[str, str]:
        """A CSRF token for a modifying passthrough call (the cookie stays in the jar)."""
        return {"X-CSRF-Token": WRITER.csrf(client, WriteContext(""))}

    def check_credentials(self, client: SapClient) -> SourceAccount:
        """One order key: proves the logon and the maintenance-order authorization."""
        url = client.collection_url(
            MAINTENANCE_ORDER, "MaintenanceOrder", {"$top": "1", "$select": "MaintenanceOrder"}
        )
        rows, _, _ = client.get_page(url)
        return SourceAccount(details={"orders_visible": bool(rows)})


CONNECTOR = SapS4HanaConnector()
