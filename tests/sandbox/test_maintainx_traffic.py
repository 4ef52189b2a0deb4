"""Rate limits, faults, latency, clock skew, stats and the request log, seen by httpx."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx
import pytest

from plantlink.sandbox.core import parse_iso

# -- rate limits ---------------------------------------------------------------------------


def test_default_limit_headers_on_every_response(fresh_mx):
    ok = fresh_mx.api.get("/workorders", params={"limit": 1})
    bad = fresh_mx.api.get("/workorders", params={"limit": 0})
    unauthorized = fresh_mx.client("wrong").get("/workorders")
    for response in (ok, bad, unauthorized):
        assert response.headers["X-Rate-Limit-Limit"] == "100000"
        assert 0 < int(response.headers["X-Rate-Limit-Reset"]) <= 60
    assert (
        int(bad.headers["X-Rate-Limit-Remaining"]) == int(ok.headers["X-Rate-Limit-Remaining"]) - 1
    )
    assert "x-rate-limit-limit" not in fresh_mx.control.get("/stats").headers


def test_configured_limit_is_enforced_per_key_the_vendor_way(fresh_mx):
    fresh_mx.ctl("/rate-limit", requests=4, per_seconds=60)
    remaining = []
    for method, path, body in [
        ("GET", "/workorders", None),
        ("POST", "/workorders", {"title": "x"}),
        ("GET", "/assets", None),
        ("GET", "/parts", None),
    ]:
        response = fresh_mx.api.request(method, path, json=body)
        assert response.status_code in (200, 201)
        remaining.append(int(response.headers["X-Rate-Limit-Remaining"]))
    assert remaining == [3, 2, 1, 0]  # writes count like reads
    limited = fresh_mx.api.get("/workorders")
    assert limited.status_code == 429
    wait = int(limited.headers["Retry-After"])
    assert 0 < wait <= 60 and limited.headers["X-Rate-Limit-Reset"] == str(wait)
    assert limited.headers["X-Rate-Limit-Remaining"] == "0"
    assert limited.json() == {"error": f"Too many requests. Please retry in {wait} seconds"}
    # The control API is never limited; a new key (after rotation) has its own budget.
    assert fresh_mx.control.get("/stats").status_code == 200
    key = fresh_mx.ctl("/credentials/rotate")["api_key"]
    assert fresh_mx.client(key).get("/workorders").status_code == 200
    fresh_mx.ctl("/rate-limit", requests=0, per_seconds=60)
    assert fresh_mx.client(key).get("/workorders").headers["X-Rate-Limit-Limit"] == "100000"


def test_window_resets(fresh_mx):
    fresh_mx.ctl("/rate-limit", requests=2, per_seconds=1)
    statuses = [fresh_mx.api.get("/teams").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    time.sleep(1.2)
    assert fresh_mx.api.get("/teams").status_code == 200


# -- faults --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        ("500", 500, {"error": "Internal server error."}),
        ("503", 503, {"error": "Service Unavailable"}),
        ("429", 429, {"error": "Too many requests. Please retry in 1 seconds"}),
    ],
)
def test_status_faults_use_vendor_bodies(fresh_mx, kind, status, body):
    fresh_mx.ctl("/faults", rate=1, kinds=[kind])
    response = fresh_mx.api.get("/workorders")
    assert response.status_code == status
    assert response.json() == body
    assert "X-Rate-Limit-Limit" in response.headers
    if kind == "429":
        assert response.headers["Retry-After"] == "1"
    assert fresh_mx.control.get("/info").status_code == 200  # control is never faulted
    fresh_mx.ctl("/faults", rate=0)
    assert fresh_mx.api.get("/workorders").status_code == 200


def test_reset_fault_aborts_the_connection(fresh_mx):
    fresh_mx.ctl("/faults", rate=1, kinds=["reset"])
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError)):
        fresh_mx.api.get("/workorders")
    fresh_mx.ctl("/faults", rate=0)
    assert fresh_mx.api.get("/workorders").status_code == 200  # the client reconnects
    assert fresh_mx.control.get("/stats").json()["by_status"]["0"] == 1


def test_truncated_fault_breaks_the_body(fresh_mx):
    fresh_mx.ctl("/faults", rate=1, kinds=["truncated"])
    with pytest.raises(httpx.RemoteProtocolError, match=r"complete message body"):
        fresh_mx.api.get("/workorders")
    fresh_mx.ctl("/faults", rate=0)
    assert fresh_mx.control.get("/requests").json()["requests"][-1]["status"] == 200


def test_timeout_fault_holds_the_response(fresh_mx):
    fresh_mx.ctl("/faults", rate=1, kinds=["timeout"], timeout_ms=400)
    with pytest.raises(httpx.ReadTimeout):
        fresh_mx.api.get("/workorders", timeout=0.1)
    started = time.monotonic()
    response = fresh_mx.api.get("/workorders")
    assert response.status_code == 200  # answered normally, just late
    assert time.monotonic() - started >= 0.4


def test_seeded_faults_are_reproducible_in_request_order(fresh_mx):
    def run():
        fresh_mx.ctl("/faults", rate=0.4, kinds=["500", "503", "429"], seed=7)
        return [fresh_mx.api.get("/teams").status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert {500, 503, 429, 200} <= set(first)
    fresh_mx.ctl("/faults", rate=0.4, kinds=["500", "503", "429"], seed=8)
    assert [fresh_mx.api.get("/teams").status_code for _ in range(30)] != first


# -- latency and clock ---------------------------------------------------------------------


def test_latency_applies_to_the_vendor_api(fresh_mx):
    fresh_mx.ctl("/latency", ms=300)
    started = time.monotonic()
    assert fresh_mx.api.get("/teams").status_code == 200
    assert time.monotonic() - started >= 0.3
    fresh_mx.ctl("/latency", ms=0)


def test_clock_skew_moves_date_header_and_change_stamps(fresh_mx):
    fresh_mx.ctl("/clock", skew_seconds=-7200)
    before = time.time()
    response = fresh_mx.api.get("/teams")
    sandbox_now = parsedate_to_datetime(response.headers["date"]).timestamp()
    assert -7200 - 5 <= sandbox_now - before <= -7200 + 5
    key = fresh_mx.ctl("/mutate", entity="work_orders", count=1)["keys"][0]
    stamp = next(r["updated_at"] for r in fresh_mx.records("work_orders") if r["key"] == key)
    assert -7200 - 5 <= parse_iso(stamp) / 1000 - before <= -7200 + 5
    wo = fresh_mx.api.get(f"/workorders/{key}").json()["workOrder"]
    assert wo["updatedAt"] == stamp
    fresh_mx.ctl("/clock", skew_seconds=0)
    late = parsedate_to_datetime(fresh_mx.api.get("/teams").headers["date"]).timestamp()
    assert abs(late - time.time()) < 5


# -- stats and request log -----------------------------------------------------------------


def test_stats_and_request_log_count_every_vendor_call(fresh_mx):
    fresh_mx.ctl("/reset-stats")
    connection = fresh_mx.client(
        **{
            "X-Plantlink-Connection": "conn-1",
            "X-Plantlink-Run": "run-9",
            "User-Agent": "plantlink-test/1.0",
        }
    )
    connection.get("/workorders", params={"limit": 2})
    connection.get("/workorders/1")
    fresh_mx.client("wrong").get("/assets")
    fresh_mx.ctl("/faults", rate=1, kinds=["503"])
    connection.get("/parts")
    fresh_mx.ctl("/faults", rate=0)
    fresh_mx.control.get("/info")  # not counted

    stats = fresh_mx.control.get("/stats").json()
    assert stats["requests"] == 4
    assert stats["by_status"] == {"200": 1, "404": 1, "401": 1, "503": 1}
    assert stats["by_path"]["/v1/workorders"] == 1
    assert stats["by_path"]["/v1/workorders/{record_id}"] == 1

    log = fresh_mx.control.get("/requests").json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/v1/workorders", 200),
        ("GET", "/v1/workorders/1", 404),
        ("GET", "/v1/assets", 401),
        ("GET", "/v1/parts", 503),
    ]
    entry = log[0]
    assert entry["query"] == "limit=2" and entry["user_agent"] == "plantlink-test/1.0"
    assert (entry["plantlink_connection"], entry["plantlink_run"]) == ("conn-1", "run-9")
    assert entry["started_at"] <= entry["finished_at"]
    assert log[2]["plantlink_connection"] is None
    later = fresh_mx.control.get("/requests", params={"after": log[1]["id"]}).json()["requests"]
    assert [e["id"] for e in later] == [log[2]["id"], log[3]["id"]]
    fresh_mx.ctl("/reset-stats")
    assert fresh_mx.control.get("/stats").json() == {"requests": 0, "by_status": {}, "by_path": {}}
    assert fresh_mx.control.get("/requests").json() == {"requests": []}
