"""Deterministic plant data from (seed, scale, anchor): the same inputs give identical rows.

`scale` is the number of maintenance orders; the rest follows in proportion (per order
~2.5 operations and ~1 component; one piece of equipment per 6 orders, one purchase order
per 4 orders with 1-5 items, one product per 20 orders, one supplier per 200 orders, one
functional location per ~50). The large tables are generated lazily, row by row, from a
SplitMix64 stream per row (`core.rng`); only a few numbers per row (change timestamps,
child counts) are computed for every row at start-up. Creation and change times spread
over the year before the anchor.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from functools import cache, lru_cache
from itertools import accumulate
from typing import Any

from plantlink.sandbox.core.rng import Rng, Weighted
from plantlink.sandbox.core.vocab import (
    ACTIONS,
    AREAS,
    BUILDINGS,
    CITIES,
    EQUIPMENT,
    FAULTS,
    PARTS,
    PM_TASKS,
    STREETS,
    SUPPLIER_NAMES,
    Equipment,
)
from plantlink.sandbox.sap_s4hana.store import ChildRows, Key, ListRows, Row, prefix_counts
from plantlink.sandbox.sap_s4hana.values import DAY_MS, MAX_DATE_MS, iso
from plantlink.sandbox.sap_s4hana.vocab import (
    ACTIVITY_TYPES,
    COMPANY_CODES,
    CONTROLLING_AREA,
    COUNTRIES,
    INCOTERMS,
    LEGAL_FORMS,
    ORDER_TYPE_WEIGHTS,
    ORDER_TYPES,
    PAYMENT_TERMS,
    PLANNER_GROUPS,
    PLANTS,
    PRIORITIES,
    PURCHASING_GROUPS,
    PURCHASING_ORGS,
    REGIONS,
    USERS,
    WORK_CENTERS,
)

YEAR_MS = 365 * DAY_MS
HOUR_MS = 3_600_000

ORDER_FIRST = 4_000_001
EQUIPMENT_FIRST = 10_000_001
PO_FIRST = 4_500_000_001
SUPPLIER_FIRST = 17_300_001
ADDRESS_FIRST = 2_200_001
OILS = ("Gear Oil", "Gearbox Oil")
COMPONENT_COUNTS = Weighted((0, 1, 2, 3), (3, 3, 2, 1))
ORDER_TYPE_PICK = Weighted(ORDER_TYPES, ORDER_TYPE_WEIGHTS)
MAIN_STATUSES = ("CRTD", "REL", "TECO", "CLSD")
SUPPLIER_SETS = (
    "A_BusinessPartner",
    "A_Supplier",
    "A_SupplierPurchasingOrg",
    "A_BusinessPartnerAddress",
    "A_AddressEmailAddress",
    "A_AddressPhoneNumber",
    "A_AddressHomePageURL",
)


def _columns(rows: Iterator[tuple[Any, ...]], picks: tuple[int, ...]) -> list[array[int]]:
    """Integer columns `picks` of `rows`, each as a compact `array('q')`."""
    columns = [array("q") for _ in picks]
    for row in rows:
        for column, pick in zip(columns, picks, strict=True):
            column.append(row[pick])
    return columns


def second(ms: int) -> int:
    return ms - ms % 1000


def day(ms: int) -> int:
    return ms - ms % DAY_MS


def quantity(value: float) -> str:
    return f"{value:.3f}"


def amount(value: float) -> str:
    """A currency amount: cents, written with the three decimals of SAP's amount fields."""
    return f"{round(value, 2):.3f}"


def bp_etag(changed_ms: int) -> str:
    """A business partner's `ETag` property: its change time as `YYYYMMDDhhmmss`."""
    return iso(changed_ms).replace("-", "").replace("T", "").replace(":", "")


def status_text(main: str, deletion: bool, has_components: bool) -> str:
    """SAP's system status line of an order, e.g. `REL MACM PRC SETC`."""
    codes = [main, *(["DLFL"] if deletion else []), "MACM" if has_components else "NMAT"]
    return " ".join([*codes, "PRC", "SETC"])


def object_type(kind: Equipment) -> str:
    """SAP technical object type of an equipment class, e.g. `PUMP`."""
    return kind.name.split()[-1].upper()[:10]


def uniform(r: Rng, low: float, high: float) -> float:
    return low + (high - low) * r.random()


class GeneratedRows:
    """Base rows of a top-level table whose keys are numbers counted up from `first`."""

    def __init__(self, count: int, first: int, generate: Callable[[int], Row]) -> None:
        self.count = count
        self.first = first
        self.generate = generate

    def key(self, index: int) -> Key:
        return (str(self.first + index),)

    def row(self, index: int) -> Row:
        return self.generate(index)

    def find(self, key: Key) -> int | None:
        text = key[0] if len(key) == 1 else None
        if not isinstance(text, str) or not text.isdigit() or text != text.lstrip("0"):
            return None
        index = int(text) - self.first
        return index if 0 <= index < self.count else None


