"""The unified data model (MODEL.md) as pydantic classes.

These classes drive the OpenAPI schema and validate write bodies; stored records are
rendered by the sync engine straight from mapped fields for speed, and the connector
conformance suite validates every stored record against these classes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class StandardFields(BaseModel):
    """Carried by every record (PRODUCT.md, Records)."""

    id: str = Field(
        description="plantlink's stable id; a pure function of (connection, model, remote id)"
    )
    remote_id: str = Field(
        description="The key in the source system (composite keys joined with '/')"
    )
    created_at: datetime = Field(description="When plantlink first stored the record")
    modified_at: datetime = Field(description="When plantlink last stored a change to the record")
    remote_created_at: datetime | None = None
    remote_modified_at: datetime | None = None
    remote_deleted: bool = False
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    remote_data: dict[str, Any] | None = Field(
        default=None, description="The raw source record; only with include_remote_data=true"
    )


# ---- enums -------------------------------------------------------------------------


class LocationType(StrEnum):
    site = "site"
    area = "area"
    building = "building"
    functional_location = "functional_location"
    storeroom = "storeroom"
    other = "other"


class AssetStatus(StrEnum):
    active = "active"
    inactive = "inactive"
    in_repair = "in_repair"
    disposed = "disposed"
    other = "other"


class WorkOrderStatus(StrEnum):
    open = "open"
    scheduled = "scheduled"
    in_progress = "in_progress"
    on_hold = "on_hold"
    completed = "completed"
    closed = "closed"
    cancelled = "cancelled"


class Priority(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    urgent = "urgent"


class WorkOrderType(StrEnum):
    corrective = "corrective"
    preventive = "preventive"
    inspection = "inspection"
    emergency = "emergency"
    other = "other"


class PurchaseOrderStatus(StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"
    approved = "approved"
    ordered = "ordered"
    partially_received = "partially_received"
    received = "received"
    closed = "closed"
    cancelled = "cancelled"


class ScheduleTrigger(StrEnum):
    time = "time"
    meter = "meter"
    both = "both"


class IntervalUnit(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    year = "year"
    meter_units = "meter_units"


class MeterType(StrEnum):
    counter = "counter"
    gauge = "gauge"


class ServiceRequestStatus(StrEnum):
    open = "open"
    approved = "approved"
    converted = "converted"
    rejected = "rejected"
    closed = "closed"


# ---- models: one class of fields per unified model ----------------------------------


class SiteFields(BaseModel):
    name: str | None = None
    code: str | None = None
    address: Address | None = None
    timezone: str | None = None


class LocationFields(BaseModel):
    name: str | None = None
    code: str | None = None
    description: str | None = None
    type: LocationType | None = None
    parent_id: str | None = None
    site_id: str | None = None
    address: Address | None = None


class AssetFields(BaseModel):
    name: str | None = None
    code: str | None = None
    description: str | None = None
    status: AssetStatus | None = None
    remote_status: str | None = None
    parent_id: str | None = None
    location_id: str | None = None
    site_id: str | None = None
    category: str | None = None
    criticality: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    vendor_id: str | None = None
    installed_on: date | None = None
    warranty_expires_on: date | None = None


class PartFields(BaseModel):
    name: str | None = None
    part_number: str | None = None
    description: str | None = None
    category: str | None = None
    uom: str | None = None
    unit_cost: Decimal | None = None
    currency: str | None = None
    manufacturer: str | None = None
    manufacturer_part_number: str | None = None
    reorder_point: Decimal | None = None
    is_active: bool | None = None
    vendor_ids: list[str] = Field(default_factory=list)


class InventoryFields(BaseModel):
    part_id: str | None = None
    location_id: str | None = None
    quantity_on_hand: Decimal | None = None
    quantity_reserved: Decimal | None = None
    quantity_available: Decimal | None = None
    reorder_point: Decimal | None = None
    max_quantity: Decimal | None = None
    bin: str | None = None
    unit_cost: Decimal | None = None
    currency: str | None = None


class VendorFields(BaseModel):
    name: str | None = None
    code: str | None = None
    is_active: bool | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: Address | None = None
    currency: str | None = None
    payment_terms: str | None = None
    tax_id: str | None = None


class UserFields(BaseModel):
    name: str | None = None
    email: str | None = None
    username: str | None = None
    title: str | None = None
    is_active: bool | None = None
    team_names: list[str] = Field(default_factory=list)


class WorkOrderTask(BaseModel):
    sequence: int | None = None
    description: str | None = None
    status: str | None = None


class WorkOrderMaterial(BaseModel):
    part_id: str | None = None
    location_id: str | None = None
    quantity_planned: Decimal | None = None
    quantity_used: Decimal | None = None


class WorkOrderFields(BaseModel):
    number: str | None = None
    title: str | None = None
    description: str | None = None
    status: WorkOrderStatus | None = None
    remote_status: str | None = None
    priority: Priority | None = None
    remote_priority: str | None = None
    type: WorkOrderType | None = None
    remote_type: str | None = None
    asset_id: str | None = None
    location_id: str | None = None
    site_id: str | None = None
    assignee_ids: list[str] = Field(default_factory=list)
    requested_by_id: str | None = None
    maintenance_schedule_id: str | None = None
    service_request_id: str | None = None
    scheduled_start_at: datetime | None = None
    due_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    estimated_hours: Decimal | None = None
    actual_hours: Decimal | None = None
    tasks: list[WorkOrderTask] = Field(default_factory=list)
    materials: list[WorkOrderMaterial] = Field(default_factory=list)
    labor_cost: Decimal | None = None
    parts_cost: Decimal | None = None
    total_cost: Decimal | None = None
    currency: str | None = None
    completion_notes: str | None = None


class PurchaseOrderLine(BaseModel):
    id: str | None = None
    remote_id: str | None = None
    line_number: int | None = None
    part_id: str | None = None
    description: str | None = None
    quantity: Decimal | None = None
    quantity_received: Decimal | None = None
    uom: str | None = None
    unit_price: Decimal | None = None
    line_total: Decimal | None = None
    expected_delivery_date: date | None = None
    location_id: str | None = None
    status: str | None = None


class PurchaseOrderFields(BaseModel):
    number: str | None = None
    status: PurchaseOrderStatus | None = None
    remote_status: str | None = None
    vendor_id: str | None = None
    order_date: date | None = None
    expected_delivery_date: date | None = None
    delivered_on: date | None = None
    currency: str | None = None
    subtotal: Decimal | None = None
    tax_total: Decimal | None = None
    total: Decimal | None = None
    payment_terms: str | None = None
    ship_to: Address | None = None
    bill_to: Address | None = None
    requested_by_id: str | None = None
    approved_by_id: str | None = None
    approved_at: datetime | None = None
    site_id: str | None = None
    notes: str | None = None
    lines: list[PurchaseOrderLine] = Field(default_factory=list)


class MaintenanceScheduleFields(BaseModel):
    name: str | None = None
    code: str | None = None
    description: str | None = None
    asset_id: str | None = None
    location_id: str | None = None
    trigger: ScheduleTrigger | None = None
    interval: Decimal | None = None
    interval_unit: IntervalUnit | None = None
    meter_id: str | None = None
    next_due_at: datetime | None = None
    last_completed_at: datetime | None = None
    is_active: bool | None = None
    estimated_hours: Decimal | None = None
    tasks: list[WorkOrderTask] = Field(default_factory=list)


class ServiceRequestFields(BaseModel):
    title: str | None = None
    description: str | None = None
    status: ServiceRequestStatus | None = None
    remote_status: str | None = None
    priority: Priority | None = None
    remote_priority: str | None = None
    asset_id: str | None = None
    location_id: str | None = None
    requested_by_id: str | None = None
    requested_at: datetime | None = None
    work_order_id: str | None = None


class MeterFields(BaseModel):
    name: str | None = None
    asset_id: str | None = None
    unit: str | None = None
    type: MeterType | None = None
    last_reading: Decimal | None = None
    last_read_at: datetime | None = None


class MeterReadingFields(BaseModel):
    meter_id: str | None = None
    value: Decimal | None = None
    read_at: datetime | None = None
