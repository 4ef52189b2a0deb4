"""Seeded MaintainX organisation: a multi-site plant and a year of maintenance history.

Sizes follow ``scale`` (the number of work orders). Small reference collections (the
location tree, teams, categories, criticalities) are built eagerly; large ones (assets,
parts, vendors, users, work orders, purchase orders, meters, work requests, plans) are
``Table``s whose base rows are regenerated on demand from ``(seed, row)``. Cross
references are computed, not stored: e.g. a work order picks an asset row from its own
stream and reads that asset's location from columns filled when the asset table starts.

Records are kept in an internal superset shape (vendor field names, all fields); the API
layer renders them per endpoint and ``expand``. Timestamps are stored as ISO strings
(the vendor's format) and mirrored as milliseconds in the tables for paging.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from plantlink.sandbox.core import (
    Record,
    Rng,
    Table,
    Weighted,
    derive,
    iso_ms,
    parse_iso,
    spread_stamps,
)
from plantlink.sandbox.core.clock import DAY_MS
from plantlink.sandbox.core.vocab import (
    ACTIONS,
    AREAS,
    BUILDINGS,
    CITIES,
    COMPANY_SUFFIXES,
    COST_CENTERS,
    EQUIPMENT,
    FAILURE_CODES,
    FAULTS,
    FIRST_NAMES,
    LAST_NAMES,
    PART_INDEX,
    PARTS,
    PAYMENT_TERMS,
    PLANT_KINDS,
    PM_TASKS,
    STREETS,
    SUPPLIER_NAMES,
    TRADES,
)

HOUR_MS = 3_600_000

WO_STATUSES = ("OPEN", "IN_PROGRESS", "ON_HOLD", "DONE", "CANCELED")
PRIORITIES = ("NONE", "LOW", "MEDIUM", "HIGH")
PO_STATUSES = (
    "REQUESTED",
    "PENDING",
    "DECLINED",
    "APPROVED",
    "PARTIALLY_FULFILLED",
    "COMPLETED",
    "CANCELED",
)
WR_STATUSES = ("PENDING", "REJECTED", "APPROVED", "DONE")

CATEGORIES = (
    ("Mechanical", "Pumps, drives, gearboxes and other rotating equipment"),
    ("Electrical", "Motors, panels, drives and wiring"),
    ("Safety", "Guarding, lockout/tagout and safety devices"),
    ("Inspection", "Routine rounds and condition checks"),
    ("Preventive", "Scheduled preventive maintenance"),
    ("Calibration", "Instrument and sensor calibration"),
    ("Lubrication", "Greasing and oil changes"),
    ("HVAC", "Heating, ventilation and air conditioning"),
    ("Hydraulic", "Hydraulic power units, hoses and cylinders"),
    ("Instrumentation", "Transmitters, valves and control loops"),
    ("Damage", "Damage caused by accident or misuse"),
    ("Cleaning", "Sanitation and housekeeping"),
    ("Project", "Improvement projects and modifications"),
)
CRITICALITIES = (("Low", 1), ("Medium", 2), ("High", 3), ("Critical", 4))
TEAM_KINDS = ("Mechanical", "Electrical", "Utilities", "Instrumentation", "Facilities")
VENDOR_KINDS = (
    "Industrial Supply",
    "Bearings",
    "Electric",
    "Hydraulics",
    "Automation",
    "Fasteners",
    "Safety Products",
    "Pump Service",
    "Machining",
    "Controls",
)
PART_TYPES = ("Spare", "Consumable", "Critical Spare", "Tool")

_WO_STATUS_OLD = Weighted(range(5), (4, 3, 4, 83, 6))  # index into WO_STATUSES
_WO_STATUS_NEW = Weighted(range(5), (40, 25, 10, 23, 2))
_WO_TYPE = Weighted(("REACTIVE", "PREVENTIVE", "OTHER"), (55, 35, 10))
_PRIORITY = Weighted(PRIORITIES, (10, 30, 40, 20))
_PO_STATUS_OLD = Weighted(PO_STATUSES, (2, 3, 3, 6, 6, 70, 10))
_PO_STATUS_NEW = Weighted(PO_STATUSES, (20, 25, 8, 25, 10, 8, 4))
_STOCK_ROWS = Weighted((1, 2, 3), (5, 3, 1))
_PM_CATEGORY = ("Inspection", "Lubrication", "Mechanical")
_FIX_CATEGORY = ("Mechanical", "Electrical", "Hydraulic", "Safety")

# First ids per collection: disjoint ranges, like the vendor's global ids.
FIRST_ID = {
    "criticalities": 101,
    "categories": 501,
    "teams": 801,
    "users": 60_001,
    "locations": 150_001,
    "vendors": 210_001,
    "assets": 300_001,
    "meters": 700_001,
    "parts": 800_001,
    "plans": 1_000_001,
    "workrequests": 1_100_001,
    "purchaseorders": 1_400_001,
    "workorders": 10_000_001,
}
PO_ITEM_BASE = 20_000_000  # item id = base + po_row * 8 + index
READING_BASE = 50_000_000  # base reading id = base + meter row

# Custom fields (extraFields) per entity: label -> (type, options). These are the only
# writable extraFields keys; values are strings as the vendor returns them.
CUSTOM_FIELDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "workOrders": {
        "Failure Code": ("singleSelect", FAILURE_CODES),
        "Cost Center": ("singleSelect", COST_CENTERS),
        "Downtime (h)": ("number", ()),
        "External Reference": ("oneline", ()),
    },
    "assets": {
        "Asset Tag": ("oneline", ()),
        "Install Date": ("date", ()),
        "Cost Center": ("singleSelect", COST_CENTERS),
        "Warranty Expiry": ("date", ()),
    },
    "locations": {"Site Code": ("oneline", ()), "Cost Center": ("singleSelect", COST_CENTERS)},
    "parts": {
        "Part Number": ("oneline", ()),
        "Manufacturer": ("oneline", ()),
        "Storage Class": ("singleSelect", ("Shelf", "Bin", "Bulk", "Hazmat")),
    },
    "vendors": {
        "Contact Name": ("oneline", ()),
        "Address": ("multiline", ()),
        "Website": ("link", ()),
        "Payment Terms": ("singleSelect", PAYMENT_TERMS),
        "Account Number": ("oneline", ()),
    },
    "purchaseOrders": {
        "Requisition Number": ("oneline", ()),
        "Cost Center": ("singleSelect", COST_CENTERS),
    },
    "lineItemPurchaseOrders": {"GL Account": ("oneline", ())},
}


@dataclass(frozen=True)
class Sizes:
    """Collection sizes for a scale: plausible proportions for one organisation."""

    plants: int
    teams: int
    users: int
    vendors: int
    assets: int
    parts: int
    meters: int
    plans: int
    work_requests: int
    purchase_orders: int
    work_orders: int

    @classmethod
    def for_scale(cls, scale: int) -> Sizes:
        assets = max(60, scale // 4)
        return cls(
            plants=3 + scale // 300_000,
            teams=min(60, max(5, scale // 400)),
            users=min(3000, max(15, scale // 60)),
            vendors=min(5000, max(12, scale // 80)),
            assets=assets,
            parts=max(40, scale // 10),
            meters=max(10, assets // 5),
            plans=max(8, scale // 50),
            work_requests=max(20, scale // 6),
            purchase_orders=max(20, scale // 5),
            work_orders=scale,
        )


class MaintainXData:
    """All tables of one seeded organisation (see module docstring)."""

    def __init__(self, seed: int, scale: int, anchor_ms: int) -> None:
        self.seed = seed
        self.anchor = anchor_ms
        self.sizes = sizes = Sizes.for_scale(scale)
        org = Rng(derive(seed, "organization"))
        self.organization_id = 40_000 + org.below(9_000)
        self.organization_name = f"{org.choice(LAST_NAMES)} Manufacturing"
        self._build_locations()
        self.criticalities = self._static_table(
            "criticalities",
            [{"label": label, "level": level} for label, level in CRITICALITIES],
        )
        self.categories = self._static_table(
            "categories", [{"label": label, "description": d} for label, d in CATEGORIES]
        )
        self.teams = self._static_table("teams", [self._team(i) for i in range(sizes.teams)])
        self.users = self._table("users", sizes.users, self._user, self._ref_stamps)
        self.vendors = self._table("vendors", sizes.vendors, self._vendor, self._ref_stamps)
        # Per base asset row, fixed at start: equipment class, parent row (-1) and location.
        self._asset_eq = bytearray(sizes.assets)
        self._asset_parent = array("q", [-1]) * sizes.assets
        self._asset_loc = array("q", bytes(8 * sizes.assets))
        self.assets = Table(
            "assets",
            count=sizes.assets,
            first_id=FIRST_ID["assets"],
            build=self._asset,
            stamps=self._asset_stamps,
            skeleton=self._asset_skeleton,
            facets={
                "location": lambda rec: (rec["locationId"],),
                "parent": lambda rec: (rec["parentId"],) if rec["parentId"] else (),
                "manufacturer": lambda rec: (rec["manufacturer"],),
                "model": lambda rec: (rec["model"],),
            },
        )
        self.parts = Table(
            "parts",
            count=sizes.parts,
            first_id=FIRST_ID["parts"],
            build=self._part,
            stamps=self._ref_stamps_for("parts"),
            facets={
                "partNumber": lambda rec: tuple(v["partNumber"] for v in rec["vendors"]),
            },
        )
        self.meters = Table(
            "meters",
            count=sizes.meters,
            first_id=FIRST_ID["meters"],
            build=self._meter,
            stamps=lambda r: self._meter_core(r)[1],
            facets={
                "asset": lambda rec: (rec["assetId"],),
                "measurementType": lambda rec: (rec["measurementType"],),
            },
        )
        # Per work-order row, fixed at start: status index and completion time (0 = none).
        self._wo_status = bytearray(sizes.work_orders)
        self._wo_completed = array("q", bytes(8 * sizes.work_orders))
        self.workorders = Table(
            "workorders",
            count=sizes.work_orders,
            first_id=FIRST_ID["workorders"],
            build=self._work_order,
            stamps=self._wo_stamps,
            facets={
                "status": lambda rec: (rec["status"],),
                "priority": lambda rec: (rec["priority"],),
                "asset": lambda rec: (rec["assetId"],) if rec["assetId"] else (),
                "location": lambda rec: (rec["locationId"],) if rec["locationId"] else (),
                "assignee": lambda rec: tuple(rec["assigneeIds"]),
                "team": lambda rec: tuple(rec["teamIds"]),
                "category": lambda rec: tuple(rec["categories"]),
                "vendor": lambda rec: tuple(rec["vendorIds"]),
                "part": lambda rec: tuple(p["partId"] for p in rec["partsUsed"]),
                "partStatus": lambda rec: (rec["partStatus"],),
            },
            sort_keys={
                "dueDate": lambda rec: _ms(rec["dueDate"]),
                "startedAt": lambda rec: _ms(rec["startDate"]),
                "completedAt": lambda rec: _ms(rec["completedAt"]),
            },
        )
        self.workrequests = Table(
            "workrequests",
            count=sizes.work_requests,
            first_id=FIRST_ID["workrequests"],
            build=self._work_request,
            stamps=lambda r: self._wr_core(r)[:2],
            facets={
                "status": lambda rec: (rec["requestStatus"],),
                "priority": lambda rec: (rec["priority"],),
                "asset": lambda rec: (rec["assetId"],) if rec["assetId"] else (),
                "location": lambda rec: (rec["locationId"],) if rec["locationId"] else (),
            },
        )
        self.purchaseorders = Table(
            "purchaseorders",
            count=sizes.purchase_orders,
            first_id=FIRST_ID["purchaseorders"],
            build=self._purchase_order,
            stamps=lambda r: self._po_core(r)[1:3],
        )
        self.plans = Table(
            "plans",
            count=sizes.plans,
            first_id=FIRST_ID["plans"],
            build=self._plan,
            stamps=self._ref_stamps_for("plans"),
        )
        # Meter readings beyond each meter's seeded one: meter row -> readings, oldest first.
        self.readings: dict[int, list[Record]] = {}
        self.deleted_readings: dict[str, int] = {}  # reading id -> meter row
        self.next_reading_id = READING_BASE + 10_000_000
        self.next_item_id = PO_ITEM_BASE + 10_000_000

    # -- helpers ---------------------------------------------------------------------

    def _rng(self, entity: str, row: int) -> Rng:
        return Rng.for_row(self.seed, entity, row)

    def _ref_stamps(self, rng: Rng) -> tuple[int, int]:
        """Reference data: mostly set up early in the year, edited now and then since."""
        start = self.anchor - 365 * DAY_MS
        if rng.chance(0.8):
            created = start + rng.below(45 * DAY_MS)
        else:
            created = start + rng.below(364 * DAY_MS)
        roll = rng.random()
        updated = created if roll < 0.35 else created + rng.below(self.anchor - created)
        return created, updated

    def _ref_stamps_for(self, entity: str) -> Any:
        def stamps(row: int) -> tuple[int, int]:
            return self._ref_stamps(self._rng(entity, row))

        return stamps

    def _table(self, entity: str, count: int, build: Any, stamps: Any) -> Table:
        def stamp(row: int) -> tuple[int, int]:
            result: tuple[int, int] = stamps(self._rng(entity, row))
            return result

        return Table(
            entity,
            count=count,
            first_id=FIRST_ID[entity],
            build=build,
            stamps=stamp,
        )

    def _static_table(self, entity: str, records: list[Record]) -> Table:
        first = FIRST_ID[entity]
        stamps = [self._ref_stamps(self._rng(entity, r)) for r in range(len(records))]
        for row, rec in enumerate(records):
            rec["id"] = first + row
            rec["createdAt"] = iso_ms(stamps[row][0])
            rec["updatedAt"] = iso_ms(stamps[row][1])
            rec["deletedAt"] = None
        return Table(
            entity,
            count=len(records),
            first_id=first,
            build=lambda r: records[r],
            stamps=lambda r: stamps[r],
        )

    def _person(self, rng: Rng) -> tuple[str, str]:
        return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)

    def _phone(self, rng: Rng) -> str:
        return f"+1-{rng.between(201, 989)}-555-{rng.between(0, 9999):04d}"

    def user_id(self, row: int) -> int:
        return FIRST_ID["users"] + row

    def random_user(self, rng: Rng) -> int:
        return FIRST_ID["users"] + rng.below(self.sizes.users)

    # -- locations -------------------------------------------------------------------

    def _build_locations(self) -> None:
        rng = Rng(derive(self.seed, "locations"))
        recs: list[Record] = []
        self.plant_rows: list[int] = []
        self.area_rows: list[int] = []
        self.storeroom_rows: list[int] = []
        first = FIRST_ID["locations"]
        areas_per_building = min(40, max(2, self.sizes.work_orders // 2500 + 2))
        cities = rng.sample(CITIES, self.sizes.plants)

        def add(name: str, parent: int | None, kind: str, **extra: Any) -> int:
            row = len(recs)
            created, updated = self._ref_stamps(rng)
            recs.append(
                {
                    "id": first + row,
                    "name": name,
                    "description": extra.pop("description", None),
                    "address": extra.pop("address", None),
                    "parentId": None if parent is None else first + parent,
                    "barcode": f"LOC-{first + row}",
                    "teamIds": [],
                    "vendorIds": [],
                    "extraFields": extra.pop("extraFields", {}),
                    "createdAt": iso_ms(created),
                    "updatedAt": iso_ms(updated),
                    "deletedAt": None,
                    "_kind": kind,
                    "_created": created,
                    "_updated": updated,
                }
            )
            return row

        for p, (city, state, postal, country) in enumerate(cities):
            code = f"{city[:3].upper()}{p + 1}"
            street = f"{rng.between(10, 9800)} {rng.choice(STREETS)}"
            plant = add(
                f"{city} {PLANT_KINDS[(p + rng.below(3)) % len(PLANT_KINDS)]}",
                None,
                "plant",
                description=f"Plant {p + 1} of {self.organization_name}",
                address=f"{street}, {city}, {state} {postal}, {country}",
                extraFields={"Site Code": code, "Cost Center": COST_CENTERS[p % 6]},
            )
            self.plant_rows.append(plant)
            for b, building in enumerate(rng.sample(BUILDINGS, rng.between(3, 5))):
                brow = add(
                    f"{code} {building}", plant, "building", description=f"{building} at {city}"
                )
                self.storeroom_rows.append(
                    add(
                        f"{code} Storeroom {chr(65 + b)}",
                        brow,
                        "storeroom",
                        description=f"Spare parts store of the {building}",
                    )
                )
                for a in range(areas_per_building):
                    area = AREAS[(a + b) % len(AREAS)]
                    self.area_rows.append(add(f"{code} {building} - {area} {a + 1}", brow, "area"))
        self.locations = Table(
            "locations",
            count=len(recs),
            first_id=first,
            build=lambda r: recs[r],
            stamps=lambda r: (recs[r]["_created"], recs[r]["_updated"]),
            facets={"parent": lambda rec: (rec["parentId"],) if rec["parentId"] else ()},
        )

    @lru_cache(maxsize=4096)  # noqa: B019 - one instance per sandbox, lives as long
    def address(self, location_id: int, department: str | None = None) -> Record:
        """Postal address of a location (its plant's street); shared, never edit in place."""
        name = department or self.locations.get(location_id - FIRST_ID["locations"])["name"]
        plant = self.plant_of(location_id)
        return postal_address(plant, f"{name}, {plant['name']}")

    def plant_of(self, location_id: int) -> Record:
        """The top-level location (plant) above a location."""
        rec = self.locations.get(location_id - FIRST_ID["locations"])
        while rec["parentId"] is not None:
            rec = self.locations.get(rec["parentId"] - FIRST_ID["locations"])
        return rec

    # -- people ----------------------------------------------------------------------

    def _team(self, i: int) -> Record:
        rng = self._rng("teams", i)
        plant = self.plant_rows[i % len(self.plant_rows)]
        plant_rec = self.locations.get(plant)
        kind = TEAM_KINDS[(i // len(self.plant_rows)) % len(TEAM_KINDS)]
        return {
            "name": f"{kind} - {plant_rec['name']}",
            "description": f"{kind} maintenance crew",
            "locationIds": [plant_rec["id"]],
            "membersCount": rng.between(3, 12),
            "assetIds": [],
        }

    def _user(self, row: int) -> Record:
        rng = self._rng("users", row)
        created, updated = self._ref_stamps(rng)
        first, last = self._person(rng)
        role = rng.weighted(("ADMIN", "MEMBER", "OPERATOR", "REQUESTER"), (1, 12, 3, 4))
        if row == 0:
            role = "ADMIN"  # the API key's user
        slug = f"{first}.{last}".lower().replace("'", "").replace("ü", "u").replace("ń", "n")
        return {
            "id": FIRST_ID["users"] + row,
            "firstName": first,
            "lastName": last,
            "email": f"{slug}.{row}@{self.organization_name.split()[0].lower()}-mfg.example",
            "phoneNumber": self._phone(rng),
            "role": role,
            "customRole": None,
            "authType": "NORMAL",
            "hourlyRate": rng.between(28, 75) * 100 if role != "REQUESTER" else None,
            "lastVisitedAt": iso_ms(updated + rng.below(max(1, self.anchor - updated))),
            "removedFromOrganization": False,
            "externalData": None,
            "extraFields": {},
            "jobTitle": rng.choice(TRADES),
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(updated),
            "deletedAt": None,
        }

    # -- vendors ---------------------------------------------------------------------

    def vendor_name(self, row: int) -> str:
        """Seeded name of a vendor row (its own stream, so parts can cite it cheaply)."""
        if row < len(SUPPLIER_NAMES):
            return SUPPLIER_NAMES[row]
        rng = self._rng("vendor-name", row)
        name = f"{rng.choice(LAST_NAMES)} {rng.choice(VENDOR_KINDS)} {rng.choice(COMPANY_SUFFIXES)}"
        return f"{name} ({rng.choice(CITIES)[0]})" if row >= 2000 else name

    def _vendor(self, row: int) -> Record:
        rng = self._rng("vendors", row)
        created, updated = self._ref_stamps(rng)
        name = self.vendor_name(row)
        city, state, postal, country = rng.choice(CITIES)
        first, last = self._person(rng)
        domain = "".join(c for c in name.lower() if c.isalnum())[:18] + ".example"
        return {
            "id": FIRST_ID["vendors"] + row,
            "name": name,
            "description": f"Supplier of {rng.choice(PARTS).name.lower()}s and MRO items",
            "emails": [f"orders@{domain}", f"{first.lower()}.{last.lower()}@{domain}"],
            "phoneNumbers": [self._phone(rng)],
            "contactIds": [],
            "extraFields": {
                "Contact Name": f"{first} {last}",
                "Address": f"{rng.between(10, 9800)} {rng.choice(STREETS)}, {city}, "
                f"{state} {postal}, {country}",
                "Website": f"https://www.{domain}",
                "Payment Terms": rng.choice(PAYMENT_TERMS),
                "Account Number": f"ACC-{rng.between(10000, 99999)}",
            },
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(updated),
            "deletedAt": None,
        }

    # -- assets ----------------------------------------------------------------------

    def _asset_stamps(self, row: int) -> tuple[int, int]:
        """Created/updated of a base asset; records its class, parent and location too.

        Runs once per row, in row order, at start: a fifth of the assets are components
        of the nearest preceding top-level asset and share its location.
        """
        rng = self._rng("assets", row)
        stamps = self._ref_stamps(rng)
        x = rng.next()
        self._asset_eq[row] = x % len(EQUIPMENT)
        if row < 10 or (x >> 8) % 5:
            self._asset_loc[row] = (
                FIRST_ID["locations"] + self.area_rows[(x >> 16) % len(self.area_rows)]
            )
            return stamps
        parent = row - 1
        while self._asset_parent[parent] >= 0:
            parent -= 1
        self._asset_parent[row] = parent
        self._asset_loc[row] = self._asset_loc[parent]
        return stamps

    def _asset_skeleton(self, row: int) -> Record:
        maker, model = self._asset_maker(row, self._asset_eq[row])
        parent = self._asset_parent[row]
        return {
            "locationId": self._asset_loc[row],
            "parentId": None if parent < 0 else FIRST_ID["assets"] + parent,
            "manufacturer": maker,
            "model": model,
        }

    def _asset_maker(self, row: int, eq: int) -> tuple[str, str]:
        rng = self._rng("asset-maker", row)
        maker, models = rng.choice(EQUIPMENT[eq].makers)
        return maker, rng.choice(models)

    def asset_name(self, row: int) -> str:
        """Seeded name of a base asset row (what history refers to)."""
        eq = EQUIPMENT[self._asset_eq[row]]
        return f"{eq.name} {eq.tag}-{1001 + row}"

    def asset_equipment(self, row: int) -> int:
        return self._asset_eq[row]

    def asset_location(self, row: int) -> int:
        return self._asset_loc[row]

    def _asset(self, row: int) -> Record:
        created, updated = self.assets.created[row], self.assets.updated[row]
        eq_i, location = self._asset_eq[row], self._asset_loc[row]
        parent: int | None = self._asset_parent[row]
        if parent is not None and parent < 0:
            parent = None
        rng = self._rng("asset-detail", row)
        eq = EQUIPMENT[eq_i]
        maker, model = self._asset_maker(row, eq_i)
        year = 2008 + rng.below(17)
        team = FIRST_ID["teams"] + rng.below(self.sizes.teams)
        crit = FIRST_ID["criticalities"] + rng.weighted(range(4), (3, 5, 3, 1))
        area = self.locations.get(location - FIRST_ID["locations"])["name"]
        online = rng.chance(0.92)
        return {
            "id": FIRST_ID["assets"] + row,
            "name": self.asset_name(row),
            "description": f"{maker} {model} {eq.name.lower()} in {area}",
            "parentId": None if parent is None else FIRST_ID["assets"] + parent,
            "criticalityId": crit,
            "locationId": location,
            "serialNumber": f"{maker[:3].upper()}{year}{rng.between(100000, 999999)}",
            "barcode": f"AST{FIRST_ID['assets'] + row}",
            "teamIds": [team],
            "assetTypes": [eq.name],
            "vendorIds": [FIRST_ID["vendors"] + rng.below(self.sizes.vendors)],
            "manufacturer": maker,
            "model": model,
            "extraFields": {
                "Asset Tag": f"{eq.tag}-{1001 + row}",
                "Install Date": f"{year}-{rng.between(1, 12):02d}-{rng.between(1, 28):02d}",
                "Cost Center": rng.choice(COST_CENTERS),
            },
            "depreciation": None,
            "status": {
                "status": "ONLINE" if online else "OFFLINE",
                "downtimeType": None if online else rng.choice(("PLANNED", "UNPLANNED")),
                "startedAt": iso_ms(updated),
                "endedAt": None,
                "description": None,
            },
            "creatorId": self.user_id(0),
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(updated),
            "deletedAt": None,
        }

    # -- parts and stock -------------------------------------------------------------

    def part_locations(self, row: int) -> tuple[int, ...]:
        """Storerooms stocking a base part: 1-3 neighbours in the list, so mostly one plant."""
        x = self._rng("part-stock", row).next()
        rooms = self.storeroom_rows
        k = min(len(rooms), _STOCK_ROWS.pick(x))
        start = (x >> 8) % len(rooms)
        return tuple(FIRST_ID["locations"] + rooms[(start + i) % len(rooms)] for i in range(k))

    def part_home(self, row: int) -> int:
        """``part_locations(row)[0]`` without building the tuple (work-order hot path)."""
        x = self._rng("part-stock", row).next()
        rooms = self.storeroom_rows
        return FIRST_ID["locations"] + rooms[(x >> 8) % len(rooms)]

    @lru_cache(maxsize=1 << 17)  # noqa: B019 - one instance per sandbox, lives as long
    def part_core(self, row: int) -> tuple[str, str, int, list[Record]]:
        """(name, internal part number, unit cost in cents, vendor part numbers).

        Cheap enough for purchase-order lines, which must not build whole parts.
        """
        rng = self._rng("part-core", row)
        kind = PARTS[row % len(PARTS)]
        code = f"{kind.code}-{10000 + row}"
        vendors = []
        for v in sorted(rng.sample(range(self.sizes.vendors), rng.between(1, 2))):
            prefix = "".join(w[0] for w in self.vendor_name(v).split()[:2]).upper()
            vendors.append({"vendorId": FIRST_ID["vendors"] + v, "partNumber": f"{prefix}-{code}"})
        return f"{kind.name} {code}", code, rng.between(*kind.cost_cents), vendors

    def _part(self, row: int) -> Record:
        rng = self._rng("parts", row)
        created, updated = self._ref_stamps(rng)
        kind = PARTS[row % len(PARTS)]
        name, code, unit_cost, vendors = self.part_core(row)
        stock = []
        for loc in self.part_locations(row):
            minimum = rng.between(1, 10)
            stock.append(
                {
                    "locationId": loc,
                    "availableQuantity": rng.between(0, 60),
                    "minimumQuantity": minimum,
                    "maximumQuantity": minimum * rng.between(3, 8),
                    "area": f"{chr(65 + rng.below(8))}-{rng.between(1, 24):02d}",
                    "reservedQuantity": 0,
                    "committedQuantities": {"kitted": 0, "reserved": 0, "staged": 0},
                    "assignedQuantity": 0,
                }
            )
        maker = rng.choice(EQUIPMENT).makers[0][0]
        return {
            "id": FIRST_ID["parts"] + row,
            "name": name,
            "description": f"{kind.name} for {maker} equipment",
            "barcode": f"PRT{FIRST_ID['parts'] + row}",
            "unitCost": unit_cost,
            "partTypes": [rng.weighted(PART_TYPES, (6, 3, 2, 1))],
            "assetIds": [],
            "teamIds": [],
            "vendors": vendors,
            "locations": stock,
            "extraFields": {
                "Part Number": code,
                "Manufacturer": maker,
                "Storage Class": rng.choice(("Shelf", "Bin", "Bulk", "Hazmat")),
            },
            "orderedQuantity": 0,
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(updated),
            "deletedAt": None,
        }

    # -- meters ----------------------------------------------------------------------

    def _meter_core(self, row: int) -> tuple[Rng, tuple[int, int], int]:
        """(rng, stamps, asset row): every fifth-ish asset carries a meter."""
        rng = self._rng("meters", row)
        asset_row = (row * 5 + rng.below(5)) % self.sizes.assets
        stamps = self._ref_stamps(rng)
        return rng, stamps, asset_row

    def _meter(self, row: int) -> Record:
        rng, (created, updated), asset_row = self._meter_core(row)
        eq = EQUIPMENT[self.asset_equipment(asset_row)]
        name, unit = eq.meter
        mtype = "AUTOMATED_SENSOR" if rng.chance(0.3) else "MANUAL"
        return {
            "id": FIRST_ID["meters"] + row,
            "assetId": FIRST_ID["assets"] + asset_row,
            "locationId": self.asset_location(asset_row),
            "creatorId": self.user_id(0),
            "updaterId": None,
            "name": f"{name} - {self.asset_name(asset_row)}",
            "uuid": uuid4_from(rng),
            "description": f"{name} of {self.asset_name(asset_row)}",
            "measurementType": mtype,
            "readingFrequency": {"type": "DAILY", "interval": 1} if mtype == "MANUAL" else None,
            "unit": unit,
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(updated),
            "deletedAt": None,
        }

    def base_reading(self, meter_row: int) -> Record:
        """The seeded (latest) reading of a meter, taken shortly before the anchor."""
        rng = self._rng("reading", meter_row)
        meter = self.meters.get(meter_row)
        taken = max(_ms(meter["createdAt"]) or 0, self.anchor - rng.below(3 * DAY_MS))
        unit = meter["unit"]
        if unit in ("Hours", "Cycles"):
            value = float(rng.between(500, 60_000))
        elif unit == "PSI":
            value = round(90 + rng.random() * 60, 1)
        elif unit == "Amps":
            value = round(20 + rng.random() * 180, 1)
        else:
            value = round(25 + rng.random() * 70, 1)
        return {
            "id": str(READING_BASE + meter_row),
            "meterId": meter["id"],
            "createdAt": iso_ms(taken + rng.below(60_000)),
            "readingDate": iso_ms(taken),
            "value": value,
        }

    # -- work orders -----------------------------------------------------------------

    def _wo_stamps(self, row: int) -> tuple[int, int]:
        """Created/updated of a base work order; records its status and completion too.

        Status depends on age (old orders are mostly done), and a done order's
        ``updatedAt`` is its completion plus a little: hence generated together, once.
        """
        rng = self._rng("workorders", row)
        x = rng.next()
        created = self.anchor - 1 - x % (365 * DAY_MS)
        x //= 365 * DAY_MS  # ~29 bits left
        old = self.anchor - created > 45 * DAY_MS
        status = (_WO_STATUS_OLD if old else _WO_STATUS_NEW).pick(x)
        x >>= 7
        room = self.anchor - created
        y = rng.next()
        if status == 3:  # DONE
            completed = created + HOUR_MS + y % max(1, min(30 * DAY_MS, room - HOUR_MS))
            completed = min(completed, self.anchor - 1)
            updated = min(self.anchor - 1, completed + (y >> 32) % (2 * HOUR_MS))
            self._wo_completed[row] = completed
        elif status == 0 and x % 10 < 4:  # OPEN, never touched
            updated = created
        else:
            updated = created + y % max(1, min(20 * DAY_MS, room))
        self._wo_status[row] = status
        return created, max(created, updated)

    def wr_link(self, wo_row: int) -> int | None:
        """Work-request row that produced a work order, if any (every 6th, approved ones)."""
        if (wo_row - 3) % 6:
            return None
        wr_row = (wo_row - 3) // 6
        if wr_row >= self.sizes.work_requests:
            return None
        return wr_row if self._wr_core(wr_row)[2] in ("APPROVED", "DONE") else None

    def _work_order(self, row: int) -> Record:
        """One seeded work order. Hot path of every list call: one draw feeds many fields."""
        rng = self._rng("wo-detail", row)
        table = self.workorders
        created, updated = table.created[row], table.updated[row]
        status = WO_STATUSES[self._wo_status[row]]
        completed = self._wo_completed[row] or None
        sizes = self.sizes
        x = rng.next()
        y = rng.next()
        if x % 100 < 92:
            asset_row = (x >> 7) % sizes.assets
            asset_id: int | None = FIRST_ID["assets"] + asset_row
            location = self._asset_loc[asset_row]
            eq = EQUIPMENT[self._asset_eq[asset_row]]
            subject = f"{eq.name} {eq.tag}-{1001 + asset_row}"
        else:
            asset_id = None
            location = FIRST_ID["locations"] + self.area_rows[(x >> 7) % len(self.area_rows)]
            eq = EQUIPMENT[(x >> 40) % len(EQUIPMENT)]
            subject = self.locations.get(location - FIRST_ID["locations"])["name"]
        wo_type = _WO_TYPE.pick(y)
        y >>= 7
        if wo_type == "PREVENTIVE":
            task = PM_TASKS[y % len(PM_TASKS)]
            title = f"{task} - {subject}"
            description = f"{task} of {subject} as per maintenance plan."
            categories = ["Preventive", _PM_CATEGORY[(y >> 4) % 3]]
        else:
            fault = FAULTS[y % len(FAULTS)]
            action = ACTIONS[(y >> 4) % len(ACTIONS)]
            kind = eq.name.lower()
            title = f"{action} {kind}: {fault} - {subject}"
            description = f"Operator reported {fault}. Check the {kind} and fix."
            categories = [_FIX_CATEGORY[(y >> 8) % 4]]
        y >>= 12
        priority = _PRIORITY.pick(y)
        y >>= 7
        due = created + (1 + y % 21) * DAY_MS if (y >> 5) % 100 < 85 else None
        y >>= 12
        start = due - (1 + y % 3) * DAY_MS if due and (y >> 2) % 10 < 4 else None
        y >>= 6
        z = rng.next()
        users = sizes.users
        first = z % users
        assignee_ids = [FIRST_ID["users"] + first]
        if (z >> 12) % 3 == 0:
            assignee_ids.append(FIRST_ID["users"] + (first + 1 + (z >> 14) % (users - 1)) % users)
        z >>= 30
        team_ids = [FIRST_ID["teams"] + z % sizes.teams] if (z >> 6) % 2 else []
        z >>= 7
        parts_used = []
        if status in ("DONE", "IN_PROGRESS") and z % 100 < 55:
            for _ in range(1 + (z >> 7) % 3):
                part_row = self._part_for(eq.parts, rng)
                parts_used.append(
                    {
                        "partId": FIRST_ID["parts"] + part_row,
                        "quantityUsed": 1 + rng.below(4),
                        "locationId": self.part_home(part_row),
                    }
                )
        w = rng.next()
        vendor_ids = [FIRST_ID["vendors"] + (w >> 8) % sizes.vendors] if w % 100 < 12 else []
        w >>= 24
        extra = {"Cost Center": COST_CENTERS[w % len(COST_CENTERS)]}
        w >>= 4
        if status == "DONE" and wo_type == "REACTIVE":
            extra["Failure Code"] = FAILURE_CODES[w % len(FAILURE_CODES)]
            extra["Downtime (h)"] = f"{(w >> 4) % 97 / 2:.1f}"
        w >>= 11
        wr_row = self.wr_link(row)
        requester = self._wr_core(wr_row)[3] if wr_row is not None else None
        if not parts_used:
            part_status = "NO_PARTS"
        elif status == "DONE":
            part_status = "ISSUED"
        else:
            part_status = "ASSIGNED" if w % 2 else "RESERVED"
        updated_iso = iso_ms(updated)
        return {
            "id": FIRST_ID["workorders"] + row,
            "sequentialId": row + 1,
            "title": title,
            "description": description,
            "status": status,
            "priority": priority,
            "type": wo_type,
            "assetId": asset_id,
            "locationId": location,
            "createdAt": iso_ms(created),
            "updatedAt": updated_iso,
            "completedAt": None if completed is None else iso_ms(completed),
            "completerId": None if completed is None else assignee_ids[0],
            "creatorId": requester or FIRST_ID["users"] + (w >> 1) % users,
            "requesterId": requester,
            "workRequestId": None if wr_row is None else FIRST_ID["workrequests"] + wr_row,
            "deletedAt": None,
            "dueDate": None if due is None else iso_ms(due),
            "dueDateIsFullDay": False,
            "startDate": None if start is None else iso_ms(start),
            "estimatedTime": (1 + (w >> 20) % 16) * 1800,
            "lastMessageSentAt": updated_iso if (w >> 25) % 10 < 3 else None,
            "assigneeIds": assignee_ids,
            "teamIds": team_ids,
            "categories": categories,
            "partsUsed": parts_used,
            "vendorIds": vendor_ids,
            "extraFields": extra,
            "partStatus": part_status,
            "partsAvailability": "PARTS_AVAILABLE",
            "organizationId": self.organization_id,
            "recurrenceInfo": None,
            "isParent": False,
            "parentId": None,
            "nextId": None,
            "previousId": None,
            "externalData": None,
        }

    def _part_for(self, kinds: tuple[str, ...], rng: Rng) -> int:
        """A part row of one of the equipment's spare-part kinds (part kind = row % kinds)."""
        kind = PART_INDEX[rng.choice(kinds)]
        n = self.sizes.parts
        if kind >= n:
            return rng.below(n)
        return kind + len(PARTS) * rng.below((n - 1 - kind) // len(PARTS) + 1)

    # -- work requests ---------------------------------------------------------------

    @lru_cache(maxsize=1 << 18)  # noqa: B019 - one instance per sandbox, lives as long
    def _wr_core(self, row: int) -> tuple[int, int, str, int]:
        """(created, updated, status, requester user id): what linked work orders need."""
        rng = self._rng("workrequests", row)
        wo_row = 3 + row * 6
        status = rng.weighted(WR_STATUSES, (25, 10, 25, 40))
        requester = self.random_user(rng)
        if status in ("APPROVED", "DONE") and wo_row < self.sizes.work_orders:
            wo_created = self.workorders.created[wo_row]
            created = wo_created - HOUR_MS - rng.below(2 * DAY_MS)
            updated = wo_created
        else:
            created = self.anchor - 1 - rng.below(365 * DAY_MS)
            updated = created + rng.below(max(1, min(5 * DAY_MS, self.anchor - created)))
        return max(0, created), max(created, updated), status, requester

    def _work_request(self, row: int) -> Record:
        created, updated, status, requester = self._wr_core(row)
        rng = self._rng("wr-detail", row)
        wo_row = 3 + row * 6
        linked = status in ("APPROVED", "DONE") and wo_row < self.sizes.work_orders
        if linked:
            wo = self.workorders.get(wo_row)
            asset_id, location = wo["assetId"], wo["locationId"]
            title = str(wo["title"])
        else:
            asset_row = rng.below(self.sizes.assets)
            asset_id = FIRST_ID["assets"] + asset_row
            location = self.asset_location(asset_row)
            title = f"{rng.choice(FAULTS).capitalize()} - {self.asset_name(asset_row)}"
        user = self.users.get(requester - FIRST_ID["users"])
        return {
            "id": FIRST_ID["workrequests"] + row,
            "title": title,
            "description": "Reported through the request portal.",
            "priority": rng.weighted(PRIORITIES, (20, 30, 35, 15)),
            "requestStatus": status if (linked or status in ("PENDING", "REJECTED")) else "PENDING",
            "assetId": asset_id,
            "locationId": location,
            "workOrderId": FIRST_ID["workorders"] + wo_row if linked else None,
            "sendEmailNotification": True,
            "extraFields": {},
            "approverTeamId": FIRST_ID["teams"],
            "creatorContactInfo": {"type": "EMAIL", "value": user["email"]},
            "creatorId": requester,
            "attachments": [],
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(updated),
            "deletedAt": None,
        }

    # -- purchase orders -------------------------------------------------------------

    def _po_core(self, row: int) -> tuple[Rng, int, int, str]:
        """(rng, created, updated, status): older orders are mostly completed."""
        rng = self._rng("purchaseorders", row)
        created, updated = spread_stamps(rng, self.anchor)
        old = self.anchor - created > 30 * DAY_MS
        status = (_PO_STATUS_OLD if old else _PO_STATUS_NEW).pick(rng.next())
        return rng, created, updated, status

    def _purchase_order(self, row: int) -> Record:
        rng, created, updated, status = self._po_core(row)
        vendor_row = rng.below(self.sizes.vendors)
        vendor_id = FIRST_ID["vendors"] + vendor_row
        storeroom = FIRST_ID["locations"] + rng.choice(self.storeroom_rows)
        plant = self.plant_of(storeroom)
        items = []
        for i in range(rng.weighted((1, 2, 3, 4, 5, 6), (20, 25, 20, 15, 12, 8))):
            part_row = rng.below(self.sizes.parts)
            qty = rng.between(1, 24)
            received = 0
            if status == "COMPLETED":
                received = qty
            elif status == "PARTIALLY_FULFILLED":
                received = qty if i == 0 else rng.below(qty)
            items.append(
                self.po_item(
                    PO_ITEM_BASE + row * 8 + i,
                    part_row,
                    vendor_id,
                    qty,
                    received,
                    storeroom,
                    {"GL Account": f"6{rng.between(100, 999)}0"},
                )
            )
        approver = self.user_id(0) if status not in ("REQUESTED", "PENDING", "DECLINED") else None
        return {
            "id": FIRST_ID["purchaseorders"] + row,
            "title": f"{self.vendor_name(vendor_row)} - {items[0]['name']}"
            + (f" +{len(items) - 1}" if len(items) > 1 else ""),
            "note": rng.choice((None, "Deliver to the storeroom dock", "Urgent: line down")),
            "reviewNote": "Please split by cost center" if status == "DECLINED" else None,
            "status": status,
            "dueDate": iso_ms(created + rng.between(5, 30) * DAY_MS),
            "creatorId": self.random_user(rng),
            "vendorId": vendor_id,
            "autoGeneratedNumber": row + 1,
            "overrideNumber": None,
            "approverId": approver,
            "approvalDate": iso_ms(min(updated, created + DAY_MS)) if approver else None,
            "items": items,
            "costs": [
                {
                    "id": PO_ITEM_BASE + row * 8 + 7,
                    "name": "Shipping",
                    "type": "AMOUNT_NON_TAXABLE",
                    "amount": rng.between(10, 90) * 100,
                }
            ],
            "vendorContactIds": [],
            "shippingAddress": self.address(storeroom),
            "billingAddress": self.address(plant["id"], "Accounts Payable"),
            "extraFields": {
                "Requisition Number": f"REQ-{100000 + row}",
                "Cost Center": rng.choice(COST_CENTERS),
            },
            "thumbnail": None,
            "attachments": [],
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(updated),
            "deletedAt": None,
        }

    def po_item(
        self,
        item_id: int,
        part_row: int,
        vendor_id: int,
        qty: int,
        received: int,
        location_id: int | None,
        extra: dict[str, str],
    ) -> Record:
        """One PO line for a part in the vendor's shape; prices in cents."""
        name, code, unit_cost, vendors = self.part_core(part_row)
        part_number = next((v["partNumber"] for v in vendors if v["vendorId"] == vendor_id), code)
        return po_line(
            item_id,
            FIRST_ID["parts"] + part_row,
            name,
            part_number,
            qty,
            received,
            unit_cost,
            location_id,
            extra,
            {"Part Number": code},
        )

    # -- maintenance plans -----------------------------------------------------------

    def _plan(self, row: int) -> Record:
        rng = self._rng("plans", row)
        created, updated = self._ref_stamps(rng)
        base = 3_000_000 + row * 8
        asset_rows = sorted(rng.sample(range(self.sizes.assets), rng.between(1, 3)))
        task = rng.choice(PM_TASKS)
        kind = rng.weighted(("WEEKLY", "MONTHLY", "YEARLY"), (3, 6, 1))
        recurrence: Record
        if kind == "WEEKLY":
            recurrence = {
                "type": "WEEKLY",
                "interval": rng.between(1, 2),
                "days": [rng.choice(("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY"))],
            }
        elif kind == "MONTHLY":
            recurrence = {
                "type": "MONTHLY",
                "interval": rng.choice((1, 3, 6)),
                "day": rng.between(1, 28),
            }
        else:
            recurrence = {"type": "YEARLY", "interval": 1}
        start = created + rng.between(1, 14) * DAY_MS
        period = {"WEEKLY": 7, "MONTHLY": 30, "YEARLY": 365}[kind] * DAY_MS
        last_due = start + ((self.anchor - start) // period) * period
        active = rng.chance(0.9)
        return {
            "id": FIRST_ID["plans"] + row,
            "name": f"{task} - {self.asset_name(asset_rows[0])}",
            "organizationId": self.organization_id,
            "startDate": iso_ms(start),
            "workOrderStartDatePadding": 24,
            "workOrderStartDateOffset": {"value": 1, "unit": "DAY"},
            "workOrderStartDateFixedDay": None,
            "blueprintEstimatedTime": rng.between(1, 8) * 30,
            "triggerType": "CALENDAR",
            "intervalStrategy": rng.choice(("FIXED", "FLOATING")),
            "recurrence": recurrence,
            "planningHorizon": {"value": rng.choice((2, 4)), "unit": "WEEK"},
            "workOrderBlueprintId": base + 7,
            "assets": [
                {"id": base + i, "assetId": FIRST_ID["assets"] + a}
                for i, a in enumerate(asset_rows)
            ],
            "intervals": [],
            "nextCycleOccurrence": None,
            "nextScheduledWorkOrderDueDate": iso_ms(last_due + period) if active else None,
            "lastPlannedDueDate": iso_ms(last_due) if last_due > start else None,
            "nextWorkOrderGenerationAt": iso_ms(last_due + period - 14 * DAY_MS)
            if active
            else None,
            "lastWorkOrderGeneratedAt": iso_ms(max(created, last_due - 14 * DAY_MS)),
            "creatorId": self.user_id(0),
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(updated),
            "archivedAt": None if active else iso_ms(updated),
            "deletedAt": None,
        }


def _ms(value: str | None) -> int | None:
    return None if value is None else parse_iso(value)


def uuid4_from(rng: Rng) -> str:
    h = rng.hex(32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def postal_address(plant: Record, label: str) -> Record:
    """A PO address from a plant's one-line address."""
    street, city, rest = ([*str(plant["address"]).split(", ", 2), "", ""])[:3]
    state_postal, _, country = rest.rpartition(", ")
    state, _, postal = state_postal.rpartition(" ")
    return {
        "street": street,
        "city": city,
        "state": state,
        "postalCode": postal,
        "country": country,
        "label": label,
    }


def po_line(
    item_id: int,
    part_id: int | None,
    name: str | None,
    part_number: str | None,
    qty: int,
    received: int,
    unit_cost: int | None,
    location_id: int | None,
    extra: dict[str, str],
    part_extra: dict[str, str],
) -> Record:
    """A PO line in the vendor's shape: prices in cents, decimals as strings."""
    price = None if unit_cost is None else unit_cost * qty
    return {
        "id": item_id,
        "partId": part_id,
        "name": name,
        "partNumber": part_number,
        "price": price,
        "priceDecimal": None if price is None else f"{price / 100:.2f}",
        "quantityOrdered": qty,
        "quantityReceived": received,
        "unitCost": unit_cost,
        "unitCostDecimal": None if unit_cost is None else f"{unit_cost / 100:.2f}",
        "fulfillments": [
            {
                "id": item_id,
                "locationId": location_id,
                "quantityReceived": str(received),
                "isLegacy": False,
            }
        ]
        if received
        else [],
        "extraFields": dict(extra),
        "lineExtraFields": dict(extra),
        "partExtraFields": part_extra,
    }
