"""Entity tables: rows generated on demand from (seed, index), plus an overlay of edits.

Rows handed out by `Table.get` are shared and must be treated as read-only; a write copies
the row, changes the copy and stores it with `put`.

A million maintenance orders cannot be held as dicts, so each table keeps its *base* rows
virtual: `BaseRows.row(i)` regenerates row `i` deterministically whenever it is read, and
`BaseRows.key(i)` is strictly increasing in `i`, so row ids double as the key order. Writes
land in an overlay (`Table.rows`); created rows get ids past the base. Two orders are kept
without per-request scans: the key order (base ids merged with the sorted created keys) and,
for sets with a change field, the order by (change timestamp, key) — the base part sorted
once at start-up, the part touched since kept in a small sorted list.
"""

from __future__ import annotations

import bisect
import heapq
from array import array
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, Protocol

from plantlink.sandbox.sap_s4hana.edm import EntitySet

Key = tuple[Any, ...]
Row = dict[str, Any]


class BaseRows(Protocol):
    """The generated part of a table; `key` must be strictly increasing in the index."""

    count: int

    def key(self, index: int) -> Key: ...

    def row(self, index: int) -> Row: ...

    def find(self, key: Key) -> int | None: ...


class ListRows:
    """Base rows held in a list sorted by key (for the small tables)."""

    def __init__(self, rows: list[Row], key_props: Sequence[str]) -> None:
        self.rows = rows
        self.count = len(rows)
        self.keys = [tuple(row[k] for k in key_props) for row in rows]
        if any(a >= b for a, b in zip(self.keys, self.keys[1:], strict=False)):
            raise ValueError("ListRows needs rows sorted by a unique key")
        self.index = {key: i for i, key in enumerate(self.keys)}

    def key(self, index: int) -> Key:
        return self.keys[index]

    def row(self, index: int) -> Row:
        return self.rows[index]

    def find(self, key: Key) -> int | None:
        return self.index.get(key)


