"""Fill a store with work orders mirroring a sandbox, without an initial sync.

An initial sync of a million work orders takes minutes; the incremental and read-API
benchmarks only need a store of that size that *mirrors* the sandbox, so that the
incremental sync after it is the real one. How:

1. the sandbox's first page of work orders is fetched and stored by the real mapping and
   ``upsert`` (these rows are the templates);
2. every other work order of the sandbox (keys and timestamps from
   ``/_sandbox/records/work_orders``) is bulk-inserted as a copy of a template row with
   its own id, remote id and remote timestamps (PostgreSQL ``COPY``, SQLite
   ``executemany``), with its reference rows;
3. the records the next incremental sync will re-read anyway (changed in the last ten
   minutes of the source clock) are fetched and upserted for real, so they are exact;
4. the model's sync state is published the way a finished initial sync publishes it
   (cursor = first page's source time - 1 s, reconciled now).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import cycle
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select

from plantlink.connectors.base import MapContext, ReadPlan
from plantlink.connectors.http import PoliteClient, RateLimit
from plantlink.connectors.maintainx import CONNECTOR
from plantlink.core.timeutil import format_us, parse_instant, to_us
from plantlink.store import Store, bulk
from plantlink.store.db import write_connection
from plantlink.store.records import record_id, take_stamp, upsert
from plantlink.store.tables import record_refs, records
from plantlink.sync import state

MODEL = "work_orders"
CHUNK = 5_000


def seed_store(store: Store, credentials: dict[str, Any], sandbox_url: str) -> dict[str, Any]:
    """Seed ``store``; returns the connection's id and token and the counts."""
    from bench.child import UNLIMITED

    engine = store.engine
    org, _key = store.accounts.create_organization("Bench")
    row, token = store.accounts.create_connection(
        org.id, "maintainx", "bench", credentials, {"history_days": 3650, "rate_limit": UNLIMITED}
    )
    conn_id = str(row.id)
    state.ensure_states(engine, conn_id, CONNECTOR.models)
    http = PoliteClient(
        system="maintainx",
        limiter_key="bench-seed",
        rate_limit=RateLimit(UNLIMITED["requests"], UNLIMITED["per_seconds"]),
        **CONNECTOR.http_options(credentials),
    )
    client = CONNECTOR.client(http, credentials)
    stream = CONNECTOR.stream(MODEL)
    assert stream is not None

    # 1. templates: the first page, stored for real.
    pages = stream.read(client, ReadPlan(since=datetime.now(UTC) - timedelta(days=3650)))
    first = next(iter(pages))
    assert first.source_time is not None
    cursor = to_us(first.source_time) - 1_000_000
    _store_page(store, conn_id, stream, first)

    # 2. everything else, copied from the templates.
    keys = httpx.get(f"{sandbox_url}/_sandbox/records/{MODEL}", timeout=600).json()["records"]
    with engine.connect() as conn:
        templates = [dict(r._mapping) for r in conn.execute(select(records))]
        refs = [dict(r._mapping) for r in conn.execute(select(record_refs))]
    have = {t["remote_id"] for t in templates}
    todo = [k for k in keys if not k["deleted"] and k["key"] not in have]
    with write_connection(engine) as conn:
        stamp = take_stamp(conn, conn_id)
    rows, ref_rows = _clones(conn_id, templates, refs, todo, stamp)
    _insert(store, rows, ref_rows)

    # 3. what the next incremental sync re-reads anyway: exact.
    since = datetime.fromtimestamp((cursor - 600_000_000) / 1e6, UTC)
    refreshed = 0
    for page in stream.read(client, ReadPlan(since=since)):
        refreshed += _store_page(store, conn_id, stream, page)
    http.close()

    # 4. publish as a finished initial sync would.
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(records)
            .where(records.c.connection_id == conn_id, records.c.model == MODEL)
        ).scalar_one()
    with write_connection(engine) as conn:
        stamp = take_stamp(conn, conn_id)
        state.save_page(conn, conn_id, MODEL, None, int(count))
        state.publish_success(conn, conn_id, MODEL, stamp, cursor=cursor, reconciled=True)
    return {
        "connection_id": conn_id,
        "token": token,
        "records": int(count),
        "copied": len(todo),
        "refreshed": refreshed,
    }


def _store_page(store: Store, conn_id: str, stream: Any, page: Any) -> int:
    ctx = MapContext(conn_id, page.lookups)
    mapped = [m for raw in page.records for m in stream.map(raw, ctx)]
    with write_connection(store.engine) as conn:
        upsert(conn, conn_id, mapped, take_stamp(conn, conn_id))
    return len(mapped)


def _clones(
    conn_id: str,
    templates: list[dict[str, Any]],
    refs: list[dict[str, Any]],
    todo: list[dict[str, Any]],
    stamp: int,
) -> tuple[Iterator[dict[str, Any]], Iterator[dict[str, Any]]]:
    """Rows for ``todo`` keys and their reference rows (generated lazily, twice)."""
    refs_of: dict[str, list[dict[str, Any]]] = {}
    for r in refs:
        refs_of.setdefault(r["record_id"], []).append(r)
    docs = [orjson.loads(t["doc"]) for t in templates]
    stamp_text = format_us(stamp)

    def pairs() -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any], str]]:
        for key, (tpl, doc) in zip(
            todo, cycle(list(zip(templates, docs, strict=True))), strict=False
        ):
            yield key, tpl, doc, record_id(conn_id, MODEL, key["key"])

    def rows() -> Iterator[dict[str, Any]]:
        for key, tpl, doc, rid in pairs():
            d = dict(doc)
            d.update(
                id=rid,
                remote_id=key["key"],
                created_at=stamp_text,
                modified_at=stamp_text,
                remote_created_at=key["created_at"],
                remote_modified_at=key["updated_at"],
            )
            yield {
                **tpl,
                "id": rid,
                "remote_id": key["key"],
                "created_at": stamp,
                "modified_at": stamp,
                "remote_created_at": parse_instant(key["created_at"]),
                "remote_modified_at": parse_instant(key["updated_at"]),
                "content_hash": hashlib.blake2b(rid.encode(), digest_size=16).hexdigest(),
                "doc": orjson.dumps(d).decode(),
            }

    def ref_rows() -> Iterator[dict[str, Any]]:
        for _key, tpl, _doc, rid in pairs():
            for r in refs_of.get(tpl["id"], ()):
                yield {**r, "record_id": rid}

    return rows(), ref_rows()


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for r in rows:
        chunk.append(r)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(
    store: Store, rows: Iterator[dict[str, Any]], ref_rows: Iterator[dict[str, Any]]
) -> None:
    """Bulk-insert the mirrored rows with the store's own batch statements (``store.bulk``)."""
    with write_connection(store.engine) as conn:
        for table, source in ((records, rows), (record_refs, ref_rows)):
            cols = tuple(c.name for c in table.columns)
            for chunk in _chunks(source):
                bulk.insert_rows(conn, table, cols, [[r[c] for c in cols] for r in chunk])
