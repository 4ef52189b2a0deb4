"""In-memory entity storage: lazily generated base rows, an overlay of edits, and indexes.

A ``Table`` holds one vendor collection. Its base rows are never stored: ``build(row)``
regenerates a record from ``(seed, row)`` on demand (with a small cache), so a million work
orders start in seconds and cost a few bytes each. Only what paging needs is kept per row:
created/updated milliseconds in ``array('q')`` plus sorted ``(key, row)`` indexes.
Writes go to an overlay ``{row: record}``; new rows are appended, so row order is id
order and ``id = first_id + row``.

Paging is keyset-based: a position is ``(key, row)`` of the last record served, which
names a point in the order even if that record changes or disappears later. That makes
cursors stateless and resumable, ties on the key impossible to skip or repeat, and edits
during paging unable to shift other records across a page boundary.

How a vendor plugs in: create one ``Table`` per collection with ``build``/``stamps``
(and optionally a cheap ``skeleton`` for indexes built on first use), declare
``facets`` (list filters such as ``statuses`` or ``assets``) and extra ``sort_keys``, then
answer list calls with ``table.page(Query(...), after, limit)``. Records returned by
``get`` are shared: copy before editing, then ``put`` the copy.
"""

from __future__ import annotations

import base64
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from math import isqrt
from typing import Any

Record = dict[str, Any]

ID_ORDER = "id"
CREATED = "createdAt"
UPDATED = "updatedAt"

_SHIFT = 32
_ROW_MASK = (1 << _SHIFT) - 1
NULL_KEY = 1 << 62
"""Key of a missing value: sorts after every timestamp (nulls last ascending)."""


@dataclass(frozen=True)
class Query:
    """What a list call asks for; every field maps to a vendor query parameter."""

    order: str = ID_ORDER
    descending: bool = False
    ranges: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    """Inclusive bounds on an index (``updatedAt``, ``createdAt`` or a sort key)."""
    facets: dict[str, frozenset[Hashable]] = field(default_factory=dict)
    """Record must carry at least one of these facet values."""
    exclude: dict[str, frozenset[Hashable]] = field(default_factory=dict)
    """Record must carry none of these facet values."""
    where: Callable[[Record], bool] | None = None
    """Record-level predicate for rare filters (substring matches): applied last."""
    where_key: Hashable = None
    """Identity of ``where`` for the page cache (e.g. the filter's text)."""
    include_deleted: bool = False


Position = tuple[int, int]
"""``(key, row)`` of the last record served; for id order the key is the row."""


class _Index:
    """Rows sorted by ``(key, row)``; ``values[row]`` is the row's current key."""

    __slots__ = ("composite", "values")

    def __init__(self, values: array[int] | list[int]) -> None:
        self.values = values
        self.composite = sorted((v << _SHIFT) | r for r, v in enumerate(values))

    def move(self, row: int, new: int) -> None:
        old = self.values[row]
        if old == new:
            return
        c = (old << _SHIFT) | row
        i = bisect_left(self.composite, c)
        del self.composite[i]
        self.values[row] = new
        self._insert(row, new)

    def add(self, row: int, value: int) -> None:
        self.values.append(value)
        self._insert(row, value)

    def _insert(self, row: int, value: int) -> None:
        c = (value << _SHIFT) | row
        if not self.composite or c > self.composite[-1]:
            self.composite.append(c)  # the usual case: edits are stamped "now"
        else:
            self.composite.insert(bisect_left(self.composite, c), c)

    def count(self, lo: int | None, hi: int | None) -> int:
        a = 0 if lo is None else bisect_left(self.composite, lo << _SHIFT)
        b = (
            len(self.composite)
            if hi is None
            else bisect_right(self.composite, (hi << _SHIFT) | _ROW_MASK)
        )
        return max(0, b - a)


class _Facet:
    """``values[row]`` is a tuple of the row's facet values; ``rows`` inverts it."""

    __slots__ = ("rows", "values")

    def __init__(self, values: list[tuple[Hashable, ...]]) -> None:
        self.values = values
        self.rows: dict[Hashable, set[int]] = {}
        for row, vals in enumerate(values):
            for v in vals:
                self.rows.setdefault(v, set()).add(row)

    def set(self, row: int, vals: tuple[Hashable, ...]) -> None:
        if row == len(self.values):
            self.values.append(())
        old = self.values[row]
        if old == vals:
            return
        for v in old:
            self.rows[v].discard(row)
        for v in vals:
            self.rows.setdefault(v, set()).add(row)
        self.values[row] = vals


