"""API_MAINTENANCEORDER: maintenance orders, their operations and operation components."""

from plantlink.sandbox.sap_s4hana.edm import (
    NUMC,
    READ_ONLY,
    UPPER,
    EdmType,
    EntitySet,
    EntityType,
    FunctionImport,
    Nav,
    Param,
    Service,
    boolean,
    date,
    decimal,
    integer,
    string,
    time,
    timestamp,
)

ORDER = (("MaintenanceOrder", "MaintenanceOrder"),)
OPERATION = (
    *ORDER,
    ("MaintenanceOrderOperation", "MaintenanceOrderOperation"),
    ("MaintenanceOrderSubOperation", "MaintenanceOrderSubOperation"),
)

MAINTENANCE_ORDER = EntityType(
    name="MaintenanceOrderType",
    label="Maintenance Order",
    keys=("MaintenanceOrder",),
    props=(
        string("MaintenanceOrder", 12, "Order", UPPER, nullable=False, updatable=False),
        string("MaintenanceOrderType", 4, "Order Type", UPPER, updatable=False),
        string("MaintenanceOrderDesc", 40, "Description"),
        timestamp("MaintOrdBasicStartDateTime", "Time Stamp"),
        timestamp("MaintOrdBasicEndDateTime", "Time Stamp"),
        date("MaintOrdBasicStartDate", **READ_ONLY),
        time("MaintOrdBasicStartTime", **READ_ONLY),
        date("MaintOrdBasicEndDate", **READ_ONLY),
        time("MaintOrdBasicEndTime", **READ_ONLY),
        timestamp("MaintOrdSchedldBscStrtDateTime", "Time Stamp", **READ_ONLY),
        timestamp("MaintOrdSchedldBscEndDateTime", "Time Stamp", **READ_ONLY),
        timestamp("MaintOrderReferenceDateTime", "Time Stamp", **READ_ONLY),
        timestamp("MainWorkCompletedDateTime", "Main Work Completed", **READ_ONLY),
        string("MaintenanceNotification", 12, "Notification", UPPER),
        string("ControllingArea", 4, "Controlling Area", UPPER, **READ_ONLY),
        string("MainWorkCenter", 8, "Work Center", UPPER),
        string("MainWorkCenterPlant", 4, "Plant", UPPER),
        string("WorkCenter", 8, "Work Center", UPPER),
        string("MaintenancePlanningPlant", 4, "Planning Plant", UPPER, updatable=False),
        string("MaintenancePlant", 4, "Maintenance Plant", UPPER),
        string("BusinessArea", 4, "Business Area", UPPER),
        string("CompanyCode", 4, "Company Code", UPPER, **READ_ONLY),
        string("CostCenter", 10, "Cost Center", UPPER),
        string("Equipment", 18, "Equipment", UPPER),
        string("EquipmentName", 40, "Object Description", **READ_ONLY),
        string("FunctionalLocation", 30, "Functional Location"),
        string("MaintenancePlannerGroup", 3, "Maint. Planner Group", UPPER),
        string("MaintenanceActivityType", 3, "Activity Type", UPPER),
        string("MaintPriority", 1, "Priority", UPPER),
        string("MaintPriorityType", 2, "Priority Type", UPPER, **READ_ONLY),
        string("ProfitCenter", 10, "Profit Center", UPPER),
        string("ResponsibleCostCenter", 10, "Respons. Cost Center", UPPER),
        string("Currency", 5, "Currency", UPPER, **READ_ONLY),
        string("PlantSection", 3, "Plant Section", UPPER),
        date("LatestAcceptableCompletionDate", "Final Due Date"),
        string("MaintOrdPersonResponsible", 12, "Person Resp. ID", UPPER),
        string("LastChangeByUser", 12, "Last Changed By", UPPER, **READ_ONLY),
        timestamp("LastChangeDateTime", "Short Time Stamp", **READ_ONLY),
        string("CreatedByUser", 12, "Entered By", UPPER, **READ_ONLY),
        timestamp("MaintOrderCreationDateTime", "Time Stamp", **READ_ONLY),
        boolean("OrderHasLongText", "Order Has Long Text", **READ_ONLY),
        string("MaintenancePlan", 12, "Maintenance Plan", UPPER, **READ_ONLY),
        string(
            "SystemStatusText", 40, "System status", filterable=False, sortable=False, **READ_ONLY
        ),
        string("UserStatusText", 40, "User Status", filterable=False, sortable=False, **READ_ONLY),
        string("TechnicalObject", 40, "Technical Object", UPPER, sortable=False, **READ_ONLY),
        string("TechnicalObjectLabel", 40, "Technical Object", UPPER, sortable=False, **READ_ONLY),
        string(
            "TechObjIsEquipOrFuncnlLoc", 20, "Tech. Obj. Type", UPPER, sortable=False, **READ_ONLY
        ),
    ),
    navs=(Nav("to_MaintenanceOrderOperation", "MaintenanceOrderOperation", ORDER, to_many=True),),
)

