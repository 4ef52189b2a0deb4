"""Records: stamping, upserting and listing unified records.

**Stamps.** Every write transaction of a connection first takes a stamp:
``UPDATE connections SET last_stamp = max(now, last_stamp + 1µs) … RETURNING``. That
update holds the connection row's lock until commit, so stamps strictly increase in
commit order per connection, whatever the machine clocks do. Every record the
transaction creates or changes gets ``modified_at = stamp``. A reader paging by
``(modified_at, id)`` therefore never misses a record committed after its page was
read: it can only land behind the reader's position. This is what the incremental-read
guarantee rests on (see ``sync.state.publish_success``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    case,
    exists,
    null,
    or_,
    select,
    update,
)

from plantlink.core.timeutil import format_us, instant_us, now_us
from plantlink.model.mapped import Mapped
from plantlink.model.registry import DATE_SLOTS, MODELS, REF_COLUMNS, ModelSpec
from plantlink.store import bulk
from plantlink.store.tables import connections, record_refs, records

_ID_NAMESPACE = uuid.UUID("6f1d2a4e-8c1b-5f7e-9a53-3b9e1c2d4f60")


_NAMESPACE_BYTES = _ID_NAMESPACE.bytes


def record_id(connection_id: str, model: str, remote_id: str) -> str:
    """plantlink's id for a record: a pure function of (connection, model, remote id).

    References can therefore be resolved before the referenced record is synced. This is
    ``uuid.uuid5(_ID_NAMESPACE, ...)`` computed without building UUID objects (``uuid5``
    was a tenth of a sync's CPU, bench/RESULTS.md). Uncached: a sync computes each
    record's own id once; ``stable_id`` is the cached form for references.
    """
    h = hashlib.sha1(
        _NAMESPACE_BYTES + f"{connection_id}\x1f{model}\x1f{remote_id}".encode(),
        usedforsecurity=False,
    ).hexdigest()
    # Version 5 in the 13th hex digit; the RFC 4122 variant (binary 10xx) in the 17th.
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


#: ``record_id`` cached: a sync resolves the same references (asset, location, user)
#: again and again. Sized for the referenced records of a large connection: a 200k
#: work-order sync refers to 72k assets, parts, locations and users (at 16k entries it
#: missed 285k times, at this size 72k, once each). About 300 bytes an entry, so at
#: most ~40 MB in a worker that syncs many connections.
stable_id = lru_cache(maxsize=1 << 17)(record_id)


@lru_cache(maxsize=4_096)
def scope_of(connection_id: str, model: str) -> int:
    """The ``scope`` column of a connection's records of one model: a signed 64-bit hash.

    It leads every secondary index of ``records`` in place of the two text columns. It is
    a pure function, like ``record_id``, so no table maps it and nothing has to be looked
    up or kept in step; it must never change, as stored rows carry it (migration 0009).
    """
    digest = hashlib.blake2b(f"{connection_id}\x1f{model}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def in_scope(connection_id: str, model: str) -> list[Any]:
    """Conditions selecting one connection's records of one model through the indexes.

    The hash picks the index range; the two columns make a hash collision harmless.
    """
    r = records.c
    return [
        r.scope == scope_of(connection_id, model),
        r.connection_id == connection_id,
        r.model == model,
    ]


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Versions older (by the source's change time) than the stored one, left alone.
    stale: int = 0
    #: Change in the number of live (not remote_deleted) records.
    live_delta: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def add(self, other: UpsertResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale
        self.live_delta += other.live_delta


def take_stamp(conn: Connection, connection_id: str) -> int:
    """Take the next modified_at stamp for this connection and lock it until commit."""
    now = now_us()
    stmt = (
        update(connections)
        .where(connections.c.id == connection_id)
        .values(
            last_stamp=case(
                (connections.c.last_stamp >= now, connections.c.last_stamp + 1), else_=now
            )
        )
        .returning(connections.c.last_stamp)
    )
    stamp = conn.execute(stmt).scalar_one_or_none()
    if stamp is None:
        raise LookupError(f"connection {connection_id} does not exist")
    return int(stamp)


def _us(value: str | None) -> int | None:
    return None if value is None else instant_us(value)


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


#: Columns an upsert writes on every new or changed record, in ``_Rendered.values`` order
#: followed by content_hash, doc and modified_at.
_DATA_COLUMNS = (
    "remote_created_at",
    "remote_modified_at",
    "remote_deleted",
    "status",
    *REF_COLUMNS,
    *DATE_SLOTS,
    "remote_data",
    "content_hash",
    "doc",
    "modified_at",
)
#: ``record_refs`` columns, in the order its rows are built.
_REFS_COLUMNS = ("connection_id", "model", "name", "target_id", "record_id")
_INSERT_COLUMNS = (
    "id",
    "connection_id",
    "model",
    "scope",
    "remote_id",
    "created_at",
    *_DATA_COLUMNS,
)
_EXISTING_COLUMNS = ("id", "content_hash", "created_at", "remote_deleted", "remote_modified_at")


class _Rendered:
    __slots__ = ("body", "fields", "hash", "item", "values")

    def __init__(
        self, item: Mapped, fields: dict[str, Any], body: bytes, values: list[Any], digest: str
    ) -> None:
        self.item = item
        self.fields = fields
        #: ``fields`` as JSON, serialized once for the hash and the document.
        self.body = body
        #: The first columns of ``_DATA_COLUMNS`` (up to remote_data).
        self.values = values
        self.hash = digest

    @property
    def remote_modified_us(self) -> int | None:
        return self.values[_REMOTE_MODIFIED_INDEX]


def _render(spec: ModelSpec, item: Mapped) -> _Rendered:
    """Columns and content hash of a mapped record.

    The hash is over ``[remote_created_at, remote_modified_at, remote_deleted, body,
    custom_fields]`` as compact JSON, then the raw record: built here from the pieces
    (orjson writes no whitespace, so the bytes are those of dumping the list whole),
    keeping the body's serialization for the document.
    """
    src = item.fields
    names = spec.field_names
    # Mappers build their fields in the model's order: then the dict is used as it is.
    fields = src if tuple(src) == names else {name: src.get(name) for name in names}
    body = _dumps(fields)
    raw = _dumps(item.raw) if item.raw is not None else None
    head = _dumps([item.remote_created_at, item.remote_modified_at, item.remote_deleted])
    digest = hashlib.blake2b(
        b"".join((head[:-1], b",", body, b",", _dumps(item.custom_fields), b"]", raw or b"")),
        digest_size=16,
    ).hexdigest()
    values = [
        _us(item.remote_created_at),
        _us(item.remote_modified_at),
        item.remote_deleted,
        fields.get("status") if spec.status_enum else None,
        *(fields.get(col) if col in spec.refs else None for col in REF_COLUMNS),
        *(None for _ in DATE_SLOTS),
        raw.decode() if raw is not None else None,
    ]
    for df in spec.date_filters:
        values[_SLOT_INDEX[df.slot]] = _date_value_us(fields.get(df.field))
    return _Rendered(item, fields, body, values, digest)


_SLOT_INDEX = {slot: _DATA_COLUMNS.index(slot) for slot in DATE_SLOTS}
_REMOTE_MODIFIED_INDEX = _DATA_COLUMNS.index("remote_modified_at")


def _date_value_us(value: Any) -> int | None:
    if value is None:
        return None
    return instant_us(str(value))


def _doc(record_id: str, item: Mapped, body: bytes, created: str, modified: str) -> str:
    """The stored document: envelope, unified fields, custom fields (in that key order)."""
    envelope = _dumps(
        {
            "id": record_id,
            "remote_id": item.remote_id,
            "created_at": created,
            "modified_at": modified,
            "remote_created_at": item.remote_created_at,
            "remote_modified_at": item.remote_modified_at,
            "remote_deleted": item.remote_deleted,
        }
    )
    fields = b"," + body[1:-1] if len(body) > 2 else b""
    custom = _dumps(item.custom_fields)
    return b"".join((envelope[:-1], fields, b',"custom_fields":', custom, b"}")).decode()


def _older(incoming: int | None, stored: int | None) -> bool:
    """A version older, by the source's change time, than the one already held: kept out."""
    return incoming is not None and stored is not None and incoming < stored


class Prepared:
    """Mapped records rendered for the store (ids, columns, hashes) ahead of the write.

    Pure CPU work that needs no database: a sync prepares the next page in its read-ahead
    thread while the database is still writing the previous one.
    """

    __slots__ = ("connection_id", "rendered")

    def __init__(self, connection_id: str, items: Iterable[Mapped]) -> None:
        self.connection_id = connection_id
        self.rendered: dict[str, _Rendered] = {}
        for item in items:
            rid = record_id(connection_id, item.model, item.remote_id)
            self.rendered[rid] = _render(MODELS[item.model], item)  # last one wins

    @classmethod
    def merge(cls, parts: Sequence[Prepared]) -> Prepared:
        """Several pages as one, stored as their upserts one after the other would store
        them: a record listed again keeps its later version unless that one is older."""
        if len(parts) == 1:
            return parts[0]
        merged = cls(parts[0].connection_id, ())
        rendered = merged.rendered
        for part in parts:
            if part.connection_id != merged.connection_id:
                raise ValueError("records prepared for different connections")
            for rid, r in part.rendered.items():
                prev = rendered.get(rid)
                if prev is not None and _older(r.remote_modified_us, prev.remote_modified_us):
                    continue
                rendered[rid] = r
        return merged


class PendingRefs:
    """``record_refs`` rows of a transaction's upserts, written once before it commits.

    A listing stores a page at a time and commits several pages together: writing their
    references once per transaction saves a ``COPY`` round trip per page. A record
    stored twice in the transaction keeps the rows of its last version.
    """

    __slots__ = ("rows", "touched")

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[str, str, str, str, str]]] = {}
        #: Records that were stored before the transaction: their rows may need deleting.
        self.touched: set[str] = set()

    def flush(self, conn: Connection) -> None:
        """Write what is pending (inside the transaction that stored the records)."""
        if self.rows:
            wanted = [row for rows in self.rows.values() for row in rows]
            _write_refs(conn, wanted, sorted(self.touched))
        self.rows.clear()
        self.touched.clear()