class Table:
    def __init__(
        self, entity_set: EntitySet, base: BaseRows, base_change: Sequence[int] | None = None
    ) -> None:
        self.entity_set = entity_set
        self.key_props = entity_set.type.keys
        self.base = base
        self.rows: dict[int, Row] = {}
        self.created: list[tuple[Key, int]] = []
        self.created_ids: dict[Key, int] = {}
        self.deleted: set[int] = set()
        self.next_id = base.count
        self.version = 0  # moves with every write: cached orderings compare it
        self._ranges: dict[tuple[int | None, int | None], tuple[int, list[int]]] = {}
        self.change_field = entity_set.change_field
        if self.change_field:
            assert base_change is not None and len(base_change) == base.count
            self.base_change = base_change
            order = sorted(range(base.count), key=base_change.__getitem__)
            self.base_order = array("q", order)
            self.base_sorted = array("q", (base_change[i] for i in order))
            self.moved: list[tuple[int, Key, int]] = []  # (change, key, id) of touched rows
            self.moved_change: dict[int, int] = {}

    # --- reading -------------------------------------------------------------------------

    def key_of(self, row: Row) -> Key:
        return tuple(row[k] for k in self.key_props)

    def get(self, rowid: int) -> Row | None:
        if rowid in self.deleted:
            return None
        row = self.rows.get(rowid)
        if row is None and rowid < self.base.count:
            return self.base.row(rowid)
        return row

    def find(self, key: Key) -> int | None:
        rowid = self.created_ids.get(key)
        if rowid is None:
            rowid = self.base.find(key)
        return None if rowid is None or rowid in self.deleted else rowid

    def __len__(self) -> int:
        return self.base.count + len(self.created) - len(self.deleted)

    def key_at(self, rowid: int) -> Key:
        row = self.rows.get(rowid)
        return self.key_of(row) if row is not None else self.base.key(rowid)

    def _base_lower(self, key: Key, exclusive: bool) -> int:
        """First base index whose key is >= `key` (> when exclusive)."""
        lo, hi = 0, self.base.count
        while lo < hi:
            mid = (lo + hi) // 2
            probe = self.base.key(mid)
            if probe < key or (exclusive and probe == key):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def scan(self, start: Key | None = None, exclusive: bool = False) -> Iterator[int]:
        """Live row ids in key order, from `start` on."""
        base_pos = 0 if start is None else self._base_lower(start, exclusive)
        created_pos = 0
        if start is not None:
            find = bisect.bisect_right if exclusive else bisect.bisect_left
            created_pos = find(self.created, start, key=lambda item: item[0])
        created, deleted = self.created, self.deleted
        while True:
            # base rows up to the next created key, then that created row
            if created_pos < len(created):
                next_key, next_id = created[created_pos]
                boundary = self._base_lower(next_key, exclusive=False)
            else:
                next_id, boundary = None, self.base.count
            for rowid in range(base_pos, boundary):
                if rowid not in deleted:
                    yield rowid
            base_pos = max(base_pos, boundary)
            if next_id is None:
                return
            created_pos += 1
            if next_id not in deleted:
                yield next_id

    def scan_prefix(self, prefix: Key, after: Key | None = None) -> Iterator[int]:
        """Live rows whose key starts with `prefix`, in key order (after `after`)."""
        size = len(prefix)
        for rowid in self.scan(after or prefix, exclusive=after is not None):
            if self.key_at(rowid)[:size] != prefix:
                return
            yield rowid

    # --- the change-timestamp index ------------------------------------------------------

    def change_of(self, rowid: int) -> int:
        """A row's change timestamp without generating the row."""
        moved = self.moved_change.get(rowid)
        return moved if moved is not None else self.base_change[rowid]

    def scan_changed(
        self, low: int | None, high: int | None, after: tuple[int, Key] | None = None
    ) -> Iterator[int]:
        """Live rows with low <= change <= high in (change, key) order, after `after`."""
        sorted_changes, order = self.base_sorted, self.base_order
        base_pos = 0 if low is None else bisect.bisect_left(sorted_changes, low)
        base_end = len(order) if high is None else bisect.bisect_right(sorted_changes, high)
        moved = self.moved
        moved_pos = 0 if low is None else bisect.bisect_left(moved, (low,))
        if after is not None:
            change, key = after
            start = bisect.bisect_left(sorted_changes, change)
            tie_end = bisect.bisect_right(sorted_changes, change)
            while start < tie_end:  # ties are ordered by id, i.e. by key
                mid = (start + tie_end) // 2
                if self.base.key(order[mid]) <= key:
                    start = mid + 1
                else:
                    tie_end = mid
            base_pos = max(base_pos, start)
            moved_pos = max(moved_pos, bisect.bisect_right(moved, (change, key, float("inf"))))
        skip, deleted = self.moved_change, self.deleted
        while True:
            while base_pos < base_end and (order[base_pos] in skip or order[base_pos] in deleted):
                base_pos += 1
            moved_live = moved_pos < len(moved) and (high is None or moved[moved_pos][0] <= high)
            if moved_live and (
                base_pos >= base_end or self._moved_first(moved[moved_pos], base_pos)
            ):
                rowid = moved[moved_pos][2]
                moved_pos += 1
                if rowid not in deleted:
                    yield rowid
            elif base_pos < base_end:
                yield order[base_pos]
                base_pos += 1
            else:
                return

    def _moved_first(self, moved: tuple[int, Key, int], base_pos: int) -> bool:
        base_change = self.base_sorted[base_pos]
        if moved[0] != base_change:
            return moved[0] < base_change
        return moved[1] < self.base.key(self.base_order[base_pos])

    def changed_by_key(self, low: int | None, high: int | None) -> list[int]:
        """Ids of the live rows with low <= change <= high, in key order.

        Paging such a range in key order would otherwise scan the whole table for every
        page when the matches cluster at one end (recent changes sit at the highest keys),
        so the list is kept until the next write. Base ids are already in key order; only
        rows created since start need their keys compared.
        """
        cached = self._ranges.get((low, high))
        if cached is not None and cached[0] == self.version:
            return cached[1]
        base: list[int] = []
        created: list[int] = []
        for rowid in self.scan_changed(low, high):
            (base if rowid < self.base.count else created).append(rowid)
        base.sort()
        if created:
            created.sort(key=self.key_at)
            base = list(heapq.merge(base, created, key=self.key_at))
        if len(self._ranges) >= 8:
            del self._ranges[next(iter(self._ranges))]
        self._ranges[low, high] = (self.version, base)
        return base

    def count_changed(self, low: int | None, high: int | None) -> int:
        """How many live rows have low <= change <= high, in O(rows touched since start)."""

        def inside(change: int) -> bool:
            return (low is None or change >= low) and (high is None or change <= high)

        sorted_changes = self.base_sorted
        count = (
            len(sorted_changes) if high is None else bisect.bisect_right(sorted_changes, high)
        ) - (0 if low is None else bisect.bisect_left(sorted_changes, low))
        touched = self.moved_change.keys() | {i for i in self.deleted if i < self.base.count}
        for rowid in touched:
            if rowid < self.base.count and inside(self.base_change[rowid]):
                count -= 1
        for change, _key, rowid in self.moved:
            if rowid not in self.deleted and inside(change):
                count += 1
        return count

    # --- writing -------------------------------------------------------------------------

    def put(self, rowid: int, row: Row) -> None:
        """Store the new state of an existing row (keys never change)."""
        self.version += 1
        self.rows[rowid] = row
        if self.change_field:
            self._index_change(rowid, row)

    def insert(self, row: Row) -> int:
        key = self.key_of(row)
        if self.find(key) is not None:
            raise KeyError(key)
        rowid = self.next_id
        self.next_id += 1
        self.version += 1
        self.rows[rowid] = row
        bisect.insort(self.created, (key, rowid))
        self.created_ids[key] = rowid
        if self.change_field:
            self._index_change(rowid, row)
        return rowid

    def delete(self, rowid: int) -> None:
        self.version += 1
        self.deleted.add(rowid)

    def _index_change(self, rowid: int, row: Row) -> None:
        assert self.change_field is not None
        change = row[self.change_field]
        old = self.moved_change.get(rowid)
        if old == change:
            return
        key = self.key_of(row)
        if old is not None:
            del self.moved[bisect.bisect_left(self.moved, (old, key, rowid))]
        elif rowid < self.base.count and self.base_change[rowid] == change:
            return
        bisect.insort(self.moved, (change, key, rowid))
        self.moved_change[rowid] = change