MAINTENANCE_ORDER_OPERATION = EntityType(
    name="MaintenanceOrderOperationType",
    label="Maintenance Order Operation",
    keys=("MaintenanceOrder", "MaintenanceOrderOperation", "MaintenanceOrderSubOperation"),
    props=(
        string("MaintenanceOrder", 12, "Order", UPPER, nullable=False, **READ_ONLY),
        string("MaintenanceOrderOperation", 4, "Operation", UPPER, nullable=False, updatable=False),
        string(
            "MaintenanceOrderSubOperation",
            4,
            "Suboperation",
            UPPER,
            nullable=False,
            updatable=False,
        ),
        string("OperationControlKey", 4, "Control Key", UPPER),
        string("WorkCenter", 8, "Work Center", UPPER),
        string("Plant", 4, "Plant", UPPER),
        string("OperationDescription", 40, "Operation Short Text"),
        integer("NumberOfCapacities", "Edm.Byte", "Number"),
        string("ActivityType", 6, "Activity Type", UPPER),
        string("OperationPersonResponsible", 8, "Personnel number", NUMC),
        decimal("MaintOrderOperationDuration", 5, 1, "Normal duration"),
        string("MaintOrdOperationDurationUnit", 3, "Normal duration unit"),
        timestamp("OpErlstSchedldExecStrtDteTme", "Time Stamp", **READ_ONLY),
        timestamp("OpErlstSchedldExecEndDteTme", "Time Stamp", **READ_ONLY),
        timestamp("OpActualExecutionStartDateTime", "Time Stamp", **READ_ONLY),
        timestamp("OpActualExecutionEndDateTime", "Time Stamp", **READ_ONLY),
        decimal("MaintOrdOperationWorkDuration", 7, 1, "Work"),
        string("MaintOrdOpWorkDurationUnit", 3, "Unit for work"),
        string("Equipment", 18, "Equipment", UPPER),
        string("FunctionalLocation", 30, "Functional Location"),
        string("MaintenanceActivityType", 3, "MaintActivityType", UPPER),
        boolean("IsMarkedForDeletion", "Deletion Flag", **READ_ONLY),
        decimal("ActualWorkQuantity", 13, 3, "Actual work", **READ_ONLY),
        string("ControllingArea", 4, "Controlling Area", UPPER, **READ_ONLY),
        string("MaintOrderConfirmation", 10, "Confirmation", NUMC, **READ_ONLY),
        boolean("MaintOrdOpHasNoRemainingWork", "No Remaining Work", **READ_ONLY),
        string(
            "SystemStatusText", 40, "System status", filterable=False, sortable=False, **READ_ONLY
        ),
        string("UserStatusText", 40, "User Status", filterable=False, sortable=False, **READ_ONLY),
    ),
    navs=(
        Nav("to_MaintenanceOrder", "MaintenanceOrder", ORDER, to_many=False),
        Nav("to_MaintOrderOpComponent_2", "MaintOrderOpComponent", OPERATION, to_many=True),
    ),
)

