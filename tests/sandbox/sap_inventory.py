"""What the SAP sandbox serves — its inventory — and the shared helpers of the SAP tests.

`INVENTORY` lists, per service, the entity sets with their entity type, the `sap:` set
flags that deviate from `true`, every property (`*` marks keys) with its EDM type and the
property flags that deviate from SAP's defaults, and the navigation properties. It is
written out here independently of the sandbox's `edm` definitions so that
`test_sap_metadata.py` can check what `$metadata` actually says over HTTP; it agrees with
SAP's published metadata of these services for everything it lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from plantlink.sandbox.core import SandboxServer

ANCHOR_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: pinned so data never depends on today
ROOT = "/sap/opu/odata/sap"
JSON_DATE = re.compile(r"^/Date\((\d+)(?:\+0000)?\)/$")


def ms(value: str) -> int:
    """Milliseconds of a V2 JSON date (`/Date(…)/` or `/Date(…+0000)/`)."""
    match = JSON_DATE.match(value)
    assert match, value
    return int(match.group(1))


def at(text: str) -> int:
    """Milliseconds of a naive ISO date-time taken as UTC."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    key: bool
    flags: frozenset[str]  # notnull nocreatable noupdatable nofilterable nosortable


@dataclass(frozen=True)
class EntitySetSpec:
    entity_type: str
    set_flags: str  # nocreatable noupdatable nodeletable
    properties: str
    navigations: tuple[str, ...]  # "to_X>TargetSet"
    parsed: tuple[Property, ...] = field(init=False)

    def __post_init__(self) -> None:
        props = []
        for line in self.properties.split("\n"):
            if not line.strip():
                continue
            name, edm_type, *flags = line.split()
            props.append(Property(name.rstrip("*"), edm_type, name.endswith("*"), frozenset(flags)))
        object.__setattr__(self, "parsed", tuple(props))