def upsert(
    conn: Connection,
    connection_id: str,
    items: Sequence[Mapped] | Prepared,
    stamp: int,
    refs: PendingRefs | None = None,
) -> UpsertResult:
    """Insert new records, update changed ones, leave identical ones untouched.

    Must run inside the write transaction that took ``stamp``. The statements are
    ``store.bulk``'s: one lookup, one insert, one update for the whole batch. The
    records' ``record_refs`` rows are written too, or left in ``refs`` for the caller
    to flush before it commits.
    """
    result = UpsertResult()
    prepared = items if isinstance(items, Prepared) else Prepared(connection_id, items)
    if prepared.connection_id != connection_id:
        raise ValueError("records prepared for another connection")
    rendered = prepared.rendered
    if not rendered:
        return result
    existing = {
        row[0]: row[1:]
        for row in bulk.select_in(conn, records, _EXISTING_COLUMNS, "id", list(rendered))
    }
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[str, list[Any]]] = []
    stamp_text = format_us(stamp) or ""
    pending = refs if refs is not None else PendingRefs()
    for rid, r in rendered.items():
        prev = existing.get(rid)
        if prev is not None and prev[0] == r.hash:
            result.unchanged += 1
            continue
        if prev is not None and _older(r.remote_modified_us, prev[3]):
            # An older version than the one stored: a page fetched before a write-through
            # (or a newer page) committed. Keep the newer version.
            result.stale += 1
            continue
        result.live_delta += (0 if r.item.remote_deleted else 1) - (
            0 if prev is None or prev[2] else 1
        )
        created = prev[1] if prev is not None else stamp
        created_text = stamp_text if created == stamp else format_us(created)
        values = [
            *r.values,
            r.hash,
            _doc(rid, r.item, r.body, created_text or "", stamp_text),
            stamp,
        ]
        spec = MODELS[r.item.model]
        if spec.multi_refs:
            pending.rows[rid] = [
                (connection_id, spec.name, name, target, rid)
                for name, fn in spec.multi_refs.items()
                for target in dict.fromkeys(fn(r.fields))
            ]
            if prev is not None:
                pending.touched.add(rid)
        if prev is None:
            model = r.item.model
            inserts.append(
                (
                    rid,
                    connection_id,
                    model,
                    scope_of(connection_id, model),
                    r.item.remote_id,
                    stamp,
                    *values,
                )
            )
            result.created += 1
        else:
            updates.append((rid, values))
            result.updated += 1
    bulk.insert_rows(conn, records, _INSERT_COLUMNS, inserts)
    bulk.update_rows(conn, records, "id", _DATA_COLUMNS, updates)
    if refs is None:
        pending.flush(conn)
    return result


