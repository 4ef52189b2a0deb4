"""All entity tables of the sandbox, built from one seeded `World`, and navigation between them."""

from __future__ import annotations

from collections.abc import Sequence

from plantlink.sandbox.sap_s4hana.edm import EntitySet, Nav, Service
from plantlink.sandbox.sap_s4hana.seed import (
    EQUIPMENT_FIRST,
    ORDER_FIRST,
    PO_FIRST,
    EquipmentRows,
    GeneratedRows,
    ProductRows,
    World,
)
from plantlink.sandbox.sap_s4hana.services import SERVICES
from plantlink.sandbox.sap_s4hana.store import BaseRows, Key, ListRows, Row, Table


class Database:
    def __init__(self, seed: int, scale: int, anchor_ms: int) -> None:
        world = self.world = World(seed, scale, anchor_ms)
        self.service_of: dict[str, Service] = {}
        self.set_of: dict[str, EntitySet] = {}
        for service in SERVICES.values():
            for entity_set in service.sets:
                self.service_of[entity_set.name] = service
                self.set_of[entity_set.name] = entity_set
        orders = GeneratedRows(world.n_orders, ORDER_FIRST, world.order_row)
        purchase_orders = GeneratedRows(world.n_pos, PO_FIRST, world.po_row)
        products = ProductRows(world.n_products, 1, world.product_row)
        operations, components = world.order_children(orders.find)
        items, schedule_lines = world.po_children(purchase_orders.find)
        descriptions, plant_data, valuations = world.product_children(products.find)
        functional_locations = world.functional_location_rows()
        equipment = EquipmentRows(world.n_equipment, EQUIPMENT_FIRST, world.equipment_row)
        bases: dict[str, tuple[BaseRows, Sequence[int] | None]] = {
            "MaintenanceOrder": (orders, world.order_change),
            "MaintenanceOrderOperation": (operations, None),
            "MaintOrderOpComponent": (components, None),
            "Equipment": (equipment, world.equipment_change),
            "FunctionalLocation": (
                functional_locations,
                [row["LastChangeDateTime"] for row in world.functional_locations],
            ),
            "A_PurchaseOrder": (purchase_orders, world.po_change),
            "A_PurchaseOrderItem": (items, None),
            "A_PurchaseOrderScheduleLine": (schedule_lines, None),
            "A_Product": (products, world.product_change),
            "A_ProductDescription": (descriptions, None),
            "A_ProductPlant": (plant_data, None),
            "A_ProductValuation": (valuations, None),
        }
        for name, rows in world.supplier_tables.items():
            bases[name] = (ListRows(rows, self.set_of[name].type.keys), None)
        self.tables = {
            name: Table(self.set_of[name], base, change) for name, (base, change) in bases.items()
        }
        for entity_set in self.set_of.values():
            for nav in entity_set.type.navs:
                self._join_keys(nav)  # every navigation must be a key-prefix lookup

    def table(self, set_name: str) -> Table:
        return self.tables[set_name]

    def _join_keys(self, nav: Nav) -> list[str]:
        """The source properties whose values form a prefix of the target's key."""
        target_keys = self.set_of[nav.target].type.keys
        by_target = {target: source for source, target in nav.on}
        if set(target_keys[: len(by_target)]) != set(by_target):
            raise ValueError(f"{nav.name}: join is not a prefix of {nav.target}'s key")
        return [by_target[k] for k in target_keys[: len(by_target)]]

    def related(self, nav: Nav, row: Row) -> list[Row]:
        """The rows `nav` leads to from `row`, in key order."""
        values: Key = tuple(row[source] for source in self._join_keys(nav))
        if any(value is None for value in values):
            return []
        table = self.tables[nav.target]
        if len(values) == len(table.key_props):
            rowid = table.find(values)
            found = None if rowid is None else table.get(rowid)
            return [] if found is None else [found]
        return [r for rowid in table.scan_prefix(values) if (r := table.get(rowid)) is not None]

    def join_prefix(self, nav: Nav, row: Row) -> Key:
        return tuple(row[source] for source in self._join_keys(nav))
