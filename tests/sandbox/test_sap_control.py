"""`/_sandbox` on the SAP sandbox: unified entities, remote ids, mutate/create/delete."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.sandbox.sap_inventory import Sap, ms, start

MO = "/API_MAINTENANCEORDER/MaintenanceOrder"
EQUIPMENT = "/API_EQUIPMENT/Equipment"
PO = "/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder"
PATHS = {
    "work_orders": (MO, "MaintenanceOrder"),
    "locations": ("/API_FUNCTIONALLOCATION/FunctionalLocation", "FunctionalLocation"),
    "purchase_orders": (PO, "PurchaseOrder"),
    "vendors": ("/API_BUSINESS_PARTNER/A_Supplier", "Supplier"),
    "parts": ("/API_PRODUCT_SRV/A_Product", "Product"),
}


@pytest.fixture
def sap() -> Iterator[Sap]:
    sandbox = start(scale=300)
    yield sandbox
    sandbox.close()


def seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def equipment_path(key: str) -> str:
    number, valid_to = key.split("/")
    return f"{EQUIPMENT}(Equipment='{number}',ValidityEndDate=datetime'{valid_to}T00:00:00')"


def test_records_are_keyed_by_remote_ids(sap: Sap) -> None:
    counts = sap.server.info["counts"]
    assert set(counts) == {
        "sites",
        "locations",
        "assets",
        "parts",
        "vendors",
        "work_orders",
        "purchase_orders",
    }
    for entity, (path, key) in PATHS.items():
        records = sap.records(entity)
        assert len(records) == counts[entity]
        listed = [row[key] for row in sap.pull(path, **{"$select": key})]
        assert [r["key"] for r in records] == listed, entity
        for record in records:
            assert record["created_at"].endswith("Z") and not record["deleted"]
            assert seconds(record["created_at"]) <= seconds(record["updated_at"])
    assets = sap.records("assets")
    assert assets[0]["key"] == "10000001/9999-12-31" and len(assets) == counts["assets"]
    assert (
        sap.get(equipment_path(assets[-1]["key"]))["Equipment"] == assets[-1]["key"].split("/")[0]
    )
    order = sap.get(f"{MO}('4000001')")
    first = sap.records("work_orders")[0]
    assert seconds(first["updated_at"]) * 1000 == ms(order["LastChangeDateTime"])
    assert seconds(first["created_at"]) * 1000 == ms(order["MaintOrderCreationDateTime"])
    assert [r["key"] for r in sap.records("sites")] == ["1010", "1020", "1710"]


@pytest.mark.parametrize(
    "entity", ["work_orders", "assets", "locations", "purchase_orders", "vendors", "parts"]
)
def test_mutate_moves_change_times(sap: Sap, entity: str) -> None:
    before = {r["key"]: r["updated_at"] for r in sap.records(entity)}
    keys = sap.ctl("/mutate", entity=entity, count=3)["keys"]
    assert len(keys) == len(set(keys)) == 3
    after = {r["key"]: r["updated_at"] for r in sap.records(entity)}
    for key in keys:
        assert abs(seconds(after[key]) - time.time()) < 10
        assert after[key] > before[key]
    assert {k for k in after if after[k] != before[k]} == set(keys)


@pytest.mark.parametrize(
    "entity", ["work_orders", "assets", "locations", "purchase_orders", "vendors", "parts"]
)
def test_create_adds_readable_records(sap: Sap, entity: str) -> None:
    count = sap.server.info["counts"][entity]
    keys = sap.ctl("/create", entity=entity, count=2)["keys"]
    assert sap.server.info["counts"][entity] == count + 2
    records = {r["key"]: r for r in sap.records(entity)}
    for key in keys:
        assert abs(seconds(records[key]["created_at"]) - time.time()) < 86_400
        if entity == "assets":
            assert sap.api.get(equipment_path(key)).status_code == 200
        else:
            path, _ = PATHS[entity]
            assert sap.api.get(f"{path}('{key}')").status_code == 200, key


def test_created_purchase_orders_have_items(sap: Sap) -> None:
    (key,) = sap.ctl("/create", entity="purchase_orders", count=1)["keys"]
    items = sap.get(f"{PO}('{key}')/to_PurchaseOrderItem")["results"]
    assert 1 <= len(items) <= 3


def test_delete_archives_records_with_their_dependents(sap: Sap) -> None:
    items = sap.get(f"{PO}('4500000007')/to_PurchaseOrderItem")["results"]
    assert sap.control.delete("/records/purchase_orders/4500000007").status_code == 200
    assert sap.api.get(f"{PO}('4500000007')").status_code == 404
    item = items[0]
    path = (
        "/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrderItem"
        f"(PurchaseOrder='4500000007',PurchaseOrderItem='{item['PurchaseOrderItem']}')"
    )
    assert sap.api.get(path).status_code == 404
    assert sap.api.get(f"{PO}/$count").text == "74"
    assert "4500000007" not in [r["key"] for r in sap.records("purchase_orders")]
    (gone,) = [r for r in sap.records("purchase_orders", include_deleted=True) if r["deleted"]]
    assert gone["key"] == "4500000007"
    assert sap.control.delete("/records/assets/10000005/9999-12-31").status_code == 200
    assert sap.api.get(equipment_path("10000005/9999-12-31")).status_code == 404
    assert sap.control.delete("/records/vendors/17300001").status_code == 200
    assert sap.api.get("/API_BUSINESS_PARTNER/A_Supplier('17300001')").status_code == 404
    assert sap.api.get("/API_BUSINESS_PARTNER/A_BusinessPartner('17300001')").status_code == 404
    assert sap.control.delete("/records/work_orders/9999999").status_code == 404
    assert sap.control.delete("/records/assets/not-a-key").status_code == 404


def test_sites_are_read_only(sap: Sap) -> None:
    assert sap.control.post("/mutate", json={"entity": "sites", "count": 1}).status_code in (
        400,
        422,
    )
    assert sap.control.post("/create", json={"entity": "sites", "count": 1}).status_code in (
        400,
        422,
    )


def test_same_seed_and_scale_give_identical_data(sap: Sap) -> None:
    twin = start(scale=300)
    other = start(seed=2, scale=300)
    try:
        params = {"$top": "200", "$expand": "to_MaintenanceOrderOperation"}
        for path in (MO, PO, "/API_BUSINESS_PARTNER/A_BusinessPartner", EQUIPMENT):
            mine = sap.api.get(path, params=params if path == MO else {"$top": "200"})
            theirs = twin.api.get(path, params=params if path == MO else {"$top": "200"})
            assert mine.content == theirs.content.replace(
                twin.server.base_url.encode(), sap.server.base_url.encode()
            )
        assert other.api.get(MO).content != sap.api.get(MO).content
    finally:
        twin.close()
        other.close()
