"""OData V2 system query options, parsed and validated against the entity model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from plantlink.sandbox.sap_s4hana.edm import EntitySet, Service
from plantlink.sandbox.sap_s4hana.errors import bad_request
from plantlink.sandbox.sap_s4hana.filter import Node, compile_filter, parse_filter

SYSTEM_OPTIONS = {
    "$filter",
    "$select",
    "$expand",
    "$orderby",
    "$top",
    "$skip",
    "$skiptoken",
    "$inlinecount",
    "$format",
}


@dataclass
class Shape:
    """What to render of an entity: selected properties (None: all) and expanded navigations."""

    props: set[str] | None = None
    navs: dict[str, Shape] = field(default_factory=dict)
    deferred: set[str] = field(default_factory=set)  # navigations selected but not expanded
    selected: bool = False  # named by a `$select` path (an expansion outside `$select` is dropped)


@dataclass
class Query:
    filter: Node | None = None
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (property, descending)
    top: int | None = None
    skip: int = 0
    skiptoken: str | None = None
    inlinecount: bool = False
    shape: Shape = field(default_factory=Shape)


def _integer(name: str, raw: str) -> int:
    if not raw.isdigit():
        raise bad_request(f"Invalid value '{raw}' for system query option {name}")
    return int(raw)


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _expand(service: Service, entity_set: EntitySet, paths: list[str]) -> Shape:
    shape = Shape()
    for path in paths:
        current_set, current = entity_set, shape
        for segment in path.split("/"):
            nav = current_set.type.nav_by_name.get(segment)
            if nav is None:
                raise bad_request(
                    f"Navigation property '{segment}' not found in type '{current_set.type.name}'",
                    code="/IWBEP/CM_MGW_RT/021",
                )
            current = current.navs.setdefault(segment, Shape())
            current_set = service.set_by_name[nav.target]
    return shape


def _select(service: Service, entity_set: EntitySet, shape: Shape, paths: list[str]) -> None:
    """Narrow `shape` (already expanded) to the paths; `to_X/Prop` needs `to_X` expanded."""
    for path in paths:
        current_set, current = entity_set, shape
        *navs, last = path.split("/")
        for segment in navs:
            if segment not in current.navs:
                raise bad_request(
                    f"Select path '{path}' needs '{segment}' in $expand",
                    code="/IWBEP/CM_MGW_RT/021",
                )
            current_set = service.set_by_name[current_set.type.nav_by_name[segment].target]
            current.props = current.props if current.props is not None else set()
            current = current.navs[segment]
            current.selected = True
        if current.props is None:
            current.props = set()
        if last == "*":
            current.props |= set(current_set.type.by_name)
        elif last in current_set.type.by_name:
            current.props.add(last)
        elif last in current.navs:
            current.navs[last].selected = True
        elif last in current_set.type.nav_by_name:
            current.deferred.add(last)
        else:
            raise bad_request(
                f"Property '{last}' not found in type '{current_set.type.name}'",
                code="/IWBEP/CM_MGW_RT/021",
                prop=last,
            )
    _prune(shape)


def _prune(shape: Shape) -> None:
    """Expanded navigations outside an explicit `$select` are dropped, as V2 prescribes."""
    if shape.props is not None:
        shape.navs = {name: nav for name, nav in shape.navs.items() if nav.selected}
    for nav in shape.navs.values():
        _prune(nav)


def parse_query(
    params: Mapping[str, str], service: Service, entity_set: EntitySet, collection: bool
) -> Query:
    for name in params:
        if name.startswith("$") and name not in SYSTEM_OPTIONS:
            raise bad_request(f"System query option '{name}' is not supported")
    query = Query()
    fmt = params.get("$format")
    if fmt is not None and fmt != "json":
        raise bad_request(f"Format '{fmt}' is not served by this sandbox; use $format=json")
    query.shape = _expand(service, entity_set, _split(params.get("$expand", "")))
    if "$select" in params:
        _select(service, entity_set, query.shape, _split(params["$select"]))
    if not collection:
        return query
    if "$filter" in params:
        query.filter = parse_filter(params["$filter"])
        compile_filter(query.filter, entity_set.type)  # validates properties and types early
    for clause in _split(params.get("$orderby", "")):
        name, _, direction = clause.partition(" ")
        direction = direction.strip().lower()
        prop = entity_set.type.by_name.get(name)
        if prop is None or direction not in ("", "asc", "desc"):
            raise bad_request(
                f"Invalid $orderby clause '{clause}' for type '{entity_set.type.name}'",
                code="/IWBEP/CM_MGW_RT/021",
                prop=name,
            )
        if not prop.sortable:
            raise bad_request(
                f"Property '{name}' of type '{entity_set.type.name}' is not sortable",
                code="/IWBEP/CM_MGW_RT/025",
                prop=name,
            )
        query.orderby.append((name, direction == "desc"))
    if "$top" in params:
        query.top = _integer("$top", params["$top"])
    if "$skip" in params:
        query.skip = _integer("$skip", params["$skip"])
    query.skiptoken = params.get("$skiptoken")
    count = params.get("$inlinecount")
    if count not in (None, "allpages", "none"):
        raise bad_request(f"Invalid value '{count}' for system query option $inlinecount")
    query.inlinecount = count == "allpages"
    return query
