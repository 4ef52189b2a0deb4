"""Collection reads: access path, order, server-side paging with stateless skiptokens.

A page is resumed from a *keyset* skiptoken: the ordering values of the last row sent plus
its key. Rows that did not change during a paging run are therefore never skipped or
repeated, and ties in the ordering are broken by the key. Rows edited while a client pages
by change time move behind its position and are sent (again) at the end — which is what an
incremental reader wants.

Access paths, cheapest first: key-prefix equality (`MaintenanceOrder eq '…'` or a
navigation), a range on the set's change field (sorted index; bounds are checked on the
index before a row is generated), or the key-ordered scan. Any other `$orderby` sorts the
candidates per request.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce, total_ordering
from itertools import islice
from typing import Any

import orjson

from plantlink.sandbox.sap_s4hana.errors import bad_request
from plantlink.sandbox.sap_s4hana.filter import (
    BoolOp,
    Cmp,
    Lit,
    Node,
    PropRef,
    compile_filter,
    conjuncts,
)
from plantlink.sandbox.sap_s4hana.query import Query
from plantlink.sandbox.sap_s4hana.store import Key, Row, Table

FLIP = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "eq": "eq"}


@dataclass
class Page:
    rows: list[Row]
    next_token: str | None
    count: int | None


@dataclass
class Plan:
    prefix: Key
    low: int | None  # change-field bounds (inclusive), when the filter has them
    high: int | None
    residual: Callable[[Row], bool] | None


def encode_token(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_token(token: str, mode: str) -> list[Any]:
    try:
        values = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        values = None
    if not isinstance(values, list) or not values or values[0] != mode:
        raise bad_request(f"Invalid $skiptoken '{token}'", code="/IWBEP/CM_MGW_RT/023")
    return values[1:]


def _bounds(nodes: list[Node], field: str) -> tuple[int | None, int | None, list[Node]]:
    """Inclusive bounds on `field` from its `<op> datetime'…'` conjuncts (None: unbounded),
    and the conjuncts they stand for."""
    low: int | None = None
    high: int | None = None
    used: list[Node] = []
    for node in nodes:
        op = None
        if isinstance(node, Cmp) and node.op in FLIP:
            if isinstance(node.left, PropRef) and isinstance(node.right, Lit):
                prop, literal, op = node.left, node.right, node.op
            elif isinstance(node.right, PropRef) and isinstance(node.left, Lit):
                prop, literal, op = node.right, node.left, FLIP[node.op]
        if op is None or prop.name != field or literal.kind != "datetime":
            continue
        used.append(node)
        value = literal.value
        if op in ("gt", "ge", "eq"):
            bound = value + 1 if op == "gt" else value
            low = bound if low is None else max(low, bound)
        if op in ("lt", "le", "eq"):
            bound = value - 1 if op == "lt" else value
            high = bound if high is None else min(high, bound)
    return low, high, used


def _key_prefix(nodes: list[Node], keys: tuple[str, ...]) -> tuple[Key, list[Node]]:
    """The leading part of the key pinned by `KeyProp eq 'value'` conjuncts, and those."""
    pinned: dict[str, tuple[Any, Node]] = {}
    for node in nodes:
        if (
            isinstance(node, Cmp)
            and node.op == "eq"
            and isinstance(node.left, PropRef)
            and isinstance(node.right, Lit)
            and node.right.kind == "string"
            and node.left.name in keys
        ):
            pinned.setdefault(node.left.name, (node.right.value, node))
    prefix: list[Any] = []
    used: list[Node] = []
    for key in keys:
        if key not in pinned:
            break
        prefix.append(pinned[key][0])
        used.append(pinned[key][1])
    return tuple(prefix), used


def plan(table: Table, query: Query, prefix: Key = ()) -> Plan:
    """Bounds and pinned keys become the access path; only the other conjuncts run per row
    (a bare incremental filter can then be counted from the index)."""
    nodes = conjuncts(query.filter) if query.filter is not None else []
    if query.filter is not None:
        compile_filter(query.filter, table.entity_set.type)  # checks every conjunct
    low, high, used = (
        (None, None, []) if not table.change_field else _bounds(nodes, table.change_field)
    )
    if not prefix:
        prefix, pins = _key_prefix(nodes, table.key_props)
        used += pins
    rest = [node for node in nodes if not any(node is u for u in used)]
    residual = None
    if rest:
        residual = compile_filter(
            reduce(lambda a, b: BoolOp("and", a, b), rest), table.entity_set.type
        )
    return Plan(prefix, low, high, residual)


@total_ordering
class _Desc:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.value < self.value)

    def __hash__(self) -> int:
        return hash(self.value)


class Reader:
    def __init__(self, table: Table, query: Query, max_page: int, prefix: Key = ()) -> None:
        self.table = table
        self.query = query
        self.max_page = max_page
        self.plan = plan(table, query, prefix)
        change = table.change_field
        keys = list(table.key_props)
        order = query.orderby
        if not order or order == [(k, False) for k in keys[: len(order)]]:
            self.mode = "key"
        elif (
            change
            and order[0] == (change, False)
            and order[1:] == [(k, False) for k in keys[: len(order) - 1]]
        ):
            self.mode = "change"
        else:
            self.mode = "sort"

    # --- candidates ----------------------------------------------------------------------

    def _in_range(self, rowid: int) -> bool:
        change = self.table.change_of(rowid)
        low, high = self.plan.low, self.plan.high
        return (low is None or change >= low) and (high is None or change <= high)

    def _ranged(self) -> bool:
        return self.plan.low is not None or self.plan.high is not None

    def _key_ids(self, after: Key | None) -> Iterator[int]:
        table, p = self.table, self.plan
        if self._ranged() and not p.prefix and 2 * table.count_changed(p.low, p.high) < len(table):
            # a selective change range: walk its matches in key order instead of the table
            matches = table.changed_by_key(p.low, p.high)
            start = 0 if after is None else bisect_right(matches, after, key=table.key_at)
            return iter(matches[start:])
        ids = (
            table.scan_prefix(p.prefix, after) if p.prefix else table.scan(after, after is not None)
        )
        return (i for i in ids if self._in_range(i)) if self._ranged() else ids

    def _rows(self, ids: Iterator[int]) -> Iterator[Row]:
        residual = self.plan.residual
        for rowid in ids:
            row = self.table.get(rowid)
            if row is not None and (residual is None or residual(row)):
                yield row

    def _all_ids(self) -> Iterator[int]:
        if self.table.change_field and self._ranged() and not self.plan.prefix:
            return self.table.scan_changed(self.plan.low, self.plan.high)
        return self._key_ids(None)

    # --- ordering ------------------------------------------------------------------------

    def _sort_values(self, row: Row) -> list[Any]:
        return [row[name] for name, _ in self.query.orderby] + list(self.table.key_of(row))

    def _sort_key(self, values: list[Any]) -> tuple[Any, ...]:
        key: list[Any] = []
        by_name = self.table.entity_set.type.by_name
        for (name, descending), value in zip(self.query.orderby, values, strict=False):
            if value is not None and by_name[name].type == "Edm.Decimal":
                value = Decimal(value)
            item = (0, 0) if value is None else (1, value)
            key.append(_Desc(item) if descending else item)
        return (*key, *values[len(self.query.orderby) :])

    def token_for(self, row: Row) -> str:
        if self.mode == "key":
            return encode_token(["key", *self.table.key_of(row)])
        if self.mode == "change":
            field = self.table.change_field
            assert field is not None
            return encode_token(["change", row[field], *self.table.key_of(row)])
        return encode_token(["sort", *self._sort_values(row)])

    def ordered(self) -> Iterator[Row]:
        token = self.query.skiptoken
        values = decode_token(token, self.mode) if token else None
        if self.mode == "key":
            return self._rows(self._key_ids(tuple(values) if values is not None else None))
        if self.mode == "change":
            after = (values[0], tuple(values[1:])) if values is not None else None
            ids = self.table.scan_changed(self.plan.low, self.plan.high, after)
            if self.plan.prefix:
                size = len(self.plan.prefix)
                ids = (i for i in ids if self.table.key_at(i)[:size] == self.plan.prefix)
            return self._rows(ids)
        rows = sorted(
            self._rows(self._all_ids()), key=lambda r: self._sort_key(self._sort_values(r))
        )
        if values is None:
            return iter(rows)
        resume = self._sort_key(values)
        return (r for r in rows if self._sort_key(self._sort_values(r)) > resume)

    # --- the page ------------------------------------------------------------------------

    def count(self) -> int:
        p = self.plan
        if p.residual is None and not p.prefix:
            if self._ranged():
                return self.table.count_changed(p.low, p.high)
            return len(self.table)
        return sum(1 for _ in self._rows(self._all_ids()))

    def page(self) -> Page:
        query = self.query
        limit = self.max_page if query.top is None else min(query.top, self.max_page)
        rows = list(islice(self.ordered(), query.skip, query.skip + limit + 1))
        more = len(rows) > limit
        rows = rows[:limit]
        next_token = None
        if more and rows and (query.top is None or query.top > limit):
            next_token = self.token_for(rows[-1])
        return Page(rows, next_token, self.count() if query.inlinecount else None)