class Table:
    """One collection of one vendor (see module docstring)."""

    def __init__(
        self,
        name: str,
        *,
        count: int,
        first_id: int,
        build: Callable[[int], Record],
        stamps: Callable[[int], tuple[int, int]],
        skeleton: Callable[[int], Record] | None = None,
        facets: dict[str, Callable[[Record], tuple[Hashable, ...]]] | None = None,
        sort_keys: dict[str, Callable[[Record], int | None]] | None = None,
        cache_size: int = 20_000,
    ) -> None:
        """``stamps(row)`` must be cheap: it runs for every base row at start-up.

        ``skeleton(row)`` returns at least the fields ``facets`` and ``sort_keys`` read,
        with the values ``build(row)`` would give them; indexes built on first use read
        it instead of full records. Facet and sort-key functions receive either.
        """
        self.name = name
        self.first_id = first_id
        self.n = count
        self._build = build
        self._skeleton = skeleton or build
        self._facet_fns = facets or {}
        self._sort_fns = sort_keys or {}
        self._overlay: dict[int, Record] = {}
        # OrderedDict: evicting the oldest entry of a plain dict is O(deleted slots).
        self._cache: OrderedDict[int, Record] = OrderedDict()
        self._cache_size = cache_size
        self.deleted: set[int] = set()
        self.version = 0
        created = array("q", bytes(8 * count))
        updated = array("q", bytes(8 * count))
        for row in range(count):
            created[row], updated[row] = stamps(row)
        self.created = created
        self.updated = updated
        self._indexes: dict[str, _Index] = {CREATED: _Index(created), UPDATED: _Index(updated)}
        self._facets: dict[str, _Facet] = {}
        self._pages: dict[Hashable, list[int]] = {}

    # -- records ---------------------------------------------------------------------

    def row_of(self, record_id: int) -> int | None:
        row = record_id - self.first_id
        return row if 0 <= row < self.n else None

    def id_of(self, row: int) -> int:
        return self.first_id + row

    def get(self, row: int) -> Record:
        """The current record (shared: copy before changing it)."""
        rec = self._overlay.get(row)
        if rec is not None:
            return rec
        rec = self._cache.get(row)
        if rec is None:
            rec = self._build(row)
            if len(self._cache) >= self._cache_size:
                self._cache.popitem(last=False)
            self._cache[row] = rec
        return rec

    def edited(self, row: int) -> bool:
        """Whether a row was written since start (its record lives in the overlay)."""
        return row in self._overlay

    def get_live(self, record_id: int) -> Record | None:
        """Record by id unless unknown or deleted: the vendor GET-by-id lookup."""
        row = self.row_of(record_id)
        if row is None or row in self.deleted:
            return None
        return self.get(row)

    def put(self, row: int, record: Record, updated_ms: int) -> None:
        """Store an edited record and move it in every index."""
        self._overlay[row] = record
        self._cache.pop(row, None)
        self._indexes[UPDATED].move(row, updated_ms)
        self._reindex(row, record)
        self.version += 1

    def append(self, record: Record, created_ms: int, updated_ms: int | None = None) -> int:
        """Add a new record; its id must be ``first_id + table.n`` (see ``next_id``)."""
        row = self.n
        self.n += 1
        self._overlay[row] = record
        self._indexes[CREATED].add(row, created_ms)
        self._indexes[UPDATED].add(row, created_ms if updated_ms is None else updated_ms)
        for name, fn in self._sort_fns.items():
            index = self._indexes.get(name)
            if index is not None:
                index.add(row, _key(fn(record)))
        for name, facet in self._facets.items():
            facet.set(row, self._facet_fns[name](record))
        self.version += 1
        return row

    def next_id(self) -> int:
        return self.first_id + self.n

    def delete(self, row: int, record: Record, deleted_ms: int) -> None:
        """Soft-delete: hidden from lists and GETs, still listed by the control API."""
        self.deleted.add(row)
        self.put(row, record, deleted_ms)

    @property
    def live_count(self) -> int:
        return self.n - len(self.deleted)

    def live_rows(self) -> Iterator[int]:
        deleted = self.deleted
        return (r for r in range(self.n) if r not in deleted)

    def _reindex(self, row: int, record: Record) -> None:
        for name, fn in self._sort_fns.items():
            index = self._indexes.get(name)
            if index is not None:
                index.move(row, _key(fn(record)))
        for name, facet in self._facets.items():
            facet.set(row, self._facet_fns[name](record))

    def _view(self, row: int) -> Record:
        rec = self._overlay.get(row)
        return rec if rec is not None else self._skeleton(row)

    def _index(self, name: str) -> _Index:
        index = self._indexes.get(name)
        if index is None:
            fn = self._sort_fns[name]
            index = _Index([_key(fn(self._view(r))) for r in range(self.n)])
            self._indexes[name] = index
        return index

    def _facet(self, name: str) -> _Facet:
        facet = self._facets.get(name)
        if facet is None:
            fn = self._facet_fns[name]
            facet = _Facet([fn(self._view(r)) for r in range(self.n)])
            self._facets[name] = facet
        return facet

    def facet_rows(self, name: str, value: Hashable) -> set[int]:
        """Rows carrying a facet value (e.g. work requests of one work order)."""
        return self._facet(name).rows.get(value, set())

    # -- paging ----------------------------------------------------------------------

    def key_of(self, order: str, row: int) -> int:
        return row if order == ID_ORDER else self._index(order).values[row]

    def page(self, q: Query, after: Position | None, limit: int) -> tuple[list[int], bool]:
        """Up to ``limit`` rows after ``after`` in ``q``'s order; and whether more follow."""
        cached = self._materialized(q)
        rows = (
            self._page_from(cached, q, after, limit + 1)
            if cached is not None
            else self._scan(q, after, limit + 1)
        )
        more = len(rows) > limit
        return rows[:limit], more

    def _checker(self, q: Query) -> Callable[[int], bool]:
        deleted = None if q.include_deleted else self.deleted
        ranges = [
            (self._index(name).values, lo, hi)
            for name, (lo, hi) in q.ranges.items()
            if name != q.order
        ]
        wanted = [(self._facet(n).values, vals) for n, vals in q.facets.items()]
        unwanted = [(self._facet(n).values, vals) for n, vals in q.exclude.items()]
        where = q.where
        get = self.get

        def check(row: int) -> bool:
            if deleted and row in deleted:
                return False
            for values, lo, hi in ranges:
                v = values[row]
                if (lo is not None and v < lo) or (hi is not None and v > hi):
                    return False
            for fvalues, vals in wanted:
                if vals.isdisjoint(fvalues[row]):
                    return False
            for fvalues, vals in unwanted:
                if not vals.isdisjoint(fvalues[row]):
                    return False
            return where is None or where(get(row))

        return check

    def _order_bounds(self, q: Query) -> tuple[int, int]:
        lo, hi = q.ranges.get(q.order, (None, None))
        lo_c = -(NULL_KEY << _SHIFT) if lo is None else lo << _SHIFT
        hi_c = (NULL_KEY << _SHIFT) | _ROW_MASK if hi is None else (hi << _SHIFT) | _ROW_MASK
        return lo_c, hi_c

    def _scan(self, q: Query, after: Position | None, want: int) -> list[int]:
        """Walk the order index from the cursor, testing each row: for broad filters."""
        check = self._checker(q)
        out: list[int] = []
        if q.order == ID_ORDER:
            if q.descending:
                start = self.n - 1 if after is None else min(after[1] - 1, self.n - 1)
                rows: Iterator[int] | range = range(start, -1, -1)
            else:
                rows = range(0 if after is None else after[1] + 1, self.n)
            for row in rows:
                if check(row):
                    out.append(row)
                    if len(out) == want:
                        break
            return out
        composite = self._index(q.order).composite
        lo_c, hi_c = self._order_bounds(q)
        if q.descending:
            end = bisect_right(composite, hi_c)
            if after is not None:
                end = min(end, bisect_left(composite, (after[0] << _SHIFT) | after[1]))
            stop = bisect_left(composite, lo_c)
            for i in range(end - 1, stop - 1, -1):
                row = composite[i] & _ROW_MASK
                if check(row):
                    out.append(row)
                    if len(out) == want:
                        break
        else:
            start = bisect_left(composite, lo_c)
            if after is not None:
                start = max(start, bisect_right(composite, (after[0] << _SHIFT) | after[1]))
            end = bisect_right(composite, hi_c)
            for i in range(start, end):
                row = composite[i] & _ROW_MASK
                if check(row):
                    out.append(row)
                    if len(out) == want:
                        break
        return out

    def _materialized(self, q: Query) -> list[int] | None:
        """All matching rows as sorted composites, when a selective filter makes that cheap.

        Chooses the narrowest range or facet; if even that matches a large share of the
        table, returns None and the caller scans instead (expected cost
        ``limit * n / matches`` checks per page).
        """
        best: tuple[int, Callable[[], Iterator[int] | set[int]]] | None = None
        for name, (lo, hi) in q.ranges.items():
            if name == q.order or name == ID_ORDER:
                continue
            index = self._index(name)
            n = index.count(lo, hi)
            if best is None or n < best[0]:
                best = (n, _range_rows(index, lo, hi))
        for name, vals in q.facets.items():
            rows_by_value = self._facet(name).rows
            n = sum(len(rows_by_value.get(v, ())) for v in vals)
            if best is None or n < best[0]:
                best = (n, _facet_rows(rows_by_value, vals))
        if best is None or best[0] > max(2_000, 4 * isqrt(200 * self.n)):
            return None
        key = (
            q.order,
            tuple(sorted(q.ranges.items())),
            tuple(sorted((k, tuple(sorted(map(repr, v)))) for k, v in q.facets.items())),
            tuple(sorted((k, tuple(sorted(map(repr, v)))) for k, v in q.exclude.items())),
            q.where_key,
            q.include_deleted,
            self.version,
        )
        hit = self._pages.get(key)
        if hit is not None:
            return hit
        check = self._checker(q)
        rows = [r for r in best[1]() if check(r)]
        if q.order == ID_ORDER:
            composite = sorted(rows)
        else:
            values = self._index(q.order).values
            lo_c, hi_c = self._order_bounds(q)
            composite = sorted(
                c for c in ((values[r] << _SHIFT) | r for r in rows) if lo_c <= c <= hi_c
            )
        if len(self._pages) >= 16:
            del self._pages[next(iter(self._pages))]
        self._pages[key] = composite
        return composite

    def _page_from(
        self, composite: list[int], q: Query, after: Position | None, want: int
    ) -> list[int]:
        mask = _ROW_MASK if q.order != ID_ORDER else -1
        if after is None:
            pos = None
        elif q.order == ID_ORDER:
            pos = after[1]
        else:
            pos = (after[0] << _SHIFT) | after[1]
        if q.descending:
            end = len(composite) if pos is None else bisect_left(composite, pos)
            chunk = composite[max(0, end - want) : end][::-1]
        else:
            start = 0 if pos is None else bisect_right(composite, pos)
            chunk = composite[start : start + want]
        return [c & mask for c in chunk]


