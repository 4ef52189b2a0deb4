"""Several pages per write transaction: fewer commits, nothing lost when the source fails."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from plantlink.store import Store
from plantlink.store.db import write_connection
from plantlink.store.tables import records
from plantlink.sync import lease, state
from plantlink.sync.batch import BatchPolicy, PageBatch
from plantlink.sync.schedule import RunRequest
from tests.sync.conftest import Rig, make_rig


def _stamps(rig: Rig) -> int:
    r = records.c
    with rig.store.engine.connect() as conn:
        stmt = select(func.count(func.distinct(r.modified_at))).where(
            r.connection_id == rig.connection_id, r.model == "work_orders"
        )
        return int(conn.execute(stmt).scalar_one())


def _wo_pages(rig: Rig) -> list[int]:
    """Statuses of the work-order page requests the sandbox answered, in order."""
    rows = rig.control("GET", "/_sandbox/requests").json()["requests"]
    return [r["status"] for r in rows if r["path"].endswith("/workorders")]


def test_pages_are_committed_several_at_a_time(rig: Rig) -> None:
    commits: list[tuple[int, int]] = []
    engine = rig.engine(
        batch_policy=BatchPolicy(max_records=400, max_seconds=3600),
        progress=lambda model, pages, n: commits.append((pages, n)),
    )
    result = engine.run(RunRequest(rig.connection_id, models=["work_orders"]))
    assert result.status == "done"
    keys = rig.sandbox_keys("work_orders")
    assert rig.stored_keys("work_orders") == keys
    pages = len(_wo_pages(rig))
    assert pages >= 3
    # A transaction commits once it holds 400 records: two pages of 200, or up to five
    # when the writer found several waiting (one page held, then a group of up to four).
    # One progress report and one stamp per commit.
    ends = [p for p, _ in commits]
    per_commit = [b - a for a, b in zip([0, *ends[:-1]], ends, strict=True)]
    assert all(2 <= n <= 5 for n in per_commit[:-1]), per_commit
    assert commits[-1] == (pages, len(keys))
    assert len(commits) <= (pages + 1) // 2
    assert _stamps(rig) == len(commits)
    assert result.models["work_orders"].pages == pages


def test_a_source_failing_mid_transaction_keeps_the_pages_already_stored(
    store: Store, sandbox: object
) -> None:
    rig = make_rig(store, sandbox, max_attempts=1)  # type: ignore[arg-type]
    # Everything would fit in one transaction: the failure comes before any commit.
    engine = rig.engine(batch_policy=BatchPolicy(max_records=10**6, max_seconds=3600))
    rig.control("POST", "/_sandbox/faults", {"rate": 1, "kinds": ["500"], "after": 3})
    result = engine.run(RunRequest(rig.connection_id, models=["work_orders"]))
    outcome = result.models["work_orders"]
    answered = _wo_pages(rig)
    ok_pages = answered.count(200)
    assert ok_pages >= 1 and 500 in answered
    # The pages fetched before the failure are stored, with the checkpoint after them.
    assert outcome.status == "partially_synced"
    assert outcome.pages == ok_pages
    stored = rig.stored_keys("work_orders")
    assert len(stored) == outcome.result.created == ok_pages * 200
    wo = state.load_states(store.engine, rig.connection_id)["work_orders"]
    assert wo.checkpoint is not None and wo.checkpoint["pages"] == ok_pages
    assert wo.checkpoint["token"] is not None

    rig.control("POST", "/_sandbox/faults", {"rate": 0})
    rig.control("POST", "/_sandbox/reset-stats")
    again = engine.run(RunRequest(rig.connection_id, models=["work_orders"]))
    assert again.status == "done"
    keys = rig.sandbox_keys("work_orders")
    assert rig.stored_keys("work_orders") == keys
    # Resumed from the checkpoint: no page fetched twice, no record created twice.
    assert again.models["work_orders"].result.created == len(keys) - len(stored)
    assert again.models["work_orders"].result.unchanged == 0


def _synchronous_commit(conn: Connection) -> str:
    return str(conn.exec_driver_sql("SHOW synchronous_commit").scalar_one())


def test_a_sync_transaction_alone_commits_without_waiting_for_the_disk(rig: Rig) -> None:
    """PostgreSQL: the page batch's own setting; any other write keeps the server's."""
    store = rig.store
    if store.engine.dialect.name != "postgresql":
        # SQLite has no such setting; its WAL is not synced on commit (synchronous=NORMAL)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 1
        return
    owner = lease.new_owner()
    assert lease.claim(store.engine, rig.connection_id, owner)
    try:
        with write_connection(store.engine) as conn:
            server = _synchronous_commit(conn)
        assert server != "off"
        batch = PageBatch.open(store.engine, rig.connection_id, owner)
        try:
            assert _synchronous_commit(batch.conn) == "off"
        finally:
            batch.commit()
        # SET LOCAL ended with the transaction: the pooled connection is back to normal
        with write_connection(store.engine) as conn:
            assert _synchronous_commit(conn) == server
    finally:
        lease.release(store.engine, rig.connection_id, owner)
