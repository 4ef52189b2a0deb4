"""The SAP writer's transport against the SAP sandbox over real HTTP: the CSRF dance,
If-Match with the current ETag (a 412 is retried once, then a conflict), function
imports, deep insert all or nothing, SAP's error body kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from plantlink.connectors.errors import SourceError
from plantlink.connectors.http import PoliteClient, RetryPolicy
from plantlink.connectors.sap_s4hana import CONNECTOR
from plantlink.connectors.sap_s4hana.client import SapClient
from plantlink.connectors.sap_s4hana.writes import CURRENT_ETAG, SapWriter
from plantlink.connectors.writes import SourceCall, WriteContext
from plantlink.sandbox.core.server import SandboxServer

ORDERS = "/sap/opu/odata/sap/API_MAINTENANCEORDER"
STALE = "W/\"datetimeoffset'2001-01-01T00%3A00%3A00.0000000Z'\""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer("sap_s4hana", seed=13, scale=120) as sb:
        yield sb


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[SapClient]:
    creds = sandbox.info["credentials"]
    http = PoliteClient(
        system="sap_s4hana",
        limiter_key="test-writes",
        rate_limit=None,
        retry=RetryPolicy(attempts=1),
        **CONNECTOR.http_options(creds),
    )
    with http:
        yield CONNECTOR.client(http, creds)


def _log(sandbox: SandboxServer, after: int = 0) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = httpx.get(
        f"{sandbox.base_url}/_sandbox/requests", params={"after": after}, timeout=30
    ).json()["requests"]
    return rows


def _mark(sandbox: SandboxServer) -> int:
    rows = _log(sandbox)
    return int(rows[-1]["id"]) if rows else 0


def _open_order(client: SapClient) -> str:
    url = client.collection_url(
        "API_MAINTENANCEORDER",
        "MaintenanceOrder",
        {"$top": "50", "$select": "MaintenanceOrder,SystemStatusText"},
    )
    rows = client.get_json(url)["d"]["results"]
    return next(r["MaintenanceOrder"] for r in rows if r["SystemStatusText"].startswith("CRTD"))


def _rename(order: str, title: str) -> SourceCall:
    return SourceCall(
        "PATCH",
        f"{ORDERS}/MaintenanceOrder('{order}')",
        {"MaintenanceOrderDesc": title},
        "rename",
        headers={"If-Match": CURRENT_ETAG},
        field="title",
    )


def _title(client: SapClient, order: str) -> str:
    url = client.collection_url("API_MAINTENANCEORDER", f"MaintenanceOrder('{order}')", {})
    return str(client.get_json(url)["d"]["MaintenanceOrderDesc"])


def test_stale_csrf_token_is_fetched_again_once(sandbox: SandboxServer, client: SapClient) -> None:
    order = _open_order(client)
    ctx = WriteContext("c", state={"csrf": "stale-token"})
    mark = _mark(sandbox)
    status, _ = SapWriter().send(client, _rename(order, "Renewed token"), ctx)
    assert status == 204 and ctx.state["csrf"] != "stale-token"
    assert _title(client, order) == "Renewed token"
    writes = [r for r in _log(sandbox, mark) if r["method"] == "PATCH"]
    assert [r["status"] for r in writes] == [403, 204]


def test_every_call_of_a_write_stays_in_the_connections_sap_client(
    sandbox: SandboxServer,
) -> None:
    """CSRF tokens and ETags belong to one SAP client: fetch them in the one written to."""
    creds = {**sandbox.info["credentials"], "sap_client": "100"}
    http = PoliteClient(
        system="sap_s4hana",
        limiter_key="test-writes-client",
        rate_limit=None,
        retry=RetryPolicy(attempts=1),
        **CONNECTOR.http_options(creds),
    )
    with http:
        client = CONNECTOR.client(http, creds)
        order = _open_order(client)
        mark = _mark(sandbox)
        status, _ = SapWriter().send(client, _rename(order, "In client 100"), WriteContext("c"))
    assert status == 204
    calls = _log(sandbox, mark)
    # the CSRF fetch, the ETag read and the PATCH itself
    assert [r["method"] for r in calls] == ["GET", "GET", "PATCH"]
    assert all("sap-client=100" in r["query"] for r in calls), calls


class _StaleFirst(SapWriter):
    def __init__(self, stale_times: int) -> None:
        self.stale_times = stale_times

    def _etag(self, client: SapClient, url: str, params: dict[str, str]) -> str:
        if self.stale_times:
            self.stale_times -= 1
            return STALE
        return super()._etag(client, url, params)


def test_a_412_is_retried_once_with_the_current_etag(
    sandbox: SandboxServer, client: SapClient
) -> None:
    order = _open_order(client)
    mark = _mark(sandbox)
    status, _ = _StaleFirst(1).send(client, _rename(order, "After 412"), WriteContext("c"))
    assert status == 204 and _title(client, order) == "After 412"
    writes = [r["status"] for r in _log(sandbox, mark) if r["method"] == "PATCH"]
    assert writes == [412, 204]


def test_a_second_412_is_a_conflict(sandbox: SandboxServer, client: SapClient) -> None:
    order = _open_order(client)
    before = _title(client, order)
    writer = _StaleFirst(2)
    call = _rename(order, "Never")
    ctx = WriteContext("c")
    with pytest.raises(SourceError) as exc:
        writer.send(client, call, ctx)
    assert exc.value.status == 412
    error = writer.classify(exc.value, call, ctx)
    assert (error.status, error.code, error.field) == (409, "INVALID_STATE", "title")
    assert error.details["source_error"]["error"]["code"] == "/IWBEP/CM_MGW_RT/022"
    assert _title(client, order) == before


def test_status_function_imports_and_sap_status_errors(
    sandbox: SandboxServer, client: SapClient
) -> None:
    writer = SapWriter()
    order = _open_order(client)
    current = writer.fetch(client, "c", "work_orders", order)
    assert current is not None and current.remote_status == "CRTD"
    (release,) = writer._status_calls(current, "REL")
    assert release.path.endswith("/ReleaseMaintenanceOrder")
    assert release.params == {"MaintenanceOrder": f"'{order}'"}
    assert writer.send(client, release, WriteContext("c"))[0] == 200
    again = writer.fetch(client, "c", "work_orders", order)
    assert again is not None and again.remote_status == "REL"
    assert again.record.fields["status"] == "scheduled"
    # SAP refuses a release of a released order: its message, our INVALID_STATE
    ctx = WriteContext("c")
    with pytest.raises(SourceError) as exc:
        writer.send(client, release, ctx)
    error = writer.classify(exc.value, release, ctx)
    assert (error.status, error.code, error.field) == (409, "INVALID_STATE", "status")
    assert "REL" in error.details["source_message"]


def _keys(sandbox: SandboxServer, model: str) -> set[str]:
    body = httpx.get(f"{sandbox.base_url}/_sandbox/records/{model}", timeout=30).json()
    return {r["key"] for r in body["records"]}


def test_deep_insert_is_all_or_nothing(sandbox: SandboxServer, client: SapClient) -> None:
    writer = SapWriter()
    url = client.collection_url(
        "API_PURCHASEORDER_PROCESS_SRV",
        "A_PurchaseOrderItem",
        {"$top": "1", "$select": "PurchaseOrder,Material,Plant"},
    )
    item = client.get_json(url)["d"]["results"][0]
    header = client.get_json(
        client.collection_url(
            "API_PURCHASEORDER_PROCESS_SRV", f"A_PurchaseOrder('{item['PurchaseOrder']}')", {}
        )
    )["d"]
    body = {
        "vendor_id": header["Supplier"],
        "site_id": item["Plant"],
        "lines": [
            {"part_id": item["Material"], "quantity": "2"},
            {"part_id": "NO-SUCH-MATERIAL", "quantity": "1"},
        ],
    }
    ctx = WriteContext("c")
    writer.prepare(client, "purchase_orders", body, None, ctx)
    assert ctx.state["po_header"]["CompanyCode"] == header["CompanyCode"]
    plan = writer.plan_create("purchase_orders", body, ctx)
    assert len(plan.calls) == 1  # header and both items in one request
    before = _keys(sandbox, "purchase_orders")
    outcome = writer.execute(client, plan, ctx)
    assert outcome.error is not None and outcome.dirty is False
    assert outcome.error.code == "INVALID_REFERENCE"
    assert outcome.error.field == "lines[1].part_id"
    assert "NO-SUCH-MATERIAL" in outcome.error.details["source_message"]
    assert _keys(sandbox, "purchase_orders") == before
    body["lines"] = body["lines"][:1]
    created = writer.execute(client, writer.plan_create("purchase_orders", body, ctx), ctx)
    assert created.error is None and created.remote_id is not None
    assert _keys(sandbox, "purchase_orders") - before == {created.remote_id}