INVENTORY: dict[str, dict[str, EntitySetSpec]] = {
    "API_MAINTENANCEORDER": {
        "MaintenanceOrder": EntitySetSpec(
            "MaintenanceOrderType",
            "nodeletable",
            """
            MaintenanceOrder* Edm.String notnull noupdatable
            MaintenanceOrderType Edm.String noupdatable
            MaintenanceOrderDesc Edm.String
            MaintOrdBasicStartDateTime Edm.DateTimeOffset
            MaintOrdBasicEndDateTime Edm.DateTimeOffset
            MaintOrdBasicStartDate Edm.DateTime nocreatable noupdatable
            MaintOrdBasicStartTime Edm.Time nocreatable noupdatable
            MaintOrdBasicEndDate Edm.DateTime nocreatable noupdatable
            MaintOrdBasicEndTime Edm.Time nocreatable noupdatable
            MaintOrdSchedldBscStrtDateTime Edm.DateTimeOffset nocreatable noupdatable
            MaintOrdSchedldBscEndDateTime Edm.DateTimeOffset nocreatable noupdatable
            MaintOrderReferenceDateTime Edm.DateTimeOffset nocreatable noupdatable
            MainWorkCompletedDateTime Edm.DateTimeOffset nocreatable noupdatable
            MaintenanceNotification Edm.String
            ControllingArea Edm.String nocreatable noupdatable
            MainWorkCenter Edm.String
            MainWorkCenterPlant Edm.String
            WorkCenter Edm.String
            MaintenancePlanningPlant Edm.String noupdatable
            MaintenancePlant Edm.String
            BusinessArea Edm.String
            CompanyCode Edm.String nocreatable noupdatable
            CostCenter Edm.String
            Equipment Edm.String
            EquipmentName Edm.String nocreatable noupdatable
            FunctionalLocation Edm.String
            MaintenancePlannerGroup Edm.String
            MaintenanceActivityType Edm.String
            MaintPriority Edm.String
            MaintPriorityType Edm.String nocreatable noupdatable
            ProfitCenter Edm.String
            ResponsibleCostCenter Edm.String
            Currency Edm.String nocreatable noupdatable
            PlantSection Edm.String
            LatestAcceptableCompletionDate Edm.DateTime
            MaintOrdPersonResponsible Edm.String
            LastChangeByUser Edm.String nocreatable noupdatable
            LastChangeDateTime Edm.DateTimeOffset nocreatable noupdatable
            CreatedByUser Edm.String nocreatable noupdatable
            MaintOrderCreationDateTime Edm.DateTimeOffset nocreatable noupdatable
            OrderHasLongText Edm.Boolean nocreatable noupdatable
            MaintenancePlan Edm.String nocreatable noupdatable
            SystemStatusText Edm.String nocreatable noupdatable nofilterable nosortable
            UserStatusText Edm.String nocreatable noupdatable nofilterable nosortable
            TechnicalObject Edm.String nocreatable noupdatable nosortable
            TechnicalObjectLabel Edm.String nocreatable noupdatable nosortable
            TechObjIsEquipOrFuncnlLoc Edm.String nocreatable noupdatable nosortable
            """,
            ("to_MaintenanceOrderOperation>MaintenanceOrderOperation",),
        ),
        "MaintenanceOrderOperation": EntitySetSpec(
            "MaintenanceOrderOperationType",
            "nocreatable",
            """
            MaintenanceOrder* Edm.String notnull nocreatable noupdatable
            MaintenanceOrderOperation* Edm.String notnull noupdatable
            MaintenanceOrderSubOperation* Edm.String notnull noupdatable
            OperationControlKey Edm.String
            WorkCenter Edm.String
            Plant Edm.String
            OperationDescription Edm.String
            NumberOfCapacities Edm.Byte
            ActivityType Edm.String
            OperationPersonResponsible Edm.String
            MaintOrderOperationDuration Edm.Decimal
            MaintOrdOperationDurationUnit Edm.String
            OpErlstSchedldExecStrtDteTme Edm.DateTimeOffset nocreatable noupdatable
            OpErlstSchedldExecEndDteTme Edm.DateTimeOffset nocreatable noupdatable
            OpActualExecutionStartDateTime Edm.DateTimeOffset nocreatable noupdatable
            OpActualExecutionEndDateTime Edm.DateTimeOffset nocreatable noupdatable
            MaintOrdOperationWorkDuration Edm.Decimal
            MaintOrdOpWorkDurationUnit Edm.String
            Equipment Edm.String
            FunctionalLocation Edm.String
            MaintenanceActivityType Edm.String
            IsMarkedForDeletion Edm.Boolean nocreatable noupdatable
            ActualWorkQuantity Edm.Decimal nocreatable noupdatable
            ControllingArea Edm.String nocreatable noupdatable
            MaintOrderConfirmation Edm.String nocreatable noupdatable
            MaintOrdOpHasNoRemainingWork Edm.Boolean nocreatable noupdatable
            SystemStatusText Edm.String nocreatable noupdatable nofilterable nosortable
            UserStatusText Edm.String nocreatable noupdatable nofilterable nosortable
            """,
            (
                "to_MaintenanceOrder>MaintenanceOrder",
                "to_MaintOrderOpComponent_2>MaintOrderOpComponent",
            ),
        ),
        "MaintOrderOpComponent": EntitySetSpec(
            "MaintOrderOpComponent_Type",
            "nocreatable",
            """
            MaintenanceOrder* Edm.String notnull nocreatable noupdatable
            MaintenanceOrderOperation* Edm.String notnull nocreatable noupdatable
            MaintenanceOrderSubOperation* Edm.String notnull nocreatable noupdatable
            MaintOrderComponentInternalID* Edm.String notnull nocreatable noupdatable
            MaintenanceOrderComponent Edm.String
            Reservation Edm.String nocreatable noupdatable
            ReservationItem Edm.String nocreatable noupdatable
            Product Edm.String
            MaintOrdOperationComponentText Edm.String
            MaintOrdOpCompRequiredQuantity Edm.Decimal
            BaseUnit Edm.String
            RequirementDate Edm.DateTime
            Supplier Edm.String
            Plant Edm.String
            StorageLocation Edm.String
            MaintComponentItemCategory Edm.String
            GoodsMovementType Edm.String
            ReservationIsFinallyIssued Edm.Boolean nocreatable noupdatable
            MaterialGroup Edm.String
            MaintOrderOpComponentPrice Edm.Decimal
            MaintOrdOpCompPriceUnitQty Edm.Decimal
            MaintOrdOpComponentCurrency Edm.String
            PurchasingGroup Edm.String
            IsDeleted Edm.Boolean nocreatable noupdatable
            QuantityWithdrawnInBaseUnit Edm.Decimal nocreatable noupdatable
            """,
            (
                "to_MaintenanceOrder>MaintenanceOrder",
                "to_MaintenanceOrderOperation>MaintenanceOrderOperation",
            ),
        ),
    },
    "API_EQUIPMENT": {
        "Equipment": EntitySetSpec(
            "EquipmentType",
            "nodeletable",
            """
            Equipment* Edm.String notnull noupdatable
            ValidityEndDate* Edm.DateTime notnull nocreatable noupdatable
            ValidityStartDate Edm.DateTime
            EquipmentName Edm.String
            EquipmentCategory Edm.String
            TechnicalObjectType Edm.String
            GrossWeight Edm.Decimal
            GrossWeightUnit Edm.String
            SizeOrDimensionText Edm.String
            InventoryNumber Edm.String
            OperationStartDate Edm.DateTime
            AcquisitionValue Edm.Decimal
            Currency Edm.String
            AcquisitionDate Edm.DateTime
            AssetManufacturerName Edm.String
            ManufacturerPartTypeName Edm.String
            ManufacturerCountry Edm.String
            ConstructionYear Edm.String
            ConstructionMonth Edm.String
            ManufacturerPartNmbr Edm.String
            ManufacturerSerialNumber Edm.String
            MaintenancePlant Edm.String
            AssetLocation Edm.String
            AssetRoom Edm.String
            PlantSection Edm.String
            WorkCenter Edm.String
            ABCIndicator Edm.String
            CompanyCode Edm.String
            CostCenter Edm.String
            ControllingArea Edm.String
            MaintenancePlanningPlant Edm.String
            MaintenancePlannerGroup Edm.String
            MainWorkCenter Edm.String
            MainWorkCenterPlant Edm.String
            FunctionalLocation Edm.String nocreatable noupdatable
            FunctionalLocationLabelName Edm.String
            FunctionalLocationName Edm.String nocreatable noupdatable
            SuperordinateEquipment Edm.String
            TechnicalObjectSortCode Edm.String
            Material Edm.String
            SerialNumber Edm.String
            CreationDate Edm.DateTime nocreatable noupdatable
            CreatedByUser Edm.String nocreatable noupdatable
            LastChangedByUser Edm.String nocreatable noupdatable
            LastChangeDateTime Edm.DateTimeOffset nocreatable noupdatable
            EquipmentIsAvailable Edm.Boolean nocreatable noupdatable
            EquipmentIsMarkedForDeletion Edm.Boolean nocreatable noupdatable
            EquipmentIsInstalled Edm.Boolean nocreatable noupdatable
            EquipmentIsInactive Edm.Boolean nocreatable noupdatable
            """,
            (),
        ),
    },
    "API_FUNCTIONALLOCATION": {
        "FunctionalLocation": EntitySetSpec(
            "FunctionalLocationType",
            "nodeletable",
            """
            FunctionalLocation* Edm.String notnull noupdatable
            FunctionalLocationLabelName Edm.String nocreatable noupdatable
            FunctionalLocationName Edm.String
            FuncLocationStructure Edm.String
            FunctionalLocationCategory Edm.String
            SuperiorFunctionalLocation Edm.String
            SuperiorFuncnlLocLabelName Edm.String nocreatable noupdatable
            TechnicalObjectType Edm.String
            OperationStartDate Edm.DateTime
            MaintenancePlant Edm.String
            AssetLocation Edm.String
            PlantSection Edm.String
            WorkCenter Edm.String
            ABCIndicator Edm.String
            CityName Edm.String
            HouseNumber Edm.String
            PostalCode Edm.String
            StreetName Edm.String
            Region Edm.String
            Country Edm.String
            CompanyCode Edm.String
            CostCenter Edm.String
            ControllingArea Edm.String
            MaintenancePlannerGroup Edm.String
            MaintenancePlanningPlant Edm.String
            MainWorkCenterPlant Edm.String
            MainWorkCenter Edm.String
            EquipmentInstallationIsAllowed Edm.Boolean
            FunctionalLocationHasEquipment Edm.String nocreatable noupdatable
            FuncnlLocHasSubOrdinateFuncLoc Edm.String nocreatable noupdatable
            LastChangeDateTime Edm.DateTimeOffset nocreatable noupdatable
            FuncnlLocIsMarkedForDeletion Edm.Boolean nocreatable noupdatable
            FunctionalLocationIsActive Edm.Boolean nocreatable noupdatable
            CreatedByUser Edm.String nocreatable noupdatable
            CreationDate Edm.DateTime nocreatable noupdatable
            LastChangedByUser Edm.String nocreatable noupdatable
            """,
            (),
        ),
    },
    "API_PURCHASEORDER_PROCESS_SRV": {
        "A_PurchaseOrder": EntitySetSpec(
            "A_PurchaseOrderType",
            "",
            """
            PurchaseOrder* Edm.String notnull
            CompanyCode Edm.String
            PurchaseOrderType Edm.String
            PurchasingDocumentDeletionCode Edm.String nocreatable noupdatable
            PurchasingProcessingStatus Edm.String nocreatable noupdatable
            CreatedByUser Edm.String nocreatable noupdatable
            CreationDate Edm.DateTime nocreatable noupdatable
            LastChangeDateTime Edm.DateTimeOffset nocreatable noupdatable
            Supplier Edm.String
            Language Edm.String
            PaymentTerms Edm.String
            CashDiscount1Days Edm.Decimal
            NetPaymentDays Edm.Decimal
            PurchasingOrganization Edm.String
            PurchasingGroup Edm.String
            PurchaseOrderDate Edm.DateTime
            DocumentCurrency Edm.String
            ExchangeRate Edm.String
            ValidityStartDate Edm.DateTime
            ValidityEndDate Edm.DateTime
            SupplierRespSalesPersonName Edm.String
            SupplierPhoneNumber Edm.String
            IncotermsClassification Edm.String
            CorrespncExternalReference Edm.String
            CorrespncInternalReference Edm.String
            ReleaseIsNotCompleted Edm.Boolean nocreatable noupdatable
            PurchasingCompletenessStatus Edm.Boolean
            IncotermsLocation1 Edm.String
            """,
            ("to_PurchaseOrderItem>A_PurchaseOrderItem",),
        ),
        "A_PurchaseOrderItem": EntitySetSpec(
            "A_PurchaseOrderItemType",
            "",
            """
            PurchaseOrder* Edm.String notnull
            PurchaseOrderItem* Edm.String notnull
            PurchasingDocumentDeletionCode Edm.String nocreatable noupdatable
            PurchaseOrderItemText Edm.String
            Plant Edm.String
            StorageLocation Edm.String
            MaterialGroup Edm.String
            SupplierMaterialNumber Edm.String
            OrderQuantity Edm.Decimal
            PurchaseOrderQuantityUnit Edm.String
            OrderPriceUnit Edm.String
            DocumentCurrency Edm.String nocreatable noupdatable
            NetPriceAmount Edm.Decimal
            NetPriceQuantity Edm.Decimal
            TaxCode Edm.String
            IsCompletelyDelivered Edm.Boolean
            IsFinallyInvoiced Edm.Boolean
            PurchaseOrderItemCategory Edm.String
            AccountAssignmentCategory Edm.String
            GoodsReceiptIsExpected Edm.Boolean
            InvoiceIsExpected Edm.Boolean
            InvoiceIsGoodsReceiptBased Edm.Boolean
            PurchaseRequisition Edm.String
            PurchaseRequisitionItem Edm.String
            RequisitionerName Edm.String
            Material Edm.String
            ManufacturerMaterial Edm.String
            """,
            ("to_PurchaseOrder>A_PurchaseOrder", "to_ScheduleLine>A_PurchaseOrderScheduleLine"),
        ),
        "A_PurchaseOrderScheduleLine": EntitySetSpec(
            "A_PurchaseOrderScheduleLineType",
            "",
            """
            PurchasingDocument* Edm.String notnull
            PurchasingDocumentItem* Edm.String notnull
            ScheduleLine* Edm.String notnull
            DelivDateCategory Edm.String
            ScheduleLineDeliveryDate Edm.DateTime
            PurchaseOrderQuantityUnit Edm.String nocreatable noupdatable
            ScheduleLineOrderQuantity Edm.Decimal
            ScheduleLineDeliveryTime Edm.Time
            ScheduleLineCommittedQuantity Edm.Decimal
            """,
            (),
        ),
    },
    "API_BUSINESS_PARTNER": {
        "A_BusinessPartner": EntitySetSpec(
            "A_BusinessPartnerType",
            "nodeletable",
            """
            BusinessPartner* Edm.String notnull
            Customer Edm.String nocreatable noupdatable
            Supplier Edm.String nocreatable noupdatable
            BusinessPartnerCategory Edm.String
            BusinessPartnerFullName Edm.String nocreatable noupdatable
            BusinessPartnerGrouping Edm.String
            BusinessPartnerName Edm.String nocreatable noupdatable
            BusinessPartnerUUID Edm.Guid nocreatable noupdatable
            CorrespondenceLanguage Edm.String
            CreatedByUser Edm.String nocreatable noupdatable
            CreationDate Edm.DateTime nocreatable noupdatable
            CreationTime Edm.Time nocreatable noupdatable
            Language Edm.String
            LastChangeDate Edm.DateTime nocreatable noupdatable
            LastChangeTime Edm.Time nocreatable noupdatable
            LastChangedByUser Edm.String nocreatable noupdatable
            OrganizationBPName1 Edm.String
            OrganizationBPName2 Edm.String
            SearchTerm1 Edm.String
            BusinessPartnerIsBlocked Edm.Boolean
            BusinessPartnerType Edm.String
            ETag Edm.String nocreatable noupdatable
            IsMarkedForArchiving Edm.Boolean
            """,
            ("to_BusinessPartnerAddress>A_BusinessPartnerAddress", "to_Supplier>A_Supplier"),
        ),
        "A_Supplier": EntitySetSpec(
            "A_SupplierType",
            "nocreatable nodeletable",
            """
            Supplier* Edm.String notnull
            CreatedByUser Edm.String nocreatable noupdatable
            CreationDate Edm.DateTime nocreatable noupdatable
            PaymentIsBlockedForSupplier Edm.Boolean
            PostingIsBlocked Edm.Boolean
            PurchasingIsBlocked Edm.Boolean
            SupplierAccountGroup Edm.String
            SupplierFullName Edm.String nocreatable noupdatable
            SupplierName Edm.String nocreatable noupdatable
            VATRegistration Edm.String
            DeletionIndicator Edm.Boolean
            SupplierCorporateGroup Edm.String
            """,
            ("to_SupplierPurchasingOrg>A_SupplierPurchasingOrg",),
        ),
        "A_SupplierPurchasingOrg": EntitySetSpec(
            "A_SupplierPurchasingOrgType",
            "nodeletable",
            """
            Supplier* Edm.String notnull
            PurchasingOrganization* Edm.String notnull
            DeletionIndicator Edm.Boolean
            IncotermsClassification Edm.String
            MaterialPlannedDeliveryDurn Edm.Decimal
            PaymentTerms Edm.String
            PurchaseOrderCurrency Edm.String
            PurchasingGroup Edm.String
            PurchasingIsBlockedForSupplier Edm.Boolean
            SupplierPhoneNumber Edm.String
            SupplierRespSalesPersonName Edm.String
            """,
            (),
        ),
        "A_BusinessPartnerAddress": EntitySetSpec(
            "A_BusinessPartnerAddressType",
            "",
            """
            BusinessPartner* Edm.String notnull
            AddressID* Edm.String notnull
            ValidityStartDate Edm.DateTimeOffset
            ValidityEndDate Edm.DateTimeOffset
            AddressUUID Edm.Guid nocreatable noupdatable
            AddressTimeZone Edm.String
            CityName Edm.String
            Country Edm.String
            District Edm.String
            FullName Edm.String nocreatable noupdatable
            HouseNumber Edm.String
            Language Edm.String
            PostalCode Edm.String
            Region Edm.String
            StreetName Edm.String
            """,
            (
                "to_EmailAddress>A_AddressEmailAddress",
                "to_PhoneNumber>A_AddressPhoneNumber",
                "to_URLAddress>A_AddressHomePageURL",
            ),
        ),
        "A_AddressEmailAddress": EntitySetSpec(
            "A_AddressEmailAddressType",
            "",
            """
            AddressID* Edm.String notnull
            Person* Edm.String notnull
            OrdinalNumber* Edm.String notnull
            IsDefaultEmailAddress Edm.Boolean
            EmailAddress Edm.String
            """,
            (),
        ),
        "A_AddressPhoneNumber": EntitySetSpec(
            "A_AddressPhoneNumberType",
            "",
            """
            AddressID* Edm.String notnull
            Person* Edm.String notnull
            OrdinalNumber* Edm.String notnull
            DestinationLocationCountry Edm.String
            IsDefaultPhoneNumber Edm.Boolean
            PhoneNumber Edm.String
            PhoneNumberExtension Edm.String
            InternationalPhoneNumber Edm.String
            PhoneNumberType Edm.String
            """,
            (),
        ),
        "A_AddressHomePageURL": EntitySetSpec(
            "A_AddressHomePageURLType",
            "",
            """
            AddressID* Edm.String notnull
            Person* Edm.String notnull
            OrdinalNumber* Edm.String notnull
            ValidityStartDate* Edm.DateTime notnull
            IsDefaultURLAddress* Edm.Boolean notnull
            WebsiteURL Edm.String
            """,
            (),
        ),
    },
    "API_PRODUCT_SRV": {
        "A_Product": EntitySetSpec(
            "A_ProductType",
            "nodeletable",
            """
            Product* Edm.String notnull
            ProductType Edm.String
            CrossPlantStatus Edm.String
            CreationDate Edm.DateTime nocreatable noupdatable
            CreatedByUser Edm.String nocreatable noupdatable
            LastChangeDate Edm.DateTime nocreatable noupdatable
            LastChangedByUser Edm.String nocreatable noupdatable
            LastChangeDateTime Edm.DateTimeOffset nocreatable noupdatable
            IsMarkedForDeletion Edm.Boolean
            ProductOldID Edm.String
            GrossWeight Edm.Decimal
            PurchaseOrderQuantityUnit Edm.String
            WeightUnit Edm.String
            NetWeight Edm.Decimal
            ProductGroup Edm.String
            BaseUnit Edm.String
            ItemCategoryGroup Edm.String
            Division Edm.String
            SizeOrDimensionText Edm.String
            IndustryStandardName Edm.String
            ProductManufacturerNumber Edm.String
            ManufacturerNumber Edm.String
            """,
            (
                "to_Description>A_ProductDescription",
                "to_Plant>A_ProductPlant",
                "to_Valuation>A_ProductValuation",
            ),
        ),
        "A_ProductDescription": EntitySetSpec(
            "A_ProductDescriptionType",
            "",
            """
            Product* Edm.String notnull
            Language* Edm.String notnull
            ProductDescription Edm.String
            """,
            (),
        ),
        "A_ProductPlant": EntitySetSpec(
            "A_ProductPlantType",
            "nodeletable",
            """
            Product* Edm.String notnull
            Plant* Edm.String notnull
            PurchasingGroup Edm.String
            CountryOfOrigin Edm.String
            ProfileCode Edm.String
            AvailabilityCheckType Edm.String
            ProfitCenter Edm.String
            """,
            (),
        ),
        "A_ProductValuation": EntitySetSpec(
            "A_ProductValuationType",
            "nodeletable",
            """
            Product* Edm.String notnull
            ValuationArea* Edm.String notnull
            ValuationType* Edm.String notnull
            ValuationClass Edm.String
            StandardPrice Edm.Decimal
            PriceUnitQty Edm.Decimal
            InventoryValuationProcedure Edm.String
            IsMarkedForDeletion Edm.Boolean
            MovingAveragePrice Edm.Decimal
            Currency Edm.String
            BaseUnit Edm.String
            """,
            (),
        ),
    },
}


