"""Write conformance: every connector that declares write specs, against its sandbox.

Bodies are built from what ``GET /v1/meta/{model}`` says the system accepts and from
records the source already holds (a synced purchase order lends its vendor, site and
parts), never from knowledge of a particular vendor. Every failure case checks that the
sandbox holds nothing half-written afterwards.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from plantlink.connectors.registry import get_connector
from plantlink.model.registry import MODELS
from plantlink.sandbox.core.server import SandboxServer
from tests.conformance.cases import CASES, Case
from tests.conformance.conftest import Conn, connect
from tests.conftest import Api

WRITE_CASES = [c for c in CASES if getattr(get_connector(c.system), "writer", None) is not None]
PO = "purchase_orders"
WO = "work_orders"
HISTORY = {"history_days": 3650}


@pytest.fixture(scope="module", params=WRITE_CASES, ids=str)
def wcase(request: pytest.FixtureRequest) -> Case:
    case: Case = request.param
    return case


@pytest.fixture(scope="module")
def wsandbox(wcase: Case) -> Iterator[SandboxServer]:
    with SandboxServer(wcase.system, seed=20241124, scale=wcase.scale) as sb:
        yield sb


@pytest.fixture(scope="module")
def wconn(module_api: Api, wsandbox: SandboxServer) -> Conn:
    c = connect(module_api, wsandbox, HISTORY)
    c.wait(None, "")
    return c


@pytest.fixture
def clean(wconn: Conn) -> Iterator[Conn]:
    """The shared connection, with sandbox permissions restored after the test."""
    yield wconn
    wconn.control_post("/_sandbox/permissions", {"deny": []})


# ---- helpers (public interfaces only) --------------------------------------------------------


def meta(conn: Conn, model: str) -> dict[str, Any]:
    with conn.client() as c:
        r = c.get(f"/v1/meta/{MODELS[model].path}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def write(
    conn: Conn,
    method: str,
    model: str,
    body: Any,
    record_id: str | None = None,
    *,
    key: str | None = None,
    dry_run: bool = False,
) -> httpx.Response:
    path = f"/v1/{MODELS[model].path}" + (f"/{record_id}" if record_id else "")
    headers = {"Idempotency-Key": key} if key else {}
    params = {"dry_run": "true"} if dry_run else {}
    with conn.client() as c:
        return c.request(method, path, json=body, headers=headers, params=params)


def error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["code"] == code, err
    assert "details" in err and "field" in err["details"], err
    assert r.headers.get("x-request-id") == err["request_id"]
    return err


def live_keys(conn: Conn, model: str) -> set[str]:
    return {r["key"] for r in conn.sandbox_records(model)}


def template_po(conn: Conn) -> dict[str, Any]:
    """A synced purchase order with part lines whose vendor and parts are live in this
    connection's synced copy: its references are ones the source takes.

    The sandbox is shared by the module's tests (and, as pytest orders module fixtures,
    by both stores' runs), and one of them deletes a vendor: a connection made after
    that syncs orders that still name it, and must not borrow their vendor.
    """
    vendors = {v["id"] for v in conn.stored("vendors")}
    parts = {p["id"] for p in conn.stored("parts")}
    for po in conn.stored(PO):
        if (
            po["lines"]
            and all(ln["part_id"] in parts for ln in po["lines"])
            and po["vendor_id"] in vendors
        ):
            return po
    raise AssertionError("the sandbox has no purchase order with part lines")


def po_body(conn: Conn, lines: int = 2) -> dict[str, Any]:
    """A create body with everything the system requires, from a template order."""
    spec = meta(conn, PO)
    schema = spec["schema"]["create"]
    tpl = template_po(conn)
    body: dict[str, Any] = {}
    for name in schema.get("required", []):
        if name != "lines":
            body[name] = tpl[name]
    for name in ("site_id",):  # optional references the order's lines may depend on
        if name in schema["properties"] and tpl.get(name) and name not in body:
            body[name] = tpl[name]
    line_props = schema["properties"]["lines"]["items"]["properties"]
    rows = []
    for i in range(lines):
        src = tpl["lines"][i % len(tpl["lines"])]
        row: dict[str, Any] = {"part_id": src["part_id"], "quantity": str(2 + i)}
        if "unit_price" in line_props:
            row["unit_price"] = "12.5"
        rows.append(row)
    body["lines"] = rows
    return body


def a_change(spec: dict[str, Any], op: str = "update") -> tuple[str, str]:
    """A plain field this system lets ``op`` write, with a new value for it."""
    props = spec["schema"][op]["properties"]
    for name in ("notes", "description", "title", "name"):
        if name in props:
            return name, f"Conformance {uuid.uuid4().hex[:6]}"
    for name in ("expected_delivery_date", "due_at"):
        if name in props:
            soon = (datetime.now(UTC) + timedelta(days=45)).date()
            return name, soon.isoformat() if name.endswith("date") else f"{soon}T08:00:00Z"
    raise AssertionError(f"no plain writable field in {sorted(props)}")


def same(field: str, stored: Any, sent: str) -> bool:
    if field.endswith("_at") and stored:
        return bool(datetime.fromisoformat(stored) == datetime.fromisoformat(sent))
    return bool(stored == sent)


def start(spec: dict[str, Any], record: dict[str, Any]) -> str:
    """The system's status (as its transition table names it) of a record just created."""
    remote: str = spec["status"]["values"][record["status"]]
    return remote


