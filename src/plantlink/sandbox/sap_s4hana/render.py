"""V2 JSON for entities: `__metadata`, converted values, deferred or expanded navigations.

This is the hot path of every read, so what can be decided per entity set and `$select`
(which columns, which need converting, the URI prefix) is decided once and cached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from plantlink.sandbox.sap_s4hana.db import Database
from plantlink.sandbox.sap_s4hana.edm import EntitySet
from plantlink.sandbox.sap_s4hana.query import Shape
from plantlink.sandbox.sap_s4hana.store import Row
from plantlink.sandbox.sap_s4hana.values import etag, json_converter, key_literal

SERVICE_PATH = "/sap/opu/odata/sap"


@dataclass(frozen=True)
class Columns:
    """How to write the selected properties of one entity set."""

    names: tuple[str, ...]
    values: Callable[[Row], tuple[Any, ...]]  # row → the selected values, in `names` order
    converted: tuple[tuple[str, Callable[[Any], Any]], ...]


@cache
def columns(entity_set: EntitySet, selected: frozenset[str] | None) -> Columns:
    props = [p for p in entity_set.type.props if selected is None or p.name in selected]
    names = tuple(p.name for p in props)
    converted = tuple((p.name, c) for p in props if (c := json_converter(p)) is not None)
    return Columns(names, _getter(names), converted)


def _getter(names: tuple[str, ...]) -> Callable[[Row], tuple[Any, ...]]:
    """row → the values of `names` as a tuple (itemgetter does it in C for two or more)."""
    if len(names) > 1:
        return itemgetter(*names)

    def few(row: Row) -> tuple[Any, ...]:
        return tuple(row[name] for name in names)

    return few


def key_predicate(entity_set: EntitySet, row: Row) -> str:
    entity = entity_set.type
    if len(entity.keys) == 1:
        return key_literal(entity.by_name[entity.keys[0]], row[entity.keys[0]])
    return ",".join(f"{k}={key_literal(entity.by_name[k], row[k])}" for k in entity.keys)


class Renderer:
    """Renders rows of one request; `root` is the absolute host URL the client used."""

    def __init__(self, db: Database, root: str) -> None:
        self.db = db
        self.root = root
        self._prefixes: dict[str, str] = {}

    def uri(self, entity_set: EntitySet, row: Row) -> str:
        prefix = self._prefixes.get(entity_set.name)
        if prefix is None:
            service = self.db.service_of[entity_set.name].name
            prefix = f"{self.root}{SERVICE_PATH}/{service}/{entity_set.name}("
            self._prefixes[entity_set.name] = prefix
        return f"{prefix}{key_predicate(entity_set, row)})"

    def entity(self, entity_set: EntitySet, row: Row, shape: Shape) -> dict[str, Any]:
        uri = self.uri(entity_set, row)
        service = self.db.service_of[entity_set.name]
        metadata = {"id": uri, "uri": uri, "type": f"{service.namespace}.{entity_set.type.name}"}
        if entity_set.etag:
            metadata["etag"] = etag(row[entity_set.etag])
        plan = columns(entity_set, None if shape.props is None else frozenset(shape.props))
        out: dict[str, Any]
        if shape.props is None and len(row) == len(plan.names):
            out = {"__metadata": metadata, **row}  # rows hold exactly the properties, in order
        else:
            out = {"__metadata": metadata}
            out.update(zip(plan.names, plan.values(row), strict=True))
        for name, convert in plan.converted:
            value = out[name]
            if value is not None:
                out[name] = convert(value)
        for nav in entity_set.type.navs:
            expanded = shape.navs.get(nav.name)
            if expanded is not None:
                target = self.db.set_of[nav.target]
                related = self.db.related(nav, row)
                if nav.to_many:
                    out[nav.name] = {"results": [self.entity(target, r, expanded) for r in related]}
                else:
                    out[nav.name] = self.entity(target, related[0], expanded) if related else None
            elif shape.props is None or nav.name in shape.deferred:
                out[nav.name] = {"__deferred": {"uri": f"{uri}/{nav.name}"}}
        return out
