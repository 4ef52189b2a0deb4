"""The record store on both backends: stable ids, change detection, stamps, filters."""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from functools import partial

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import literal_column, select, update

from plantlink.core.timeutil import parse_instant
from plantlink.model.mapped import Mapped
from plantlink.model.registry import MODELS
from plantlink.store import Store
from plantlink.store.db import write_connection
from plantlink.store.records import (
    ListQuery,
    PendingRefs,
    Prepared,
    _doc,
    _render,
    get_record,
    list_query,
    list_records,
    mark_deleted,
    record_id,
    scope_of,
    stable_id,
    take_stamp,
    upsert,
)
from plantlink.store.tables import record_refs, records
from plantlink.sync.seen import unseen_record_ids
from tests.conftest import new_connection


def _wo(rid: str, title: str, at: str = "2024-01-01T00:00:00.000000Z", **extra: object) -> Mapped:
    return Mapped(
        model="work_orders",
        remote_id=rid,
        fields={"title": title, "status": "open", **extra},
        remote_modified_at=at,
        raw={"id": rid, "title": title},
    )


def _write(store: Store, cid: str, items: list[Mapped]):  # type: ignore[no-untyped-def]
    with write_connection(store.engine) as conn:
        stamp = take_stamp(conn, cid)
        return upsert(conn, cid, items, stamp), stamp


def _parts_of(*parts: str) -> dict[str, object]:
    return {"materials": [{"part_id": p} for p in parts]}


def _with_part(store: Store, cid: str, part: str) -> list[str]:
    """Ids of the work orders the ``part_id`` filter finds (through ``record_refs``)."""
    q = ListQuery(model="work_orders", multi_filters={"part_id": [part]})
    return [row[0] for row in list_records(store.engine, cid, q)]


def test_stable_ids_are_a_pure_function() -> None:
    a = stable_id("c1", "assets", "42")
    assert a == stable_id("c1", "assets", "42")
    assert a != stable_id("c2", "assets", "42")
    assert a != stable_id("c1", "parts", "42")


def test_scopes_are_a_pure_64_bit_function_that_never_changes() -> None:
    """Stored rows carry their scope (migration 0009) and reads look it up by value: a
    change to ``scope_of`` would hide every stored record, so its values are pinned."""
    assert scope_of("c1", "work_orders") == 7143174679402506882
    assert scope_of("c1", "assets") == -8050234509021260004
    assert scope_of("c2", "work_orders") == 7492426115253999500
    cid = "8b7e3c1a-0000-4000-8000-000000000001"
    values = {scope_of(cid, model) for model in MODELS}
    assert len(values) == len(MODELS)  # one per model of a connection


def test_stable_ids_stay_the_uuid5_ids_already_stored() -> None:
    """Ids are stored and handed to clients: the fast path must keep them byte for byte."""
    namespace = uuid.UUID("6f1d2a4e-8c1b-5f7e-9a53-3b9e1c2d4f60")
    for cid, model, rid in [
        ("c1", "assets", "42"),
        ("8b7e3c1a-0000-4000-8000-000000000001", "work_orders", "WO-ä/17"),
        ("c", "parts", ""),
    ]:
        expected = str(uuid.uuid5(namespace, f"{cid}\x1f{model}\x1f{rid}"))
        assert stable_id(cid, model, rid) == expected
        assert record_id(cid, model, rid) == expected  # the uncached form records use
        assert uuid.UUID(stable_id(cid, model, rid)).version == 5


def test_unchanged_content_keeps_modified_at(store: Store) -> None:
    cid = new_connection(store)
    res, first = _write(store, cid, [_wo("1", "Pump"), _wo("2", "Fan")])
    assert (res.created, res.updated, res.live_delta) == (2, 0, 2)
    res, _ = _write(store, cid, [_wo("1", "Pump"), _wo("2", "Fan belt")])
    assert (res.created, res.updated, res.unchanged) == (0, 1, 1)
    rows = list_records(store.engine, cid, ListQuery(model="work_orders"))
    by_id = {r[0]: r for r in rows}
    assert by_id[stable_id(cid, "work_orders", "1")][2] == first
    assert by_id[stable_id(cid, "work_orders", "2")][2] > first
    assert [r[2] for r in rows] == sorted(r[2] for r in rows)


def test_stamps_strictly_increase_under_concurrent_writers(store: Store) -> None:
    cid = new_connection(store)
    stamps: list[int] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        for i in range(15):
            _, s = _write(store, cid, [_wo(f"{n}-{i}", "x")])
            with lock:
                stamps.append(s)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(stamps)) == len(stamps) == 60


