"""The SAP connector's OData reading against the SAP sandbox over real HTTP:
``__next`` links, ``$top`` keyset pages, resumable tokens, SAP's errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from plantlink.connect import ConnectError, check_credentials
from plantlink.connectors.base import MapContext, ReadPlan
from plantlink.connectors.errors import AuthFailed, SourceError
from plantlink.connectors.http import PoliteClient, RetryPolicy
from plantlink.connectors.sap_s4hana import CONNECTOR
from plantlink.connectors.sap_s4hana.client import SapClient
from plantlink.connectors.sap_s4hana.odata import ODataStream
from plantlink.sandbox.core.server import SandboxServer


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer("sap_s4hana", seed=11, scale=120) as sb:
        yield sb


def _client(credentials: dict[str, Any]) -> tuple[PoliteClient, SapClient]:
    http = PoliteClient(
        system="sap_s4hana",
        limiter_key="test",
        rate_limit=None,
        retry=RetryPolicy(attempts=1),
        **CONNECTOR.http_options(credentials),
    )
    return http, CONNECTOR.client(http, credentials)


def _orders() -> ODataStream:
    stream = CONNECTOR.stream("work_orders")
    assert isinstance(stream, ODataStream)
    return stream


def _keys(sandbox: SandboxServer, model: str) -> set[str]:
    body = httpx.get(f"{sandbox.base_url}/_sandbox/records/{model}", timeout=30).json()
    return {r["key"] for r in body["records"]}


def _ids(stream: ODataStream, pages: list[Any]) -> list[str]:
    ctx = MapContext("c")
    return [m.remote_id for p in pages for raw in p.records for m in stream.map(raw, ctx)]


@pytest.fixture
def server_pages(sandbox: SandboxServer) -> Iterator[dict[str, int]]:
    assert sandbox.app is not None
    sizes: dict[str, int] = sandbox.app.state.vendor.page_sizes
    saved = dict(sizes)
    yield sizes
    sizes.update(saved)


@pytest.mark.parametrize(("server_page", "client_page"), [(7, None), (7, 10), (1000, 9)])
def test_listing_is_complete_however_pages_are_cut(
    sandbox: SandboxServer, server_pages: dict[str, int], server_page: int, client_page: int | None
) -> None:
    server_pages["MaintenanceOrder"] = server_page
    stream = dataclasses.replace(_orders(), page_size=client_page)
    http, client = _client(sandbox.info["credentials"])
    with http:
        pages = list(stream.read(client, ReadPlan()))
    ids = _ids(stream, pages)
    assert len(ids) == len(set(ids)) == len(_keys(sandbox, "work_orders"))
    assert set(ids) == _keys(sandbox, "work_orders")
    assert len(pages) > 10
    # tokens are paths on the instance, never absolute links
    assert all(p.next is None or p.next.startswith("/sap/opu/odata/sap/") for p in pages)
    assert pages[-1].next is None


def test_a_page_token_resumes_where_the_listing_stopped(sandbox: SandboxServer) -> None:
    stream = dataclasses.replace(_orders(), page_size=25)
    http, client = _client(sandbox.info["credentials"])
    with http:
        pages = list(stream.read(client, ReadPlan()))
        token = pages[1].next
        assert token is not None
        resumed = list(stream.read(client, ReadPlan(resume=token)))
    assert _ids(stream, resumed) == _ids(stream, pages[2:])


def test_keys_are_listed_cheaply(sandbox: SandboxServer) -> None:
    for model in ("work_orders", "assets", "vendors", "purchase_orders", "parts", "locations"):
        stream = CONNECTOR.stream(model)
        assert stream is not None and stream.cheap_keys
        http, client = _client(sandbox.info["credentials"])
        with http:
            keys = [k for page in stream.list_keys(client, ReadPlan()) for k in page]
        assert sorted(keys) == sorted(_keys(sandbox, model)), model


def test_sap_client_is_sent_and_kept_across_pages(sandbox: SandboxServer) -> None:
    creds = {**sandbox.info["credentials"], "sap_client": "100"}
    stream = dataclasses.replace(_orders(), page_size=40)
    before = httpx.get(f"{sandbox.base_url}/_sandbox/requests", timeout=30).json()["requests"]
    mark = before[-1]["id"] if before else 0
    http, client = _client(creds)
    with http:
        assert len(list(stream.read(client, ReadPlan()))) >= 3
    rows = httpx.get(
        f"{sandbox.base_url}/_sandbox/requests", params={"after": mark}, timeout=30
    ).json()["requests"]
    queries = [unquote(r["query"]) for r in rows if "MaintenanceOrder" in r["path"]]
    assert len(queries) >= 3 and all("sap-client=100" in q for q in queries)


def test_a_next_link_to_another_host_is_refused(sandbox: SandboxServer) -> None:
    http, client = _client(sandbox.info["credentials"])
    with http:
        assert client.relative("/sap/x?$skiptoken=1", "/sap/y") == "/sap/x?$skiptoken=1"
        with pytest.raises(SourceError, match="another host"):
            client.relative("https://evil.example/sap/x", "/sap/y")


def test_bad_credentials_give_saps_reason(sandbox: SandboxServer) -> None:
    creds = {**sandbox.info["credentials"], "password": "wrong-password"}
    http, client = _client(creds)
    with http, pytest.raises(AuthFailed, match="Logon failed"):
        CONNECTOR.check_credentials(client)
    with pytest.raises(ConnectError) as err:
        check_credentials(CONNECTOR, creds)
    assert err.value.code == "INVALID_CREDENTIALS" and err.value.status == 422
    assert "wrong-password" not in err.value.message


def test_saps_error_text_is_passed_on(sandbox: SandboxServer) -> None:
    http, client = _client(sandbox.info["credentials"])
    url = client.collection_url(
        "API_MAINTENANCEORDER", "MaintenanceOrder", {"$filter": "Nope eq 1"}
    )
    with http, pytest.raises(SourceError) as err:
        client.get_page(url)
    assert err.value.status == 400 and "Nope" in err.value.message
