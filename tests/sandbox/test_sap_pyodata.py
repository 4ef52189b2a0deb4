"""SAP's own Python OData client, pyodata, against the sandbox: model, reads, deep insert."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pyodata
import pytest
import requests

from tests.sandbox.sap_inventory import ROOT, Sap, start


@pytest.fixture(scope="module")
def sap() -> Iterator[Sap]:
    sandbox = start(scale=300)
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def session(sap: Sap) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = (sap.credentials["username"], sap.credentials["password"])
        yield session


def client(sap: Sap, session: requests.Session, service: str) -> pyodata.Client:
    return pyodata.Client(f"{sap.credentials['base_url']}{ROOT}/{service}/", session)


def test_pyodata_reads_maintenance_orders(sap: Sap, session: requests.Session) -> None:
    service = client(sap, session, "API_MAINTENANCEORDER")
    orders = service.entity_sets.MaintenanceOrder
    pm01 = orders.get_entities().filter("MaintenanceOrderType eq 'PM01'").count().execute()
    assert 0 < pm01 < 300
    first = orders.get_entities().filter("MaintenanceOrderType eq 'PM01'").top(5).execute()
    second = orders.get_entities().filter("MaintenanceOrderType eq 'PM01'").skip(5).top(5).execute()
    numbers = [o.MaintenanceOrder for o in first] + [o.MaintenanceOrder for o in second]
    assert len(set(numbers)) == 10 and numbers == sorted(numbers)
    assert all(o.MaintenanceOrderType == "PM01" for o in first)
    order = orders.get_entity(numbers[0]).expand("to_MaintenanceOrderOperation").execute()
    assert order.LastChangeDateTime.tzinfo is not None
    operations = order.to_MaintenanceOrderOperation
    assert operations and all(op.MaintenanceOrder == numbers[0] for op in operations)
    assert Decimal(operations[0].MaintOrderOperationDuration) > 0  # V2 sends decimals as strings


def test_pyodata_reads_purchase_orders_with_items(sap: Sap, session: requests.Session) -> None:
    service = client(sap, session, "API_PURCHASEORDER_PROCESS_SRV")
    page = (
        service.entity_sets.A_PurchaseOrder.get_entities()
        .filter("CompanyCode eq '1010'")
        .expand("to_PurchaseOrderItem")
        .skip(2)
        .top(3)
        .execute()
    )
    assert len(page) == 3
    for order in page:
        assert order.CompanyCode == "1010"
        items = order.to_PurchaseOrderItem
        assert items and {item.PurchaseOrder for item in items} == {order.PurchaseOrder}


def test_pyodata_deep_inserts_a_purchase_order(sap: Sap, session: requests.Session) -> None:
    fetch = session.head(
        f"{sap.credentials['base_url']}{ROOT}/API_PURCHASEORDER_PROCESS_SRV/",
        headers={"X-CSRF-Token": "Fetch"},
    )
    session.headers["X-CSRF-Token"] = fetch.headers["x-csrf-token"]
    service = client(sap, session, "API_PURCHASEORDER_PROCESS_SRV")
    created = (
        service.entity_sets.A_PurchaseOrder.create_entity()
        .set(
            PurchaseOrderType="NB",
            CompanyCode="1710",
            PurchasingOrganization="1710",
            PurchasingGroup="002",
            Supplier="17300002",
            to_PurchaseOrderItem=[
                {"Material": "MRO-000003", "Plant": "1710", "OrderQuantity": "4"},
                {"Material": "MRO-000004", "Plant": "1710", "OrderQuantity": "1.5"},
            ],
        )
        .execute()
    )
    number = created.PurchaseOrder
    assert number.startswith("45") and created.DocumentCurrency == "USD"
    stored = (
        service.entity_sets.A_PurchaseOrder.get_entity(number)
        .expand("to_PurchaseOrderItem")
        .execute()
    )
    assert [(i.Material, i.OrderQuantity) for i in stored.to_PurchaseOrderItem] == [
        ("MRO-000003", "4.000"),
        ("MRO-000004", "1.500"),
    ]