def status_path(spec: dict[str, Any], start_remote: str) -> list[str]:
    """The longest walk of distinct remote statuses from ``start_remote`` the table allows
    (through statuses the unified model can name)."""
    status = spec["status"]
    targets = {v: k for k, v in status["values"].items()}
    graph = {
        t["from_remote"]: [d["remote_status"] for d in t["to"] if d["remote_status"] in targets]
        for t in status["transitions"]
    }
    best: list[str] = []

    def walk(node: str, seen: list[str]) -> None:
        nonlocal best
        if len(seen) > len(best):
            best = list(seen)
        for nxt in graph.get(node, []):
            if nxt not in seen and nxt != start_remote:
                walk(nxt, [*seen, nxt])

    walk(start_remote, [])
    return [targets[s] for s in best]


# ---- meta --------------------------------------------------------------------------------------


def test_meta_publishes_the_write_spec(wconn: Conn) -> None:
    spec = meta(wconn, PO)
    assert spec["read"] is True and spec["create"] is True and spec["update"] is True
    create = spec["schema"]["create"]
    assert create["type"] == "object" and create["additionalProperties"] is False
    assert "lines" in create["required"] and create["properties"]["lines"]["minItems"] >= 1
    if "status" in spec:
        assert spec["status"]["transitions"] and spec["status"]["mechanism"]
    else:  # no status mechanism: status is read-only, and the meta says so
        assert "status" in spec["read_only_fields"]
    assert any(meta(wconn, m).get("status", {}).get("transitions") for m in (PO, WO))
    assert spec["limitations"] and isinstance(spec["limitations"][0], str)
    assert spec["idempotency"]["header"] == "Idempotency-Key"
    assert spec["idempotency"]["retention_hours"] >= 24
    assert "id" in spec["read_only_fields"] and "total" in spec["read_only_fields"]
    not_written = [
        m for m in wconn.models if not meta(wconn, m)["create"] and not meta(wconn, m)["update"]
    ]
    assert not_written, "every system has models it only reads"
    for model in MODELS:
        if model not in wconn.models:
            body = meta(wconn, model)
            assert body["read"] is False and body["create"] is False and body["limitations"]
    with wconn.client() as c:
        assert c.get("/v1/meta/widgets").status_code == 404


# ---- the purchase-order life cycle ----------------------------------------------------------


