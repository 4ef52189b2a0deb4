"""API_BUSINESS_PARTNER: business partners, their supplier role, addresses and contact data.

Suppliers publish no change timestamp of their own: a supplier's changes move its business
partner's `LastChangeDate`/`LastChangeTime`, which is what incremental readers filter on.
"""

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
    guid,
    string,
    time,
    timestamp,
)

ADDRESS = (("AddressID", "AddressID"),)

BUSINESS_PARTNER = EntityType(
    name="A_BusinessPartnerType",
    label="Business Partner",
    keys=("BusinessPartner",),
    props=(
        string("BusinessPartner", 10, "Business Partner", UPPER, nullable=False),
        string("Customer", 10, "Customer", UPPER, **READ_ONLY),
        string("Supplier", 10, "Supplier", UPPER, **READ_ONLY),
        string("BusinessPartnerCategory", 1, "BP Category", UPPER),
        string("BusinessPartnerFullName", 81, **READ_ONLY),
        string("BusinessPartnerGrouping", 4, "Grouping", UPPER),
        string("BusinessPartnerName", 81, **READ_ONLY),
        guid("BusinessPartnerUUID", "BP GUID", **READ_ONLY),
        string("CorrespondenceLanguage", 2, "Correspondence lang."),
        string("CreatedByUser", 12, "Created By", UPPER, **READ_ONLY),
        date("CreationDate", "Created on", **READ_ONLY),
        time("CreationTime", "Created at", **READ_ONLY),
        string("Language", 2, "Language"),
        date("LastChangeDate", "Changed on", **READ_ONLY),
        time("LastChangeTime", "Changed at", **READ_ONLY),
        string("LastChangedByUser", 12, "Changed by", UPPER, **READ_ONLY),
        string("OrganizationBPName1", 40, "Name 1"),
        string("OrganizationBPName2", 40, "Name 2"),
        string("SearchTerm1", 20, "Search Term 1", UPPER),
        boolean("BusinessPartnerIsBlocked", "Central Block", UPPER),
        string("BusinessPartnerType", 4, "BP Type", UPPER),
        string("ETag", 26, **READ_ONLY),
        boolean("IsMarkedForArchiving", "Archiving Flag", UPPER),
    ),
    navs=(
        Nav(
            "to_BusinessPartnerAddress",
            "A_BusinessPartnerAddress",
            (("BusinessPartner", "BusinessPartner"),),
            to_many=True,
        ),
        Nav(
            "to_Supplier",
            "A_Supplier",
            (("Supplier", "Supplier"),),
            to_many=False,
            optional=True,
        ),
    ),
)

SUPPLIER = EntityType(
    name="A_SupplierType",
    label="Supplier",
    keys=("Supplier",),
    props=(
        string("Supplier", 10, "Supplier", UPPER, nullable=False),
        string("CreatedByUser", 12, "Created by", UPPER, **READ_ONLY),
        date("CreationDate", "Created on", **READ_ONLY),
        boolean("PaymentIsBlockedForSupplier", "Payment block", UPPER),
        boolean("PostingIsBlocked", "Posting Block", UPPER),
        boolean("PurchasingIsBlocked", "Purch. block", UPPER),
        string("SupplierAccountGroup", 4, "Account Group", UPPER),
        string("SupplierFullName", 220, "Supplier Name", UPPER, **READ_ONLY),
        string("SupplierName", 80, "Name of Supplier", **READ_ONLY),
        string("VATRegistration", 20, "VAT Registration No.", UPPER),
        boolean("DeletionIndicator", "Deletion flag", UPPER),
        string("SupplierCorporateGroup", 10, "Group Key", UPPER),
    ),
    navs=(
        Nav(
            "to_SupplierPurchasingOrg",
            "A_SupplierPurchasingOrg",
            (("Supplier", "Supplier"),),
            to_many=True,
        ),
    ),
)

SUPPLIER_PURCHASING_ORG = EntityType(
    name="A_SupplierPurchasingOrgType",
    label="Purchasing Organization",
    keys=("Supplier", "PurchasingOrganization"),
    props=(
        string("Supplier", 10, "Supplier", UPPER, nullable=False),
        string("PurchasingOrganization", 4, "Purch. Organization", UPPER, nullable=False),
        boolean("DeletionIndicator", "Del. flag POrg.", UPPER),
        string("IncotermsClassification", 3, "Incoterms", UPPER),
        decimal("MaterialPlannedDeliveryDurn", 3, 0, "Planned Deliv. Time"),
        string("PaymentTerms", 4, "Terms of Payment", UPPER),
        string("PurchaseOrderCurrency", 5, "Order currency"),
        string("PurchasingGroup", 3, "Purchasing Group", UPPER),
        boolean("PurchasingIsBlockedForSupplier", "Pur. block POrg", UPPER),
        string("SupplierPhoneNumber", 16, "Telephone"),
        string("SupplierRespSalesPersonName", 30, "Salesperson"),
    ),
)