def test_filters_and_deletion(store: Store) -> None:
    cid = new_connection(store)
    asset = stable_id(cid, "assets", "A1")
    part = stable_id(cid, "parts", "P1")
    _write(
        store,
        cid,
        [
            _wo("1", "a", asset_id=asset, due_at="2024-03-01T00:00:00.000000Z"),
            _wo("2", "b", status="completed", materials=[{"part_id": part}]),
            _wo("3", "c", due_at="2024-05-01T00:00:00.000000Z"),
        ],
    )
    ids = lambda q: sorted(r[0] for r in list_records(store.engine, cid, q))  # noqa: E731
    assert ids(ListQuery(model="work_orders", ref_filters={"asset_id": [asset]})) == [
        stable_id(cid, "work_orders", "1")
    ]
    assert ids(ListQuery(model="work_orders", multi_filters={"part_id": [part]})) == [
        stable_id(cid, "work_orders", "2")
    ]
    assert ids(ListQuery(model="work_orders", statuses=["completed"])) == [
        stable_id(cid, "work_orders", "2")
    ]
    due = ListQuery(
        model="work_orders",
        slot_ranges={"date_a": (parse_instant("2024-02-01"), parse_instant("2024-04-01"))},
    )
    assert ids(due) == [stable_id(cid, "work_orders", "1")]
    with write_connection(store.engine) as conn:
        stamp = take_stamp(conn, cid)
        assert (
            mark_deleted(conn, cid, "work_orders", [stable_id(cid, "work_orders", "3")], stamp) == 1
        )
    assert len(ids(ListQuery(model="work_orders"))) == 2
    assert len(ids(ListQuery(model="work_orders", include_deleted=True))) == 3
    # a record that comes back is live again
    res, _ = _write(store, cid, [_wo("3", "c", due_at="2024-05-01T00:00:00.000000Z")])
    assert res.updated == 1 and res.live_delta == 1
    assert len(ids(ListQuery(model="work_orders"))) == 3


def test_connections_never_see_each_other(store: Store) -> None:
    a, b = new_connection(store), new_connection(store)
    _write(store, a, [_wo("1", "mine")])
    assert list_records(store.engine, b, ListQuery(model="work_orders")) == []
    assert len(list_records(store.engine, a, ListQuery(model="work_orders"))) == 1


def test_a_colliding_scope_still_never_shows_another_connections_records(
    store: Store,
) -> None:
    """The indexes are keyed by a 64-bit hash of (connection, model); a collision is
    forged here by giving b's rows a's hash: reads still filter on the two columns."""
    a, b = new_connection(store), new_connection(store)
    _write(store, a, [_wo("1", "mine")])
    _write(store, b, [_wo("2", "theirs"), _wo("3", "theirs too")])
    with write_connection(store.engine) as conn:
        forged = conn.execute(
            update(records)
            .where(records.c.connection_id == b)
            .values(scope=scope_of(a, "work_orders"))
        ).rowcount
        assert forged == 2
        mine = [stable_id(a, "work_orders", "1")]
        assert [r[0] for r in list_records(conn, a, ListQuery(model="work_orders"))] == mine
        assert (
            unseen_record_ids(
                conn, a, "work_orders", created_before=2**62, remote_modified_from=None
            )
            == mine
        )  # nothing was seen: a's record only
    assert list_records(store.engine, a, ListQuery(model="assets")) == []


def test_list_queries_are_served_by_the_scope_indexes(store: Store) -> None:
    """Every list query searches an index by its scope, never the whole table: the
    conditions must keep naming the scope for that. The planner picks which index (it
    is told to avoid scanning the table, which it would prefer for a table this small)."""
    cid = new_connection(store)
    asset = stable_id(cid, "assets", "A1")
    _write(store, cid, [_wo(str(i), "t", asset_id=asset) for i in range(20)])
    queries = [
        ListQuery(model="work_orders"),
        ListQuery(model="work_orders", modified_after=1, include_deleted=True),
        ListQuery(model="work_orders", statuses=["open"]),
        ListQuery(model="work_orders", ref_filters={"asset_id": [asset]}),
        ListQuery(model="work_orders", slot_ranges={"date_a": (1, 2)}),
    ]
    postgresql = store.engine.dialect.name == "postgresql"
    with store.engine.connect() as conn:
        if postgresql:
            conn.exec_driver_sql("SET enable_seqscan = off")
        for q in queries:
            sql = str(list_query(cid, q).compile(conn, compile_kwargs={"literal_binds": True}))
            explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
            plan = " | ".join(str(row[-1]) for row in conn.exec_driver_sql(explain + sql))
            if postgresql:
                assert re.search(r"Index Scan using ix_records_\w+ on records", plan), plan
                assert re.search(r"Index Cond: \(+scope = ", plan), plan
            else:
                assert re.search(r"SEARCH records USING INDEX ix_records_\w+ \(scope=\?", plan), (
                    plan
                )
                assert "SCAN records" not in plan, plan


