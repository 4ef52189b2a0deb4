"""The idempotency store on both databases: claim by unique insert, twins wait, expiry."""

from __future__ import annotations

import threading
import time

import pytest

from plantlink.connectors.writes import WriteError
from plantlink.store import Store
from plantlink.store.housekeeping import purge_expired
from plantlink.writes.idempotency import Claim, IdempotencyStore, Replay, request_hash


@pytest.fixture
def conn_id(store: Store) -> str:
    org, _key = store.accounts.create_organization("Idem")
    row, _token = store.accounts.create_connection(org.id, "maintainx", "x", {"k": "v"}, {})
    return row.id


def test_same_body_hash_ignores_key_order_but_not_values() -> None:
    a = request_hash("POST", "/v1/purchase-orders", b'{"a": 1, "b": [1, 2]}')
    b = request_hash("post", "/v1/purchase-orders", b'{"b":[1,2],"a":1}')
    c = request_hash("POST", "/v1/purchase-orders", b'{"b":[2,1],"a":1}')
    d = request_hash("POST", "/v1/work-orders", b'{"b":[1,2],"a":1}')
    assert a == b and len({a, c, d}) == 3


def test_twins_one_claims_the_other_waits_for_its_result(store: Store, conn_id: str) -> None:
    idem = IdempotencyStore(store.engine, ttl_seconds=3600, wait_seconds=20)
    barrier = threading.Barrier(2)
    got: list[Claim | Replay] = []

    def begin() -> None:
        barrier.wait()
        result = idem.begin(conn_id, "k", "h1")
        got.append(result)
        if isinstance(result, Claim):
            time.sleep(0.3)  # the winner is still writing while its twin polls
            idem.finish(result, 201, b'{"data":1}')

    threads = [threading.Thread(target=begin) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    claims = [g for g in got if isinstance(g, Claim)]
    replays = [g for g in got if isinstance(g, Replay)]
    assert len(claims) == 1 and len(replays) == 1
    assert replays[0].status == 201 and replays[0].body == b'{"data":1}'


def test_other_body_is_refused_and_a_waiter_gives_up_bounded(store: Store, conn_id: str) -> None:
    idem = IdempotencyStore(store.engine, ttl_seconds=3600, wait_seconds=0.3)
    claim = idem.begin(conn_id, "k", "h1")
    assert isinstance(claim, Claim)
    with pytest.raises(WriteError) as reused:
        idem.begin(conn_id, "k", "h2")
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED" and reused.value.status == 409
    with pytest.raises(WriteError) as busy:
        idem.begin(conn_id, "k", "h1")
    assert busy.value.code == "IDEMPOTENCY_KEY_IN_PROGRESS"
    assert busy.value.headers["Retry-After"] == "1"


def test_released_and_expired_keys_can_be_claimed_again(store: Store, conn_id: str) -> None:
    idem = IdempotencyStore(store.engine, ttl_seconds=3600, wait_seconds=1)
    first = idem.begin(conn_id, "k", "h1")
    assert isinstance(first, Claim)
    idem.release(first)
    assert isinstance(idem.begin(conn_id, "k", "h2"), Claim)  # nothing was written: reusable
    short = IdempotencyStore(store.engine, ttl_seconds=0.05, wait_seconds=1)
    done = short.begin(conn_id, "other", "h1")
    assert isinstance(done, Claim)
    short.finish(done, 200, b"{}")
    assert isinstance(short.begin(conn_id, "other", "h1"), Replay)
    time.sleep(0.1)
    again = short.begin(conn_id, "other", "h9")  # expired: a new request may use the key
    assert isinstance(again, Claim)
    short.finish(again, 200, b"{}")
    time.sleep(0.1)
    assert purge_expired(store).idempotency_keys == 1
    assert isinstance(idem.begin(conn_id, "other", "h7"), Claim)