def test_po_created_with_lines_updated_and_taken_through_its_statuses(wconn: Conn) -> None:
    watermark = wconn.status()["last_successful_sync_at"]
    before = live_keys(wconn, PO)
    body = po_body(wconn)
    r = write(wconn, "POST", PO, body)
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    assert r.json()["write"]["source_changed"] is True
    assert len(created["lines"]) == 2
    assert [ln["part_id"] for ln in created["lines"]] == [ln["part_id"] for ln in body["lines"]]
    assert [float(ln["quantity"]) for ln in created["lines"]] == [2.0, 3.0]
    # it is in the source, whole
    after = live_keys(wconn, PO)
    assert after - before == {created["remote_id"]}
    # and readable at once, with the source's values, for modified_after readers too
    with wconn.client() as c:
        assert c.get(f"/v1/purchase-orders/{created['id']}").json() == created
        listed = c.get("/v1/purchase-orders", params={"modified_after": watermark}).json()
    assert created["id"] in {d["id"] for d in listed["data"]}

    spec = meta(wconn, PO)
    name, value = a_change(spec)
    r = write(wconn, "PATCH", PO, {name: value}, created["id"])
    assert r.status_code == 200, r.text
    assert same(name, r.json()["data"][name], value)
    assert r.json()["data"]["modified_at"] > created["modified_at"]
    first = created["lines"][0]
    r = write(wconn, "PATCH", PO, {"lines": [{"id": first["id"], "quantity": "7"}]}, created["id"])
    assert r.status_code == 200, r.text
    changed = next(ln for ln in r.json()["data"]["lines"] if ln["id"] == first["id"])
    assert float(changed["quantity"]) == 7.0

    with wconn.client() as c:
        assert c.get(f"/v1/purchase-orders/{created['id']}").json() == r.json()["data"]


def status_models(conn: Conn) -> list[str]:
    return [m for m in (PO, WO) if meta(conn, m).get("status") and meta(conn, m)["create"]]


def new_body(conn: Conn, model: str) -> dict[str, Any]:
    return po_body(conn, 1) if model == PO else wo_body(conn)


def test_records_are_taken_through_their_statuses(wconn: Conn) -> None:
    models = status_models(wconn)
    assert models, "status changes must be writable for some model"
    for model in models:
        spec = meta(wconn, model)
        r = write(wconn, "POST", model, new_body(wconn, model))
        assert r.status_code == 201, r.text
        created = r.json()["data"]
        walked = []
        for target in status_path(spec, start(spec, created)):
            r = write(wconn, "PATCH", model, {"status": target}, created["id"])
            assert r.status_code == 200, r.text
            assert r.json()["data"]["status"] == target
            walked.append(target)
        assert len(walked) >= 2, (model, walked)
        with wconn.client() as c:
            final = c.get(f"/v1/{MODELS[model].path}/{created['id']}").json()
        assert final["status"] == walked[-1]
        remote = {r["key"]: r for r in wconn.sandbox_records(model)}
        assert created["remote_id"] in remote


def test_illegal_transition_and_locked_content_are_invalid_state(wconn: Conn) -> None:
    model = next(
        m
        for m in status_models(wconn)
        if meta(wconn, m)["status"]["locked_statuses"]
        and any(
            len(t["to"]) < len(meta(wconn, m)["status"]["values"]) - 1
            for t in meta(wconn, m)["status"]["transitions"]
        )
    )
    spec = meta(wconn, model)
    created = write(wconn, "POST", model, new_body(wconn, model)).json()["data"]
    status = spec["status"]
    first = start(spec, created)
    allowed = next(t for t in status["transitions"] if t["from_remote"] == first)
    reachable = {d["remote_status"] for d in allowed["to"]} | {first}
    illegal = next(u for u, remote in status["values"].items() if remote not in reachable)
    stamp = {r["key"]: r["updated_at"] for r in wconn.sandbox_records(model)}
    err = error(
        write(wconn, "PATCH", model, {"status": illegal}, created["id"]), 409, "INVALID_STATE"
    )
    assert err["details"]["field"] == "status"
    assert err["details"]["allowed"]
    assert {r["key"]: r["updated_at"] for r in wconn.sandbox_records(model)} == stamp
    # walk into a locked status, then try to edit the content
    locked = {s["remote_status"] for s in status["locked_statuses"]}
    path = status_path(spec, first)
    for target in path:
        r = write(wconn, "PATCH", model, {"status": target}, created["id"])
        assert r.status_code == 200, r.text
        if status["values"][target] in locked:
            break
    else:
        raise AssertionError(f"no locked status on the path {path}")
    stamp = {r["key"]: r["updated_at"] for r in wconn.sandbox_records(model)}
    name, value = a_change(spec)
    err = error(write(wconn, "PATCH", model, {name: value}, created["id"]), 409, "INVALID_STATE")
    assert err["details"]["field"] == name
    assert {r["key"]: r["updated_at"] for r in wconn.sandbox_records(model)} == stamp