def test_an_older_version_never_replaces_a_newer_one(store: Store) -> None:
    """A sync page fetched before a write-through committed must not undo the write."""
    cid = new_connection(store)
    newer = _wo("7", "Pump (written)", at="2024-03-01T10:00:00.500000Z")
    older = _wo("7", "Pump", at="2024-03-01T10:00:00.000000Z")
    _write(store, cid, [newer])
    res, _ = _write(store, cid, [older])
    assert (res.updated, res.stale) == (0, 1)
    same_time = _wo("7", "Pump (edited again)", at="2024-03-01T10:00:00.500000Z")
    res, _ = _write(store, cid, [same_time])  # same source time: content decides
    assert res.updated == 1
    rows = list_records(store.engine, cid, ListQuery(model="work_orders"))
    assert len(rows) == 1 and "Pump (edited again)" in str(rows[0])


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    model=st.sampled_from(sorted(MODELS)),
    values=st.lists(_JSON, min_size=0, max_size=40),
    custom=st.dictionaries(st.text(max_size=6), _JSON, max_size=3),
    raw=st.none() | st.dictionaries(st.text(max_size=6), _JSON, max_size=4),
    deleted=st.booleans(),
)
def test_hash_and_document_bytes_stay_those_already_stored(
    model: str, values: list[object], custom: dict[str, object], raw: object, deleted: bool
) -> None:
    """The hash and the document are assembled from pieces of JSON; the bytes must be those
    of dumping them whole, as earlier versions did, or every stored record would look
    changed (and move) on the first sync after an upgrade."""
    spec = MODELS[model]
    fields = dict(zip(spec.field_names, values, strict=False))
    for df in spec.date_filters:  # these are instants by contract (indexed as numbers)
        fields[df.field] = "2024-05-06T07:08:09.000010Z"
    item = Mapped(
        model=model,
        remote_id="r1",
        fields=fields,
        remote_created_at="2024-01-01T00:00:00.000000Z",
        remote_modified_at=None,
        remote_deleted=deleted,
        custom_fields=custom,
        raw=raw,
    )
    body = {name: fields.get(name) for name in spec.field_names}
    opt = orjson.OPT_NON_STR_KEYS
    raw_bytes = orjson.dumps(raw, option=opt) if raw is not None else b""
    whole = orjson.dumps(
        [item.remote_created_at, item.remote_modified_at, deleted, body, custom], option=opt
    )
    r = _render(spec, item)
    assert r.hash == hashlib.blake2b(whole + raw_bytes, digest_size=16).hexdigest()
    doc = {
        "id": "x",
        "remote_id": "r1",
        "created_at": "c",
        "modified_at": "m",
        "remote_created_at": item.remote_created_at,
        "remote_modified_at": None,
        "remote_deleted": deleted,
        **body,
        "custom_fields": custom,
    }
    assert _doc("x", item, r.body, "c", "m") == orjson.dumps(doc, option=opt).decode()


def test_reference_rows_follow_edits_and_stay_put_when_unchanged(store: Store) -> None:
    cid = new_connection(store)
    found = partial(_with_part, store, cid)

    # The row's physical address: a row deleted and inserted again gets a new one.
    physical = literal_column("rowid" if store.is_sqlite else "ctid::text")

    def ref_rows() -> list[tuple[str, str, str]]:
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(record_refs.c.target_id, record_refs.c.record_id, physical).order_by(
                    record_refs.c.target_id
                )
            ).all()
        return [(r[0], r[1], str(r[2])) for r in rows]

    wid = stable_id(cid, "work_orders", "w1")
    _write(store, cid, [_wo("w1", "a", **_parts_of("p1", "p2")), _wo("w2", "b", **_parts_of("p1"))])
    assert sorted(found("p1")) == sorted([wid, stable_id(cid, "work_orders", "w2")])
    _write(store, cid, [_wo("w1", "a", **_parts_of("p2", "p3"))])
    assert found("p1") == [stable_id(cid, "work_orders", "w2")]
    assert found("p3") == [wid] and found("p2") == [wid]
    before = ref_rows()
    res, _ = _write(store, cid, [_wo("w1", "renamed", **_parts_of("p2", "p3"))])
    assert res.updated == 1
    assert ref_rows() == before  # unchanged references: the same rows, none rewritten
    _write(store, cid, [_wo("w1", "renamed", **_parts_of("p2", "p3", "p4"))])
    assert found("p4") == [wid] and found("p2") == [wid] and found("p3") == [wid]
    _write(store, cid, [_wo("w1", "renamed")])
    assert found("p2") == found("p3") == found("p4") == []
    assert len(ref_rows()) == 1  # w2's p1


