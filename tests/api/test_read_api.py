"""The read API end to end: a live MaintainX sandbox, a real sync, the real HTTP API."""

from __future__ import annotations

from typing import Any

import httpx

from plantlink.core.timeutil import format_us, parse_instant
from tests.api.conftest import Linked, link, wait_synced


def read_all(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = client.get(path, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return out


def sandbox_keys(linked: Linked, entity: str) -> set[str]:
    with linked.control() as c:
        return {r["key"] for r in c.get(f"/_sandbox/records/{entity}").json()["records"]}


def test_initial_sync_matches_the_sandbox(shared_linked: Linked) -> None:
    with shared_linked.client() as c:
        status = c.get("/v1/sync-status").json()
        by_model = {m["model"]: m for m in status["models"]}
        assert by_model["sites"]["status"] == "not_supported"
        for path, entity in [
            ("work-orders", "work_orders"),
            ("assets", "assets"),
            ("locations", "locations"),
            ("parts", "parts"),
            ("vendors", "vendors"),
            ("purchase-orders", "purchase_orders"),
        ]:
            assert by_model[path]["status"] == "done", by_model[path]
            records = read_all(c, f"/v1/{path}", page_size=37)
            assert {r["remote_id"] for r in records} == sandbox_keys(shared_linked, entity), path
            assert len({r["id"] for r in records}) == len(records)
            assert by_model[path]["records"] == len(records)


def test_pages_are_ordered_and_complete(shared_linked: Linked) -> None:
    with shared_linked.client() as c:
        small = read_all(c, "/v1/work-orders", page_size=7)
        big = read_all(c, "/v1/work-orders", page_size=500)
    assert [r["id"] for r in small] == [r["id"] for r in big]
    keys = [(r["modified_at"], r["id"]) for r in big]
    assert keys == sorted(keys)


def test_references_resolve_and_expand(shared_linked: Linked) -> None:
    with shared_linked.client() as c:
        wos = c.get(
            "/v1/work-orders", params={"page_size": 500, "expand": "asset_id,assignee_ids"}
        ).json()["data"]
        with_asset = [w for w in wos if w["asset_id"]]
        assert with_asset
        for w in with_asset:
            assert w["asset"]["id"] == w["asset_id"]
            assert c.get(f"/v1/assets/{w['asset_id']}").status_code == 200
        assert any(w["assignees"] for w in wos)
        po = c.get("/v1/purchase-orders", params={"page_size": 1}).json()["data"][0]
        assert po["lines"] and all(line["id"] for line in po["lines"])


def test_remote_data_only_on_request(shared_linked: Linked) -> None:
    with shared_linked.client() as c:
        plain = c.get("/v1/assets", params={"page_size": 3}).json()["data"]
        raw = c.get("/v1/assets", params={"page_size": 3, "include_remote_data": "true"}).json()[
            "data"
        ]
        assert all("remote_data" not in r for r in plain)
        assert [r["remote_data"]["id"] for r in raw] == [int(r["remote_id"]) for r in raw]
        one = c.get(f"/v1/assets/{raw[0]['id']}", params={"include_remote_data": "true"}).json()
        assert one["remote_data"] == raw[0]["remote_data"]


def test_incremental_sync_moves_only_changed_records(linked: Linked) -> None:
    with linked.client() as c:
        before = {r["id"]: r for r in read_all(c, "/v1/work-orders", page_size=500)}
        models = c.get("/v1/sync-status").json()["models"]
        watermark = next(m for m in models if m["model"] == "work-orders")[
            "last_successful_sync_at"
        ]
        with linked.control() as ctl:
            mutated = set(
                ctl.post("/_sandbox/mutate", json={"entity": "work_orders", "count": 5}).json()[
                    "keys"
                ]
            )
            created = set(
                ctl.post("/_sandbox/create", json={"entity": "work_orders", "count": 3}).json()[
                    "keys"
                ]
            )
        assert c.post("/v1/sync", json={"models": ["work-orders"]}).status_code == 202
        wait_synced(c, since=watermark, model="work-orders")
        changed = read_all(c, "/v1/work-orders", modified_after=watermark)
        assert {r["remote_id"] for r in changed} == mutated | created
        after = {r["id"]: r for r in read_all(c, "/v1/work-orders", page_size=500)}
        untouched = [i for i, r in before.items() if r["remote_id"] not in mutated]
        assert all(after[i]["modified_at"] == before[i]["modified_at"] for i in untouched)
        assert all(after[i]["created_at"] == before[i]["created_at"] for i in before)


def test_filters(shared_linked: Linked) -> None:
    with shared_linked.client() as c:
        wos = read_all(c, "/v1/work-orders", page_size=500)
        done = [w for w in wos if w["status"] == "completed"]
        got = read_all(c, "/v1/work-orders", status="completed")
        assert {w["id"] for w in got} == {w["id"] for w in done}
        asset = next(w["asset_id"] for w in wos if w["asset_id"])
        got = read_all(c, "/v1/work-orders", asset_id=asset)
        assert got and all(w["asset_id"] == asset for w in got)
        dues = sorted(w["due_at"] for w in wos if w["due_at"])
        mid = dues[len(dues) // 2]
        got = read_all(c, "/v1/work-orders", due_after=mid)
        assert {w["id"] for w in got} == {w["id"] for w in wos if w["due_at"] and w["due_at"] > mid}
        remote = wos[0]["remote_id"]
        assert [w["remote_id"] for w in read_all(c, "/v1/work-orders", remote_id=remote)] == [
            remote
        ]
        # Several remote ids, one unknown and one of another model (looked up by id).
        other = wos[1]["remote_id"]
        asset_remote = c.get("/v1/assets").json()["data"][0]["remote_id"]
        got = read_all(
            c, "/v1/work-orders", remote_id=f"{remote},{other},no-such-id,{asset_remote}"
        )
        assert sorted(w["remote_id"] for w in got) == sorted(
            w["remote_id"] for w in wos if w["remote_id"] in {remote, other, asset_remote}
        )
        # Both bounds are exclusive. (An initial sync stores up to 5,000 records per
        # transaction, so many records share a stamp: bounds at the stamps themselves.)
        mods = sorted({w["modified_at"] for w in wos})
        lo, hi = mods[0], mods[-1]
        every = {w["id"] for w in wos}
        got = read_all(c, "/v1/work-orders", modified_after=_us(lo, -1), modified_before=_us(hi, 1))
        assert {w["id"] for w in got} == every
        got = read_all(c, "/v1/work-orders", modified_after=lo)
        assert {w["id"] for w in got} == {w["id"] for w in wos if w["modified_at"] > lo}
        got = read_all(c, "/v1/work-orders", modified_before=hi)
        assert {w["id"] for w in got} == {w["id"] for w in wos if w["modified_at"] < hi}
        assert read_all(c, "/v1/work-orders", modified_after=hi) == []


def _us(instant: str, delta: int) -> str:
    """``instant`` moved by ``delta`` microseconds."""
    return format_us(parse_instant(instant) + delta) or ""


def test_tokens_are_isolated_and_revocable(linked: Linked) -> None:
    other = link(linked.api, linked.sandbox)
    with linked.client() as mine, other.client() as theirs:
        my_wo = mine.get("/v1/work-orders", params={"page_size": 1}).json()["data"][0]
        assert theirs.get(f"/v1/work-orders/{my_wo['id']}").status_code == 404
    with linked.admin() as admin:
        assert admin.delete(f"/v1/admin/connections/{linked.connection_id}").status_code == 200
    with linked.client() as mine:
        # revocation takes effect on the very next request, on lists and single records,
        # and authentication is decided before any parameter is looked at
        for path in ("/v1/work-orders", f"/v1/work-orders/{my_wo['id']}", "/v1/work-orders?x=1"):
            r = mine.get(path)
            assert r.status_code == 401, path
            assert r.json()["error"]["code"] == "AUTHENTICATION_FAILED"
            assert r.headers["x-request-id"]
    with linked.api.client(linked.admin_key) as admin:
        # another organization's admin key sees nothing of ours
        other_key = linked.api.new_org("Other")
        with linked.api.client(other_key) as stranger:
            assert stranger.get(f"/v1/admin/connections/{linked.connection_id}").status_code == 404
        assert (
            admin.get(f"/v1/admin/connections/{linked.connection_id}").json()["status"]
            == "disconnected"
        )