def prefix_counts(counts: Sequence[int]) -> array[int]:
    """Start offsets of each parent's children in a child table laid out parent by parent."""
    starts = array("q", [0])
    total = 0
    for count in counts:
        total += count
        starts.append(total)
    return starts


class ChildRows:
    """Base rows of a child table: parent `p` owns ids `starts[p]..starts[p+1]-1`.

    `generate(p)` returns parent p's children as rows in key order; the keys of a parent's
    children start with the parent's key (`parent_width` leading key properties).
    """

    def __init__(
        self,
        starts: array[int],
        generate: Callable[[int], list[Row]],
        key_props: Sequence[str],
        parent_find: Callable[[Key], int | None],
        parent_width: int,
    ) -> None:
        self.starts = starts
        self.count = starts[-1]
        self.generate = lru_cache(maxsize=1024)(generate)
        self.key_props = tuple(key_props)
        self.parent_find = parent_find
        self.parent_width = parent_width

    def locate(self, index: int) -> tuple[int, int]:
        parent = bisect.bisect_right(self.starts, index) - 1
        return parent, index - self.starts[parent]

    def row(self, index: int) -> Row:
        parent, offset = self.locate(index)
        return self.generate(parent)[offset]

    def key(self, index: int) -> Key:
        row = self.row(index)
        return tuple(row[k] for k in self.key_props)

    def find(self, key: Key) -> int | None:
        parent = self.parent_find(key[: self.parent_width])
        if parent is None:
            return None
        for offset, row in enumerate(self.generate(parent)):
            if tuple(row[k] for k in self.key_props) == key:
                return self.starts[parent] + offset
        return None
