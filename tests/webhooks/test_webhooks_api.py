"""The webhook admin endpoints over HTTP, on both backends, with a real receiver."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from standardwebhooks import Webhook
from webhook_receiver import Receiver

from plantlink.store import Store
from plantlink.webhooks.delivery import deliver_due
from plantlink.webhooks.events import enqueue

MakeReceiver = Callable[[], Receiver]
CHANGED = {
    "connection_id": "conn-1",
    "model": "work-orders",
    "created": 1,
    "updated": 2,
    "deleted": 0,
    "modified_after": None,
}


def _deliver(store: Store, receiver: Receiver, count: int) -> None:
    """Run deliveries until the receiver has ``count`` (an embedded worker may race us)."""
    deadline = time.monotonic() + 15
    while len(receiver.received) < count:
        assert time.monotonic() < deadline, "webhook not delivered"
        if not deliver_due(store, limit=10):
            time.sleep(0.05)


def _error(resp: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert resp.status_code == status, resp.text
    body: dict[str, object] = resp.json()["error"]
    assert body["code"] == code
    return body


def test_registration_is_validated_and_scoped_to_the_organization(api: Any) -> None:
    admin = api.client(api.new_org())
    stranger = api.client(api.new_org("Other Integrations"))

    for url in ("ftp://example.com/h", "/relative", "https://", "not a url", "http://x/#frag"):
        err = _error(
            admin.post("/v1/admin/webhooks", json={"url": url, "events": ["sync.completed"]}),
            422,
            "VALIDATION_ERROR",
        )
        assert err["details"] == {"field": "url"}
    err = _error(
        admin.post(
            "/v1/admin/webhooks",
            json={"url": "https://example.com/h", "events": ["sync.completed", "sync.exploded"]},
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert err["details"] == {"field": "events", "event": "sync.exploded"}
    assert "sync.exploded" in str(err["message"])
    for body in (
        {"url": "https://example.com/h", "events": []},
        {"url": "https://example.com/h"},
        {"url": "https://example.com/h", "events": ["sync.failed"], "secret": "mine"},
    ):
        _error(admin.post("/v1/admin/webhooks", json=body), 422, "VALIDATION_ERROR")
    _error(httpx.post(f"{api.url}/v1/admin/webhooks", json={}), 401, "AUTHENTICATION_FAILED")

    made = admin.post(
        "/v1/admin/webhooks",
        json={"url": "https://example.com/h", "events": ["sync.failed", "records.changed"]},
    )
    assert made.status_code == 201
    hook = made.json()
    assert hook["secret"].startswith("whsec_")
    Webhook(hook["secret"])  # the library accepts it
    public = {k: v for k, v in hook.items() if k != "secret"}
    assert admin.get("/v1/admin/webhooks").json() == {"data": [public]}
    assert admin.get(f"/v1/admin/webhooks/{hook['id']}").json() == public

    for path in (
        f"/v1/admin/webhooks/{hook['id']}",
        f"/v1/admin/webhooks/{hook['id']}/deliveries",
        "/v1/admin/webhooks/no-such-id",
    ):
        _error(stranger.get(path), 404, "NOT_FOUND")
    _error(stranger.delete(f"/v1/admin/webhooks/{hook['id']}"), 404, "NOT_FOUND")
    assert stranger.get("/v1/admin/webhooks").json() == {"data": []}

    assert admin.delete(f"/v1/admin/webhooks/{hook['id']}").status_code == 204
    _error(admin.get(f"/v1/admin/webhooks/{hook['id']}"), 404, "NOT_FOUND")
    _error(admin.delete(f"/v1/admin/webhooks/{hook['id']}"), 404, "NOT_FOUND")
    assert admin.get("/v1/admin/webhooks").json() == {"data": []}


def test_create_receive_list_and_replay_over_http(api: Any, make_receiver: MakeReceiver) -> None:
    receiver = make_receiver()
    admin = api.client(api.new_org())
    org_id = admin.get("/v1/admin/organization").json()["id"]
    hook = admin.post(
        "/v1/admin/webhooks", json={"url": receiver.url, "events": ["records.changed"]}
    ).json()
    receiver.secret = hook["secret"]
    deliveries = f"/v1/admin/webhooks/{hook['id']}/deliveries"

    assert enqueue(api.store, org_id, "records.changed", CHANGED) == 1
    _deliver(api.store, receiver, 1)

    (got,) = receiver.received
    assert receiver.bad_signatures == 0
    assert got.body["type"] == "records.changed" and got.body["data"] == CHANGED
    page = admin.get(deliveries).json()
    assert page["next_cursor"] is None
    (original,) = page["data"]
    assert original["event_id"] == got.webhook_id
    assert original["status"] == "succeeded" and original["payload"] == got.body
    assert [a["status_code"] for a in original["attempts"]] == [200]

    replayed = admin.post(f"{deliveries}/{original['id']}/replay")
    assert replayed.status_code == 202
    again = replayed.json()
    assert again["event_id"] == original["event_id"] and again["replay_of"] == original["id"]
    assert again["status"] == "pending" and again["attempts"] == []
    _deliver(api.store, receiver, 2)
    assert receiver.received[1].webhook_id == got.webhook_id
    assert receiver.received[1].raw == got.raw and receiver.bad_signatures == 0

    first = admin.get(deliveries, params={"page_size": 1}).json()
    assert [d["id"] for d in first["data"]] == [again["id"]]  # newest first
    second = admin.get(deliveries, params={"page_size": 1, "cursor": first["next_cursor"]}).json()
    assert [d["id"] for d in second["data"]] == [original["id"]]
    assert second["next_cursor"] is None
    for params in ({"page_size": 0}, {"cursor": "forged"}, {"status": "failed"}):
        err = _error(admin.get(deliveries, params=params), 400, "INVALID_PARAMETER")
        assert err["details"]["parameter"] == next(iter(params))  # type: ignore[index]
    _error(admin.post(f"{deliveries}/no-such-delivery/replay"), 404, "NOT_FOUND")

    # The sync engine of this app queues its events here too.
    api.app.state.ctx.services["sync_engine"].on_event(org_id, "records.changed", CHANGED)
    _deliver(api.store, receiver, 3)
    assert receiver.received[2].webhook_id != got.webhook_id
