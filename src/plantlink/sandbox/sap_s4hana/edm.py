"""The sandbox's own OData V2 entity model: the single source for `$metadata` and the runtime.

Every service module describes the subset of SAP's entity types it serves with these
classes; `$metadata`, request validation (filterable, creatable, updatable flags), JSON
serialization and key parsing are all driven by them, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypedDict, Unpack

EdmType = Literal[
    "Edm.String",
    "Edm.Boolean",
    "Edm.DateTime",
    "Edm.DateTimeOffset",
    "Edm.Time",
    "Edm.Decimal",
    "Edm.Guid",
    "Edm.Byte",
    "Edm.Int16",
    "Edm.Int32",
    "Edm.Int64",
]


@dataclass(frozen=True, slots=True, eq=False)
class Prop:
    """One property with the `sap:` flags SAP publishes for it (defaults = SAP's defaults)."""

    name: str
    type: EdmType
    label: str = ""
    nullable: bool = True
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    creatable: bool = True
    updatable: bool = True
    filterable: bool = True
    sortable: bool = True
    display_format: str | None = None


class Flags(TypedDict, total=False):
    nullable: bool
    creatable: bool
    updatable: bool
    filterable: bool
    sortable: bool


UPPER = "UpperCase"
"""`sap:display-format` of codes SAP upper-cases on input."""
NUMC = "NonNegative"
"""`sap:display-format` of digit-only codes (ABAP NUMC)."""


def string(
    name: str, length: int, label: str = "", fmt: str | None = None, **flags: Unpack[Flags]
) -> Prop:
    return Prop(name, "Edm.String", label, max_length=length, display_format=fmt, **flags)


def date(name: str, label: str = "", **flags: Unpack[Flags]) -> Prop:
    """An `Edm.DateTime` carrying a calendar date (SAP's `sap:display-format="Date"`)."""
    return Prop(name, "Edm.DateTime", label, precision=0, display_format="Date", **flags)


def timestamp(name: str, label: str = "", precision: int = 0, **flags: Unpack[Flags]) -> Prop:
    return Prop(name, "Edm.DateTimeOffset", label, precision=precision, **flags)


def time(name: str, label: str = "", **flags: Unpack[Flags]) -> Prop:
    return Prop(name, "Edm.Time", label, precision=0, **flags)


def boolean(name: str, label: str = "", fmt: str | None = None, **flags: Unpack[Flags]) -> Prop:
    return Prop(name, "Edm.Boolean", label, display_format=fmt, **flags)


def decimal(name: str, precision: int, scale: int, label: str = "", **flags: Unpack[Flags]) -> Prop:
    return Prop(name, "Edm.Decimal", label, precision=precision, scale=scale, **flags)


def guid(name: str, label: str = "", **flags: Unpack[Flags]) -> Prop:
    return Prop(name, "Edm.Guid", label, **flags)


def integer(name: str, edm: EdmType, label: str = "", **flags: Unpack[Flags]) -> Prop:
    return Prop(name, edm, label, **flags)


class _ServerComputed(TypedDict):
    creatable: bool
    updatable: bool


READ_ONLY: _ServerComputed = {"creatable": False, "updatable": False}
"""Flags of a property the server computes (`sap:creatable="false" sap:updatable="false"`)."""


@dataclass(frozen=True, slots=True, eq=False)
class Nav:
    """A navigation property; `on` pairs (source property, target property) say which rows match.

    `to_many` is the target end's multiplicity (`*` or `0..1`/`1`).
    """

    name: str
    target: str  # entity set name in the same service
    on: tuple[tuple[str, str], ...]
    to_many: bool
    optional: bool = False  # a single target may be absent (multiplicity 0..1)


@dataclass(frozen=True, slots=True, eq=False)
class EntityType:
    name: str
    label: str
    keys: tuple[str, ...]
    props: tuple[Prop, ...]
    navs: tuple[Nav, ...] = ()
    by_name: dict[str, Prop] = field(init=False, repr=False, compare=False)
    nav_by_name: dict[str, Nav] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {p.name: p for p in self.props})
        object.__setattr__(self, "nav_by_name", {n.name: n for n in self.navs})
        missing = [k for k in self.keys if k not in self.by_name]
        if missing or len(self.by_name) != len(self.props):
            raise ValueError(f"{self.name}: bad keys {missing} or duplicate properties")


@dataclass(frozen=True, slots=True, eq=False)
class EntitySet:
    """An entity set plus the runtime facts SAP does not publish in `$metadata`.

    `etag` names the property whose value is the concurrency token (None: no ETag);
    `change_field` is the property the sandbox keeps a sorted index on for
    incremental reads; `max_page` caps a page (server-side paging with `__next`).
    """

    name: str
    type: EntityType
    creatable: bool = True
    updatable: bool = True
    deletable: bool = True
    etag: str | None = None
    change_field: str | None = None
    max_page: int = 1000


@dataclass(frozen=True, slots=True, eq=False)
class Param:
    name: str
    type: EdmType
    label: str = ""
    nullable: bool = False
    max_length: int | None = None


@dataclass(frozen=True, slots=True, eq=False)
class FunctionImport:
    """A function import; it returns SAP's `DummyFunctionImportResult` or an `entity_set` row."""

    name: str
    params: tuple[Param, ...]
    action_for: str  # entity type name
    http_method: str = "POST"
    entity_set: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Service:
    name: str  # e.g. API_MAINTENANCEORDER
    namespace: str  # schema namespace, e.g. cds_api_maintenanceorder_2
    sets: tuple[EntitySet, ...]
    functions: tuple[FunctionImport, ...] = ()
    content_version: str = "1"
    set_by_name: dict[str, EntitySet] = field(init=False, repr=False, compare=False)
    function_by_name: dict[str, FunctionImport] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "set_by_name", {s.name: s for s in self.sets})
        object.__setattr__(self, "function_by_name", {f.name: f for f in self.functions})
        for entity_set in self.sets:
            for nav in entity_set.type.navs:
                target = self.set_by_name.get(nav.target)
                if target is None:
                    raise ValueError(f"{self.name}: {nav.name} targets unknown set {nav.target}")
                for source_prop, target_prop in nav.on:
                    if (
                        source_prop not in entity_set.type.by_name
                        or target_prop not in target.type.by_name
                    ):
                        raise ValueError(f"{self.name}: {nav.name} joins unknown properties")

    def set_of_type(self, type_name: str) -> EntitySet:
        return next(s for s in self.sets if s.type.name == type_name)