# ---- every refusal, each naming its field, nothing half-written --------------------------------


def test_refusals_carry_their_codes_and_write_nothing(clean: Conn) -> None:
    conn = clean
    spec = meta(conn, PO)
    body = po_body(conn)
    before = live_keys(conn, PO)

    err = error(write(conn, "POST", PO, {**body, "colour": "red"}), 422, "VALIDATION_ERROR")
    assert err["details"]["field"] == "colour"
    err = error(write(conn, "POST", PO, {**body, "lines": "many"}), 422, "VALIDATION_ERROR")
    assert err["details"]["field"] == "lines"
    err = error(write(conn, "POST", PO, {**body, "total": "10"}), 422, "FIELD_READ_ONLY")
    assert err["details"]["field"] == "total"
    err = error(write(conn, "POST", PO, {**body, "id": str(uuid.uuid4())}), 422, "FIELD_READ_ONLY")
    assert err["details"]["field"] == "id"
    bad_line = [{**body["lines"][0], "line_total": "1"}]
    err = error(write(conn, "POST", PO, {**body, "lines": bad_line}), 422, "FIELD_READ_ONLY")
    assert err["details"]["field"] == "lines[0].line_total"
    custom = {"custom_fields": {"Definitely Not A Field": "x"}}
    err = error(write(conn, "POST", PO, {**body, **custom}), 422, "FIELD_READ_ONLY")
    assert err["details"]["field"].startswith("custom_fields")
    required = next(n for n in spec["schema"]["create"]["required"] if n != "lines")
    without = {k: v for k, v in body.items() if k != required}
    err = error(write(conn, "POST", PO, without), 422, "FIELD_REQUIRED")
    assert err["details"]["field"] == required
    err = error(write(conn, "POST", PO, {**body, "lines": []}), 422, "FIELD_REQUIRED")
    assert err["details"]["field"] == "lines"
    no_qty = [{k: v for k, v in body["lines"][0].items() if k != "quantity"}]
    err = error(write(conn, "POST", PO, {**body, "lines": no_qty}), 422, "FIELD_REQUIRED")
    assert err["details"]["field"] == "lines[0].quantity"
    ghost = str(uuid.uuid4())
    err = error(write(conn, "POST", PO, {**body, "vendor_id": ghost}), 422, "INVALID_REFERENCE")
    assert err["details"]["field"] == "vendor_id"
    ghost_line = [{**body["lines"][0], "part_id": "no-such-part-999"}]
    err = error(write(conn, "POST", PO, {**body, "lines": ghost_line}), 422, "INVALID_REFERENCE")
    assert err["details"]["field"] == "lines[0].part_id"

    read_only_model = next(m for m in conn.models if not meta(conn, m)["create"])
    err = error(write(conn, "POST", read_only_model, {}), 405, "OPERATION_NOT_SUPPORTED")
    assert err["details"]["operation"] == "create"
    missing = next(m for m in MODELS if m not in conn.models)
    error(write(conn, "POST", missing, {}), 400, "MODEL_NOT_SUPPORTED")
    with conn.client() as c:
        r = c.patch(f"/v1/purchase-orders/{uuid.uuid4()}", json={})
    error(r, 404, "NOT_FOUND")

    conn.control_post("/_sandbox/permissions", {"deny": ["purchase_orders:create"]})
    err = error(write(conn, "POST", PO, body), 403, "PERMISSION_DENIED")
    assert err["details"]["source_status"] == 403 and err["details"]["source_message"]
    conn.control_post("/_sandbox/permissions", {"deny": []})
    assert live_keys(conn, PO) == before