def _write_refs(
    conn: Connection, wanted: list[tuple[str, str, str, str, str]], touched: list[str]
) -> None:
    """Make ``record_refs`` of the batch's records what ``wanted`` says.

    ``touched`` are the stored records whose references may have changed: their rows are
    compared with what is wanted and only the difference is written. An edit rarely
    changes a work order's parts, and rewriting them all would add index entries (and
    dead rows to vacuum) on every update.
    """
    stored = set(bulk.select_in(conn, record_refs, _REFS_COLUMNS, "record_id", touched))
    changed = {row[4] for row in stored - set(wanted)}
    if changed:
        bulk.delete_in(conn, record_refs, "record_id", sorted(changed))
        # Rows of those records that are still wanted went too: written again below.
        stored = {row for row in stored if row[4] not in changed}
    bulk.insert_rows(conn, record_refs, _REFS_COLUMNS, [row for row in wanted if row not in stored])


def mark_deleted(
    conn: Connection, connection_id: str, model: str, record_ids: Iterable[str], stamp: int
) -> int:
    """Flag records as ``remote_deleted`` (their ``modified_at`` moves, so readers learn it)."""
    count = 0
    for rid, doc in conn.execute(
        select(records.c.id, records.c.doc).where(
            records.c.id.in_(list(record_ids)),
            records.c.connection_id == connection_id,
            records.c.model == model,
            records.c.remote_deleted.is_(False),
        )
    ).all():
        data = orjson.loads(doc)
        data["remote_deleted"] = True
        data["modified_at"] = format_us(stamp)
        conn.execute(
            update(records)
            .where(records.c.id == rid)
            .values(
                remote_deleted=True,
                modified_at=stamp,
                doc=_dumps(data).decode(),
                content_hash=hashlib.blake2b(doc.encode() + b"deleted", digest_size=16).hexdigest(),
            )
        )
        count += 1
    return count


