"""``/_sandbox`` behaviour of each unified entity served by the MaintainX sandbox.

Keys are the remote ids a plantlink MaintainX connector reports:

=======================  ==========================  =====================================
unified entity           MaintainX source            key
=======================  ==========================  =====================================
sites                    top-level locations         location id, e.g. ``"150001"``
locations                all locations               location id
assets                   assets                      asset id
parts                    parts                       part id
inventory                a part's stock at a         ``"<partId>/<locationId>"``
                         location (``locations[]``)
vendors                  vendors                     vendor id
users                    users                       user id
work_orders              work orders                 work order id (global, not sequential)
purchase_orders          purchase orders (+ items)   purchase order id
maintenance_schedules    maintenance plans           plan id
service_requests         work requests               work request id
meters                   meters                      meter id
meter_readings           meter readings              ``"<meterId>/<reading id>"`` (the
                                                     vendor's reading id, not a timestamp)
=======================  ==========================  =====================================

``mutate`` edits what a planner or technician would (statuses move forward, quantities,
due dates, contact data) and always moves ``updatedAt``; inventory changes move the
part's ``updatedAt`` (the only change stamp the vendor exposes for stock), and
``records`` reports each stock row with its part's stamps. Meter readings are immutable
in MaintainX, so ``mutate`` on them is refused (422); ``create`` records a new reading.
``delete`` soft-deletes (``deletedAt``; gone from the API, ``deleted: true`` in records);
for inventory it removes the location from the part, as the vendor's
``removedLocationIds`` does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from plantlink.sandbox.core import (
    ControlEntity,
    Record,
    Rng,
    Table,
    TableEntity,
    Unsupported,
    iso_ms,
    live_record,
    parse_iso,
    pick_rows,
)
from plantlink.sandbox.core.clock import DAY_MS
from plantlink.sandbox.core.vocab import (
    AREAS,
    CITIES,
    EQUIPMENT,
    FAULTS,
    FIRST_NAMES,
    LAST_NAMES,
    PARTS,
    PAYMENT_TERMS,
    PM_TASKS,
    STREETS,
)
from plantlink.sandbox.maintainx.data import (
    CATEGORIES,
    FIRST_ID,
    PRIORITIES,
    postal_address,
    uuid4_from,
)
from plantlink.sandbox.maintainx.ops import PO_TRANSITIONS, Org


class Control:
    """Builds the ``ControlEntity`` of every unified entity (see module docstring)."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.d = org.data

    def entities(self) -> dict[str, ControlEntity]:
        d = self.d

        def entity(table: Table, mutate: object, create: object, **kw: object) -> TableEntity:
            return TableEntity(
                table,
                mutate_row=mutate,  # type: ignore[arg-type]
                create_row=create,  # type: ignore[arg-type]
                delete_row=lambda row: self.org.remove(table, row),
                **kw,  # type: ignore[arg-type]
            )

        return {
            "sites": entity(
                d.locations, self._mutate_location, self._create_site, subset=self._is_site
            ),
            "locations": entity(d.locations, self._mutate_location, self._create_location),
            "assets": entity(d.assets, self._mutate_asset, self._create_asset),
            "parts": entity(d.parts, self._mutate_part, self._create_part),
            "inventory": Inventory(self.org),
            "vendors": entity(d.vendors, self._mutate_vendor, self._create_vendor),
            "users": entity(d.users, self._mutate_user, self._create_user),
            "work_orders": entity(d.workorders, self._mutate_work_order, self._create_work_order),
            "purchase_orders": PurchaseOrders(
                d.purchaseorders,
                mutate_row=self._mutate_purchase_order,
                create_row=self._create_purchase_order,
                delete_row=lambda row: self.org.remove(d.purchaseorders, row),
            ),
            "maintenance_schedules": entity(d.plans, self._mutate_plan, self._create_plan),
            "service_requests": entity(d.workrequests, self._mutate_request, self._create_request),
            "meters": entity(d.meters, self._mutate_meter, self._create_meter),
            "meter_readings": Readings(self.org),
        }

    def _now(self) -> int:
        return self.org.clock.now_ms()

    def _edit(self, table: Table, row: int) -> Record:
        return live_record(table, row)

    def _pick(self, table: Table, rng: Rng) -> int:
        """A random live row of another collection, for references of new records."""
        return pick_rows(rng, table, 1)[0]

    # -- locations -------------------------------------------------------------------

    def _is_site(self, row: int) -> bool:
        return self.d.locations.get(row)["parentId"] is None

    def _mutate_location(self, row: int, rng: Rng) -> None:
        rec = self._edit(self.d.locations, row)
        if rec["parentId"] is None:
            city, state, postal, country = rng.choice(CITIES)
            rec["address"] = f"{rng.between(10, 9800)} {rng.choice(STREETS)}, {city}, " + (
                f"{state} {postal}, {country}"
            )
        else:
            rec["description"] = f"{rec['name']} (updated layout, rev. {rng.between(2, 9)})"
        self.org.save(self.d.locations, row, rec)

    def _create_site(self, rng: Rng) -> int:
        city, state, postal, country = rng.choice(CITIES)
        return self.org.add(
            self.d.locations,
            self._location(
                f"{city} Plant {self.d.locations.n + 1}",
                None,
                address=f"{rng.between(10, 9800)} {rng.choice(STREETS)}, {city}, {state} "
                f"{postal}, {country}",
            ),
        )

    def _create_location(self, rng: Rng) -> int:
        parent = self.d.locations.get(self._pick(self.d.locations, rng))
        name = f"{parent['name']} - {rng.choice(AREAS)} {rng.between(10, 99)}"
        return self.org.add(self.d.locations, self._location(name, parent["id"]))

    def _location(self, name: str, parent: int | None, address: str | None = None) -> Record:
        return {
            "name": name,
            "description": None,
            "address": address,
            "parentId": parent,
            "barcode": None,
            "teamIds": [],
            "vendorIds": [],
            "extraFields": {},
        }

    # -- assets ----------------------------------------------------------------------

    def _mutate_asset(self, row: int, rng: Rng) -> None:
        rec = self._edit(self.d.assets, row)
        roll = rng.below(3)
        if roll == 0:
            online = rec["status"]["status"] != "ONLINE"
            rec["status"] = {
                "status": "ONLINE" if online else "OFFLINE",
                "downtimeType": None if online else rng.choice(("PLANNED", "UNPLANNED")),
                "startedAt": iso_ms(self._now()),
                "endedAt": None,
                "description": None if online else rng.choice(FAULTS),
            }
        elif roll == 1:
            rec["criticalityId"] = FIRST_ID["criticalities"] + rng.below(4)
        else:
            rec["description"] = f"{rec['description'] or rec['name']} - overhauled"
        self.org.save(self.d.assets, row, rec)

    def _create_asset(self, rng: Rng) -> int:
        eq = rng.choice(EQUIPMENT)
        maker, models = rng.choice(eq.makers)
        location = FIRST_ID["locations"] + rng.choice(self.d.area_rows)
        row = self.d.assets.n
        now = iso_ms(self._now())
        return self.org.add(
            self.d.assets,
            {
                "name": f"{eq.name} {eq.tag}-{1001 + row}",
                "description": f"{maker} {eq.name.lower()}, newly installed",
                "parentId": None,
                "criticalityId": FIRST_ID["criticalities"] + rng.below(4),
                "locationId": location,
                "serialNumber": f"{maker[:3].upper()}{rng.hex(8)}",
                "barcode": None,
                "teamIds": [],
                "assetTypes": [eq.name],
                "vendorIds": [FIRST_ID["vendors"] + self._pick(self.d.vendors, rng)],
                "manufacturer": maker,
                "model": rng.choice(models),
                "extraFields": {},
                "depreciation": None,
                "status": {
                    "status": "ONLINE",
                    "downtimeType": None,
                    "startedAt": now,
                    "endedAt": None,
                    "description": None,
                },
                "creatorId": FIRST_ID["users"],
            },
        )

    # -- parts -----------------------------------------------------------------------

    def _mutate_part(self, row: int, rng: Rng) -> None:
        rec = self._edit(self.d.parts, row)
        if rng.chance(0.5) and rec["unitCost"]:
            rec["unitCost"] = max(1, rec["unitCost"] * rng.between(95, 112) // 100)
        else:
            rec["description"] = f"{rec['name']} - superseded by newer revision"
        self.org.save(self.d.parts, row, rec)

    def _create_part(self, rng: Rng) -> int:
        kind = rng.choice(PARTS)
        row = self.d.parts.n
        code = f"{kind.code}-{10000 + row}"
        storeroom = FIRST_ID["locations"] + rng.choice(self.d.storeroom_rows)
        vendor = self._pick(self.d.vendors, rng)
        return self.org.add(
            self.d.parts,
            {
                "name": f"{kind.name} {code}",
                "description": f"New {kind.name.lower()}",
                "barcode": None,
                "unitCost": rng.between(*kind.cost_cents),
                "partTypes": ["Spare"],
                "assetIds": [],
                "teamIds": [],
                "vendors": [{"vendorId": self.d.vendors.id_of(vendor), "partNumber": code}],
                "locations": [_stock(storeroom, rng.between(1, 20), rng.between(1, 5))],
                "extraFields": {"Part Number": code},
                "orderedQuantity": 0,
            },
        )

    # -- vendors and users -----------------------------------------------------------

    def _mutate_vendor(self, row: int, rng: Rng) -> None:
        rec = self._edit(self.d.vendors, row)
        extra = dict(rec["extraFields"])
        if rng.chance(0.5):
            extra["Payment Terms"] = rng.choice(PAYMENT_TERMS)
        else:
            extra["Contact Name"] = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        rec["extraFields"] = extra
        rec["phoneNumbers"] = [f"+1-{rng.between(201, 989)}-555-{rng.between(0, 9999):04d}"]
        self.org.save(self.d.vendors, row, rec)

    def _create_vendor(self, rng: Rng) -> int:
        name = f"{rng.choice(LAST_NAMES)} Industrial Services {self.d.vendors.n + 1}"
        return self.org.add(
            self.d.vendors,
            {
                "name": name,
                "description": "New supplier",
                "emails": [],
                "phoneNumbers": [f"+1-{rng.between(201, 989)}-555-{rng.between(0, 9999):04d}"],
                "contactIds": [],
                "extraFields": {"Payment Terms": rng.choice(PAYMENT_TERMS)},
            },
        )

    def _mutate_user(self, row: int, rng: Rng) -> None:
        rec = self._edit(self.d.users, row)
        if rng.chance(0.5) and rec["hourlyRate"]:
            rec["hourlyRate"] = rec["hourlyRate"] + rng.between(1, 4) * 100
        else:
            rec["phoneNumber"] = f"+1-{rng.between(201, 989)}-555-{rng.between(0, 9999):04d}"
        self.org.save(self.d.users, row, rec)

    def _create_user(self, rng: Rng) -> int:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        n = self.d.users.n
        return self.org.add(
            self.d.users,
            {
                "firstName": first,
                "lastName": last,
                "email": f"{first.lower()}.{n}@new-hire.example",
                "phoneNumber": None,
                "role": "MEMBER",
                "customRole": None,
                "authType": "NORMAL",
                "hourlyRate": rng.between(28, 60) * 100,
                "lastVisitedAt": None,
                "removedFromOrganization": False,
                "externalData": None,
                "extraFields": {},
                "jobTitle": "Maintenance Technician",
            },
        )

    # -- work orders -----------------------------------------------------------------

    def _mutate_work_order(self, row: int, rng: Rng) -> None:
        table = self.d.workorders
        status = table.get(row)["status"]
        forward = {"OPEN": "IN_PROGRESS", "IN_PROGRESS": "DONE", "ON_HOLD": "IN_PROGRESS"}
        if status in forward and rng.chance(0.6):
            self.org.set_work_order_status(row, forward[status])
            return
        rec = self._edit(table, row)
        roll = rng.below(3)
        if roll == 0:
            rec["priority"] = rng.choice([p for p in PRIORITIES if p != rec["priority"]])
        elif roll == 1:
            rec["dueDate"] = iso_ms(self._now() + rng.between(1, 14) * DAY_MS)
        else:
            rec["description"] = f"{rec['description'] or ''} Update: {rng.choice(FAULTS)}."
        self.org.save(table, row, rec)

    def _create_work_order(self, rng: Rng) -> int:
        d = self.d
        asset_row = self._pick(d.assets, rng)
        asset = d.assets.get(asset_row)
        return self.org.create_work_order(
            {
                "title": f"{rng.choice(FAULTS).capitalize()} - {asset['name']}",
                "description": "Raised from the shop floor.",
                "priority": rng.choice(PRIORITIES),
                "type": "REACTIVE",
                "assetId": asset["id"],
                "locationId": asset["locationId"],
                "assigneeIds": [d.users.id_of(self._pick(d.users, rng))],
                "teamIds": [d.teams.id_of(self._pick(d.teams, rng))],
                "categories": [rng.choice(CATEGORIES)[0]],
                "dueDate": iso_ms(self._now() + rng.between(1, 10) * DAY_MS),
                "extraFields": {"Cost Center": "CC-1100"},
            }
        )

    # -- purchase orders -------------------------------------------------------------

    def _mutate_purchase_order(self, row: int, rng: Rng) -> None:
        table = self.d.purchaseorders
        rec = table.get(row)
        nxt = sorted(PO_TRANSITIONS[rec["status"]] - {"CANCELED", "DECLINED"})
        if rec["status"] in ("REQUESTED", "PENDING", "DECLINED") and rng.chance(0.4):
            edit = self._edit(table, row)
            edit["note"] = rng.choice(("Please expedite", "Partial delivery OK", "Call first"))
            edit["dueDate"] = iso_ms(self._now() + rng.between(3, 20) * DAY_MS)
            self.org.save(table, row, edit)
        elif nxt:
            self.org.set_po_status(row, rng.choice(nxt))

    def _create_purchase_order(self, rng: Rng) -> int:
        d = self.d
        vendor = d.vendors.id_of(self._pick(d.vendors, rng))
        items = [
            {
                "partId": d.parts.id_of(self._pick(d.parts, rng)),
                "quantityOrdered": rng.between(1, 20),
                "lineExtraFields": {},
            }
            for _ in range(rng.between(1, 6))
        ]
        storeroom = FIRST_ID["locations"] + rng.choice(d.storeroom_rows)
        plant = d.plant_of(storeroom)
        return self.org.create_purchase_order(
            {
                "vendorId": vendor,
                "items": items,
                "shippingAddress": postal_address(plant, plant["name"]),
                "extraFields": {"Requisition Number": f"REQ-{900000 + d.purchaseorders.n}"},
            }
        )

    # -- plans, requests, meters -----------------------------------------------------

    def _mutate_plan(self, row: int, rng: Rng) -> None:
        rec = self._edit(self.d.plans, row)
        recurrence = dict(rec["recurrence"])
        if "interval" in recurrence:
            recurrence["interval"] = max(1, recurrence["interval"] + rng.choice((-1, 1)))
        rec["recurrence"] = recurrence
        rec["blueprintEstimatedTime"] = rng.between(1, 8) * 30
        self.org.save(self.d.plans, row, rec)

    def _create_plan(self, rng: Rng) -> int:
        d = self.d
        asset_row = self._pick(d.assets, rng)
        now = self._now()
        base = 5_000_000 + d.plans.n * 8
        return self.org.add(
            d.plans,
            {
                "name": f"{rng.choice(PM_TASKS)} - {d.assets.get(asset_row)['name']}",
                "organizationId": d.organization_id,
                "startDate": iso_ms(now + DAY_MS),
                "workOrderStartDatePadding": 24,
                "workOrderStartDateOffset": {"value": 1, "unit": "DAY"},
                "workOrderStartDateFixedDay": None,
                "blueprintEstimatedTime": 60,
                "triggerType": "CALENDAR",
                "intervalStrategy": "FIXED",
                "recurrence": {"type": "MONTHLY", "interval": 1, "day": rng.between(1, 28)},
                "planningHorizon": {"value": 2, "unit": "WEEK"},
                "workOrderBlueprintId": base + 7,
                "assets": [{"id": base, "assetId": d.assets.id_of(asset_row)}],
                "intervals": [],
                "nextCycleOccurrence": None,
                "nextScheduledWorkOrderDueDate": iso_ms(now + 30 * DAY_MS),
                "lastPlannedDueDate": None,
                "nextWorkOrderGenerationAt": iso_ms(now + 16 * DAY_MS),
                "lastWorkOrderGeneratedAt": None,
                "creatorId": FIRST_ID["users"],
                "archivedAt": None,
            },
        )

    def _mutate_request(self, row: int, rng: Rng) -> None:
        rec = self._edit(self.d.workrequests, row)
        if rec["requestStatus"] == "PENDING" and rng.chance(0.3):
            rec["requestStatus"] = "REJECTED"
        else:
            rec["priority"] = rng.choice(PRIORITIES)
            rec["description"] = f"{rec['description']} Still happening."
        self.org.save(self.d.workrequests, row, rec)

    def _create_request(self, rng: Rng) -> int:
        d = self.d
        asset = d.assets.get(self._pick(d.assets, rng))
        user = d.users.get(self._pick(d.users, rng))
        return self.org.add(
            d.workrequests,
            {
                "title": f"{rng.choice(FAULTS).capitalize()} - {asset['name']}",
                "description": "Reported through the request portal.",
                "priority": rng.choice(PRIORITIES),
                "requestStatus": "PENDING",
                "assetId": asset["id"],
                "locationId": asset["locationId"],
                "workOrderId": None,
                "sendEmailNotification": True,
                "extraFields": {},
                "approverTeamId": FIRST_ID["teams"],
                "creatorContactInfo": {"type": "EMAIL", "value": user["email"]},
                "creatorId": user["id"],
                "attachments": [],
            },
        )

    def _mutate_meter(self, row: int, rng: Rng) -> None:
        rec = self._edit(self.d.meters, row)
        rec["description"] = f"{rec['name']} (sensor replaced)"
        rec["updaterId"] = self.d.users.id_of(self._pick(self.d.users, rng))
        self.org.save(self.d.meters, row, rec)

    def _create_meter(self, rng: Rng) -> int:
        d = self.d
        asset = d.assets.get(self._pick(d.assets, rng))
        kind = asset["assetTypes"][0] if asset["assetTypes"] else None
        name, unit = next((e.meter for e in EQUIPMENT if e.name == kind), EQUIPMENT[0].meter)
        return self.org.add(
            d.meters,
            {
                "assetId": asset["id"],
                "locationId": asset["locationId"],
                "creatorId": FIRST_ID["users"],
                "updaterId": None,
                "name": f"{name} - {asset['name']}",
                "uuid": uuid4_from(rng),
                "description": None,
                "measurementType": "MANUAL",
                "readingFrequency": {"type": "DAILY", "interval": 1},
                "unit": unit,
            },
        )


class PurchaseOrders(TableEntity):
    """Purchase orders: mutate skips canceled orders, which cannot be modified."""

    def mutate(self, rng: Rng, count: int) -> list[str]:
        table = self.table
        rows: list[int] = []
        for _ in range(count * 20):
            if len(rows) == count or len(rows) == table.live_count:
                break
            row = rng.below(table.n)
            if row in table.deleted or row in rows or table.get(row)["status"] == "CANCELED":
                continue
            rows.append(row)
        for row in rows:
            self._mutate_row(row, rng)
        return [str(table.id_of(r)) for r in rows]


class Inventory(ControlEntity):
    """Stock rows ``<partId>/<locationId>`` living inside part records."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.parts = org.data.parts
        self.removed: dict[str, tuple[int, int]] = {}
        """Keys of stock rows removed from live parts → (created, removed) ms."""

    def _locations(self, row: int) -> Sequence[int]:
        if self.parts.edited(row):  # edited parts: read their stock
            return [s["locationId"] for s in self.parts.get(row)["locations"]]
        return self.org.data.part_locations(row)

    def records(self, include_deleted: bool) -> Iterator[tuple[str, int, int, bool]]:
        t = self.parts
        for row in range(t.n):
            gone = row in t.deleted
            if gone and not include_deleted:
                continue
            pid = t.first_id + row
            for loc in self._locations(row):
                yield f"{pid}/{loc}", t.created[row], t.updated[row], gone
        if include_deleted:
            for key, (created, removed) in self.removed.items():
                yield key, created, removed, True

    def count(self) -> int:
        t = self.parts
        return sum(len(self._locations(r)) for r in range(t.n) if r not in t.deleted)

    def _split(self, key: str) -> tuple[int, int] | None:
        part, _, loc = key.partition("/")
        if not (part.isdigit() and loc.isdigit()):
            return None
        row = self.parts.row_of(int(part))
        if row is None or row in self.parts.deleted:
            return None
        return (row, int(loc)) if int(loc) in self._locations(row) else None

    def _save(self, row: int, stock: list[Record]) -> None:
        rec = live_record(self.parts, row)
        rec["locations"] = stock
        self.org.save(self.parts, row, rec)

    def mutate(self, rng: Rng, count: int) -> list[str]:
        keys: list[str] = []
        for row in pick_rows(rng, self.parts, count):
            stock = [dict(s) for s in self.parts.get(row)["locations"]]
            if not stock:
                continue
            entry = rng.choice(stock)
            entry["availableQuantity"] = max(0, entry["availableQuantity"] + rng.between(-5, 12))
            self._save(row, stock)
            keys.append(f"{self.parts.id_of(row)}/{entry['locationId']}")
        return keys

    def create(self, rng: Rng, count: int) -> list[str]:
        keys: list[str] = []
        storerooms = [FIRST_ID["locations"] + r for r in self.org.data.storeroom_rows]
        for row in pick_rows(rng, self.parts, count * 3):
            if len(keys) == count:
                break
            stock = [dict(s) for s in self.parts.get(row)["locations"]]
            free = [s for s in storerooms if s not in {x["locationId"] for x in stock}]
            if not free:
                continue
            loc = rng.choice(free)
            stock.append(_stock(loc, rng.between(1, 30), rng.between(1, 6)))
            self._save(row, stock)
            key = f"{self.parts.id_of(row)}/{loc}"
            self.removed.pop(key, None)
            keys.append(key)
        return keys

    def delete(self, key: str) -> bool:
        found = self._split(key)
        if found is None:
            return False
        row, loc = found
        stock = [s for s in self.parts.get(row)["locations"] if s["locationId"] != loc]
        self._save(row, stock)
        self.removed[key] = (self.parts.created[row], self.parts.updated[row])
        return True


class Readings(ControlEntity):
    """Meter readings ``<meterId>/<readingId>``: the seeded one per meter plus new ones."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.meters = org.data.meters

    def records(self, include_deleted: bool) -> Iterator[tuple[str, int, int, bool]]:
        deleted = self.org.data.deleted_readings
        for row in range(self.meters.n):
            for r in self.org.readings(row, include_deleted=True):
                gone = row in self.meters.deleted or r["id"] in deleted
                if include_deleted or not gone:
                    created = parse_iso(r["createdAt"])
                    yield f"{r['meterId']}/{r['id']}", created, created, gone

    def count(self) -> int:
        d, meters = self.org.data, self.meters
        live = [r for r in range(meters.n) if r not in meters.deleted]
        added = sum(len(d.readings.get(r, ())) for r in live)
        gone = sum(1 for r in d.deleted_readings.values() if r not in meters.deleted)
        return len(live) + added - gone

    def mutate(self, rng: Rng, count: int) -> list[str]:
        raise Unsupported("MaintainX meter readings are immutable; create new ones instead")

    def create(self, rng: Rng, count: int) -> list[str]:
        keys: list[str] = []
        for _ in range(count):
            row = pick_rows(rng, self.meters, 1)[0]
            last = self.org.last_reading(row)
            value = (last["value"] if last else 0) + round(rng.random() * 50, 1)
            reading = self.org.add_reading(row, value)
            keys.append(f"{reading['meterId']}/{reading['id']}")
        return keys

    def delete(self, key: str) -> bool:
        meter, _, reading = key.partition("/")
        if not meter.isdigit():
            return False
        row = self.meters.row_of(int(meter))
        if row is None:
            return False
        if not any(r["id"] == reading for r in self.org.readings(row, include_deleted=True)):
            return False
        self.org.data.deleted_readings[reading] = row
        return True


def _stock(location_id: int, quantity: int, minimum: int) -> Record:
    return {
        "locationId": location_id,
        "availableQuantity": quantity,
        "minimumQuantity": minimum,
        "maximumQuantity": minimum * 5,
        "area": None,
        "reservedQuantity": 0,
        "committedQuantities": {"kitted": 0, "reserved": 0, "staged": 0},
        "assignedQuantity": 0,
    }