def test_a_source_business_rule_keeps_the_source_message(clean: Conn) -> None:
    """A reference the synced copy knows but the source no longer has: the source refuses
    and its words come back in ``details``, with the unified field named."""
    conn = clean
    body = po_body(conn, 1)
    victim = next(v for v in conn.stored("vendors") if v["id"] != body["vendor_id"])
    before = live_keys(conn, PO)
    with conn.control() as c:
        r = c.delete(f"/_sandbox/records/vendors/{victim['remote_id']}")
    assert r.status_code in (200, 204), r.text
    body["vendor_id"] = victim["id"]  # still live in the synced copy
    err = error(write(conn, "POST", PO, body), 422, "INVALID_REFERENCE")
    assert err["details"]["field"] == "vendor_id"
    assert err["details"]["source_message"] and err["details"]["source_status"] >= 400
    assert live_keys(conn, PO) == before


def test_a_failed_follow_up_call_is_undone(clean: Conn) -> None:
    """A create that needs a status call after it: when that call is refused the new
    record is removed again and the response says exactly what happened. A system that
    only creates in its initial status refuses the request before writing anything."""
    conn = clean
    model = next(m for m in status_models(conn))
    status = meta(conn, model)["status"]
    with_steps = [m for m in status_models(conn) if len(meta(conn, m)["status"]["on_create"]) > 1]
    before = {m: live_keys(conn, m) for m in (PO, WO)}
    if not with_steps:
        later = next(s for s in status["values"] if s not in status["on_create"])
        body = {**new_body(conn, model), "status": later}
        err = error(write(conn, "POST", model, body), 409, "INVALID_STATE")
        assert err["details"]["field"] == "status"
        assert {m: live_keys(conn, m) for m in (PO, WO)} == before
        return
    for model in with_steps:
        status = meta(conn, model)["status"]
        later = status["on_create"][-1]
        conn.control_post("/_sandbox/permissions", {"deny": [f"{model}:status"]})
        body = {**new_body(conn, model), "status": later}
        err = error(write(conn, "POST", model, body), 403, "PERMISSION_DENIED")
        details = err["details"]
        assert details["compensated"] is True and details["source_changed"] is False
        assert [s["ok"] for s in details["steps"]] == [True, False, True]
        assert details["field"] == "status"
    assert {m: live_keys(conn, m) for m in (PO, WO)} == before


def test_write_rate_limit(api: Api, wsandbox: SandboxServer) -> None:
    conn = connect(
        api, wsandbox, {**HISTORY, "write_rate_limit": {"requests": 1, "per_seconds": 60}}
    )
    conn.wait(None, "")
    body = po_body(conn, 1)
    assert write(conn, "POST", PO, body, dry_run=True).status_code == 200  # not counted
    assert write(conn, "POST", PO, body).status_code == 201
    before = live_keys(conn, PO)
    r = write(conn, "POST", PO, body)
    error(r, 429, "RATE_LIMIT_EXCEEDED")
    assert int(r.headers["retry-after"]) >= 1
    assert live_keys(conn, PO) == before


# ---- dry run and idempotency ---------------------------------------------------------------


