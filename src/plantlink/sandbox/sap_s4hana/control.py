"""The SAP sandbox as `/_sandbox` sees it: unified entities over the OData entity sets.

Keys are the remote ids a plantlink connector reports: order, PO, supplier and product
numbers, functional-location labels, plant codes, and `<Equipment>/<ValidityEndDate>`
(`10000001/9999-12-31`) for equipment. Mutations and creations go through the same
`Writer` paths as OData requests, acting as one of the seeded SAP users; deletion is the
archiving of a record: it vanishes from lists and key reads (with its dependent rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from plantlink.sandbox.core.clock import iso_ms
from plantlink.sandbox.core.rng import Rng
from plantlink.sandbox.core.vendor import ControlEntity, Unsupported
from plantlink.sandbox.core.vocab import FAULTS, PM_TASKS
from plantlink.sandbox.sap_s4hana.errors import ODataError
from plantlink.sandbox.sap_s4hana.store import Key, Row, Table
from plantlink.sandbox.sap_s4hana.values import DAY_MS, MAX_DATE_MS, parse_datetime
from plantlink.sandbox.sap_s4hana.vocab import (
    ORDER_TYPES,
    PLANTS,
    PRIORITIES,
    USERS,
    WORK_CENTERS,
)
from plantlink.sandbox.sap_s4hana.writes import change_status, main_status

if TYPE_CHECKING:
    from plantlink.sandbox.sap_s4hana import SapS4Hana

Stamps = Callable[[int, Row], tuple[int, int]]
"""(created, updated) of a row: cheap for base rows (no generation), from fields otherwise."""


class SetEntity(ControlEntity):
    """A unified entity backed by one entity set; `children` are archived with a record."""

    def __init__(
        self,
        sandbox: SapS4Hana,
        set_name: str,
        stamps: Stamps,
        mutate: Callable[[int, Row, Rng], None],
        create: Callable[[Rng], Key],
        children: tuple[str, ...] = (),
    ) -> None:
        self.sandbox = sandbox
        self.table: Table = sandbox.db.table(set_name)
        self.stamps = stamps
        self._mutate = mutate
        self._create = create
        self.children = children
        self.deleted_at: dict[int, int] = {}

    def remote_id(self, key: Key) -> str:
        return str(key[0])

    def parse(self, remote_id: str) -> Key:
        return (remote_id,)

    def records(self, include_deleted: bool) -> Iterator[tuple[str, int, int, bool]]:
        table = self.table
        for rowid in table.scan():
            created, updated = self.stamps(rowid, table.rows.get(rowid, {}))
            yield self.remote_id(table.key_at(rowid)), created, updated, False
        if include_deleted:
            for rowid, when in self.deleted_at.items():
                created, _ = self.stamps(rowid, table.rows.get(rowid, {}))
                yield self.remote_id(table.key_at(rowid)), created, when, True

    def count(self) -> int:
        return len(self.table)

    def acting(self, rng: Rng) -> Writing:
        return Writing(self.sandbox, rng.choice(USERS))

    def mutate(self, rng: Rng, count: int) -> list[str]:
        keys: list[str] = []
        ids = self.table.next_id
        for _ in range(count * 20):  # closed or locked records refuse edits: draw again
            if len(keys) == count or not len(self.table):
                break
            rowid = rng.below(ids)
            row = self.table.get(rowid)
            if row is None or self.remote_id(self.table.key_of(row)) in keys:
                continue
            try:
                with self.acting(rng):
                    self._mutate(rowid, row, rng)
            except ODataError:
                continue
            keys.append(self.remote_id(self.table.key_of(row)))
        return keys

    def create(self, rng: Rng, count: int) -> list[str]:
        keys = []
        for _ in range(count):
            with self.acting(rng):
                keys.append(self.remote_id(self._create(rng)))
        return keys

    def delete(self, key: str) -> bool:
        try:
            rowid = self.table.find(self.parse(key))
        except ValueError:
            return False
        if rowid is None:
            return False
        parent_key = self.table.key_at(rowid)
        self.table.delete(rowid)
        self.deleted_at[rowid] = self.sandbox.state.clock.now_ms()
        for child in self.children:
            table = self.sandbox.db.table(child)
            for child_id in list(table.scan_prefix(parent_key)):
                table.delete(child_id)
        return True


class EquipmentEntity(SetEntity):
    """Assets: the key is the equipment number plus its validity end as `YYYY-MM-DD`."""

    def remote_id(self, key: Key) -> str:
        return f"{key[0]}/{iso_ms(key[1])[:10]}"

    def parse(self, remote_id: str) -> Key:
        number, _, valid_to = remote_id.partition("/")
        ms = parse_datetime(f"{valid_to}T00:00:00")
        if ms is None:
            raise ValueError(remote_id)
        return (number, ms)


class SiteEntity(ControlEntity):
    """Plants: organisational units, listed but not changeable through the sandbox."""

    def __init__(self, anchor_ms: int) -> None:
        self.stamp = anchor_ms - 5 * 365 * DAY_MS

    def records(self, include_deleted: bool) -> Iterator[tuple[str, int, int, bool]]:
        for code in PLANTS:
            yield code, self.stamp, self.stamp, False

    def count(self) -> int:
        return len(PLANTS)

    def mutate(self, rng: Rng, count: int) -> list[str]:
        raise Unsupported("plants are SAP customizing: they cannot be edited")

    def create(self, rng: Rng, count: int) -> list[str]:
        raise Unsupported("plants are SAP customizing: they cannot be created")

    def delete(self, key: str) -> bool:
        raise Unsupported("plants are SAP customizing: they cannot be deleted")


class Writing:
    """`with Writing(sandbox, user):` — writes in the block are made by that SAP user."""

    def __init__(self, sandbox: SapS4Hana, user: str) -> None:
        self.writer = sandbox.writer
        self.user = user

    def __enter__(self) -> None:
        self.writer.acting = self.user

    def __exit__(self, *exc: object) -> None:
        self.writer.acting = None


def control_entities(sandbox: SapS4Hana) -> dict[str, ControlEntity]:
    db, writer, world = sandbox.db, sandbox.writer, sandbox.db.world

    def update(set_name: str, rowid: int, body: dict[str, Any]) -> None:
        writer.update(set_name, rowid, body, replace=False)

    def first_live(set_name: str, rng: Rng) -> Row:
        table = db.table(set_name)
        for _ in range(50):
            row = table.get(rng.below(table.next_id))
            if row is not None:
                return row
        rowid = next(table.scan(), None)
        row = None if rowid is None else table.get(rowid)
        if row is None:
            raise Unsupported(f"there is no {set_name} left to refer to")
        return row

    # --- work orders ---------------------------------------------------------------------

    def order_stamps(rowid: int, row: Row) -> tuple[int, int]:
        if not row:
            return world.order_created[rowid], world.order_change[rowid]
        return row["MaintOrderCreationDateTime"], row["LastChangeDateTime"]

    def mutate_order(rowid: int, row: Row, rng: Rng) -> None:
        main, deletion = main_status(row)
        if not deletion and main == "CRTD" and rng.chance(0.5):
            change_status(writer, "ReleaseMaintenanceOrder", rowid, {})
        elif not deletion and main == "REL" and rng.chance(0.5):
            change_status(writer, "SetMaintOrdToTechCompleted", rowid, {})
        elif rng.chance(0.5):
            update("MaintenanceOrder", rowid, {"MaintPriority": rng.choice(PRIORITIES)})
        else:
            end = (row["MaintOrdBasicEndDateTime"] or 0) + DAY_MS * rng.between(1, 5)
            update("MaintenanceOrder", rowid, {"MaintOrdBasicEndDateTime": f"/Date({end})/"})

    def create_order(rng: Rng) -> Key:
        order_type = rng.choice(ORDER_TYPES)
        equipment = first_live("Equipment", rng)
        text = rng.choice(FAULTS) if order_type == "PM01" else rng.choice(PM_TASKS)
        tag = equipment["TechnicalObjectSortCode"] or equipment["Equipment"]
        created = writer.create(
            "MaintenanceOrder",
            {
                "MaintenanceOrderType": order_type,
                "MaintenanceOrderDesc": f"{tag} {text}"[:40],
                "Equipment": equipment["Equipment"],
                "MaintPriority": rng.choice(PRIORITIES),
                "MainWorkCenter": rng.choice(WORK_CENTERS),
            },
        )
        return (created.row["MaintenanceOrder"],)

    # --- assets and locations ------------------------------------------------------------

    def dated_stamps(
        rowid: int, row: Row, base: Callable[[int], tuple[int, int]], change: Any
    ) -> tuple[int, int]:
        if not row:
            return base(rowid)[0], change[rowid]
        return row["CreationDate"], row["LastChangeDateTime"]

    def mutate_equipment(rowid: int, row: Row, rng: Rng) -> None:
        update(
            "Equipment",
            rowid,
            {"ABCIndicator": rng.choice("ABC"), "MainWorkCenter": rng.choice(WORK_CENTERS)},
        )

    def create_equipment(rng: Rng) -> Key:
        location = rng.choice(world.systems)["FunctionalLocation"]
        template = world.equipment_row(rng.below(world.n_equipment))
        fields = (
            "EquipmentName",
            "TechnicalObjectType",
            "AssetManufacturerName",
            "ManufacturerPartTypeName",
            "ManufacturerSerialNumber",
            "ConstructionYear",
        )
        body = {k: template[k] for k in fields} | {
            "EquipmentCategory": "M",
            "FunctionalLocationLabelName": location,
        }
        created = writer.create("Equipment", body)
        return (created.row["Equipment"], MAX_DATE_MS)

    def location_stamps(rowid: int, row: Row) -> tuple[int, int]:
        row = row or db.table("FunctionalLocation").base.row(rowid)
        return row["CreationDate"], row["LastChangeDateTime"]

    def mutate_location(rowid: int, row: Row, rng: Rng) -> None:
        update(
            "FunctionalLocation",
            rowid,
            {"WorkCenter": rng.choice(WORK_CENTERS), "ABCIndicator": rng.choice("ABC")},
        )

    def create_location(rng: Rng) -> Key:
        building = rng.choice(world.systems)["SuperiorFunctionalLocation"]
        table = db.table("FunctionalLocation")
        taken = set()
        for rowid in table.scan((building,)):
            label = table.key_at(rowid)[0]
            if not label.startswith(building):
                break
            taken.add(label)
        number = len(taken)
        while f"{building}-A{number:02d}" in taken:
            number += 1
        label = f"{building}-A{number:02d}"
        writer.create(
            "FunctionalLocation",
            {
                "FunctionalLocation": label,
                "FunctionalLocationName": f"Area {number}",
                "SuperiorFunctionalLocation": building,
                "MaintenancePlant": label[:4],
                "WorkCenter": rng.choice(WORK_CENTERS),
            },
        )
        return (label,)

    # --- purchase orders -----------------------------------------------------------------

    def po_stamps(rowid: int, row: Row) -> tuple[int, int]:
        if not row:
            created = world.po_state(rowid)[0]
            return created - created % DAY_MS, world.po_change[rowid]
        return row["CreationDate"], row["LastChangeDateTime"]

    def mutate_po(rowid: int, row: Row, rng: Rng) -> None:
        items = db.table("A_PurchaseOrderItem")
        item_id = next(items.scan_prefix((row["PurchaseOrder"],)), None)
        item = None if item_id is None else items.get(item_id)
        if item is None or rng.chance(0.3):
            update(
                "A_PurchaseOrder",
                rowid,
                {"IncotermsLocation1": rng.choice([p.city for p in PLANTS.values()])},
            )
            return
        assert item_id is not None
        quantity = f"{float(item['OrderQuantity']) + rng.between(1, 10):.3f}"
        update("A_PurchaseOrderItem", item_id, {"OrderQuantity": quantity})

    def create_po(rng: Rng) -> Key:
        plant = rng.choice(list(PLANTS))
        org = PLANTS[plant].company_code
        supplier_orgs = db.table("A_SupplierPurchasingOrg")
        candidates = [
            row["Supplier"]
            for i in supplier_orgs.scan()
            if (row := supplier_orgs.get(i)) is not None
            and row["PurchasingOrganization"] == org
            and not row["PurchasingIsBlockedForSupplier"]
            and db.table("A_Supplier").find((row["Supplier"],)) is not None
        ]
        if not candidates:
            raise Unsupported(f"no supplier left for purchasing organization {org}")
        items = [
            {
                "Material": world.product_id(rng.below(world.n_products)),
                "Plant": plant,
                "OrderQuantity": str(rng.between(1, 40)),
            }
            for _ in range(rng.between(1, 3))
        ]
        created = writer.create(
            "A_PurchaseOrder",
            {
                "PurchaseOrderType": "NB",
                "CompanyCode": org,
                "PurchasingOrganization": org,
                "PurchasingGroup": "001",
                "Supplier": rng.choice(candidates),
                "to_PurchaseOrderItem": {"results": items},
            },
        )
        return (created.row["PurchaseOrder"],)

    # --- vendors (suppliers; their changes show on the business partner) ------------------

    def vendor_stamps(rowid: int, row: Row) -> tuple[int, int]:
        supplier = row or db.table("A_Supplier").base.row(rowid)
        partners = db.table("A_BusinessPartner")
        partner_id = partners.find((supplier["Supplier"],))
        partner = None if partner_id is None else partners.get(partner_id)
        if partner is None:
            return supplier["CreationDate"], supplier["CreationDate"]
        return supplier["CreationDate"], partner["LastChangeDate"] + partner["LastChangeTime"]

    def mutate_vendor(rowid: int, row: Row, rng: Rng) -> None:
        addresses = db.table("A_BusinessPartnerAddress")
        address_id = next(addresses.scan_prefix((row["Supplier"],)), None)
        if address_id is None or rng.chance(0.3):
            update("A_Supplier", rowid, {"VATRegistration": f"DE{rng.between(10**8, 10**9 - 1)}"})
        else:
            update(
                "A_BusinessPartnerAddress", address_id, {"HouseNumber": str(rng.between(1, 250))}
            )

    def create_vendor(rng: Rng) -> Key:
        partners = db.table("A_BusinessPartner")
        records = world.supplier_records(partners.next_id, sandbox.state.clock.now_ms())
        for name, rows in records.items():
            for row in rows:
                writer.insert(name, row)
        return (records["A_Supplier"][0]["Supplier"],)

    # --- parts ---------------------------------------------------------------------------

    def mutate_part(rowid: int, row: Row, rng: Rng) -> None:
        weight = f"{rng.between(5, 20000) / 1000:.3f}"
        update("A_Product", rowid, {"GrossWeight": weight})

    def create_part(rng: Rng) -> Key:
        p = db.table("A_Product").next_id
        now = sandbox.state.clock.now_ms()
        writer.insert("A_Product", world.product_row(p, now - now % DAY_MS, now))
        for rows, name in (
            (world.product_descriptions(p), "A_ProductDescription"),
            (world.product_plants(p), "A_ProductPlant"),
            (world.product_valuations(p), "A_ProductValuation"),
        ):
            for row in rows:
                writer.insert(name, row)
        return (world.product_id(p),)

    def part_stamps(rowid: int, row: Row) -> tuple[int, int]:
        return dated_stamps(rowid, row, world.product_times, world.product_change)

    def equipment_stamps(rowid: int, row: Row) -> tuple[int, int]:
        return dated_stamps(rowid, row, world.equipment_times, world.equipment_change)

    return {
        "sites": SiteEntity(world.anchor),
        "locations": SetEntity(
            sandbox, "FunctionalLocation", location_stamps, mutate_location, create_location
        ),
        "assets": EquipmentEntity(
            sandbox, "Equipment", equipment_stamps, mutate_equipment, create_equipment
        ),
        "parts": SetEntity(
            sandbox,
            "A_Product",
            part_stamps,
            mutate_part,
            create_part,
            ("A_ProductDescription", "A_ProductPlant", "A_ProductValuation"),
        ),
        "vendors": SetEntity(
            sandbox,
            "A_Supplier",
            vendor_stamps,
            mutate_vendor,
            create_vendor,
            ("A_BusinessPartner", "A_SupplierPurchasingOrg", "A_BusinessPartnerAddress"),
        ),
        "work_orders": SetEntity(
            sandbox,
            "MaintenanceOrder",
            order_stamps,
            mutate_order,
            create_order,
            ("MaintenanceOrderOperation", "MaintOrderOpComponent"),
        ),
        "purchase_orders": SetEntity(
            sandbox,
            "A_PurchaseOrder",
            po_stamps,
            mutate_po,
            create_po,
            ("A_PurchaseOrderItem", "A_PurchaseOrderScheduleLine"),
        ),
    }