MAINT_ORDER_OP_COMPONENT = EntityType(
    name="MaintOrderOpComponent_Type",
    label="Maintenance Order Component",
    keys=(
        "MaintenanceOrder",
        "MaintenanceOrderOperation",
        "MaintenanceOrderSubOperation",
        "MaintOrderComponentInternalID",
    ),
    props=(
        string("MaintenanceOrder", 12, "Order", UPPER, nullable=False, **READ_ONLY),
        string("MaintenanceOrderOperation", 4, "Operation", UPPER, nullable=False, **READ_ONLY),
        string(
            "MaintenanceOrderSubOperation", 4, "Suboperation", UPPER, nullable=False, **READ_ONLY
        ),
        string(
            "MaintOrderComponentInternalID", 22, "Object number", UPPER, nullable=False, **READ_ONLY
        ),
        string("MaintenanceOrderComponent", 4, "BOM Item"),
        string("Reservation", 10, "Reservation", NUMC, **READ_ONLY),
        string("ReservationItem", 4, "Item no.", NUMC, **READ_ONLY),
        string("Product", 40, "Material", UPPER),
        string("MaintOrdOperationComponentText", 40, "Item Text"),
        decimal("MaintOrdOpCompRequiredQuantity", 13, 3, "Requirement Quantity"),
        string("BaseUnit", 3, "Base Unit of Measure"),
        date("RequirementDate", "Requirements date"),
        string("Supplier", 10, "Supplier", UPPER),
        string("Plant", 4, "Plant", UPPER),
        string("StorageLocation", 4, "Storage Location", UPPER),
        string("MaintComponentItemCategory", 1, "Item Category", UPPER),
        string("GoodsMovementType", 3, "Movement Type", UPPER),
        boolean("ReservationIsFinallyIssued", "Final Issue", **READ_ONLY),
        string("MaterialGroup", 9, "Material Group", UPPER),
        decimal("MaintOrderOpComponentPrice", 15, 3, "Price/currency"),
        decimal("MaintOrdOpCompPriceUnitQty", 5, 0, "Price unit"),
        string("MaintOrdOpComponentCurrency", 5, "Currency", UPPER),
        string("PurchasingGroup", 3, "Purchasing Group", UPPER),
        boolean("IsDeleted", "Item Deleted", **READ_ONLY),
        decimal("QuantityWithdrawnInBaseUnit", 13, 3, "Quantity withdrawn", **READ_ONLY),
    ),
    navs=(
        Nav("to_MaintenanceOrder", "MaintenanceOrder", ORDER, to_many=False),
        Nav("to_MaintenanceOrderOperation", "MaintenanceOrderOperation", OPERATION, to_many=False),
    ),
)


def _status_function(name: str, *options: tuple[str, EdmType, str]) -> FunctionImport:
    """A status function import: the order number plus SAP's optional switches."""
    return FunctionImport(
        name,
        (
            Param("MaintenanceOrder", "Edm.String", "Order", max_length=12),
            *(Param(p, edm, label, nullable=True) for p, edm, label in options),
        ),
        action_for="MaintenanceOrderType",
    )


COMPLETION_TIME: tuple[str, EdmType, str] = (
    "MaintOrderReferenceDateTime",
    "Edm.DateTimeOffset",
    "Completion Date/Time",
)
CLOSE_NOTIFS: tuple[str, EdmType, str] = (
    "AssignedMaintNotifIsToBeClosed",
    "Edm.Boolean",
    "Complete Assigned Notifications",
)

STATUS_FUNCTIONS = (
    _status_function("ReleaseMaintenanceOrder"),
    _status_function(
        "SetMaintOrdToTechCompleted",
        ("MainWrkCmpltdDateTimeIsUsed", "Edm.Boolean", "Use Main Work Completed Date and Time"),
        COMPLETION_TIME,
        CLOSE_NOTIFS,
    ),
    _status_function(
        "ResetMaintOrdStsTechCompleted",
        (
            "AssgdMaintNotifIsToBePutInProc",
            "Edm.Boolean",
            "Put Assigned Notifications In Process Again",
        ),
    ),
    _status_function("SetMaintOrderStatusToClosed", COMPLETION_TIME, CLOSE_NOTIFS),
    _status_function("ResetMaintOrderStatusClosed"),
    _status_function(
        "SetMaintOrdStsToMrkdForDeltn",
        (
            "AssgdMaintNotifIsToBeSetDel",
            "Edm.Boolean",
            "Also set the deletion flag for the assigned notifications",
        ),
    ),
    _status_function(
        "ResetMaintOrdStsMrkdForDeltn",
        (
            "AssgdMaintNotifIsToBeResetDel",
            "Edm.Boolean",
            "Also reset the deletion flag for the assigned notifications",
        ),
    ),
)
"""Function imports that change an order's system status (the only way to change it)."""

API_MAINTENANCEORDER = Service(
    name="API_MAINTENANCEORDER",
    namespace="cds_api_maintenanceorder_2",
    content_version="2",
    sets=(
        EntitySet(
            "MaintenanceOrder",
            MAINTENANCE_ORDER,
            deletable=False,
            etag="LastChangeDateTime",
            change_field="LastChangeDateTime",
        ),
        EntitySet("MaintenanceOrderOperation", MAINTENANCE_ORDER_OPERATION, creatable=False),
        EntitySet("MaintOrderOpComponent", MAINT_ORDER_OP_COMPONENT, creatable=False),
    ),
    functions=STATUS_FUNCTIONS,
)
