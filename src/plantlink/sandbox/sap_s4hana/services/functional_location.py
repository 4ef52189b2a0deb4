"""API_FUNCTIONALLOCATION: the functional-location hierarchy of each plant."""

from plantlink.sandbox.sap_s4hana.edm import (
    READ_ONLY,
    UPPER,
    EntitySet,
    EntityType,
    Service,
    boolean,
    date,
    string,
    timestamp,
)

FUNCTIONAL_LOCATION = EntityType(
    name="FunctionalLocationType",
    label="Functional Location",
    keys=("FunctionalLocation",),
    props=(
        string(
            "FunctionalLocation", 30, "Functional location", UPPER, nullable=False, updatable=False
        ),
        string("FunctionalLocationLabelName", 40, "Functional Location", UPPER, **READ_ONLY),
        string("FunctionalLocationName", 40, "FunctLocDescrip."),
        string("FuncLocationStructure", 5, "Structure indicator", UPPER),
        string("FunctionalLocationCategory", 1, "FunctLocCategory", UPPER),
        string("SuperiorFunctionalLocation", 30, "Functional location", UPPER),
        string("SuperiorFuncnlLocLabelName", 40, "Functional Location", UPPER, **READ_ONLY),
        string("TechnicalObjectType", 10, "Object Type", UPPER),
        date("OperationStartDate", "Start-up date"),
        string("MaintenancePlant", 4, "Maintenance Plant", UPPER),
        string("AssetLocation", 10, "Location", UPPER),
        string("PlantSection", 3, "Plant Section", UPPER),
        string("WorkCenter", 8, "Work Center", UPPER),
        string("ABCIndicator", 1, "ABC Indicator", UPPER),
        string("CityName", 40, "City"),
        string("HouseNumber", 10, "House Number"),
        string("PostalCode", 10, "Postal Code", UPPER),
        string("StreetName", 60, "Street"),
        string("Region", 3, "Region", UPPER),
        string("Country", 3, "Country/Region Key", UPPER),
        string("CompanyCode", 4, "Company Code", UPPER),
        string("CostCenter", 10, "Cost Center", UPPER),
        string("ControllingArea", 4, "Controlling Area", UPPER),
        string("MaintenancePlannerGroup", 3, "Maint. Planner Group", UPPER),
        string("MaintenancePlanningPlant", 4, "Planning Plant", UPPER),
        string("MainWorkCenterPlant", 4, "Plant for WorkCenter", UPPER),
        string("MainWorkCenter", 8, "Main Work Center", UPPER),
        boolean("EquipmentInstallationIsAllowed", "Installation allowed"),
        string("FunctionalLocationHasEquipment", 1, **READ_ONLY),
        string("FuncnlLocHasSubOrdinateFuncLoc", 1, **READ_ONLY),
        timestamp("LastChangeDateTime", "Short Time Stamp", **READ_ONLY),
        boolean("FuncnlLocIsMarkedForDeletion", "Checkbox", **READ_ONLY),
        boolean("FunctionalLocationIsActive", "Checkbox", **READ_ONLY),
        string("CreatedByUser", 12, "Created by", UPPER, **READ_ONLY),
        date("CreationDate", "Created on", **READ_ONLY),
        string("LastChangedByUser", 12, "Changed by", UPPER, **READ_ONLY),
    ),
)

API_FUNCTIONALLOCATION = Service(
    name="API_FUNCTIONALLOCATION",
    namespace="cds_api_functionallocation",
    sets=(
        EntitySet(
            "FunctionalLocation",
            FUNCTIONAL_LOCATION,
            deletable=False,
            etag="LastChangeDateTime",
            change_field="LastChangeDateTime",
        ),
    ),
)