def test_references_pending_in_a_transaction_end_as_separate_upserts_would(
    store: Store,
) -> None:
    """A listing's pages share one transaction and write their references once, before
    the commit (``PendingRefs``): a record stored twice keeps its last version's rows."""
    cid = new_connection(store)
    found = partial(_with_part, store, cid)

    _write(store, cid, [_wo("w1", "a", **_parts_of("p1", "p2")), _wo("w3", "c", **_parts_of("p9"))])
    with write_connection(store.engine) as conn:
        stamp = take_stamp(conn, cid)
        refs = PendingRefs()
        first = [_wo("w1", "b", **_parts_of("p3")), _wo("w2", "x", **_parts_of("p1"))]
        upsert(conn, cid, first, stamp, refs)
        upsert(conn, cid, [_wo("w2", "y", **_parts_of("p4")), _wo("w3", "c2")], stamp, refs)
        count = select(record_refs.c.record_id).where(record_refs.c.target_id.like("p%"))
        assert len(conn.execute(count).all()) == 3  # nothing written yet
        refs.flush(conn)
        assert not refs.rows and not refs.touched
    w1, w2 = stable_id(cid, "work_orders", "w1"), stable_id(cid, "work_orders", "w2")
    assert found("p1") == found("p2") == found("p9") == []
    assert found("p3") == [w1] and found("p4") == [w2]


def test_merged_pages_store_what_storing_them_in_turn_stores(store: Store) -> None:
    """Pages the writer finds waiting are stored as one (``Prepared.merge``): a record
    listed again keeps the later listing's version unless that one is older."""
    cid = new_connection(store)
    pages = [
        [_wo("w1", "new", at="2024-01-02T00:00:00.000000Z"), _wo("w2", "first")],
        [_wo("w1", "older", at="2024-01-01T00:00:00.000000Z"), _wo("w2", "second")],
        [_wo("w3", "only")],
    ]
    merged = Prepared.merge([Prepared(cid, page) for page in pages])
    res, _ = _write(store, cid, merged)  # type: ignore[arg-type]
    assert res.created == 3
    titles = {
        orjson.loads(doc)["remote_id"]: orjson.loads(doc)["title"]
        for doc in (
            get_record(store.engine, cid, "work_orders", stable_id(cid, "work_orders", w))[0]  # type: ignore[index]
            for w in ("w1", "w2", "w3")
        )
    }
    assert titles == {"w1": "new", "w2": "second", "w3": "only"}
    one = Prepared(cid, pages[2])
    assert Prepared.merge([one]) is one
    with pytest.raises(ValueError, match="different connections"):
        Prepared.merge([one, Prepared("another", pages[2])])


def test_large_documents_round_trip_and_use_lz4_on_postgresql(store: Store) -> None:
    """Documents and raw records are stored whole; on PostgreSQL new values are compressed
    with lz4 (migration 0008), pglz costing the backends a sixth of a sync's CPU."""
    cid = new_connection(store)
    description = " ".join(f"step {i}: check the bearing and log the reading" for i in range(80))
    item = _wo("big", "t", description=description)
    item.raw = {"id": "big", "title": "t", "description": description}
    _write(store, cid, [item])
    rid = stable_id(cid, "work_orders", "big")
    got = get_record(store.engine, cid, "work_orders", rid)
    assert got is not None
    doc, raw = got
    assert orjson.loads(doc)["description"] == description
    assert raw is not None and orjson.loads(raw) == item.raw
    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.connect() as conn:
        methods = conn.execute(
            select(
                literal_column("pg_column_compression(doc)"),
                literal_column("pg_column_compression(remote_data)"),
            )
            .select_from(records)
            .where(records.c.id == rid)
        ).one()
        assert tuple(methods) == ("lz4", "lz4")