BUSINESS_PARTNER_ADDRESS = EntityType(
    name="A_BusinessPartnerAddressType",
    label="Address",
    keys=("BusinessPartner", "AddressID"),
    props=(
        string("BusinessPartner", 10, "Business Partner", UPPER, nullable=False),
        string("AddressID", 10, "Address Number", UPPER, nullable=False),
        timestamp("ValidityStartDate", "Valid From"),
        timestamp("ValidityEndDate", "Valid To"),
        guid("AddressUUID", "GUID of a Business Partner Address", **READ_ONLY),
        string("AddressTimeZone", 6, "Time zone", UPPER),
        string("CityName", 40, "City"),
        string("Country", 3, "Country/Region Key", UPPER),
        string("District", 40, "District"),
        string("FullName", 80, "Full Name", **READ_ONLY),
        string("HouseNumber", 10, "House Number"),
        string("Language", 2, "Language Key"),
        string("PostalCode", 10, "Postal Code", UPPER),
        string("Region", 3, "Region", UPPER),
        string("StreetName", 60, "Street"),
    ),
    navs=(
        Nav("to_EmailAddress", "A_AddressEmailAddress", ADDRESS, to_many=True),
        Nav("to_PhoneNumber", "A_AddressPhoneNumber", ADDRESS, to_many=True),
        Nav("to_URLAddress", "A_AddressHomePageURL", ADDRESS, to_many=True),
    ),
)

EMAIL_ADDRESS = EntityType(
    name="A_AddressEmailAddressType",
    label="Email Address",
    keys=("AddressID", "Person", "OrdinalNumber"),
    props=(
        string("AddressID", 10, "Address Number", UPPER, nullable=False),
        string("Person", 10, "Person Number", UPPER, nullable=False),
        string("OrdinalNumber", 3, "Sequence Number", NUMC, nullable=False),
        boolean("IsDefaultEmailAddress", "Standard addr.", UPPER),
        string("EmailAddress", 241, "Email Address"),
    ),
)

PHONE_NUMBER = EntityType(
    name="A_AddressPhoneNumberType",
    label="Phone Number",
    keys=("AddressID", "Person", "OrdinalNumber"),
    props=(
        string("AddressID", 10, "Address Number", UPPER, nullable=False),
        string("Person", 10, "Person Number", UPPER, nullable=False),
        string("OrdinalNumber", 3, "Sequence Number", NUMC, nullable=False),
        string("DestinationLocationCountry", 3, "Country/Region", UPPER),
        boolean("IsDefaultPhoneNumber", "Standard No.", UPPER),
        string("PhoneNumber", 30, "Telephone", UPPER),
        string("PhoneNumberExtension", 10, "Extension", UPPER),
        string("InternationalPhoneNumber", 30, "Telephone Number", UPPER),
        string("PhoneNumberType", 1, "Mobile phone", UPPER),
    ),
)

HOME_PAGE_URL = EntityType(
    name="A_AddressHomePageURLType",
    label="Home Page URL",
    keys=("AddressID", "Person", "OrdinalNumber", "ValidityStartDate", "IsDefaultURLAddress"),
    props=(
        string("AddressID", 10, "Address Number", UPPER, nullable=False),
        string("Person", 10, "Person Number", UPPER, nullable=False),
        string("OrdinalNumber", 3, "Sequence Number", NUMC, nullable=False),
        date("ValidityStartDate", "from", nullable=False),
        boolean("IsDefaultURLAddress", "Standard addr.", UPPER, nullable=False),
        string("WebsiteURL", 2048, "URI"),
    ),
)

API_BUSINESS_PARTNER = Service(
    name="API_BUSINESS_PARTNER",
    namespace="API_BUSINESS_PARTNER",
    sets=(
        EntitySet("A_BusinessPartner", BUSINESS_PARTNER, deletable=False),
        EntitySet("A_Supplier", SUPPLIER, creatable=False, deletable=False),
        EntitySet("A_SupplierPurchasingOrg", SUPPLIER_PURCHASING_ORG, deletable=False),
        EntitySet("A_BusinessPartnerAddress", BUSINESS_PARTNER_ADDRESS),
        EntitySet("A_AddressEmailAddress", EMAIL_ADDRESS),
        EntitySet("A_AddressPhoneNumber", PHONE_NUMBER),
        EntitySet("A_AddressHomePageURL", HOME_PAGE_URL),
    ),
)