# ---- reads ---------------------------------------------------------------------------


@dataclass
class ListQuery:
    """A validated list request (see api.routes.records for the parsing)."""

    model: str
    page_size: int = 100
    after: tuple[int, str] | None = None
    created_after: int | None = None
    created_before: int | None = None
    modified_after: int | None = None
    modified_before: int | None = None
    remote_modified_after: int | None = None
    remote_modified_before: int | None = None
    slot_ranges: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    statuses: list[str] | None = None
    remote_ids: list[str] | None = None
    ref_filters: dict[str, list[str]] = field(default_factory=dict)
    multi_filters: dict[str, list[str]] = field(default_factory=dict)
    include_deleted: bool = False
    include_remote_data: bool = False


def _range(col: Any, lo: int | None, hi: int | None, conds: list[Any]) -> None:
    if lo is not None:
        conds.append(col > lo)
    if hi is not None:
        conds.append(col < hi)


@contextmanager
def _reading(bind: Engine | Connection) -> Iterator[Connection]:
    """The caller's connection as is, or a fresh one from an engine."""
    if isinstance(bind, Connection):
        yield bind
        return
    with bind.connect() as conn:
        yield conn


def list_records(
    bind: Engine | Connection, connection_id: str, q: ListQuery
) -> list[tuple[str, str, int, str | None]]:
    """One page: ``(id, doc, modified_at, remote_data)`` rows in ``(modified_at, id)`` order.

    ``*_after`` bounds are exclusive and ``*_before`` bounds are exclusive, so that a
    client can chain ``modified_after=<last value>`` without seeing the boundary twice.
    """
    with _reading(bind) as conn:
        return [
            (row[0], row[1], row[2], row[3]) for row in conn.execute(list_query(connection_id, q))
        ]


def list_query(connection_id: str, q: ListQuery) -> Select[Any]:
    """The statement behind ``list_records``."""
    r = records.c
    conds = in_scope(connection_id, q.model)
    if not q.include_deleted:
        conds.append(r.remote_deleted.is_(False))
    _range(r.created_at, q.created_after, q.created_before, conds)
    _range(r.modified_at, q.modified_after, q.modified_before, conds)
    _range(r.remote_modified_at, q.remote_modified_after, q.remote_modified_before, conds)
    for slot, (lo, hi) in q.slot_ranges.items():
        _range(r[slot], lo, hi, conds)
    if q.statuses:
        conds.append(r.status.in_(q.statuses))
    if q.remote_ids:
        # By primary key: a record's id is a function of its remote id.
        conds.append(r.id.in_([record_id(connection_id, q.model, x) for x in q.remote_ids]))
    for col, values in q.ref_filters.items():
        conds.append(r[col].in_(values))
    for name, values in q.multi_filters.items():
        rr = record_refs.c
        conds.append(
            exists().where(
                rr.record_id == r.id,
                rr.connection_id == connection_id,
                rr.model == q.model,
                rr.name == name,
                rr.target_id.in_(values),
            )
        )
    if q.after is not None:
        m, i = q.after
        conds.append(or_(r.modified_at > m, and_(r.modified_at == m, r.id > i)))
    cols: list[Any] = [r.id, r.doc, r.modified_at]
    cols.append(r.remote_data if q.include_remote_data else null())
    return select(*cols).where(*conds).order_by(r.modified_at, r.id).limit(q.page_size + 1)


def get_record(
    bind: Engine | Connection, connection_id: str, model: str, record_id: str
) -> tuple[str, str | None] | None:
    r = records.c
    with _reading(bind) as conn:
        row = conn.execute(
            select(r.doc, r.remote_data).where(
                r.id == record_id, r.connection_id == connection_id, r.model == model
            )
        ).first()
    return None if row is None else (row[0], row[1])


def get_docs(bind: Engine | Connection, connection_id: str, ids: Iterable[str]) -> dict[str, str]:
    """Documents by id (for ``expand``); ids of other connections are never returned."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    r = records.c
    with _reading(bind) as conn:
        rows = conn.execute(
            select(r.id, r.doc).where(r.connection_id == connection_id, r.id.in_(wanted))
        ).all()
    return {row[0]: row[1] for row in rows}
