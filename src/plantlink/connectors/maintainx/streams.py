"""MaintainX collections as streams: which path, which records key, which filters.

The vendor filters by ``updatedAt[gte]`` on work orders, purchase orders, assets and
parts; everything else is listed in full every run (the content hash keeps unchanged
records untouched, and a complete listing reveals deletions, which the vendor hides).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from plantlink.connectors.maintainx import mapping
from plantlink.connectors.maintainx.client import MaintainXClient, format_time
from plantlink.connectors.rest import CursorPagination, RestStream

PAGE = 200  # the vendor's maximum ``limit``


def _criticalities(client: MaintainXClient) -> dict[str, Any]:
    rows = client.cached(
        "criticalities", lambda: client.list_all("/assetcriticalities", "assetCriticalities")
    )
    return {"criticalities": {str(c["id"]): c.get("label") or c.get("name") for c in rows}}


def _currency(client: MaintainXClient) -> dict[str, Any]:
    """Money in MaintainX is in the organization's currency (``GET /organizations``)."""
    orgs = client.cached(
        "organizations", lambda: client.list_all("/organizations", "organizations")
    )
    return {"currency": orgs[0].get("currency") if orgs else None}


def _asset(raw: dict[str, Any], ctx: Any) -> Any:
    return mapping.asset(raw, ctx, ctx.lookups.get("criticalities", {}))


_rest = partial(
    RestStream,
    paginator=CursorPagination("cursor", "nextCursor"),
    page_size=PAGE,
    page_size_param="limit",
    format_time=format_time,
)
_incremental = partial(_rest, since_param="updatedAt[gte]", cursor_field="updatedAt")

STREAMS: tuple[RestStream, ...] = (
    _rest(
        model="locations",
        path="/locations",
        records_key="locations",
        mapper=mapping.location,
        params={"expand": ["extra_fields"]},
    ),
    _incremental(
        model="assets",
        path="/assets",
        records_key="assets",
        mapper=_asset,
        params={
            "expand": [
                "extra_fields",
                "vendor_ids",
                "status",
                "manufacturer",
                "model",
                "asset_types",
            ]
        },
        lookups=_criticalities,
    ),
    _incremental(
        model="parts",
        path="/parts",
        records_key="parts",
        mapper=mapping.part,
        params={"expand": ["extra_fields", "vendors"]},
        lookups=_currency,
    ),
    _incremental(
        model="inventory",
        path="/parts",
        records_key="parts",
        mapper=mapping.inventory,
        lookups=_currency,
    ),
    _rest(
        model="vendors",
        path="/vendors",
        records_key="vendors",
        mapper=mapping.vendor,
        params={"expand": ["extra_fields"]},
    ),
    _rest(
        model="users",
        path="/users",
        records_key="users",
        mapper=mapping.user,
        params={"expand": ["role", "extra_fields"]},
    ),
    _rest(
        model="meters",
        path="/meters",
        records_key="meters",
        mapper=mapping.meter,
        params={"expand": ["last_reading"]},
    ),
    _rest(
        model="maintenance_schedules",
        path="/maintenanceplans",
        records_key="maintenancePlans",
        mapper=mapping.maintenance_schedule,
    ),
    _incremental(
        model="work_orders",
        path="/workorders",
        records_key="workOrders",
        mapper=mapping.work_order,
        params={
            "expand": ["assignees", "parts", "times", "extra_fields", "procedure", "estimated_time"]
        },
        lookups=_currency,
    ),
    _incremental(
        model="purchase_orders",
        path="/purchaseorders",
        records_key="purchaseOrders",
        mapper=mapping.purchase_order,
        lookups=_currency,
    ),
    _rest(
        model="service_requests",
        path="/workrequests",
        records_key="workRequests",
        mapper=mapping.service_request,
        params={"expand": ["extra_fields"]},
    ),
    _rest(
        model="meter_readings",
        path="/meters",
        records_key="meters",
        mapper=mapping.meter_reading,
        params={"expand": ["last_reading"]},
        reconcile=False,
    ),
)
