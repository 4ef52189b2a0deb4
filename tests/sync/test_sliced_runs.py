"""A sync cut into budgeted slices ends like one uninterrupted run (both stores)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from plantlink.sandbox.core.server import SandboxServer
from plantlink.store import Store
from plantlink.sync import schedule
from plantlink.sync.engine import SyncEngine

FAST = {"history_days": 3650, "rate_limit": {"requests": 10_000, "per_seconds": 1}}


@pytest.fixture
def slow_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer("maintainx", seed=5, scale=1000) as sb:
        httpx.post(f"{sb.base_url}/_sandbox/latency", json={"ms": 30}).raise_for_status()
        yield sb


def _slices(store: Store, connection_id: str, models: list[str] | None = None) -> list[str]:
    """Run the connection's due work in 0.05 s slices, as a worker would, until done."""
    engine = SyncEngine(store)
    if models is not None:
        schedule.request_sync(store.engine, connection_id, models, False, "api")
    statuses: list[str] = []
    while (req := schedule.due_request(store.engine, connection_id)) is not None:
        req.budget_seconds = 0.05
        statuses.append(engine.run(req).status)
        if statuses[-1] != "yielded":
            break
    return statuses


def test_sliced_sync_publishes_the_connection_watermark(
    store: Store, slow_sandbox: SandboxServer
) -> None:
    org, _key = store.accounts.create_organization("Slices")
    row, _token = store.accounts.create_connection(
        org.id, "maintainx", "p", slow_sandbox.info["credentials"], FAST
    )
    statuses = _slices(store, row.id)
    assert statuses.count("yielded") >= 2 and statuses[-1] == "done", statuses
    done = store.accounts.get_connection(row.id)
    assert done is not None and done.last_successful_sync_at is not None
    assert schedule.due_request(store.engine, row.id) is None


def test_sliced_sync_of_some_models_leaves_the_connection_watermark(
    store: Store, slow_sandbox: SandboxServer
) -> None:
    org, _key = store.accounts.create_organization("Slices")
    row, _token = store.accounts.create_connection(
        org.id, "maintainx", "p", slow_sandbox.info["credentials"], FAST
    )
    store.accounts.update_connection(row.id, next_sync_at=None)  # only the request below
    statuses = _slices(store, row.id, ["work_orders", "assets"])
    assert "yielded" in statuses and statuses[-1] == "done", statuses
    after = store.accounts.get_connection(row.id)
    assert after is not None and after.last_successful_sync_at is None