class World:
    """Sizes, shared lookups and row generators for one (seed, scale, anchor)."""

    def __init__(self, seed: int, scale: int, anchor_ms: int) -> None:
        self.seed = seed
        self.anchor = anchor_ms
        self.n_orders = max(0, scale)
        self.n_equipment = max(12, scale // 6)
        self.n_products = max(len(PARTS), scale // 20)
        self.n_suppliers = max(6, scale // 200)
        self.n_pos = max(5, scale // 4)
        self.plant_codes = tuple(PLANTS)
        self._plant_cumulative = list(accumulate(p.weight for p in PLANTS.values()))
        self._build_functional_locations(max(6, scale // 50))
        self._build_suppliers()
        # per row, only what indexes and child tables need is kept; rows are generated later
        (
            self.order_created,
            self.order_change,
            self.order_status,
            self.op_counts,
            self.comp_counts,
        ) = _columns((self.order_state(i) for i in range(self.n_orders)), (0, 1, 2, 3, 4))
        self.equipment_system, self.equipment_kinds, self.equipment_change = _columns(
            (self.equipment_state(e) for e in range(self.n_equipment)), (0, 1, 3)
        )
        (self.product_change,) = _columns(
            (self.product_times(p) for p in range(self.n_products)), (1,)
        )
        self.po_change, self.item_counts = _columns(
            (self.po_state(k) for k in range(self.n_pos)), (1, 4)
        )

    def stream(self, name: str, index: int) -> Rng:
        """The random stream of record `index` of one kind (`name`)."""
        return Rng.for_row(self.seed, name, index)

    def weighted_plant(self, u: float) -> str:
        total = self._plant_cumulative[-1]
        return self.plant_codes[bisect_right(self._plant_cumulative, u * total)]

    def spread(self, index: int, count: int, draw: int) -> int:
        """Creation times over the last year, increasing with the index: documents are
        numbered in the order they were created."""
        count = max(count, 1)
        offset = index * YEAR_MS // count + draw % (YEAR_MS // count)
        return second(self.anchor - YEAR_MS + offset)

    def before_anchor(self, ms: int) -> int:
        return min(ms, self.anchor - 60_000)

    # --- functional locations (eager: one per ~50 orders) ----------------------------------

    def _build_functional_locations(self, target_systems: int) -> None:
        """Plant → building (`-Bnn`) → area (`-Ann`) hierarchy, e.g. `1010-PLT1-B01-A03`."""
        rows: list[Row] = []
        self.systems: list[Row] = []
        total = self._plant_cumulative[-1]
        for plant in PLANTS.values():
            systems = max(2, target_systems * plant.weight // total)
            buildings = max(2, int(systems**0.5))
            per_building = -(-systems // buildings)
            width = max(2, len(str(max(buildings, per_building))))
            root = f"{plant.code}-PLT1"
            rows.append(self._fl_row(root, plant.name, None, plant.code, 1, len(rows)))
            for b in range(buildings):
                building = f"{root}-B{b + 1:0{width}d}"
                name = BUILDINGS[b % len(BUILDINGS)]
                name += "" if b < len(BUILDINGS) else f" {b // len(BUILDINGS) + 1}"
                rows.append(self._fl_row(building, name, root, plant.code, 2, len(rows)))
                for a in range(per_building):
                    area = AREAS[(b + a) % len(AREAS)]
                    row = self._fl_row(
                        f"{building}-A{a + 1:0{width}d}",
                        f"{name[:24]} {area} {a + 1}",
                        building,
                        plant.code,
                        3,
                        len(rows),
                    )
                    rows.append(row)
                    self.systems.append(row)
        rows.sort(key=lambda row: row["FunctionalLocation"])
        self.functional_locations = rows

    def _fl_row(
        self, fl: str, name: str, parent: str | None, plant: str, level: int, index: int
    ) -> Row:
        r = self.stream("fl", index)
        p = PLANTS[plant]
        created = day(self.anchor - YEAR_MS * r.between(2, 6) - r.below(YEAR_MS))
        changed = second(self.anchor - r.below(YEAR_MS))
        return {
            "FunctionalLocation": fl,
            "FunctionalLocationLabelName": fl,
            "FunctionalLocationName": name[:40],
            "FuncLocationStructure": "PM1",
            "FunctionalLocationCategory": "M",
            "SuperiorFunctionalLocation": parent,
            "SuperiorFuncnlLocLabelName": parent,
            "TechnicalObjectType": ("PLANT", "BUILDING", "AREA")[level - 1],
            "OperationStartDate": created,
            "MaintenancePlant": plant,
            "AssetLocation": fl.split("-")[2] if level > 1 else None,
            "PlantSection": fl.split("-")[3] if level > 2 else None,
            "WorkCenter": r.choice(WORK_CENTERS),
            "ABCIndicator": r.choice("ABC"),
            "CityName": p.city,
            "HouseNumber": p.house_number,
            "PostalCode": p.postal_code,
            "StreetName": p.street,
            "Region": p.region,
            "Country": p.country,
            "CompanyCode": p.company_code,
            "CostCenter": f"{plant}1300",
            "ControllingArea": CONTROLLING_AREA,
            "MaintenancePlannerGroup": r.choice(PLANNER_GROUPS),
            "MaintenancePlanningPlant": plant,
            "MainWorkCenterPlant": plant,
            "MainWorkCenter": r.choice(WORK_CENTERS),
            "EquipmentInstallationIsAllowed": level == 3,
            "FunctionalLocationHasEquipment": "",
            "FuncnlLocHasSubOrdinateFuncLoc": "X" if level < 3 else "",
            "LastChangeDateTime": changed,
            "FuncnlLocIsMarkedForDeletion": False,
            "FunctionalLocationIsActive": True,
            "CreatedByUser": r.choice(USERS),
            "CreationDate": created,
            "LastChangedByUser": r.choice(USERS),
        }

    def functional_location_rows(self) -> ListRows:
        installed = {self.systems[s]["FunctionalLocation"] for s in set(self.equipment_system)}
        for row in self.functional_locations:
            if row["FunctionalLocation"] in installed:
                row["FunctionalLocationHasEquipment"] = "X"
        return ListRows(self.functional_locations, ("FunctionalLocation",))

    # --- equipment (lazy) -------------------------------------------------------------------

    def equipment_state(self, e: int) -> tuple[int, int, int, int]:
        """(functional location index, EQUIPMENT index, created, last change) of piece `e`."""
        r = self.stream("equipment-state", e)
        created = day(self.anchor - int(YEAR_MS * (1 + 7 * r.random())))
        changed = second(self.anchor - int(YEAR_MS * r.random()))
        return r.below(len(self.systems)), r.below(len(EQUIPMENT)), created, max(changed, created)

    def equipment_times(self, e: int) -> tuple[int, int]:
        return self.equipment_state(e)[2:]

    def equipment_kind(self, e: int) -> Equipment:
        return EQUIPMENT[self.equipment_kinds[e]]

    def equipment_tag(self, e: int) -> str:
        return f"{self.equipment_kind(e).tag}-{e + 101:04d}"

    def equipment_name(self, e: int) -> str:
        return f"{self.equipment_kind(e).name} {self.equipment_tag(e)}"

    def equipment_number(self, e: int) -> str:
        return str(EQUIPMENT_FIRST + e)

    def equipment_row(self, e: int) -> Row:
        r = self.stream("equipment", e)
        kind = self.equipment_kind(e)
        system = self.systems[self.equipment_system[e]]
        plant = system["MaintenancePlant"]
        company = PLANTS[plant].company_code
        created = self.equipment_state(e)[2]
        maker, models = r.choice(kind.makers)
        year = r.between(2004, 2023)
        superior = None
        if e and kind.tag in ("M", "GB", "VFD") and r.chance(0.5):
            superior = self.equipment_number(e - 1)
        return {
            "Equipment": self.equipment_number(e),
            "ValidityEndDate": MAX_DATE_MS,
            "ValidityStartDate": created,
            "EquipmentName": self.equipment_name(e),
            "EquipmentCategory": "M",
            "TechnicalObjectType": object_type(kind),
            "GrossWeight": quantity(uniform(r, 20, 4000)),
            "GrossWeightUnit": "KG",
            "SizeOrDimensionText": None,
            "InventoryNumber": f"INV-{e + 1:07d}",
            "OperationStartDate": created,
            "AcquisitionValue": amount(uniform(r, 2_000, 250_000)),
            "Currency": COMPANY_CODES[company].currency,
            "AcquisitionDate": created,
            "AssetManufacturerName": maker,
            "ManufacturerPartTypeName": r.choice(models)[:20],
            "ManufacturerCountry": r.choice(("DE", "US", "SE", "DK", "CH", "JP")),
            "ConstructionYear": str(year),
            "ConstructionMonth": f"{r.between(1, 12):02d}",
            "ManufacturerPartNmbr": f"{kind.tag}{r.between(1000, 99999)}",
            "ManufacturerSerialNumber": f"{maker[:2].upper()}{year}{r.between(100000, 999999)}",
            "MaintenancePlant": plant,
            "AssetLocation": system["AssetLocation"],
            "AssetRoom": None,
            "PlantSection": system["PlantSection"],
            "WorkCenter": system["WorkCenter"],
            "ABCIndicator": r.choice("AABBBCC"),
            "CompanyCode": company,
            "CostCenter": f"{plant}1300",
            "ControllingArea": CONTROLLING_AREA,
            "MaintenancePlanningPlant": plant,
            "MaintenancePlannerGroup": system["MaintenancePlannerGroup"],
            "MainWorkCenter": system["MainWorkCenter"],
            "MainWorkCenterPlant": plant,
            "FunctionalLocation": system["FunctionalLocation"],
            "FunctionalLocationLabelName": system["FunctionalLocation"],
            "FunctionalLocationName": system["FunctionalLocationName"],
            "SuperordinateEquipment": superior,
            "TechnicalObjectSortCode": self.equipment_tag(e),
            "Material": None,
            "SerialNumber": None,
            "CreationDate": created,
            "CreatedByUser": r.choice(USERS),
            "LastChangedByUser": r.choice(USERS),
            "LastChangeDateTime": self.equipment_change[e],
            "EquipmentIsAvailable": False,
            "EquipmentIsMarkedForDeletion": False,
            "EquipmentIsInstalled": True,
            "EquipmentIsInactive": r.chance(0.03),
        }

    # --- products (lazy): product p is a variant of PARTS[p % len(PARTS)] --------------------

    def product_times(self, p: int) -> tuple[int, int]:
        r = self.stream("product-state", p)
        created = day(self.anchor - int(YEAR_MS * (1 + 4 * r.random())))
        changed = self.anchor - int(YEAR_MS * r.random())
        return created, max(changed, created)

    def product_id(self, p: int) -> str:
        return f"MRO-{p + 1:06d}"

    @lru_cache(maxsize=8192)  # noqa: B019 - one World per sandbox, alive as long as it
    def product_info(self, p: int) -> tuple[str, str, str, float, str]:
        """(description, unit, product group, price in EUR, manufacturer part number)."""
        part = PARTS[p % len(PARTS)]
        r = self.stream("product", p)
        low, high = part.cost_cents
        unit = "L" if part.name in OILS else "PC"
        description = f"{part.name} {part.code}-{100 + p // len(PARTS)}"
        return (
            description,
            unit,
            f"MRO-{part.code}",
            uniform(r, low, high) / 100,
            (f"{part.code}{r.between(10000, 99999)}"),
        )

    def parts_for(self, kind: Equipment) -> list[int]:
        """Indexes into PARTS of an equipment class's spare parts."""
        return [i for i, part in enumerate(PARTS) if part.name in kind.parts]

    def product_of_part(self, part: int, r: Rng) -> int:
        variants = max(1, (self.n_products - part + len(PARTS) - 1) // len(PARTS))
        return part + len(PARTS) * r.below(variants)

    def price(self, p: int, plant: str) -> float:
        eur = self.product_info(p)[3]
        return eur * 1.1 if COMPANY_CODES[PLANTS[plant].company_code].currency == "USD" else eur

    def product_row(self, p: int, created: int | None = None, changed: int | None = None) -> Row:
        """Product `p`; `created`/`changed` are given for products created after start."""
        _text, unit, group, _price, part_number = self.product_info(p)
        r = self.stream("product-row", p)
        created = self.product_times(p)[0] if created is None else created
        changed = self.product_change[p] if changed is None else changed
        makers = [
            m
            for kind in EQUIPMENT
            for m, _ in kind.makers
            if PARTS[p % len(PARTS)].name in kind.parts
        ]
        return {
            "Product": self.product_id(p),
            "ProductType": "HIBE" if unit == "L" else "ERSA",
            "CrossPlantStatus": None,
            "CreationDate": created,
            "CreatedByUser": r.choice(USERS),
            "LastChangeDate": day(changed),
            "LastChangedByUser": r.choice(USERS),
            "LastChangeDateTime": changed,
            "IsMarkedForDeletion": False,
            "ProductOldID": None,
            "GrossWeight": quantity(uniform(r, 0.05, 20)),
            "PurchaseOrderQuantityUnit": unit,
            "WeightUnit": "KG",
            "NetWeight": quantity(uniform(r, 0.05, 18)),
            "ProductGroup": group,
            "BaseUnit": unit,
            "ItemCategoryGroup": "NORM",
            "Division": "00",
            "SizeOrDimensionText": None,
            "IndustryStandardName": None,
            "ProductManufacturerNumber": part_number,
            "ManufacturerNumber": (r.choice(makers) if makers else "OEM")[:10].upper(),
        }

    def product_descriptions(self, p: int) -> list[Row]:
        text = self.product_info(p)[0]
        return [{"Product": self.product_id(p), "Language": "EN", "ProductDescription": text}]

    def product_plants(self, p: int) -> list[Row]:
        """Every product is extended to every plant."""
        return [
            {
                "Product": self.product_id(p),
                "Plant": plant,
                "PurchasingGroup": PURCHASING_GROUPS[p % len(PURCHASING_GROUPS)],
                "CountryOfOrigin": None,
                "ProfileCode": None,
                "AvailabilityCheckType": "02",
                "ProfitCenter": f"YB{plant}",
            }
            for plant in self.plant_codes
        ]

    def product_valuations(self, p: int) -> list[Row]:
        return [
            {
                "Product": self.product_id(p),
                "ValuationArea": plant,
                "ValuationType": "",
                "ValuationClass": "3040",
                "StandardPrice": amount(self.price(p, plant)),
                "PriceUnitQty": "1",
                "InventoryValuationProcedure": "S",
                "IsMarkedForDeletion": False,
                "MovingAveragePrice": amount(self.price(p, plant) * 1.02),
                "Currency": COMPANY_CODES[PLANTS[plant].company_code].currency,
                "BaseUnit": self.product_info(p)[1],
            }
            for plant in self.plant_codes
        ]

    def product_children(self, find: Callable[[Key], int | None]) -> list[ChildRows]:
        """Descriptions (EN), plant data and valuations (every plant) of every product."""
        n, plants = self.n_products, len(self.plant_codes)
        return [
            ChildRows(
                prefix_counts([1] * n), self.product_descriptions, ("Product", "Language"), find, 1
            ),
            ChildRows(
                prefix_counts([plants] * n), self.product_plants, ("Product", "Plant"), find, 1
            ),
            ChildRows(
                prefix_counts([plants] * n),
                self.product_valuations,
                ("Product", "ValuationArea", "ValuationType"),
                find,
                1,
            ),
        ]

    # --- maintenance orders (lazy) ----------------------------------------------------------

    def order_state(self, i: int) -> tuple[int, int, int, int, int]:
        """(created, last change, status code, operations, components) of base order `i`;
        the status code is the index into MAIN_STATUSES, plus 4 with the deletion flag."""
        r = self.stream("order-state", i)
        created = self.spread(i, self.n_orders, r.next())
        x = r.next()
        age_days = (self.anchor - created) // DAY_MS
        roll = x % 100
        if age_days > 60:
            main = 3 if roll < 45 else 2 if roll < 85 else 1 if roll < 97 else 0
        elif age_days > 14:
            main = 2 if roll < 40 else 1 if roll < 85 else 0 if roll < 95 else 3
        else:
            main = 0 if roll < 40 else 1 if roll < 95 else 2
        deletion = main in (0, 2) and (x >> 8) % 100 < 2
        step = (2, 6, 20, 45)[main] * DAY_MS
        changed = second(self.before_anchor(created + (x >> 16) % step))
        counts = r.next()
        components = COMPONENT_COUNTS.pick(counts >> 8)
        return created, max(changed, created), main + 4 * deletion, 1 + counts % 4, components

    @cache  # noqa: B019 - one World per sandbox, alive as long as it
    def order_template(self, plant: str) -> Row:
        """An order of `plant` with every plant-dependent and constant field filled in, in
        the entity type's property order; `order_row` copies it and sets the rest."""
        company = PLANTS[plant].company_code
        return {
            "MaintenanceOrder": None,
            "MaintenanceOrderType": None,
            "MaintenanceOrderDesc": None,
            "MaintOrdBasicStartDateTime": None,
            "MaintOrdBasicEndDateTime": None,
            "MaintOrdBasicStartDate": None,
            "MaintOrdBasicStartTime": None,
            "MaintOrdBasicEndDate": None,
            "MaintOrdBasicEndTime": None,
            "MaintOrdSchedldBscStrtDateTime": None,
            "MaintOrdSchedldBscEndDateTime": None,
            "MaintOrderReferenceDateTime": None,
            "MainWorkCompletedDateTime": None,
            "MaintenanceNotification": None,
            "ControllingArea": CONTROLLING_AREA,
            "MainWorkCenter": None,
            "MainWorkCenterPlant": plant,
            "WorkCenter": None,
            "MaintenancePlanningPlant": plant,
            "MaintenancePlant": plant,
            "BusinessArea": None,
            "CompanyCode": company,
            "CostCenter": f"{plant}1300",
            "Equipment": None,
            "EquipmentName": None,
            "FunctionalLocation": None,
            "MaintenancePlannerGroup": None,
            "MaintenanceActivityType": None,
            "MaintPriority": None,
            "MaintPriorityType": "PM",
            "ProfitCenter": f"YB{plant}",
            "ResponsibleCostCenter": f"{plant}1300",
            "Currency": COMPANY_CODES[company].currency,
            "PlantSection": None,
            "LatestAcceptableCompletionDate": None,
            "MaintOrdPersonResponsible": None,
            "LastChangeByUser": None,
            "LastChangeDateTime": None,
            "CreatedByUser": None,
            "MaintOrderCreationDateTime": None,
            "OrderHasLongText": False,
            "MaintenancePlan": None,
            "SystemStatusText": None,
            "UserStatusText": "",
            "TechnicalObject": None,
            "TechnicalObjectLabel": None,
            "TechObjIsEquipOrFuncnlLoc": None,
        }

    def order_row(self, i: int) -> Row:
        """Base order `i`. Hot (every order read generates its row), so the randomness is
        three 64-bit draws sliced into fields rather than a call per field."""
        status = self.order_status[i]
        main, deletion = MAIN_STATUSES[status & 3], status >= 4
        created = self.order_created[i]
        r = self.stream("order", i)
        a, b, c = r.next(), r.next(), r.next()
        order_type = ORDER_TYPE_PICK.pick(a & 0xFF)
        on_equipment = (a >> 8) % 10 != 0
        e = int(self.n_equipment * ((a >> 16) / float(1 << 48)) ** 1.5)
        equipment: str | None
        object_name: str | None
        if on_equipment:
            system = self.systems[self.equipment_system[e]]
            equipment, object_name = self.equipment_number(e), self.equipment_name(e)
            technical_object, tag = equipment, self.equipment_tag(e)
        else:
            system = self.systems[(a >> 16) % len(self.systems)]
            equipment = object_name = None
            technical_object = system["FunctionalLocation"]
            tag = technical_object.split("-", 2)[2]
        start = second(created + b % (5 * DAY_MS))
        end = second(start + HOUR_MS * 4 + (b >> 32) % (10 * DAY_MS))
        reference = second(self.before_anchor(end)) if main in ("TECO", "CLSD") else None
        text, c = c % 1000, c // 1000
        if order_type == "PM01":
            description = f"{tag} {FAULTS[text % len(FAULTS)]}"
        elif order_type == "PM02":
            description = f"{PM_TASKS[text % len(PM_TASKS)]} {tag}"
        else:
            description = f"Overhaul {tag}"
        activities = ACTIVITY_TYPES[order_type]
        priorities = PRIORITIES if order_type == "PM01" else PRIORITIES[2:]
        c, work_center = divmod(c, len(WORK_CENTERS))
        c, activity = divmod(c, len(activities))
        c, priority = divmod(c, len(priorities))
        c, responsible = divmod(c, len(USERS))
        c, changer = divmod(c, len(USERS))
        c, creator = divmod(c, len(USERS))
        row = self.order_template(system["MaintenancePlant"]).copy()
        row["MaintenanceOrder"] = str(ORDER_FIRST + i)
        row["MaintenanceOrderType"] = order_type
        row["MaintenanceOrderDesc"] = description[:40]
        row["MaintOrdBasicStartDateTime"] = start
        row["MaintOrdBasicEndDateTime"] = end
        row["MaintOrdBasicStartDate"] = start - start % DAY_MS
        row["MaintOrdBasicStartTime"] = start % DAY_MS
        row["MaintOrdBasicEndDate"] = end - end % DAY_MS
        row["MaintOrdBasicEndTime"] = end % DAY_MS
        if main != "CRTD":
            row["MaintOrdSchedldBscStrtDateTime"] = start
            row["MaintOrdSchedldBscEndDateTime"] = end
        row["MaintOrderReferenceDateTime"] = row["MainWorkCompletedDateTime"] = reference
        if order_type == "PM01" and c % 10 < 7:
            row["MaintenanceNotification"] = str(10_000_000 + i)
        row["MainWorkCenter"] = row["WorkCenter"] = WORK_CENTERS[work_center]
        row["Equipment"] = equipment
        row["EquipmentName"] = object_name
        row["FunctionalLocation"] = system["FunctionalLocation"]
        row["MaintenancePlannerGroup"] = system["MaintenancePlannerGroup"]
        row["MaintenanceActivityType"] = activities[activity]
        row["MaintPriority"] = priorities[priority]
        row["PlantSection"] = system["PlantSection"]
        row["LatestAcceptableCompletionDate"] = day(end + 7 * DAY_MS)
        row["MaintOrdPersonResponsible"] = USERS[responsible]
        row["LastChangeByUser"] = USERS[changer]
        row["LastChangeDateTime"] = self.order_change[i]
        row["CreatedByUser"] = USERS[creator]
        row["MaintOrderCreationDateTime"] = created
        row["OrderHasLongText"] = (c >> 4) % 10 < 3
        if order_type == "PM02":
            row["MaintenancePlan"] = str(300_000 + i % 5000)
        row["SystemStatusText"] = status_text(main, deletion, self.comp_counts[i] > 0)
        row["TechnicalObject"] = row["TechnicalObjectLabel"] = technical_object
        row["TechObjIsEquipOrFuncnlLoc"] = "EAMS_EQUI" if on_equipment else "EAMS_FL"
        return row

    def spare_parts(self, order: Row) -> list[int]:
        """PARTS indexes an order's components come from (its equipment class's parts)."""
        equipment = order["Equipment"]
        if equipment is None:
            return list(range(len(PARTS)))
        return self.parts_for(self.equipment_kind(int(equipment) - EQUIPMENT_FIRST)) or [0]

    def operation_rows_of(self, order: Row, count: int, index: int) -> list[Row]:
        """Operations 0010, 0020, … of an order (also used for orders created later)."""
        r = self.stream("operations", index)
        main = order["SystemStatusText"].split()[0]
        confirmed = main in ("TECO", "CLSD")
        deletion = "DLFL" in order["SystemStatusText"]
        start = order["MaintOrdBasicStartDateTime"] or self.anchor
        parts = self.spare_parts(order)
        status = "CNF PRC" if confirmed else "CRTD" if main == "CRTD" else "REL PRC"
        rows = []
        for j in range(count):
            duration = r.between(1, 16) / 2
            capacities = r.choice((1, 1, 2))
            op_start = start + j * 2 * HOUR_MS
            op_end = op_start + int(duration * HOUR_MS)
            text = f"{r.choice(ACTIONS)} {PARTS[r.choice(parts)].name.lower()}"
            rows.append(
                {
                    "MaintenanceOrder": order["MaintenanceOrder"],
                    "MaintenanceOrderOperation": f"{(j + 1) * 10:04d}",
                    "MaintenanceOrderSubOperation": "",
                    "OperationControlKey": "PM01",
                    "WorkCenter": order["MainWorkCenter"] if j == 0 else r.choice(WORK_CENTERS),
                    "Plant": order["MaintenancePlanningPlant"],
                    "OperationDescription": text[:40],
                    "NumberOfCapacities": capacities,
                    "ActivityType": "1410",
                    "OperationPersonResponsible": None,
                    "MaintOrderOperationDuration": f"{duration:.1f}",
                    "MaintOrdOperationDurationUnit": "H",
                    "OpErlstSchedldExecStrtDteTme": op_start,
                    "OpErlstSchedldExecEndDteTme": op_end,
                    "OpActualExecutionStartDateTime": op_start if confirmed else None,
                    "OpActualExecutionEndDateTime": op_end if confirmed else None,
                    "MaintOrdOperationWorkDuration": f"{duration * capacities:.1f}",
                    "MaintOrdOpWorkDurationUnit": "H",
                    "Equipment": order["Equipment"],
                    "FunctionalLocation": order["FunctionalLocation"],
                    "MaintenanceActivityType": order["MaintenanceActivityType"],
                    "IsMarkedForDeletion": deletion,
                    "ActualWorkQuantity": quantity(
                        duration * capacities * uniform(r, 0.8, 1.3) if confirmed else 0
                    ),
                    "ControllingArea": CONTROLLING_AREA,
                    "MaintOrderConfirmation": str(1_000_000 + index * 4 + j) if confirmed else None,
                    "MaintOrdOpHasNoRemainingWork": confirmed,
                    "SystemStatusText": status,
                    "UserStatusText": "",
                }
            )
        return rows

    def component_rows_of(
        self, order: Row, operations: Sequence[str], count: int, index: int
    ) -> list[Row]:
        r = self.stream("components", index)
        plant = order["MaintenancePlanningPlant"]
        issued = order["SystemStatusText"].split()[0] in ("TECO", "CLSD")
        reservation = f"{index + 1:010d}"
        parts = self.spare_parts(order)
        rows = []
        for t in range(count):
            p = self.product_of_part(r.choice(parts), r)
            description, unit, group, *_ = self.product_info(p)
            needed = r.between(1, 8)
            item = f"{t + 1:04d}"
            rows.append(
                {
                    "MaintenanceOrder": order["MaintenanceOrder"],
                    "MaintenanceOrderOperation": operations[t % len(operations)],
                    "MaintenanceOrderSubOperation": "",
                    "MaintOrderComponentInternalID": f"{reservation}{item}",
                    "MaintenanceOrderComponent": item,
                    "Reservation": reservation,
                    "ReservationItem": item,
                    "Product": self.product_id(p),
                    "MaintOrdOperationComponentText": description,
                    "MaintOrdOpCompRequiredQuantity": quantity(needed),
                    "BaseUnit": unit,
                    "RequirementDate": order["MaintOrdBasicStartDate"],
                    "Supplier": None,
                    "Plant": plant,
                    "StorageLocation": "MRO1",
                    "MaintComponentItemCategory": "L",
                    "GoodsMovementType": "261",
                    "ReservationIsFinallyIssued": issued,
                    "MaterialGroup": group,
                    "MaintOrderOpComponentPrice": amount(self.price(p, plant)),
                    "MaintOrdOpCompPriceUnitQty": "1",
                    "MaintOrdOpComponentCurrency": order["Currency"],
                    "PurchasingGroup": None,
                    "IsDeleted": False,
                    "QuantityWithdrawnInBaseUnit": quantity(needed if issued else 0),
                }
            )
        rows.sort(
            key=lambda c: (c["MaintenanceOrderOperation"], c["MaintOrderComponentInternalID"])
        )
        return rows

    def order_children(self, find: Callable[[Key], int | None]) -> list[ChildRows]:
        def operations(i: int) -> list[Row]:
            return self.operation_rows_of(self.order_row(i), self.op_counts[i], i)

        def components(i: int) -> list[Row]:
            numbers = [f"{(j + 1) * 10:04d}" for j in range(self.op_counts[i])]
            return self.component_rows_of(self.order_row(i), numbers, self.comp_counts[i], i)

        keys = ("MaintenanceOrder", "MaintenanceOrderOperation", "MaintenanceOrderSubOperation")
        return [
            ChildRows(prefix_counts(self.op_counts), operations, keys, find, 1),
            ChildRows(
                prefix_counts(self.comp_counts),
                components,
                (*keys, "MaintOrderComponentInternalID"),
                find,
                1,
            ),
        ]

    # --- business partners and suppliers (eager: one per 200 orders) ------------------------

    def _build_suppliers(self) -> None:
        self.suppliers_by_org: dict[str, list[int]] = {org: [] for org in PURCHASING_ORGS}
        self.supplier_org_of: dict[tuple[int, str], Row] = {}
        self.supplier_tables: dict[str, list[Row]] = {name: [] for name in SUPPLIER_SETS}
        for s in range(self.n_suppliers):
            records = self.supplier_records(s)
            for name, rows in records.items():
                self.supplier_tables[name] += rows
            for org_row in records["A_SupplierPurchasingOrg"]:
                org = org_row["PurchasingOrganization"]
                self.supplier_org_of[s, org] = org_row
                if not org_row["PurchasingIsBlockedForSupplier"]:
                    self.suppliers_by_org[org].append(s)

    def supplier_records(self, s: int, now: int | None = None) -> dict[str, list[Row]]:
        """Business partner `s` in the supplier role, its purchasing data, address and
        contacts, by entity set; `now` stamps a supplier created after start."""
        r = self.stream("supplier", s)
        # the first two suppliers serve the two purchasing organizations for sure
        city, state, postal, country_name = (
            CITIES[5] if s == 0 else CITIES[8] if s == 1 else r.choice(CITIES)
        )
        country, home_org, dial = COUNTRIES[country_name]
        base = SUPPLIER_NAMES[s % len(SUPPLIER_NAMES)]
        name = base if s < len(SUPPLIER_NAMES) else f"{base} {city}"
        full_name = f"{name} {LEGAL_FORMS[country]}"
        number, address_id = str(SUPPLIER_FIRST + s), str(ADDRESS_FIRST + s)
        slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:24]
        created = day(self.anchor - YEAR_MS * r.between(1, 6) - r.below(YEAR_MS))
        changed = second(self.anchor - r.below(YEAR_MS))
        orgs = sorted({home_org, *(PURCHASING_ORGS if r.chance(0.3) else ())})
        blocked = s > 1 and r.chance(0.03)
        if now is not None:
            created, changed, blocked = day(now), second(now), False
        user = r.choice(USERS)
        language = "DE" if country == "DE" else "EN"
        digits = r.hex(32)
        records: dict[str, list[Row]] = {name: [] for name in SUPPLIER_SETS}
        records["A_BusinessPartner"].append(
            {
                "BusinessPartner": number,
                "Customer": None,
                "Supplier": number,
                "BusinessPartnerCategory": "2",
                "BusinessPartnerFullName": full_name,
                "BusinessPartnerGrouping": "BPEE",
                "BusinessPartnerName": full_name,
                "BusinessPartnerUUID": (
                    f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
                ),
                "CorrespondenceLanguage": language,
                "CreatedByUser": user,
                "CreationDate": created,
                "CreationTime": r.below(DAY_MS // 1000) * 1000,
                "Language": language,
                "LastChangeDate": day(changed),
                "LastChangeTime": changed % DAY_MS,
                "LastChangedByUser": r.choice(USERS),
                "OrganizationBPName1": name[:40],
                "OrganizationBPName2": LEGAL_FORMS[country],
                "SearchTerm1": name.split()[0].upper()[:20],
                "BusinessPartnerIsBlocked": False,
                "BusinessPartnerType": None,
                "ETag": bp_etag(changed),
                "IsMarkedForArchiving": False,
            }
        )
        records["A_Supplier"].append(
            {
                "Supplier": number,
                "CreatedByUser": user,
                "CreationDate": created,
                "PaymentIsBlockedForSupplier": False,
                "PostingIsBlocked": False,
                "PurchasingIsBlocked": blocked,
                "SupplierAccountGroup": "SUPL",
                "SupplierFullName": full_name,
                "SupplierName": full_name[:80],
                "VATRegistration": f"{country}{r.between(100_000_000, 999_999_999)}"
                if home_org == "1010"
                else None,
                "DeletionIndicator": False,
                "SupplierCorporateGroup": None,
            }
        )
        terms = r.choice(tuple(PAYMENT_TERMS))
        phone = f"{dial} {r.between(100, 999)} {r.between(1000000, 9999999)}"
        for org in orgs:
            row = {
                "Supplier": number,
                "PurchasingOrganization": org,
                "DeletionIndicator": False,
                "IncotermsClassification": r.choice(INCOTERMS),
                "MaterialPlannedDeliveryDurn": str(r.choice((3, 5, 10, 14))),
                "PaymentTerms": terms,
                "PurchaseOrderCurrency": COMPANY_CODES[PURCHASING_ORGS[org]].currency,
                "PurchasingGroup": r.choice(PURCHASING_GROUPS),
                "PurchasingIsBlockedForSupplier": blocked,
                "SupplierPhoneNumber": phone[:16],
                "SupplierRespSalesPersonName": None,
            }
            records["A_SupplierPurchasingOrg"].append(row)
        records["A_BusinessPartnerAddress"].append(
            {
                "BusinessPartner": number,
                "AddressID": address_id,
                "ValidityStartDate": created,
                "ValidityEndDate": MAX_DATE_MS,
                "AddressUUID": None,
                "AddressTimeZone": None,
                "CityName": city,
                "Country": country,
                "District": None,
                "FullName": full_name[:80],
                "HouseNumber": str(r.between(1, 250)),
                "Language": language,
                "PostalCode": postal,
                "Region": REGIONS.get(state),
                "StreetName": r.choice(STREETS),
            }
        )
        contact = {"AddressID": address_id, "Person": "", "OrdinalNumber": "1"}
        records["A_AddressEmailAddress"].append(
            contact | {"IsDefaultEmailAddress": True, "EmailAddress": f"orders@{slug}.example.com"}
        )
        records["A_AddressPhoneNumber"].append(
            contact
            | {
                "DestinationLocationCountry": country,
                "IsDefaultPhoneNumber": True,
                "PhoneNumber": phone.split(" ", 1)[1],
                "PhoneNumberExtension": None,
                "InternationalPhoneNumber": phone.replace(" ", ""),
                "PhoneNumberType": "1",
            }
        )
        records["A_AddressHomePageURL"].append(
            contact
            | {
                "ValidityStartDate": created,
                "IsDefaultURLAddress": True,
                "WebsiteURL": f"https://www.{slug}.example.com",
            }
        )
        return records

    # --- purchase orders (lazy) -------------------------------------------------------------

    def po_state(self, k: int) -> tuple[int, int, str, int, int]:
        """(created, last change, plant, supplier index, items) of base purchase order `k`."""
        r = self.stream("po-state", k)
        created = self.spread(k, self.n_pos, r.next())
        changed = second(self.before_anchor(created + r.below(30 * DAY_MS)))
        plant = self.weighted_plant(r.random())
        candidates = self.suppliers_by_org[PLANTS[plant].company_code]
        supplier = candidates[r.below(len(candidates))]
        return created, max(changed, created), plant, supplier, 1 + r.below(5)

    def po_number(self, k: int) -> str:
        return str(PO_FIRST + k)

    def po_row(self, k: int) -> Row:
        created, _, plant, s, _ = self.po_state(k)
        r = self.stream("po", k)
        company = org = PLANTS[plant].company_code
        supplier_org = self.supplier_org_of[s, org]
        return {
            "PurchaseOrder": self.po_number(k),
            "CompanyCode": company,
            "PurchaseOrderType": "NB",
            "PurchasingDocumentDeletionCode": "",
            "PurchasingProcessingStatus": "05",
            "CreatedByUser": r.choice(USERS),
            "CreationDate": day(created),
            "LastChangeDateTime": self.po_change[k],
            "Supplier": str(SUPPLIER_FIRST + s),
            "Language": COMPANY_CODES[company].language,
            "PaymentTerms": supplier_org["PaymentTerms"],
            "CashDiscount1Days": "0",
            "NetPaymentDays": str(PAYMENT_TERMS[supplier_org["PaymentTerms"]]),
            "PurchasingOrganization": org,
            "PurchasingGroup": supplier_org["PurchasingGroup"],
            "PurchaseOrderDate": day(created),
            "DocumentCurrency": COMPANY_CODES[company].currency,
            "ExchangeRate": "1.00000",
            "ValidityStartDate": None,
            "ValidityEndDate": None,
            "SupplierRespSalesPersonName": None,
            "SupplierPhoneNumber": supplier_org["SupplierPhoneNumber"],
            "IncotermsClassification": supplier_org["IncotermsClassification"],
            "CorrespncExternalReference": None,
            "CorrespncInternalReference": None,
            "ReleaseIsNotCompleted": False,
            "PurchasingCompletenessStatus": False,
            "IncotermsLocation1": PLANTS[plant].city,
        }

    def po_items_of(self, k: int) -> list[Row]:
        header = self.po_row(k)
        r = self.stream("po-items", k)
        plant = self.po_state(k)[2]
        ordered = header["PurchaseOrderDate"]
        rows = []
        for j in range(self.item_counts[k]):
            p = r.below(self.n_products)
            description, unit, group, *_ = self.product_info(p)
            delivery = day(ordered + r.between(3, 30) * DAY_MS)
            delivered = delivery < self.anchor - 2 * DAY_MS and r.chance(0.85)
            rows.append(
                {
                    "PurchaseOrder": header["PurchaseOrder"],
                    "PurchaseOrderItem": f"{(j + 1) * 10:05d}",
                    "PurchasingDocumentDeletionCode": "",
                    "PurchaseOrderItemText": description,
                    "Plant": plant,
                    "StorageLocation": "MRO1",
                    "MaterialGroup": group,
                    "SupplierMaterialNumber": None,
                    "OrderQuantity": quantity(r.between(1, 50)),
                    "PurchaseOrderQuantityUnit": unit,
                    "OrderPriceUnit": unit,
                    "DocumentCurrency": header["DocumentCurrency"],
                    "NetPriceAmount": amount(self.price(p, plant) * uniform(r, 0.9, 1.15)),
                    "NetPriceQuantity": "1",
                    "TaxCode": "V1" if header["DocumentCurrency"] == "EUR" else "I1",
                    "IsCompletelyDelivered": delivered,
                    "IsFinallyInvoiced": delivered and delivery < self.anchor - 30 * DAY_MS,
                    "PurchaseOrderItemCategory": "0",
                    "AccountAssignmentCategory": "K" if r.chance(0.2) else "",
                    "GoodsReceiptIsExpected": True,
                    "InvoiceIsExpected": True,
                    "InvoiceIsGoodsReceiptBased": True,
                    "PurchaseRequisition": None,
                    "PurchaseRequisitionItem": None,
                    "RequisitionerName": r.choice(USERS),
                    "Material": self.product_id(p),
                    "ManufacturerMaterial": None,
                    "_ItemChangeDateTime": header["LastChangeDateTime"],
                    "_Delivery": delivery,
                }
            )
        return rows

    def schedule_line_of(self, item: Row) -> Row:
        return {
            "PurchasingDocument": item["PurchaseOrder"],
            "PurchasingDocumentItem": item["PurchaseOrderItem"],
            "ScheduleLine": "1",
            "DelivDateCategory": "1",
            "ScheduleLineDeliveryDate": item["_Delivery"],
            "PurchaseOrderQuantityUnit": item["PurchaseOrderQuantityUnit"],
            "ScheduleLineOrderQuantity": item["OrderQuantity"],
            "ScheduleLineDeliveryTime": 0,
            "ScheduleLineCommittedQuantity": "0.000",
        }

    def po_children(self, find: Callable[[Key], int | None]) -> list[ChildRows]:
        starts = prefix_counts(self.item_counts)

        def schedule_lines(k: int) -> list[Row]:
            return [self.schedule_line_of(item) for item in self.po_items_of(k)]

        return [
            ChildRows(starts, self.po_items_of, ("PurchaseOrder", "PurchaseOrderItem"), find, 1),
            ChildRows(
                starts,
                schedule_lines,
                ("PurchasingDocument", "PurchasingDocumentItem", "ScheduleLine"),
                find,
                1,
            ),
        ]


class EquipmentRows(GeneratedRows):
    """Equipment keys are (number, validity end); seeded pieces are valid until 9999-12-31."""

    def key(self, index: int) -> Key:
        return (str(self.first + index), MAX_DATE_MS)

    def find(self, key: Key) -> int | None:
        if len(key) != 2 or key[1] != MAX_DATE_MS:
            return None
        return super().find(key[:1])


class ProductRows(GeneratedRows):
    """Products `MRO-000001`, … (fixed width, so the key order is the index order)."""

    def key(self, index: int) -> Key:
        return (f"MRO-{index + 1:06d}",)

    def find(self, key: Key) -> int | None:
        text = key[0] if len(key) == 1 else ""
        digits = text[4:] if isinstance(text, str) and text.startswith("MRO-") else ""
        if len(digits) != 6 or not digits.isdigit():
            return None
        index = int(digits) - 1
        return index if 0 <= index < self.count else None
