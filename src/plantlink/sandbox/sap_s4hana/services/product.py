"""API_PRODUCT_SRV: products (spare parts, supplies) with descriptions, plant and valuation."""

from plantlink.sandbox.sap_s4hana.edm import (
    READ_ONLY,
    UPPER,
    EntitySet,
    EntityType,
    Nav,
    Service,
    boolean,
    date,
    decimal,
    string,
    timestamp,
)

PRODUCT_JOIN = (("Product", "Product"),)

PRODUCT = EntityType(
    name="A_ProductType",
    label="Product",
    keys=("Product",),
    props=(
        string("Product", 40, "Product", UPPER, nullable=False),
        string("ProductType", 4, "Product Type", UPPER),
        string("CrossPlantStatus", 2, "CrossPlantProdStatus", UPPER),
        date("CreationDate", "Created On", **READ_ONLY),
        string("CreatedByUser", 12, "Created By", UPPER, **READ_ONLY),
        date("LastChangeDate", "Last Change", **READ_ONLY),
        string("LastChangedByUser", 12, "Changed By", UPPER, **READ_ONLY),
        timestamp("LastChangeDateTime", "Last Changed", precision=7, **READ_ONLY),
        boolean("IsMarkedForDeletion", "Marked for Deletion", UPPER),
        string("ProductOldID", 40, "Old Product Number", UPPER),
        decimal("GrossWeight", 13, 3, "Gross Weight"),
        string("PurchaseOrderQuantityUnit", 3, "Order Unit"),
        string("WeightUnit", 3, "Unit of Weight"),
        decimal("NetWeight", 13, 3, "Net Weight"),
        string("ProductGroup", 9, "Product Group", UPPER),
        string("BaseUnit", 3, "Base Unit of Measure"),
        string("ItemCategoryGroup", 4, "Gen. item cat. grp", UPPER),
        string("Division", 2, "Division", UPPER),
        string("SizeOrDimensionText", 32, "Size/dimensions", UPPER),
        string("IndustryStandardName", 18, "Industry Std Desc.", UPPER),
        string("ProductManufacturerNumber", 40, "Mfr Part Number", UPPER),
        string("ManufacturerNumber", 10, "Manufacturer", UPPER),
    ),
    navs=(
        Nav("to_Description", "A_ProductDescription", PRODUCT_JOIN, to_many=True),
        Nav("to_Plant", "A_ProductPlant", PRODUCT_JOIN, to_many=True),
        Nav("to_Valuation", "A_ProductValuation", PRODUCT_JOIN, to_many=True),
    ),
)

PRODUCT_DESCRIPTION = EntityType(
    name="A_ProductDescriptionType",
    label="Product Description",
    keys=("Product", "Language"),
    props=(
        string("Product", 40, "Product", UPPER, nullable=False),
        string("Language", 2, "Language Key", nullable=False),
        string("ProductDescription", 40, "Product Description"),
    ),
)

PRODUCT_PLANT = EntityType(
    name="A_ProductPlantType",
    label="Plant Data",
    keys=("Product", "Plant"),
    props=(
        string("Product", 40, "Material", UPPER, nullable=False),
        string("Plant", 4, "Plant", UPPER, nullable=False),
        string("PurchasingGroup", 3, "Purchasing Group", UPPER),
        string("CountryOfOrigin", 3, "Cntry/Reg of Origin", UPPER),
        string("ProfileCode", 2, "Material Status", UPPER),
        string("AvailabilityCheckType", 2, "Availability check", UPPER),
        string("ProfitCenter", 10, "Profit Center", UPPER),
    ),
)

PRODUCT_VALUATION = EntityType(
    name="A_ProductValuationType",
    label="Valuation Area Data",
    keys=("Product", "ValuationArea", "ValuationType"),
    props=(
        string("Product", 40, "Material", UPPER, nullable=False),
        string("ValuationArea", 4, "Valuation Area", UPPER, nullable=False),
        string("ValuationType", 10, "Valuation Type", UPPER, nullable=False),
        string("ValuationClass", 4, "Valuation Class", UPPER),
        decimal("StandardPrice", 12, 3, "Standard price"),
        decimal("PriceUnitQty", 5, 0, "Price unit"),
        string("InventoryValuationProcedure", 1, "Price Control", UPPER),
        boolean("IsMarkedForDeletion", "Del. flag val. type", UPPER),
        decimal("MovingAveragePrice", 12, 3, "Moving price"),
        string("Currency", 5, "Currency", UPPER),
        string("BaseUnit", 3, "Base Unit of Measure"),
    ),
)

API_PRODUCT_SRV = Service(
    name="API_PRODUCT_SRV",
    namespace="API_PRODUCT_SRV",
    sets=(
        EntitySet("A_Product", PRODUCT, deletable=False, change_field="LastChangeDateTime"),
        EntitySet("A_ProductDescription", PRODUCT_DESCRIPTION),
        EntitySet("A_ProductPlant", PRODUCT_PLANT, deletable=False),
        EntitySet("A_ProductValuation", PRODUCT_VALUATION, deletable=False),
    ),
)
