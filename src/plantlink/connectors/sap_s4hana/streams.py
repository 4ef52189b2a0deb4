"""SAP entity sets as streams: which service and set, which change filter, what to expand.

Every set with ``LastChangeDateTime`` is read incrementally with
``$filter=LastChangeDateTime ge datetimeoffset'…'`` ordered by change time and key, so
a ``$skiptoken`` resumes anywhere and a record changed mid-listing comes again rather
than being skipped. Suppliers publish no change time: their business partner's
``LastChangeDate`` + ``LastChangeTime`` move instead, so vendors are read from
``A_BusinessPartner`` with ``$expand=to_Supplier``. Deletions are found by listing only
keys (``$select``). Plants (sites) have no API of their own here: they are read from
the functional locations that carry them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from plantlink.connectors.base import MapContext, Mapper, Page, ReadPlan, Stream
from plantlink.connectors.sap_s4hana import mapping
from plantlink.connectors.sap_s4hana.odata import (
    ODataClient,
    ODataStream,
    change_filter,
    datetime_literal,
    time_literal,
)
from plantlink.model.mapped import Mapped

CHANGED = "LastChangeDateTime"
MAINTENANCE_ORDER = "API_MAINTENANCEORDER"
EQUIPMENT = "API_EQUIPMENT"
FUNCTIONAL_LOCATION = "API_FUNCTIONALLOCATION"
PURCHASE_ORDER = "API_PURCHASEORDER_PROCESS_SRV"
BUSINESS_PARTNER = "API_BUSINESS_PARTNER"
PRODUCT = "API_PRODUCT_SRV"
#: Page sizes (``$top``): entities with deep expansions (operations and components,
#: items and schedule lines, addresses and contacts) cost SAP Gateway far more per
#: entity, so they come in smaller pages.
MASTER_PAGE = 500
DEEP_PAGE = 100


def _key(*fields: str) -> Callable[[dict[str, Any]], str]:
    return lambda row: "/".join(str(row[f]) for f in fields)


def partner_changed_since(since: datetime) -> str:
    """Business partners changed at or after ``since``: ``LastChangeDate`` is an
    Edm.DateTime holding the day and ``LastChangeTime`` an Edm.Time (both UTC)."""
    at = since.astimezone(UTC) if since.tzinfo else since
    day = datetime_literal(at.date())
    return (
        f"LastChangeDate gt {day} or "
        f"(LastChangeDate eq {day} and LastChangeTime ge {time_literal(at)})"
    )


#: The functional-location fields plants are made from, listed whole every run.
_PLANT_LOCATIONS = ODataStream(
    model="sites",
    service=FUNCTIONAL_LOCATION,
    entity_set="FunctionalLocation",
    mapper=mapping.site,
    select=(
        "FunctionalLocation",
        "FunctionalLocationName",
        "SuperiorFunctionalLocation",
        "MaintenancePlant",
        "StreetName",
        "HouseNumber",
        "CityName",
        "PostalCode",
        "Region",
        "Country",
    ),
    orderby=("FunctionalLocation",),
    page_size=MASTER_PAGE,
)


class PlantStream(Stream[ODataClient]):
    """Sites from the plants functional locations carry (``MaintenancePlant``).

    A plant's name and address are those of its top functional location (the one
    without a superior), when there is one. The listing is small (a few thousand
    locations at most) and read whole every run, so a plant that no location carries
    any more disappears.
    """

    model = "sites"
    incremental = False
    reconcile = True

    def read(self, client: ODataClient, plan: ReadPlan) -> Iterator[Page]:
        plants: dict[str, dict[str, Any]] = {}
        source_time = None
        for page in _PLANT_LOCATIONS.read(client, ReadPlan()):
            source_time = source_time or page.source_time
            for row in page.records:
                plant = mapping._text(row.get("MaintenancePlant"))
                if plant is None:
                    continue
                top = not mapping._text(row.get("SuperiorFunctionalLocation"))
                seen = plants.get(plant)
                if seen is None or (top and not seen["IsTop"]):
                    plants[plant] = {"Plant": plant, "IsTop": top, "FunctionalLocation": row}
        yield Page([plants[p] for p in sorted(plants)], None, source_time)

    def map(self, raw: Any, ctx: MapContext) -> Iterable[Mapped]:
        return mapping.site(raw, ctx)


def _changed(
    model: str,
    service: str,
    entity_set: str,
    mapper: Mapper,
    keys: tuple[str, ...],
    *,
    page_size: int = MASTER_PAGE,
    expand: tuple[str, ...] = (),
    key_of: Callable[[dict[str, Any]], str] | None = None,
) -> ODataStream:
    """A set read incrementally on ``LastChangeDateTime``, ordered by change time then key
    (the order a ``$skiptoken`` keyset resumes on); the record key joins ``keys`` with ``/``
    unless ``key_of`` says otherwise."""
    return ODataStream(
        model=model,
        page_size=page_size,
        service=service,
        entity_set=entity_set,
        mapper=mapper,
        since_filter=change_filter(CHANGED),
        cursor_field=CHANGED,
        orderby=(CHANGED, *keys),
        expand=expand,
        key_fields=keys,
        key_of=key_of or _key(*keys),
    )


STREAMS: tuple[Stream[Any], ...] = (
    PlantStream(),
    _changed(
        "locations",
        FUNCTIONAL_LOCATION,
        "FunctionalLocation",
        mapping.location,
        ("FunctionalLocation",),
    ),
    _changed(
        "assets",
        EQUIPMENT,
        "Equipment",
        mapping.asset,
        ("Equipment", "ValidityEndDate"),
        key_of=mapping.equipment_key,
    ),
    _changed(
        "parts",
        PRODUCT,
        "A_Product",
        mapping.part,
        ("Product",),
        expand=("to_Description", "to_Valuation"),
    ),
    ODataStream(
        model="vendors",
        page_size=DEEP_PAGE,
        service=BUSINESS_PARTNER,
        entity_set="A_BusinessPartner",
        mapper=mapping.vendor,
        since_filter=partner_changed_since,
        cursor_field="LastChangeDate+LastChangeTime",
        orderby=("BusinessPartner",),
        expand=(
            "to_Supplier",
            "to_Supplier/to_SupplierPurchasingOrg",
            "to_BusinessPartnerAddress",
            "to_BusinessPartnerAddress/to_EmailAddress",
            "to_BusinessPartnerAddress/to_PhoneNumber",
            "to_BusinessPartnerAddress/to_URLAddress",
        ),
        key_set="A_Supplier",
        key_fields=("Supplier",),
        key_of=_key("Supplier"),
    ),
    _changed(
        "work_orders",
        MAINTENANCE_ORDER,
        "MaintenanceOrder",
        mapping.work_order,
        ("MaintenanceOrder",),
        page_size=DEEP_PAGE,
        expand=(
            "to_MaintenanceOrderOperation",
            "to_MaintenanceOrderOperation/to_MaintOrderOpComponent_2",
        ),
    ),
    _changed(
        "purchase_orders",
        PURCHASE_ORDER,
        "A_PurchaseOrder",
        mapping.purchase_order,
        ("PurchaseOrder",),
        page_size=DEEP_PAGE,
        expand=("to_PurchaseOrderItem", "to_PurchaseOrderItem/to_ScheduleLine"),
    ),
)
