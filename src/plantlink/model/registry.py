"""Every unified model, described once: URL name, fields, filters, references.

The store, the read API, the OpenAPI schema and the sync engine all read this table,
so adding a model or a filter is a change here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, create_model

from plantlink.model import fields as f

#: Single-valued reference filters that are promoted to indexed columns of ``records``.
REF_COLUMNS = ("asset_id", "location_id", "site_id", "vendor_id", "part_id")
#: Entity-date slots (indexed columns) a model may map its date filters onto.
DATE_SLOTS = ("date_a", "date_b")


@dataclass(frozen=True)
class DateFilter:
    """``<prefix>_after`` / ``<prefix>_before`` on the model field ``field``."""

    prefix: str
    field: str
    slot: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    fields: type[BaseModel]
    #: Transactional models are limited to the connection's ``history_days`` on initial sync.
    transactional: bool = False
    date_filters: tuple[DateFilter, ...] = ()
    #: reference fields (single id) → target model, for ``expand`` and id filters.
    refs: dict[str, str] = field(default_factory=dict)
    #: list-of-ids fields → target model, for ``expand``.
    list_refs: dict[str, str] = field(default_factory=dict)
    #: filter name → function returning every referenced id, for multi-valued filters.
    multi_refs: dict[str, Callable[[dict[str, Any]], list[str]]] = field(default_factory=dict)
    status_enum: type[StrEnum] | None = None

    @property
    def path(self) -> str:
        return self.name.replace("_", "-")

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        """Computed once: every stored record reads it (cached_property writes the
        instance ``__dict__`` directly, which a frozen dataclass allows)."""
        return tuple(self.fields.model_fields)

    @property
    def ref_filters(self) -> tuple[str, ...]:
        """Filters served from a promoted column (single-valued references)."""
        return tuple(c for c in REF_COLUMNS if c in self.refs)

    @property
    def filter_names(self) -> tuple[str, ...]:
        return self.ref_filters + tuple(self.multi_refs)

    @property
    def expandable(self) -> tuple[str, ...]:
        return tuple(self.refs) + tuple(self.list_refs)


def _material_parts(doc: dict[str, Any]) -> list[str]:
    return [m["part_id"] for m in doc.get("materials") or () if m.get("part_id")]


def _line_parts(doc: dict[str, Any]) -> list[str]:
    return [ln["part_id"] for ln in doc.get("lines") or () if ln.get("part_id")]


def _part_vendors(doc: dict[str, Any]) -> list[str]:
    return list(doc.get("vendor_ids") or ())


_MODELS = (
    ModelSpec("sites", f.SiteFields),
    ModelSpec(
        "locations",
        f.LocationFields,
        refs={"parent_id": "locations", "site_id": "sites"},
    ),
    ModelSpec(
        "assets",
        f.AssetFields,
        refs={
            "parent_id": "assets",
            "location_id": "locations",
            "site_id": "sites",
            "vendor_id": "vendors",
        },
        status_enum=f.AssetStatus,
    ),
    ModelSpec(
        "parts",
        f.PartFields,
        list_refs={"vendor_ids": "vendors"},
        multi_refs={"vendor_id": _part_vendors},
    ),
    ModelSpec(
        "inventory",
        f.InventoryFields,
        refs={"part_id": "parts", "location_id": "locations"},
    ),
    ModelSpec("vendors", f.VendorFields),
    ModelSpec("users", f.UserFields),
    ModelSpec(
        "work_orders",
        f.WorkOrderFields,
        transactional=True,
        date_filters=(
            DateFilter("due", "due_at", "date_a"),
            DateFilter("completed", "completed_at", "date_b"),
        ),
        refs={
            "asset_id": "assets",
            "location_id": "locations",
            "site_id": "sites",
            "requested_by_id": "users",
            "maintenance_schedule_id": "maintenance_schedules",
            "service_request_id": "service_requests",
        },
        list_refs={"assignee_ids": "users"},
        multi_refs={"part_id": _material_parts},
        status_enum=f.WorkOrderStatus,
    ),
    ModelSpec(
        "purchase_orders",
        f.PurchaseOrderFields,
        transactional=True,
        date_filters=(
            DateFilter("order_date", "order_date", "date_a"),
            DateFilter("delivery_date", "expected_delivery_date", "date_b"),
        ),
        refs={
            "vendor_id": "vendors",
            "site_id": "sites",
            "requested_by_id": "users",
            "approved_by_id": "users",
        },
        multi_refs={"part_id": _line_parts},
        status_enum=f.PurchaseOrderStatus,
    ),
    ModelSpec(
        "maintenance_schedules",
        f.MaintenanceScheduleFields,
        date_filters=(DateFilter("next_due", "next_due_at", "date_a"),),
        refs={"asset_id": "assets", "location_id": "locations", "meter_id": "meters"},
    ),
    ModelSpec(
        "service_requests",
        f.ServiceRequestFields,
        transactional=True,
        date_filters=(DateFilter("requested", "requested_at", "date_a"),),
        refs={
            "asset_id": "assets",
            "location_id": "locations",
            "requested_by_id": "users",
            "work_order_id": "work_orders",
        },
        status_enum=f.ServiceRequestStatus,
    ),
    ModelSpec("meters", f.MeterFields, refs={"asset_id": "assets"}),
    ModelSpec(
        "meter_readings",
        f.MeterReadingFields,
        transactional=True,
        date_filters=(DateFilter("read", "read_at", "date_a"),),
        refs={"meter_id": "meters"},
    ),
)

MODELS: dict[str, ModelSpec] = {m.name: m for m in _MODELS}
MODELS_BY_PATH: dict[str, ModelSpec] = {m.path: m for m in _MODELS}
MASTER_MODELS = tuple(m.name for m in _MODELS if not m.transactional)
TRANSACTIONAL_MODELS = tuple(m.name for m in _MODELS if m.transactional)


def _class_name(name: str) -> str:
    singular = {"inventory": "Inventory", "meter_readings": "MeterReading"}
    if name in singular:
        return singular[name]
    return "".join(part.capitalize() for part in name.rstrip("s").split("_"))


def record_class(spec: ModelSpec) -> type[BaseModel]:
    """The full record schema (standard fields + model fields), for OpenAPI and validation."""
    return _RECORD_CLASSES[spec.name]


_RECORD_CLASSES: dict[str, type[BaseModel]] = {
    m.name: create_model(_class_name(m.name), __base__=(f.StandardFields, m.fields))
    for m in _MODELS
}
