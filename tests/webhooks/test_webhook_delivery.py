"""Webhook queueing and delivery on both backends, against real loopback receivers."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from webhook_receiver import Receiver

from plantlink.core.timeutil import now_us
from plantlink.store import Store
from plantlink.webhooks import delivery
from plantlink.webhooks.delivery import (
    CLAIM_LEASE_US,
    RETRY_WINDOW_US,
    deliver_due,
    list_deliveries,
    new_client,
    next_state,
    replay,
    retry_delay_us,
)
from plantlink.webhooks.endpoints import (
    EVENT_TYPES,
    EndpointError,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    list_endpoints,
)
from plantlink.webhooks.events import enqueue, sink
from plantlink.webhooks.worker import WebhookWorker

MakeReceiver = Callable[[], Receiver]
HOUR = 3600 * 1_000_000
SYNC_DONE = {"connection_id": "conn-1", "run_id": "run-1", "status": "done", "models": {}}


def _org(store: Store, name: str = "Acme") -> str:
    org, _ = store.accounts.create_organization(name)
    return org.id


def _endpoint(
    store: Store, org_id: str, receiver: Receiver, events: tuple[str, ...] = EVENT_TYPES
) -> str:
    endpoint, secret = create_endpoint(store, org_id, receiver.url, list(events))
    receiver.secret = secret
    return endpoint.id


def _only(store: Store, endpoint_id: str) -> delivery.Delivery:
    (found,) = list_deliveries(store, endpoint_id, limit=10)
    return found


def test_event_is_delivered_signed_and_logged(store: Store, make_receiver: MakeReceiver) -> None:
    receiver = make_receiver()
    org = _org(store)
    ep = _endpoint(store, org, receiver, ("sync.completed",))

    assert enqueue(store, org, "sync.completed", SYNC_DONE) == 1
    assert deliver_due(store, limit=10) == 1

    (got,) = receiver.wait_for(1)
    assert receiver.bad_signatures == 0
    assert got.body["type"] == "sync.completed"
    assert got.body["data"] == SYNC_DONE
    assert got.body["timestamp"].endswith("Z")
    assert abs(got.timestamp - time.time()) < 60
    d = _only(store, ep)
    assert d.event_id == got.webhook_id
    assert (d.status, d.attempt_count, d.next_attempt_at, d.last_error) == (
        "succeeded",
        1,
        None,
        None,
    )
    assert d.first_attempted_at == d.last_attempted_at is not None
    (attempt,) = d.attempts
    assert attempt.status_code == 200
    assert attempt.response == "ok"
    assert attempt.duration_ms >= 0
    assert deliver_due(store, limit=10) == 0


def test_only_subscribed_enabled_endpoints_of_the_organization_get_an_event(
    store: Store, make_receiver: MakeReceiver
) -> None:
    sync_and_records, auth, also_sync, deleted, foreign = (make_receiver() for _ in range(5))
    org, other = _org(store), _org(store, "Other")
    _endpoint(store, org, sync_and_records, ("sync.completed", "records.changed"))
    _endpoint(store, org, auth, ("connection.auth_required",))
    _endpoint(store, org, also_sync, ("sync.completed",))
    delete_endpoint(store, org, _endpoint(store, org, deleted))
    _endpoint(store, other, foreign)

    queued = {event: enqueue(store, org, event, {"connection_id": "c"}) for event in EVENT_TYPES}

    assert queued == {
        "sync.completed": 2,
        "sync.failed": 0,
        "connection.auth_required": 1,
        "connection.status_changed": 0,
        "records.changed": 1,
    }
    assert deliver_due(store, limit=100) == 4
    assert [r.body["type"] for r in sync_and_records.received] == [
        "sync.completed",
        "records.changed",
    ]
    assert [r.body["type"] for r in auth.received] == ["connection.auth_required"]
    # One event, one webhook-id for every endpoint, each signed with its own secret.
    assert also_sync.received[0].webhook_id == sync_and_records.received[0].webhook_id
    assert also_sync.received[0].signature != sync_and_records.received[0].signature
    assert deleted.received == foreign.received == []
    assert all(r.bad_signatures == 0 for r in (sync_and_records, auth, also_sync))


def test_failed_attempts_are_retried_with_doubling_delays(
    store: Store, make_receiver: MakeReceiver
) -> None:
    # Long enough that "not due yet" holds even on a loaded machine.
    base = 2.0
    receiver = make_receiver()
    receiver.statuses = [500, 503]
    org = _org(store)
    ep = _endpoint(store, org, receiver)
    enqueue(store, org, "sync.failed", SYNC_DONE)

    delays = []
    for expected_status in ("pending", "pending", "succeeded"):
        d = _only(store, ep)
        if d.next_attempt_at is not None and d.first_attempted_at is not None:
            delays.append(d.next_attempt_at - d.attempts[-1].attempted_at)
            assert deliver_due(store, limit=10, retry_base_seconds=base) == 0  # not due yet
            time.sleep(max(0.0, (d.next_attempt_at - now_us()) / 1e6) + 0.01)
        assert deliver_due(store, limit=10, retry_base_seconds=base) == 1
        assert _only(store, ep).status == expected_status

    d = _only(store, ep)
    assert [a.status_code for a in d.attempts] == [500, 503, 200]
    assert d.attempts[0].error == "receiver answered HTTP 500"
    assert d.attempt_count == 3
    assert base * 1e6 <= delays[0] <= base * 1.1e6
    assert 2 * base * 1e6 <= delays[1] <= 2 * base * 1.1e6
    received = receiver.wait_for(3)
    assert receiver.bad_signatures == 0
    assert {r.webhook_id for r in received} == {d.event_id}
    assert {r.raw for r in received} == {received[0].raw}


def test_schedule_doubles_from_30_s_and_gives_up_24_h_after_the_first_attempt() -> None:
    for attempt in range(1, 13):
        expected = 30 * 2 ** (attempt - 1) * 1_000_000
        assert expected <= retry_delay_us(attempt) <= expected * 1.1
    assert next_state(True, 5, 0, HOUR, 30) == ("succeeded", None)

    times, now, status, attempt = [], 0, "pending", 0
    while status == "pending":
        times.append(now)
        attempt += 1
        status, nxt = next_state(False, attempt, 0, now, 30)
        now = nxt if nxt is not None else now
    assert status == "failed"
    assert times[1] >= 30_000_000 and times[2] - times[1] >= 60_000_000
    assert times[-1] == RETRY_WINDOW_US  # the last retry is pulled in to the 24 h mark
    assert len(times) == 13


def test_delivery_fails_after_24_hours_of_failures(
    store: Store, make_receiver: MakeReceiver
) -> None:
    receiver = make_receiver()
    receiver.statuses = [500] * 10
    org = _org(store)
    ep = _endpoint(store, org, receiver)
    enqueue(store, org, "records.changed", {"connection_id": "c", "model": "assets"})
    t0 = now_us()

    assert deliver_due(store, limit=10, now=t0) == 1
    assert deliver_due(store, limit=10, now=t0 + 12 * HOUR) == 1
    d = _only(store, ep)
    assert d.status == "pending"
    assert d.next_attempt_at is not None and d.next_attempt_at <= t0 + 24 * HOUR
    assert deliver_due(store, limit=10, now=t0 + 24 * HOUR) == 1

    d = _only(store, ep)
    assert (d.status, d.attempt_count, d.next_attempt_at) == ("failed", 3, None)
    assert d.first_attempted_at == t0 and d.last_attempted_at == t0 + 24 * HOUR
    assert deliver_due(store, limit=10, now=t0 + 48 * HOUR) == 0
    assert len(receiver.received) == 3 and receiver.bad_signatures == 0


def test_concurrent_callers_never_deliver_twice(store: Store, make_receiver: MakeReceiver) -> None:
    receiver = make_receiver()
    receiver.delay = 0.01
    org = _org(store)
    ep = _endpoint(store, org, receiver)
    for n in range(40):
        enqueue(store, org, "records.changed", {"connection_id": "c", "n": n})
    start = threading.Barrier(8)
    counts: list[int] = []

    def run() -> None:
        start.wait()
        counts.append(deliver_due(store, limit=100))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sum(counts) == 40
    received = receiver.wait_for(40)
    assert len(received) == 40 and receiver.bad_signatures == 0
    assert max(Counter(r.webhook_id for r in received).values()) == 1
    assert sorted(r.body["data"]["n"] for r in received) == list(range(40))
    deliveries = list_deliveries(store, ep, limit=100)
    assert all(d.status == "succeeded" and len(d.attempts) == 1 for d in deliveries)


def test_a_claim_left_by_a_dead_worker_expires(store: Store, make_receiver: MakeReceiver) -> None:
    receiver = make_receiver()
    org = _org(store)
    _endpoint(store, org, receiver)
    enqueue(store, org, "sync.completed", SYNC_DONE)
    t0 = now_us()

    assert delivery._claim(store, t0) is not None  # claimed, then the worker "dies"
    assert deliver_due(store, limit=10, now=t0) == 0
    assert deliver_due(store, limit=10, now=t0 + CLAIM_LEASE_US) == 1
    assert len(receiver.wait_for(1)) == 1


def test_replay_resends_the_same_event_as_a_new_delivery(
    store: Store, make_receiver: MakeReceiver
) -> None:
    receiver = make_receiver()
    org = _org(store)
    ep = _endpoint(store, org, receiver)
    enqueue(store, org, "connection.status_changed", {"connection_id": "c", "status": "offline"})
    deliver_due(store, limit=10)
    original = _only(store, ep)

    again = replay(store, ep, original.id)

    assert again is not None
    assert (again.status, again.attempt_count, again.replay_of) == ("pending", 0, original.id)
    assert again.event_id == original.event_id and again.payload == original.payload
    assert deliver_due(store, limit=10) == 1
    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id and first.raw == second.raw
    newest, oldest = list_deliveries(store, ep, limit=10)
    assert (newest.id, newest.status) == (again.id, "succeeded")
    assert oldest == original  # untouched by its replay
    assert replay(store, ep, "no-such-delivery") is None
    other = _endpoint(store, org, make_receiver())
    assert replay(store, other, original.id) is None
    delete_endpoint(store, org, ep)
    assert replay(store, ep, original.id) is None


def test_deleting_an_endpoint_fails_its_pending_deliveries(
    store: Store, make_receiver: MakeReceiver
) -> None:
    receiver = make_receiver()
    org = _org(store)
    ep = _endpoint(store, org, receiver)
    enqueue(store, org, "sync.completed", SYNC_DONE)

    assert delete_endpoint(store, org, ep)

    d = _only(store, ep)
    assert (d.status, d.last_error, d.next_attempt_at) == ("failed", "endpoint deleted", None)
    assert deliver_due(store, limit=10) == 0
    assert enqueue(store, org, "sync.completed", SYNC_DONE) == 0
    assert get_endpoint(store, org, ep) is None and list_endpoints(store, org) == []
    assert not delete_endpoint(store, org, ep)
    assert receiver.received == []


def test_timeouts_refusals_and_long_answers_are_logged_briefly(
    store: Store, make_receiver: MakeReceiver
) -> None:
    slow, chatty = make_receiver(), make_receiver()
    slow.delay = 2.0
    chatty.statuses = [500]
    chatty.answer = b"x" * 5000
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    org = _org(store)
    slow_ep = _endpoint(store, org, slow)
    chatty_ep = _endpoint(store, org, chatty)
    refused_ep, _ = create_endpoint(
        store, org, f"http://127.0.0.1:{closed_port}/hook", ["sync.completed"]
    )
    enqueue(store, org, "sync.completed", SYNC_DONE)

    with new_client(timeout=0.3) as client:
        assert deliver_due(store, limit=10, client=client) == 3

    timed_out = _only(store, slow_ep).attempts[0]
    assert timed_out.status_code is None and timed_out.error is not None
    assert timed_out.error.startswith("timeout")
    refused = _only(store, refused_ep.id)
    assert refused.status == "pending" and (refused.last_error or "").startswith("ConnectError")
    long_answer = _only(store, chatty_ep).attempts[0]
    assert long_answer.status_code == 500 and long_answer.response == "x" * 1024


def test_a_slow_receiver_does_not_slow_enqueue(store: Store, make_receiver: MakeReceiver) -> None:
    receiver = make_receiver()
    receiver.delay = 1.0
    org = _org(store)
    _endpoint(store, org, receiver)
    worker = WebhookWorker(store, threads=2, poll=0.05)
    worker.start()
    try:
        enqueue(store, org, "sync.completed", SYNC_DONE)
        assert receiver.in_flight.wait(10)  # the worker is now stuck on the slow receiver

        started = time.monotonic()
        for _ in range(20):
            assert enqueue(store, org, "records.changed", {"connection_id": "c"}) == 1
        elapsed = time.monotonic() - started
    finally:
        worker.stop()
    assert elapsed < receiver.delay


def test_the_worker_delivers_as_soon_as_the_engine_sink_wakes_it(
    store: Store, make_receiver: MakeReceiver
) -> None:
    receiver = make_receiver()
    org = _org(store)
    _endpoint(store, org, receiver)
    worker = WebhookWorker(store, threads=1, poll=60)
    worker.start()
    try:
        time.sleep(0.2)  # let it finish its first (empty) pass and start its 60 s wait
        sink(store, wake=worker.wake)(org, "sync.completed", SYNC_DONE)
        started = time.monotonic()
        receiver.wait_for(1, timeout=10)
        assert time.monotonic() - started < 5
    finally:
        stop_started = time.monotonic()
        worker.stop()
    assert time.monotonic() - stop_started < 5


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("ftp://example.com/hook", ["sync.completed"], "url"),
        ("/relative/hook", ["sync.completed"], "url"),
        ("https://", ["sync.completed"], "url"),
        ("https://example.com/hook#frag", ["sync.completed"], "url"),
        ("https://example.com/hook", [], "events"),
        ("https://example.com/hook", ["sync.completed", "sync.exploded"], "events"),
    ],
)
def test_registration_is_validated(store: Store, url: str, events: list[str], field: str) -> None:
    with pytest.raises(EndpointError) as err:
        create_endpoint(store, _org(store), url, events)
    assert err.value.field == field


def test_secrets_follow_standard_webhooks_and_are_stored_encrypted(store: Store) -> None:
    org = _org(store)
    endpoint, secret = create_endpoint(
        store, org, "https://example.com/h", ["sync.failed", "sync.failed"]
    )
    assert endpoint.events == ["sync.failed"]
    assert secret.startswith("whsec_") and len(secret) > 40
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT secret FROM webhook_endpoints").scalar_one()
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
