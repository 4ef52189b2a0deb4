"""The core's traffic emulation on the SAP API: faults, rate limits, latency, clock, stats."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import httpx
import pytest

from tests.sandbox.sap_inventory import Sap, ms, start

MO = "/API_MAINTENANCEORDER/MaintenanceOrder"


@pytest.fixture
def sap() -> Iterator[Sap]:
    sandbox = start(scale=100)
    yield sandbox
    sandbox.close()


@pytest.mark.parametrize(
    ("kind", "code"), [("500", "/IWBEP/CM_MGW_RT/017"), ("503", "/IWFND/CM_BEC/026")]
)
def test_injected_server_errors_use_sap_bodies(sap: Sap, kind: str, code: str) -> None:
    sap.ctl("/faults", rate=1, kinds=[kind], seed=1)
    response = sap.api.get(f"{MO}/$count")
    assert response.status_code == int(kind)
    assert response.json()["error"]["code"] == code
    assert sap.control.get("/info").status_code == 200  # never on the control API
    sap.ctl("/faults", rate=0)
    assert sap.api.get(f"{MO}/$count").status_code == 200


def test_seeded_faults_repeat_in_request_order(sap: Sap) -> None:
    def statuses() -> list[int]:
        sap.ctl("/faults", rate=0.5, kinds=["500", "503"], seed=42)
        return [sap.api.get(f"{MO}/$count").status_code for _ in range(20)]

    first = statuses()
    assert first == statuses() and {500, 503, 200} <= set(first)


def test_reset_and_truncated_connections(sap: Sap) -> None:
    sap.ctl("/faults", rate=1, kinds=["reset"], seed=1)
    with pytest.raises(httpx.TransportError):
        sap.client().get(f"{MO}/$count")
    sap.ctl("/faults", rate=1, kinds=["truncated"], seed=1)
    with pytest.raises(httpx.TransportError):
        sap.client().get(MO, params={"$top": "50"})
    sap.ctl("/faults", rate=0)
    deadline = time.monotonic() + 2
    while True:  # the server logs a cut-off request once its handler has finished
        log = sap.control.get("/requests").json()["requests"]
        if len(log) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert [entry["status"] for entry in log] == [0, 200]


def test_rate_limit_answers_429_with_retry_after(sap: Sap) -> None:
    sap.ctl("/rate-limit", requests=3, per_seconds=60)
    statuses = [sap.api.get(f"{MO}/$count").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = sap.api.get(f"{MO}/$count")
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["message"]["value"].startswith("Too many requests")
    sap.ctl("/rate-limit", requests=0, per_seconds=60)
    assert sap.api.get(f"{MO}/$count").status_code == 200


def test_latency_delays_vendor_calls_only(sap: Sap) -> None:
    sap.ctl("/latency", ms=300)
    started = time.monotonic()
    sap.api.get(f"{MO}/$count")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    sap.control.get("/stats")
    assert time.monotonic() - started < 0.3


def test_clock_skew_moves_date_header_and_change_times(sap: Sap) -> None:
    sap.ctl("/clock", skew_seconds=-3600)
    response = sap.api.get("/API_MAINTENANCEORDER/", headers={"X-CSRF-Token": "Fetch"})
    date = parsedate_to_datetime(response.headers["date"]).timestamp()
    assert abs(date - (time.time() - 3600)) < 5
    sap.api.headers["X-CSRF-Token"] = response.headers["x-csrf-token"]
    created = sap.api.post(MO, json={"MaintenanceOrderType": "PM01", "Equipment": "10000001"})
    stamp = ms(created.json()["d"]["LastChangeDateTime"]) / 1000
    assert abs(stamp - (time.time() - 3600)) < 5


def test_stats_and_request_log_count_every_vendor_call(sap: Sap) -> None:
    sap.ctl("/reset-stats")
    sap.api.get(f"{MO}/$count", headers={"X-Plantlink-Connection": "c1", "X-Plantlink-Run": "r1"})
    sap.client(password="nope").get(f"{MO}/$count")
    sap.ctl("/faults", rate=1, kinds=["503"], seed=3)
    sap.api.get(MO)
    sap.ctl("/faults", rate=0)
    stats = sap.control.get("/stats").json()
    assert stats["requests"] == 3
    assert stats["by_status"] == {"200": 1, "401": 1, "503": 1}
    log = sap.control.get("/requests").json()["requests"]
    assert [entry["status"] for entry in log] == [200, 401, 503]
    assert log[0]["plantlink_connection"] == "c1" and log[0]["plantlink_run"] == "r1"
    assert log[0]["path"] == f"/sap/opu/odata/sap{MO}/$count"
    after = sap.control.get("/requests", params={"after": log[1]["id"]}).json()["requests"]
    assert [entry["id"] for entry in after] == [log[2]["id"]]
