"""API_PURCHASEORDER_PROCESS_SRV: purchase orders, their items and the items' schedule lines."""

from plantlink.sandbox.sap_s4hana.edm import (
    NUMC,
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
    time,
    timestamp,
)

ORDER = (("PurchaseOrder", "PurchaseOrder"),)
ITEM_SCHEDULE = (
    ("PurchaseOrder", "PurchasingDocument"),
    ("PurchaseOrderItem", "PurchasingDocumentItem"),
)

PURCHASE_ORDER = EntityType(
    name="A_PurchaseOrderType",
    label="Purchase Order",
    keys=("PurchaseOrder",),
    props=(
        string("PurchaseOrder", 10, "Purchase Order", UPPER, nullable=False),
        string("CompanyCode", 4, "Company Code", UPPER),
        string("PurchaseOrderType", 4, "Purchasing Doc. Type", UPPER),
        string("PurchasingDocumentDeletionCode", 1, "Deletion Code", UPPER, **READ_ONLY),
        string("PurchasingProcessingStatus", 2, "Proc. State", UPPER, **READ_ONLY),
        string("CreatedByUser", 12, "Created By", UPPER, **READ_ONLY),
        date("CreationDate", "Created On", **READ_ONLY),
        timestamp("LastChangeDateTime", "Last Changed", precision=7, **READ_ONLY),
        string("Supplier", 10, "Supplier", UPPER),
        string("Language", 2, "Language Key"),
        string("PaymentTerms", 4, "Payment Terms", UPPER),
        decimal("CashDiscount1Days", 3, 0, "Days 1"),
        decimal("NetPaymentDays", 3, 0, "Days Net"),
        string("PurchasingOrganization", 4, "Purch. Organization", UPPER),
        string("PurchasingGroup", 3, "Purchasing Group", UPPER),
        date("PurchaseOrderDate", "Purchase Order Date"),
        string("DocumentCurrency", 5, "Currency", UPPER),
        string("ExchangeRate", 12, ""),
        date("ValidityStartDate", "Validity Per. Start"),
        date("ValidityEndDate", "Validity Period End"),
        string("SupplierRespSalesPersonName", 30, "Salesperson"),
        string("SupplierPhoneNumber", 16, "Supplier Phone"),
        string("IncotermsClassification", 3, "Incoterms", UPPER),
        string("CorrespncExternalReference", 12, "Your Reference"),
        string("CorrespncInternalReference", 12, "Our Reference"),
        boolean("ReleaseIsNotCompleted", "Subject to Release", **READ_ONLY),
        boolean("PurchasingCompletenessStatus", "Incomplete"),
        string("IncotermsLocation1", 70, "Incoterms Location 1"),
    ),
    navs=(Nav("to_PurchaseOrderItem", "A_PurchaseOrderItem", ORDER, to_many=True),),
)

PURCHASE_ORDER_ITEM = EntityType(
    name="A_PurchaseOrderItemType",
    label="Item",
    keys=("PurchaseOrder", "PurchaseOrderItem"),
    props=(
        string("PurchaseOrder", 10, "Purchase Order", UPPER, nullable=False),
        string("PurchaseOrderItem", 5, "Purchase Order Item", NUMC, nullable=False),
        string("PurchasingDocumentDeletionCode", 1, "Deletion Indicator", UPPER, **READ_ONLY),
        string("PurchaseOrderItemText", 40, "Short Text"),
        string("Plant", 4, "Plant", UPPER),
        string("StorageLocation", 4, "Storage Location", UPPER),
        string("MaterialGroup", 9, "Material Group", UPPER),
        string("SupplierMaterialNumber", 35, "Supplier Mat. No.", UPPER),
        decimal("OrderQuantity", 13, 3, "Order Quantity"),
        string("PurchaseOrderQuantityUnit", 3, "Order Unit"),
        string("OrderPriceUnit", 3, "Order Price Unit"),
        string("DocumentCurrency", 5, "Currency", UPPER, **READ_ONLY),
        decimal("NetPriceAmount", 12, 3, "Net Order Price"),
        decimal("NetPriceQuantity", 5, 0, "Price Unit"),
        string("TaxCode", 2, "Tax Code", UPPER),
        boolean("IsCompletelyDelivered", "Delivery Completed"),
        boolean("IsFinallyInvoiced", "Final Invoice"),
        string("PurchaseOrderItemCategory", 1, "Item Category", UPPER),
        string("AccountAssignmentCategory", 1, "Acct Assignment Cat.", UPPER),
        boolean("GoodsReceiptIsExpected", "Goods Receipt"),
        boolean("InvoiceIsExpected", "Invoice Receipt"),
        boolean("InvoiceIsGoodsReceiptBased", "GR-Based Inv. Verif."),
        string("PurchaseRequisition", 10, "Purchase Requisition", UPPER),
        string("PurchaseRequisitionItem", 5, "Item of requisition", NUMC),
        string("RequisitionerName", 12, "Requisitioner"),
        string("Material", 40, "Material", UPPER),
        string("ManufacturerMaterial", 40, "Material", UPPER),
    ),
    navs=(
        Nav("to_PurchaseOrder", "A_PurchaseOrder", ORDER, to_many=False),
        Nav("to_ScheduleLine", "A_PurchaseOrderScheduleLine", ITEM_SCHEDULE, to_many=True),
    ),
)

SCHEDULE_LINE = EntityType(
    name="A_PurchaseOrderScheduleLineType",
    label="Schedule Lines",
    keys=("PurchasingDocument", "PurchasingDocumentItem", "ScheduleLine"),
    props=(
        string("PurchasingDocument", 10, "Purchasing Document", UPPER, nullable=False),
        string("PurchasingDocumentItem", 5, "Item", NUMC, nullable=False),
        string("ScheduleLine", 4, "Schedule Line", NUMC, nullable=False),
        string("DelivDateCategory", 1, "Deliv. date category", UPPER),
        date("ScheduleLineDeliveryDate", "Delivery Date"),
        string("PurchaseOrderQuantityUnit", 3, "Order Unit", **READ_ONLY),
        decimal("ScheduleLineOrderQuantity", 13, 3, "Scheduled Quantity"),
        time("ScheduleLineDeliveryTime", "Time"),
        decimal("ScheduleLineCommittedQuantity", 13, 3, "Committed Quantity"),
    ),
)

ITEM_CHANGED = "_ItemChangeDateTime"
"""Hidden per-item change time: the item's ETag (items publish no timestamp of their own)."""

API_PURCHASEORDER_PROCESS_SRV = Service(
    name="API_PURCHASEORDER_PROCESS_SRV",
    namespace="API_PURCHASEORDER_PROCESS_SRV",
    sets=(
        EntitySet(
            "A_PurchaseOrder",
            PURCHASE_ORDER,
            etag="LastChangeDateTime",
            change_field="LastChangeDateTime",
        ),
        EntitySet("A_PurchaseOrderItem", PURCHASE_ORDER_ITEM, etag=ITEM_CHANGED),
        EntitySet("A_PurchaseOrderScheduleLine", SCHEDULE_LINE),
    ),
)
