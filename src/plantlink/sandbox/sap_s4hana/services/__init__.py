"""The six SAP services the sandbox serves, as `edm.Service` definitions."""

from plantlink.sandbox.sap_s4hana.edm import Service
from plantlink.sandbox.sap_s4hana.services.business_partner import API_BUSINESS_PARTNER
from plantlink.sandbox.sap_s4hana.services.equipment import API_EQUIPMENT
from plantlink.sandbox.sap_s4hana.services.functional_location import API_FUNCTIONALLOCATION
from plantlink.sandbox.sap_s4hana.services.maintenance_order import API_MAINTENANCEORDER
from plantlink.sandbox.sap_s4hana.services.product import API_PRODUCT_SRV
from plantlink.sandbox.sap_s4hana.services.purchase_order import API_PURCHASEORDER_PROCESS_SRV

SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        API_MAINTENANCEORDER,
        API_EQUIPMENT,
        API_FUNCTIONALLOCATION,
        API_PURCHASEORDER_PROCESS_SRV,
        API_BUSINESS_PARTNER,
        API_PRODUCT_SRV,
    )
}