def test_dry_run_checks_everything_and_writes_nothing(wconn: Conn) -> None:
    before = live_keys(wconn, PO)
    body = po_body(wconn)
    r = write(wconn, "POST", PO, body, dry_run=True)
    assert r.status_code == 200, r.text
    assert r.json()["dry_run"] is True and r.json()["valid"] is True
    assert r.json()["plan"]["calls"]
    ghost = {**body, "vendor_id": str(uuid.uuid4())}
    error(write(wconn, "POST", PO, ghost, dry_run=True), 422, "INVALID_REFERENCE")
    created = write(wconn, "POST", PO, po_body(wconn, 1)).json()["data"]
    stamp = {r["key"]: r["updated_at"] for r in wconn.sandbox_records(PO)}
    name, value = a_change(meta(wconn, PO))
    r = write(wconn, "PATCH", PO, {name: value}, created["id"], dry_run=True)
    assert r.status_code == 200, r.text
    assert r.json()["plan"]["calls"]
    assert {r["key"]: r["updated_at"] for r in wconn.sandbox_records(PO)} == stamp
    with wconn.client() as c:
        assert not same(name, c.get(f"/v1/purchase-orders/{created['id']}").json()[name], value)
    assert live_keys(wconn, PO) == before | {created["remote_id"]}


def test_idempotency_key_replays_and_refuses_reuse(wconn: Conn) -> None:
    key = f"po-{uuid.uuid4()}"
    body = po_body(wconn, 1)
    before = live_keys(wconn, PO)
    first = write(wconn, "POST", PO, body, key=key)
    assert first.status_code == 201, first.text
    again = write(wconn, "POST", PO, body, key=key)
    assert again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    other = {**body, "lines": [{**body["lines"][0], "quantity": "9"}]}
    err = error(write(wconn, "POST", PO, other, key=key), 409, "IDEMPOTENCY_KEY_REUSED")
    assert err["details"]["field"] == "Idempotency-Key"
    assert live_keys(wconn, PO) - before == {first.json()["data"]["remote_id"]}
    # a refusal before anything reached the source does not use the key up
    key2 = f"po-{uuid.uuid4()}"
    error(write(wconn, "POST", PO, {**body, "total": "1"}, key=key2), 422, "FIELD_READ_ONLY")
    assert write(wconn, "POST", PO, body, key=key2).status_code == 201


def test_twin_requests_at_the_same_moment_write_once(wconn: Conn) -> None:
    key = f"twin-{uuid.uuid4()}"
    body = po_body(wconn)
    before = live_keys(wconn, PO)
    barrier = threading.Barrier(2)
    results: list[httpx.Response] = []

    def fire() -> None:
        barrier.wait()
        results.append(write(wconn, "POST", PO, body, key=key))

    threads = [threading.Thread(target=fire) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [r.status_code for r in results] == [201, 201], [r.text for r in results]
    assert results[0].json() == results[1].json()
    assert sorted(r.headers.get("idempotent-replayed", "") for r in results) == ["", "true"]
    assert len(live_keys(wconn, PO) - before) == 1


# ---- work orders -------------------------------------------------------------------------------


def wo_body(conn: Conn) -> dict[str, Any]:
    schema = meta(conn, WO)["schema"]["create"]
    tpl = next(w for w in conn.stored(WO) if w["asset_id"])
    body: dict[str, Any] = {}
    for name in schema.get("required", []):
        body[name] = tpl[name] if tpl.get(name) is not None else f"Conformance {name}"
    if "title" in schema["properties"]:
        body["title"] = "Replace drive belt"
    if "asset_id" in schema["properties"]:
        body["asset_id"] = tpl["asset_id"]
    return body


def test_work_order_create_and_update(wconn: Conn) -> None:
    spec = meta(wconn, WO)
    assert spec["create"] and spec["update"]
    body = wo_body(wconn)
    before = live_keys(wconn, WO)
    r = write(wconn, "POST", WO, body)
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    assert live_keys(wconn, WO) - before == {created["remote_id"]}
    if "title" in body:
        assert created["title"] == body["title"]
    name, value = a_change(spec)
    r = write(wconn, "PATCH", WO, {name: value}, created["id"])
    assert r.status_code == 200, r.text
    assert same(name, r.json()["data"][name], value)
    err = error(write(wconn, "PATCH", WO, {"number": "X-1"}, created["id"]), 422, "FIELD_READ_ONLY")
    assert err["details"]["field"] == "number"
