"""SAP S/4HANA OData V2 over the polite client: service URLs, ``__next`` links, SAP errors.

Errors come as ``{"error": {"code", "message": {"value"}, "innererror": {"errordetails"}}}``;
their text (never our request) is what we pass on. ``__next`` links are absolute: they
are followed only on the instance the connection points at (credentials never travel to
another host) and kept relative, so a checkpoint does not depend on the host name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from plantlink.connectors.errors import SourceError, raise_for_status
from plantlink.connectors.http import PoliteClient
from plantlink.connectors.sap_s4hana.odata import query_string, results

#: Where SAP Gateway publishes OData V2 services.
SERVICE_ROOT = "/sap/opu/odata/sap"


def error_message(body: Any) -> str:
    """SAP's message text, plus the detail messages that differ from it."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        message = error.get("message")
        text = message.get("value") if isinstance(message, dict) else message
        text = str(text or error.get("code") or "SAP error")
        inner = error.get("innererror")
        details = inner.get("errordetails") if isinstance(inner, dict) else None
        extra = [
            str(d.get("message"))
            for d in details or ()
            if isinstance(d, dict) and d.get("message") and d.get("message") != text
        ]
        return "; ".join([text, *extra])
    return (str(body)[:500] if body else "") or "SAP error"


def raise_for(status: int, body: Any) -> None:
    raise_for_status(status, body, error_message(body))


def base_path(base_url: str) -> str:
    """The instance root, accepting a URL that already ends with the service root."""
    base = base_url.rstrip("/")
    if base.endswith(SERVICE_ROOT):
        base = base[: -len(SERVICE_ROOT)]
    return base


class SapClient:
    """Reads one SAP instance; ``sap_client`` adds ``sap-client=`` to every first request."""

    def __init__(self, http: PoliteClient, sap_client: str | None = None) -> None:
        self.http = http
        self.sap_client = sap_client
        self._origin = urlsplit(http.base_url)

    def collection_url(self, service: str, entity_set: str, params: dict[str, str]) -> str:
        if self.sap_client:
            params = {**params, "sap-client": self.sap_client}
        path = f"{self._origin.path.rstrip('/')}{SERVICE_ROOT}/{service}/{entity_set}"
        return f"{path}?{query_string(params)}" if params else path

    def relative(self, link: str, current: str) -> str:
        """``__next`` as a path on this instance; a link to another host is refused."""
        base = f"{self._origin.scheme}://{self._origin.netloc}"
        absolute = urljoin(base + current, link)
        parts = urlsplit(absolute)
        if (parts.scheme, parts.netloc) != (self._origin.scheme, self._origin.netloc):
            raise SourceError(f"SAP sent a next-page link to another host: {parts.netloc}")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def get_json(self, url: str) -> Any:
        """GET a URL built by ``collection_url`` (which carries ``sap-client``)."""
        response, body = self.http.json("GET", self._absolute(url))
        if response.status_code >= 400:
            raise_for(response.status_code, body)
        return body

    def get_page(self, url: str) -> tuple[list[dict[str, Any]], str | None, datetime | None]:
        body = self.get_json(url)
        rows, nxt = results(body, url.split("?")[0])
        return rows, (self.relative(nxt, url) if nxt else None), self.http.last_source_time

    def _absolute(self, url: str) -> str:
        # httpx joins base_url paths; a path that already carries the instance's own
        # path prefix must not get it twice, so requests use the full URL.
        base = f"{self._origin.scheme}://{self._origin.netloc}"
        return url if url.startswith(("http://", "https://")) else base + url
