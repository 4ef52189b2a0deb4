"""Connecting a source system: validate what the user typed, prove it works, store it.

Shared by the admin API, the hosted connect page and the demo, so a connection is
created the same way everywhere: credentials are checked against the live source
before anything is stored, and the first sync is queued at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from plantlink.connectors.base import Connector, SourceAccount
from plantlink.connectors.errors import AuthFailed, SourceError
from plantlink.connectors.http import PoliteClient, RetryPolicy, limiter_storage
from plantlink.connectors.registry import CONNECTORS, get_connector
from plantlink.store import Store
from plantlink.store.accounts import ConnectionRow
from plantlink.sync.settings import ConnectionSettings


class ConnectError(Exception):
    """Input the user must fix; ``field`` names it when one field is at fault."""

    def __init__(self, code: str, message: str, status: int = 422, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.status, self.field = code, message, status, field


def connector_for(system: str) -> Connector[Any]:
    connector = get_connector(system)
    if connector is None:
        known = ", ".join(sorted(CONNECTORS))
        raise ConnectError(
            "VALIDATION_ERROR", f"unknown system '{system}'; available: {known}", field="system"
        )
    return connector


def clean_credentials(connector: Connector[Any], credentials: dict[str, Any]) -> dict[str, Any]:
    """Keep the declared fields, require the required ones, refuse unknown ones."""
    fields = {f.name: f for f in connector.credential_fields}
    unknown = sorted(set(credentials) - set(fields))
    if unknown:
        raise ConnectError(
            "VALIDATION_ERROR",
            f"unknown credential field '{unknown[0]}' for {connector.system}; "
            f"fields: {', '.join(fields)}",
            field=f"credentials.{unknown[0]}",
        )
    cleaned: dict[str, Any] = {}
    for name, value in credentials.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ConnectError(
                "VALIDATION_ERROR",
                f"credential '{name}' must be a string",
                field=f"credentials.{name}",
            )
        cleaned[name] = value.strip()
    groups = {f.group for f in connector.credential_fields if f.group}
    satisfied_group = next(
        (
            g
            for g in sorted(groups)
            if all(
                f.name in cleaned
                for f in connector.credential_fields
                if f.group == g and f.required
            )
        ),
        None,
    )
    for f in connector.credential_fields:
        if not f.required or f.name in cleaned:
            continue
        if f.group and (satisfied_group is not None and f.group != satisfied_group):
            continue
        raise ConnectError(
            "VALIDATION_ERROR",
            f"credential '{f.name}' ({f.label}) is required for {connector.system}",
            field=f"credentials.{f.name}",
        )
    base = cleaned.get("base_url", "")
    if not base.startswith(("http://", "https://")):
        raise ConnectError(
            "VALIDATION_ERROR",
            "credentials.base_url must be an http(s) URL",
            field="credentials.base_url",
        )
    return cleaned


def clean_settings(settings: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = ConnectionSettings.model_validate(settings)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise ConnectError(
            "VALIDATION_ERROR", f"settings.{loc}: {err['msg']}", field=f"settings.{loc}"
        ) from exc
    return parsed.model_dump(exclude_unset=True, exclude_none=True)


def public_credentials(connector: Connector[Any], credentials: dict[str, Any]) -> dict[str, Any]:
    secret = {f.name for f in connector.credential_fields if f.secret}
    return {k: v for k, v in credentials.items() if k not in secret}


def check_credentials(
    connector: Connector[Any],
    credentials: dict[str, Any],
    settings: ConnectionSettings | None = None,
    rate_limit_storage: str = "",
) -> SourceAccount:
    """One live call to the source; AuthFailed/unreachable become a ConnectError.

    It counts against the connection's own rate-limit window, like the sync it precedes.
    """
    opts = connector.http_options(credentials)
    with PoliteClient(
        system=connector.system,
        limiter_key=f"{connector.system}|{connector.limiter_identity(credentials)}",
        rate_limit=(settings or ConnectionSettings()).source_rate_limit(connector.rate_limit),
        storage=limiter_storage(rate_limit_storage),
        timeout=15,
        retry=RetryPolicy(attempts=2, wait_initial=0.2, wait_max=1, timeout=30),
        **opts,
    ) as http:
        try:
            return connector.check_credentials(connector.client(http, credentials))
        except AuthFailed as exc:
            raise ConnectError("INVALID_CREDENTIALS", exc.message, 422) from exc
        except SourceError as exc:
            raise ConnectError(exc.code, exc.message, exc.http_status) from exc


@dataclass
class Connected:
    connection: ConnectionRow
    token: str


def create_connection(
    store: Store,
    org_id: str,
    system: str,
    name: str,
    credentials: dict[str, Any],
    settings: dict[str, Any] | None = None,
) -> Connected:
    connector = connector_for(system)
    creds = clean_credentials(connector, credentials)
    cleaned_settings = clean_settings(settings or {})
    check_credentials(
        connector,
        creds,
        ConnectionSettings.model_validate(cleaned_settings),
        store.rate_limit_storage,
    )
    row, token = store.accounts.create_connection(org_id, system, name, creds, cleaned_settings)
    return Connected(row, token)


def reconnect(store: Store, conn: ConnectionRow, credentials: dict[str, Any]) -> Connected:
    connector = connector_for(conn.system)
    creds = clean_credentials(connector, credentials)
    check_credentials(
        connector,
        creds,
        ConnectionSettings.model_validate(conn.settings),
        store.rate_limit_storage,
    )
    token = store.accounts.reconnect(conn.id, creds)
    row = store.accounts.get_connection(conn.id)
    assert row is not None
    return Connected(row, token)