def _key(value: int | None) -> int:
    return NULL_KEY if value is None else value


def _range_rows(index: _Index, lo: int | None, hi: int | None) -> Callable[[], Iterator[int]]:
    def rows() -> Iterator[int]:
        a = 0 if lo is None else bisect_left(index.composite, lo << _SHIFT)
        b = (
            len(index.composite)
            if hi is None
            else bisect_right(index.composite, (hi << _SHIFT) | _ROW_MASK)
        )
        return (c & _ROW_MASK for c in index.composite[a:b])

    return rows


def _facet_rows(
    rows_by_value: dict[Hashable, set[int]], vals: frozenset[Hashable]
) -> Callable[[], set[int]]:
    def rows() -> set[int]:
        out: set[int] = set()
        for v in vals:
            out |= rows_by_value.get(v, set())
        return out

    return rows


def encode_cursor(order: str, descending: bool, position: Position) -> str:
    """Opaque, stateless cursor: the order plus the keyset position, base64url."""
    raw = f"{order}|{int(descending)}|{position[0]}|{position[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, bool, Position]:
    """Inverse of ``encode_cursor``; raises ``ValueError`` on anything malformed."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        order, desc, key, row = raw.split("|")
        if desc not in ("0", "1"):
            raise ValueError(desc)
        position = (int(key), int(row))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc
    if position[1] < 0 or not 0 <= position[0] <= NULL_KEY:
        raise ValueError(f"invalid cursor {cursor!r}")
    return order, desc == "1", position