class Sap:
    """A running SAP sandbox with an authenticated OData client and a control client."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.credentials: dict[str, Any] = server.info["credentials"]
        self.api = self.client()
        self.control = httpx.Client(base_url=f"{server.base_url}/_sandbox", timeout=60)

    def client(self, username: str | None = None, password: str | None = None) -> httpx.Client:
        auth = (username or self.credentials["username"], password or self.credentials["password"])
        return httpx.Client(
            base_url=f"{self.credentials['base_url']}{ROOT}",
            auth=auth,
            headers={"Accept": "application/json"},
            timeout=60,
        )

    def csrf(self, client: httpx.Client | None = None) -> str:
        """Fetch a CSRF token (the session cookie lands in the client); set it as header."""
        client = client or self.api
        response = client.get("/API_MAINTENANCEORDER/", headers={"X-CSRF-Token": "Fetch"})
        assert response.status_code == 200, response.text
        token = response.headers["x-csrf-token"]
        client.headers["X-CSRF-Token"] = token
        return token

    def get(self, path: str, **params: Any) -> Any:
        response = self.api.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()["d"]

    def pull(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every entity of a collection, following `__next` to the end."""
        rows: list[dict[str, Any]] = []
        body = self.get(path, **params)
        while True:
            rows += body["results"]
            if "__next" not in body:
                return rows
            response = self.api.get(body["__next"])
            assert response.status_code == 200, response.text
            body = response.json()["d"]

    def ctl(self, path: str, **body: Any) -> dict[str, Any]:
        response = self.control.post(path, json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def records(self, entity: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        response = self.control.get(
            f"/records/{entity}", params={"include_deleted": include_deleted}
        )
        assert response.status_code == 200, response.text
        records: list[dict[str, Any]] = response.json()["records"]
        return records

    def page_size(self, entity_set: str, size: int) -> None:
        """Shrink a set's server-side page (SAP configures it per entity set in the backend)."""
        assert self.server.app is not None
        self.server.app.state.vendor.page_sizes[entity_set] = size

    def close(self) -> None:
        self.api.close()
        self.control.close()
        self.server.stop()


def start(seed: int = 1, scale: int = 300) -> Sap:
    return Sap(SandboxServer("sap_s4hana", seed=seed, scale=scale, anchor_ms=ANCHOR_MS).start())
