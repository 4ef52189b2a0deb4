"""Writes as SAP performs them: flag checks, business rules, deep insert, status functions.

Every path validates everything before it changes anything, so a rejected request leaves
no trace (a purchase order with one bad item creates nothing). Every write stamps the
record's change time from the sandbox clock — strictly increasing per record, so the ETag
of a record written twice within one second still changes — and propagates to the record
SAP shows the change on (an operation moves its order, an item its purchase order, a
supplier its business partner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from plantlink.sandbox.core.clock import Clock
from plantlink.sandbox.sap_s4hana.db import Database
from plantlink.sandbox.sap_s4hana.edm import EntitySet
from plantlink.sandbox.sap_s4hana.errors import ODataError, bad_request
from plantlink.sandbox.sap_s4hana.seed import (
    EQUIPMENT_FIRST,
    ORDER_FIRST,
    PO_FIRST,
    bp_etag,
    day,
    status_text,
)
from plantlink.sandbox.sap_s4hana.store import Key, Row, Table
from plantlink.sandbox.sap_s4hana.values import DAY_MS, MAX_DATE_MS, from_json
from plantlink.sandbox.sap_s4hana.vocab import (
    COMPANY_CODES,
    CONTROLLING_AREA,
    ORDER_TYPES,
    PAYMENT_TERMS,
    PLANNER_GROUPS,
    PLANTS,
    PO_TYPES,
    PRIORITIES,
    PURCHASING_GROUPS,
    PURCHASING_ORGS,
    WORK_CENTERS,
)

STAMPS: dict[str, tuple[str | None, int, str | None]] = {
    # set → (change field, granularity in ms, "changed by" field); the business partner
    # keeps its change time in two fields, LastChangeDate + LastChangeTime
    "MaintenanceOrder": ("LastChangeDateTime", 1000, "LastChangeByUser"),
    "Equipment": ("LastChangeDateTime", 1000, "LastChangedByUser"),
    "FunctionalLocation": ("LastChangeDateTime", 1000, "LastChangedByUser"),
    "A_PurchaseOrder": ("LastChangeDateTime", 1, None),
    "A_PurchaseOrderItem": ("_ItemChangeDateTime", 1, None),
    "A_Product": ("LastChangeDateTime", 1, "LastChangedByUser"),
    "A_BusinessPartner": (None, 1000, "LastChangedByUser"),
}
PARENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # a change of a row in the set shows on this row of the parent set (its key properties)
    "MaintenanceOrderOperation": ("MaintenanceOrder", ("MaintenanceOrder",)),
    "MaintOrderOpComponent": ("MaintenanceOrder", ("MaintenanceOrder",)),
    "A_PurchaseOrderItem": ("A_PurchaseOrder", ("PurchaseOrder",)),
    "A_PurchaseOrderScheduleLine": (
        "A_PurchaseOrderItem",
        ("PurchasingDocument", "PurchasingDocumentItem"),
    ),
    "A_ProductDescription": ("A_Product", ("Product",)),
    "A_ProductPlant": ("A_Product", ("Product",)),
    "A_ProductValuation": ("A_Product", ("Product",)),
    "A_Supplier": ("A_BusinessPartner", ("Supplier",)),  # supplier number = BP number
    "A_SupplierPurchasingOrg": ("A_Supplier", ("Supplier",)),
    "A_BusinessPartnerAddress": ("A_BusinessPartner", ("BusinessPartner",)),
}
CONTACT_SETS = ("A_AddressEmailAddress", "A_AddressPhoneNumber", "A_AddressHomePageURL")


def error(code: str, message: str, prop: str = "", status: int = 400) -> ODataError:
    return ODataError(status, code, message, prop)


def results(value: Any, nav: str) -> list[Any]:
    """Deep-insert payload of a to-many navigation: `{"results": [...]}` or a bare list."""
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        return list(value["results"])
    if isinstance(value, list):
        return value
    raise bad_request(f"Navigation property '{nav}' needs a list of entries", prop=nav)


@dataclass
class Created:
    entity_set: EntitySet
    row: Row


class Writer:
    def __init__(self, db: Database, clock: Clock, api_user: Callable[[], str]) -> None:
        self.db = db
        self.clock = clock
        self.api_user = api_user
        self.acting: str | None = None  # set while a simulated SAP user edits (control API)

    def user(self) -> str:
        return self.acting or self.api_user()

    # --- shared mechanics ----------------------------------------------------------------

    def table(self, name: str) -> Table:
        return self.db.table(name)

    def blank(self, set_name: str) -> Row:
        return dict.fromkeys(self.db.set_of[set_name].type.by_name)

    def values(
        self, set_name: str, body: Any, *, creating: bool, key: Key | None = None
    ) -> dict[str, Any]:
        """Validated internal values of a request body (navigation properties excluded)."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object")
        entity = self.db.set_of[set_name].type
        out: dict[str, Any] = {}
        for name, raw in body.items():
            if name == "__metadata" or (creating and name in entity.nav_by_name):
                continue
            if name in entity.nav_by_name:
                raise bad_request(
                    f"Navigation property '{name}' cannot be changed by an update", prop=name
                )
            prop = entity.by_name.get(name)
            if prop is None:
                raise bad_request(
                    f"Property '{name}' is invalid for type '{entity.name}'",
                    code="/IWBEP/CM_MGW_RT/021",
                    prop=name,
                )
            value = from_json(prop, raw)
            if key is not None and name in entity.keys:
                if value != key[entity.keys.index(name)]:
                    raise bad_request(f"Key property '{name}' cannot be changed", prop=name)
                continue
            if not (prop.creatable if creating else prop.updatable):
                action = "set on creation" if creating else "changed"
                raise bad_request(
                    f"Property '{name}' of '{entity.name}' is read-only and cannot be {action}",
                    code="/IWBEP/CM_MGW_RT/029",
                    prop=name,
                )
            out[name] = value
        return out

    def stamp(self, set_name: str, row: Row) -> None:
        """Move the row's change time (and ETag); the caller stores the row."""
        field, unit, user_field = STAMPS[set_name]
        now = self.clock.now_ms()
        now -= now % unit
        if field is None:
            old = None
            if row["LastChangeDate"] is not None:
                old = row["LastChangeDate"] + (row["LastChangeTime"] or 0)
        else:
            old = row.get(field)
        changed = now if old is None else max(now, old + unit)
        if field is None:
            row["LastChangeDate"], row["LastChangeTime"] = day(changed), changed % DAY_MS
            row["ETag"] = bp_etag(changed)
        else:
            row[field] = changed
        if set_name == "A_Product":
            row["LastChangeDate"] = day(changed)
        if user_field:
            row[user_field] = self.user()

    def touch(self, set_name: str, row: Row) -> None:
        """Stamp a changed row (the caller stores it) and the records that show its change."""
        if set_name in STAMPS:
            self.stamp(set_name, row)
        self.propagate(set_name, row)

    def propagate(self, set_name: str, row: Row) -> None:
        """Stamp and store the record SAP shows a change of `row` on (its order, PO, BP)."""
        if set_name in CONTACT_SETS:
            owner = self.address_owner(row["AddressID"])
            if owner is not None:
                self.save_touched("A_BusinessPartnerAddress", owner)
            return
        parent = PARENTS.get(set_name)
        if parent is not None:
            self.save_touched(parent[0], tuple(row[k] for k in parent[1]))

    def save_touched(self, set_name: str, key: Key) -> None:
        table = self.table(set_name)
        rowid = table.find(key)
        current = None if rowid is None else table.get(rowid)
        if rowid is None or current is None:
            return
        row = dict(current)
        self.touch(set_name, row)
        table.put(rowid, row)

    def address_owner(self, address_id: str) -> Key | None:
        addresses = self.table("A_BusinessPartnerAddress")
        for rowid in addresses.scan():
            row = addresses.get(rowid)
            if row is not None and row["AddressID"] == address_id:
                return (row["BusinessPartner"], address_id)
        return None

    def live(self, set_name: str, key: Key) -> tuple[int, Row] | None:
        table = self.table(set_name)
        rowid = table.find(key)
        row = None if rowid is None else table.get(rowid)
        return None if rowid is None or row is None else (rowid, row)

    def exists(self, set_name: str, key: Key) -> bool:
        return self.live(set_name, key) is not None

    def next_number(self, set_name: str, first: int) -> str:
        table = self.table(set_name)
        number = first + table.next_id
        while table.find((str(number),)) is not None:
            number += 1
        return str(number)

    # --- updates -------------------------------------------------------------------------

    def update(self, set_name: str, rowid: int, body: Any, replace: bool) -> Row:
        """PATCH/MERGE (`replace=False`) or PUT of an existing row; returns the new row."""
        table = self.table(set_name)
        current = table.get(rowid)
        assert current is not None
        key = table.key_of(current)
        changes = self.values(set_name, body, creating=False, key=key)
        if replace:
            entity = self.db.set_of[set_name].type
            for prop in entity.props:
                if prop.updatable and prop.name not in entity.keys:
                    changes.setdefault(prop.name, None)
        row = dict(current)
        row.update(changes)
        rule = UPDATE_RULES.get(set_name)
        if rule is not None:
            rule(self, row, changes)
        self.touch(set_name, row)
        table.put(rowid, row)
        return row

    # --- creation ------------------------------------------------------------------------

    def create(self, set_name: str, body: Any, parent: Row | None = None) -> Created:
        creator = CREATORS.get(set_name)
        if creator is None:
            raise error(
                "/IWBEP/CM_MGW_RT/021",
                f"Method '{set_name.upper()}_CREATE_ENTITY' not implemented in data provider class",
                status=501,
            )
        return creator(self, body, parent)

    def insert(self, set_name: str, row: Row) -> Row:
        self.table(set_name).insert(row)
        return row

    # --- maintenance orders --------------------------------------------------------------

    def technical_object(self, values: dict[str, Any], row: Row) -> None:
        """Check a changed `Equipment`/`FunctionalLocation` (already in `row`) and derive the
        order's object fields from them, as SAP does."""
        if "Equipment" not in values and "FunctionalLocation" not in values:
            return
        equipment = row["Equipment"]
        row["EquipmentName"] = None
        if equipment is not None:
            found = self.live("Equipment", (equipment, MAX_DATE_MS))
            if found is None:
                raise error("IW/102", f"Equipment {equipment} does not exist", "Equipment")
            piece = found[1]
            row["EquipmentName"] = piece["EquipmentName"]
            if values.get("FunctionalLocation") is None:
                row["FunctionalLocation"] = piece["FunctionalLocation"]
            row["MaintenancePlanningPlant"] = (
                row["MaintenancePlanningPlant"] or piece["MaintenancePlanningPlant"]
            )
        location = row["FunctionalLocation"]
        if location is not None:
            found_location = self.live("FunctionalLocation", (location,))
            if found_location is None:
                raise error(
                    "IW/103", f"Functional location {location} does not exist", "FunctionalLocation"
                )
            row["PlantSection"] = found_location[1]["PlantSection"]
            row["MaintenancePlanningPlant"] = (
                row["MaintenancePlanningPlant"] or found_location[1]["MaintenancePlanningPlant"]
            )
        technical_object = equipment if equipment is not None else location
        row["TechnicalObject"] = row["TechnicalObjectLabel"] = technical_object
        row["TechObjIsEquipOrFuncnlLoc"] = (
            None if technical_object is None else "EAMS_EQUI" if equipment else "EAMS_FL"
        )


def _check_codes(values: dict[str, Any]) -> None:
    """Codes SAP validates against its customizing, whatever the entity."""
    checks: list[tuple[str, tuple[str, ...] | dict[str, Any], str]] = [
        ("MaintPriority", PRIORITIES, "Priority"),
        ("MainWorkCenter", WORK_CENTERS, "Work center"),
        ("WorkCenter", WORK_CENTERS, "Work center"),
        ("MaintenancePlannerGroup", PLANNER_GROUPS, "Planner group"),
        ("MaintenancePlant", PLANTS, "Plant"),
        ("MainWorkCenterPlant", PLANTS, "Plant"),
        ("Plant", PLANTS, "Plant"),
        ("CompanyCode", COMPANY_CODES, "Company code"),
        ("PurchasingOrganization", PURCHASING_ORGS, "Purchasing organization"),
        ("PurchasingGroup", PURCHASING_GROUPS, "Purchasing group"),
        ("PaymentTerms", PAYMENT_TERMS, "Terms of payment"),
        ("PurchaseOrderType", PO_TYPES, "Purchasing document type"),
    ]
    for field, allowed, label in checks:
        value = values.get(field)
        if value is not None and value not in allowed:
            raise error("SG/001", f"{label} {value} does not exist", field)


def _order_dates(row: Row) -> None:
    start, end = row["MaintOrdBasicStartDateTime"], row["MaintOrdBasicEndDateTime"]
    if start is not None and end is not None and end < start:
        raise error(
            "IW/016", "Basic finish date is before the basic start date", "MaintOrdBasicEndDateTime"
        )
    for name, ms in (("Start", start), ("End", end)):
        row[f"MaintOrdBasic{name}Date"] = None if ms is None else day(ms)
        row[f"MaintOrdBasic{name}Time"] = None if ms is None else ms % DAY_MS


def main_status(row: Row) -> tuple[str, bool]:
    """(main system status, deletion flag) of an order, read from its status line."""
    codes = row["SystemStatusText"].split()
    return codes[0], "DLFL" in codes


def _order_unchangeable(row: Row) -> ODataError | None:
    main, deletion = main_status(row)
    if deletion:
        return error(
            "BS/007",
            f"Order {row['MaintenanceOrder']}: status DLFL is active (changes are not allowed)",
        )
    if main == "CLSD":
        return error(
            "BS/007",
            f"Order {row['MaintenanceOrder']}: status CLSD is active (changes are not allowed)",
        )
    return None


def update_order(writer: Writer, row: Row, values: dict[str, Any]) -> None:
    """Checks and derived fields of a changed order (`row` already carries `values`)."""
    problem = _order_unchangeable(row)
    if problem:
        raise problem
    _check_codes(values)
    writer.technical_object(values, row)
    _order_dates(row)


def _order_of_child(writer: Writer, row: Row) -> None:
    found = writer.live("MaintenanceOrder", (row["MaintenanceOrder"],))
    problem = None if found is None else _order_unchangeable(found[1])
    if problem:
        raise problem


def update_order_child(writer: Writer, row: Row, values: dict[str, Any]) -> None:
    _order_of_child(writer, row)
    _check_codes(values)


def create_order(writer: Writer, body: Any, parent: Row | None) -> Created:
    values = writer.values("MaintenanceOrder", body, creating=True)
    operations = body.get("to_MaintenanceOrderOperation") if isinstance(body, dict) else None
    order_type = values.get("MaintenanceOrderType")
    if order_type not in ORDER_TYPES:
        raise error(
            "IW/001",
            f"Order type {order_type} is not defined for maintenance orders",
            "MaintenanceOrderType",
        )
    _check_codes(values)
    number = values.pop("MaintenanceOrder", None)
    if number:
        raise error(
            "IW/004",
            f"External number {number} not allowed: order type {order_type} uses internal "
            "numbering",
            "MaintenanceOrder",
        )
    now = writer.clock.now_ms()
    now -= now % 1000
    row = writer.blank("MaintenanceOrder")
    row |= {
        "MaintenanceOrder": writer.next_number("MaintenanceOrder", ORDER_FIRST),
        "MaintOrdBasicStartDateTime": now,
        "MaintOrdBasicEndDateTime": now + DAY_MS,
        "ControllingArea": CONTROLLING_AREA,
        "MaintPriorityType": "PM",
        "CreatedByUser": writer.user(),
        "MaintOrderCreationDateTime": now,
        "OrderHasLongText": False,
        "SystemStatusText": status_text("CRTD", False, False),
        "UserStatusText": "",
        "LastChangeDateTime": None,
    }
    row.update(values)
    writer.technical_object(values | {"Equipment": row["Equipment"]}, row)
    plant = row["MaintenancePlanningPlant"]
    if plant is None:
        raise error(
            "IW/011",
            "Enter a technical object or a maintenance planning plant",
            "MaintenancePlanningPlant",
        )
    if plant not in PLANTS:
        raise error(
            "IW/012",
            f"Plant {plant} is not a maintenance planning plant",
            "MaintenancePlanningPlant",
        )
    company = PLANTS[plant].company_code
    defaults = {
        "MaintenancePlant": plant,
        "MainWorkCenter": WORK_CENTERS[0],
        "MainWorkCenterPlant": plant,
        "WorkCenter": WORK_CENTERS[0],
        "CostCenter": f"{plant}1300",
        "ResponsibleCostCenter": f"{plant}1300",
        "ProfitCenter": f"YB{plant}",
        "MaintPriority": "3",
    }
    row |= {k: v for k, v in defaults.items() if row[k] is None}
    row["CompanyCode"] = company
    row["Currency"] = COMPANY_CODES[company].currency
    _order_dates(row)
    steps = (
        results(operations, "to_MaintenanceOrderOperation")
        if operations is not None
        else [{"OperationDescription": (row["MaintenanceOrderDesc"] or "Operation")[:40]}]
    )
    operation_rows = []
    for j, step in enumerate(steps):
        op = writer.values("MaintenanceOrderOperation", step, creating=True)
        _check_codes(op)
        number = op.get("MaintenanceOrderOperation") or f"{(j + 1) * 10:04d}"
        if not (number.isdigit() and len(number) == 4):
            raise error(
                "CO/050", f"Operation number {number} is invalid", "MaintenanceOrderOperation"
            )
        operation_rows.append(
            writer.blank("MaintenanceOrderOperation")
            | {
                "MaintenanceOrder": row["MaintenanceOrder"],
                "MaintenanceOrderOperation": number,
                "MaintenanceOrderSubOperation": "",
                "OperationControlKey": "PM01",
                "WorkCenter": row["MainWorkCenter"],
                "Plant": plant,
                "ActivityType": "1410",
                "NumberOfCapacities": 1,
                "MaintOrderOperationDuration": "1.0",
                "MaintOrdOperationDurationUnit": "H",
                "MaintOrdOperationWorkDuration": "1.0",
                "MaintOrdOpWorkDurationUnit": "H",
                "Equipment": row["Equipment"],
                "FunctionalLocation": row["FunctionalLocation"],
                "MaintenanceActivityType": row["MaintenanceActivityType"],
                "IsMarkedForDeletion": False,
                "ActualWorkQuantity": "0.000",
                "ControllingArea": CONTROLLING_AREA,
                "MaintOrdOpHasNoRemainingWork": False,
                "SystemStatusText": "CRTD",
                "UserStatusText": "",
            }
            | op
        )
    numbers = [op["MaintenanceOrderOperation"] for op in operation_rows]
    if len(set(numbers)) != len(numbers):
        raise error("CO/051", "Operation numbers must be unique", "MaintenanceOrderOperation")
    writer.stamp("MaintenanceOrder", row)
    writer.insert("MaintenanceOrder", row)
    for op in sorted(operation_rows, key=lambda o: o["MaintenanceOrderOperation"]):
        writer.insert("MaintenanceOrderOperation", op)
    return Created(writer.db.set_of["MaintenanceOrder"], row)


TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    # function → (main statuses it applies to, new main status; None: deletion flag only)
    "ReleaseMaintenanceOrder": (("CRTD",), "REL"),
    "SetMaintOrdToTechCompleted": (("CRTD", "REL"), "TECO"),
    "ResetMaintOrdStsTechCompleted": (("TECO",), "REL"),
    "SetMaintOrderStatusToClosed": (("TECO",), "CLSD"),
    "ResetMaintOrderStatusClosed": (("CLSD",), "TECO"),
    "SetMaintOrdStsToMrkdForDeltn": (("CRTD", "TECO", "CLSD"), None),
    "ResetMaintOrdStsMrkdForDeltn": (("CRTD", "TECO", "CLSD"), None),
}


def change_status(writer: Writer, function: str, rowid: int, params: dict[str, Any]) -> Row:
    """Apply a status function import to an order, or raise SAP's status error."""
    table = writer.table("MaintenanceOrder")
    current = table.get(rowid)
    assert current is not None
    row = dict(current)
    main, deletion = main_status(row)
    allowed, target = TRANSITIONS[function]
    number = row["MaintenanceOrder"]
    if function == "ResetMaintOrdStsMrkdForDeltn":
        if not deletion:
            raise error("BS/013", f"Order {number}: status DLFL is not active")
    elif deletion:
        raise error("BS/007", f"Order {number}: status DLFL is active ({function} not allowed)")
    elif main not in allowed:
        raise error("BS/007", f"Order {number}: status {main} is active ({function} not allowed)")
    now = writer.clock.now_ms()
    now -= now % 1000
    if function == "SetMaintOrdStsToMrkdForDeltn":
        deletion = True
    elif function == "ResetMaintOrdStsMrkdForDeltn":
        deletion = False
    elif function == "SetMaintOrdToTechCompleted":
        row["_TecoFrom"] = main
        reference = params.get("MaintOrderReferenceDateTime") or now
        row["MaintOrderReferenceDateTime"] = row["MainWorkCompletedDateTime"] = reference
        main = "TECO"
    elif function == "ResetMaintOrdStsTechCompleted":
        main = row.pop("_TecoFrom", "REL")
        row["MaintOrderReferenceDateTime"] = row["MainWorkCompletedDateTime"] = None
    else:
        assert target is not None
        if target == "REL" and row["MaintOrdSchedldBscStrtDateTime"] is None:
            row["MaintOrdSchedldBscStrtDateTime"] = row["MaintOrdBasicStartDateTime"]
            row["MaintOrdSchedldBscEndDateTime"] = row["MaintOrdBasicEndDateTime"]
        main = target
    has_components = "MACM" in row["SystemStatusText"].split()
    row["SystemStatusText"] = status_text(main, deletion, has_components)
    writer.stamp("MaintenanceOrder", row)
    table.put(rowid, row)
    operations = writer.table("MaintenanceOrderOperation")
    for op_id in list(operations.scan_prefix((number,))):
        op = operations.get(op_id)
        if op is None:
            continue
        changed = dict(op, IsMarkedForDeletion=deletion)
        if main == "REL" and op["SystemStatusText"] == "CRTD":
            changed["SystemStatusText"] = "REL PRC"
        operations.put(op_id, changed)
    return row


# --- equipment and functional locations -----------------------------------------------------


def _install(writer: Writer, row: Row, values: dict[str, Any]) -> None:
    """`FunctionalLocationLabelName` installs the equipment there (and takes its plant data)."""
    label = values.get("FunctionalLocationLabelName")
    if "FunctionalLocationLabelName" not in values:
        return
    if label is None:
        row |= {
            "FunctionalLocation": None,
            "FunctionalLocationName": None,
            "EquipmentIsInstalled": False,
        }
        return
    found = writer.live("FunctionalLocation", (label,))
    if found is None:
        raise error(
            "IE/108", f"Functional location {label} does not exist", "FunctionalLocationLabelName"
        )
    rowid, location = found
    if not location["EquipmentInstallationIsAllowed"]:
        raise error(
            "IE/110",
            f"Installation of equipment at {label} is not allowed",
            "FunctionalLocationLabelName",
        )
    row |= {
        "FunctionalLocation": label,
        "FunctionalLocationName": location["FunctionalLocationName"],
        "EquipmentIsInstalled": True,
    }
    for field in ("MaintenancePlant", "MaintenancePlanningPlant", "PlantSection", "CompanyCode"):
        if field not in values:
            row[field] = location[field]
    if location["FunctionalLocationHasEquipment"] != "X":
        writer.table("FunctionalLocation").put(
            rowid, dict(location, FunctionalLocationHasEquipment="X")
        )


def update_equipment(writer: Writer, row: Row, values: dict[str, Any]) -> None:
    _check_codes(values)
    _install(writer, row, values)


def create_equipment(writer: Writer, body: Any, parent: Row | None) -> Created:
    values = writer.values("Equipment", body, creating=True)
    _check_codes(values)
    if values.get("EquipmentCategory") is None:
        raise error("IE/001", "Enter an equipment category", "EquipmentCategory")
    number = values.get("Equipment") or writer.next_number("Equipment", EQUIPMENT_FIRST)
    if writer.exists("Equipment", (number, MAX_DATE_MS)):
        raise error("IE/019", f"Equipment {number} already exists", "Equipment")
    today = day(writer.clock.now_ms())
    plant = values.get("MaintenancePlant") or "1010"
    row = writer.blank("Equipment") | {
        "Equipment": number,
        "ValidityEndDate": MAX_DATE_MS,
        "ValidityStartDate": today,
        "MaintenancePlant": plant,
        "MaintenancePlanningPlant": plant,
        "CompanyCode": PLANTS[plant].company_code,
        "ControllingArea": CONTROLLING_AREA,
        "Currency": COMPANY_CODES[PLANTS[plant].company_code].currency,
        "CreationDate": today,
        "CreatedByUser": writer.user(),
        "EquipmentIsAvailable": False,
        "EquipmentIsMarkedForDeletion": False,
        "EquipmentIsInstalled": False,
        "EquipmentIsInactive": False,
    }
    row.update(values)
    _install(writer, row, values)
    writer.stamp("Equipment", row)
    return Created(writer.db.set_of["Equipment"], writer.insert("Equipment", row))


def update_location(writer: Writer, row: Row, values: dict[str, Any]) -> None:
    _check_codes(values)
    superior = values.get("SuperiorFunctionalLocation")
    valid = superior is None or (
        superior != row["FunctionalLocation"] and writer.exists("FunctionalLocation", (superior,))
    )
    if not valid:
        raise error(
            "IL/012",
            f"Superior functional location {superior} is not valid",
            "SuperiorFunctionalLocation",
        )
    if "SuperiorFunctionalLocation" in values:
        row["SuperiorFuncnlLocLabelName"] = superior


def create_location(writer: Writer, body: Any, parent: Row | None) -> Created:
    values = writer.values("FunctionalLocation", body, creating=True)
    label = values.get("FunctionalLocation")
    if not label:
        raise error("IL/001", "Enter a functional location", "FunctionalLocation")
    if writer.exists("FunctionalLocation", (label,)):
        raise error("IL/019", f"Functional location {label} already exists", "FunctionalLocation")
    today = day(writer.clock.now_ms())
    plant = values.get("MaintenancePlant") or label[:4]
    if plant not in PLANTS:
        raise error("IL/020", f"Maintenance plant {plant} does not exist", "MaintenancePlant")
    site = PLANTS[plant]
    row = writer.blank("FunctionalLocation") | {
        "FunctionalLocation": label,
        "FunctionalLocationLabelName": label,
        "FuncLocationStructure": "PM1",
        "FunctionalLocationCategory": "M",
        "MaintenancePlant": plant,
        "MaintenancePlanningPlant": plant,
        "CityName": site.city,
        "PostalCode": site.postal_code,
        "StreetName": site.street,
        "HouseNumber": site.house_number,
        "Region": site.region,
        "Country": site.country,
        "CompanyCode": site.company_code,
        "ControllingArea": CONTROLLING_AREA,
        "EquipmentInstallationIsAllowed": True,
        "FunctionalLocationHasEquipment": "",
        "FuncnlLocHasSubOrdinateFuncLoc": "",
        "FuncnlLocIsMarkedForDeletion": False,
        "FunctionalLocationIsActive": True,
        "CreatedByUser": writer.user(),
        "CreationDate": today,
    }
    row.update(values)
    update_location(writer, row, values)
    writer.stamp("FunctionalLocation", row)
    writer.insert("FunctionalLocation", row)
    superior = row["SuperiorFunctionalLocation"]
    if superior is not None:
        found = writer.live("FunctionalLocation", (superior,))
        if found is not None and found[1]["FuncnlLocHasSubOrdinateFuncLoc"] != "X":
            writer.table("FunctionalLocation").put(
                found[0], dict(found[1], FuncnlLocHasSubOrdinateFuncLoc="X")
            )
    return Created(writer.db.set_of["FunctionalLocation"], row)


# --- purchase orders ------------------------------------------------------------------------


def _supplier_for(writer: Writer, supplier: Any, org: str) -> Row:
    """The supplier's purchasing data for `org`, or SAP's error naming the supplier."""
    found = writer.live("A_Supplier", (supplier,)) if isinstance(supplier, str) else None
    if found is None:
        raise error("06/321", f"Supplier {supplier} does not exist", "Supplier")
    if found[1]["PurchasingIsBlocked"]:
        raise error("06/042", f"Supplier {supplier} is blocked for purchasing", "Supplier")
    data = writer.live("A_SupplierPurchasingOrg", (supplier, org))
    if data is None:
        raise error(
            "06/322",
            f"Supplier {supplier} has not been created for purchasing organization {org}",
            "Supplier",
        )
    if data[1]["PurchasingIsBlockedForSupplier"]:
        raise error("06/042", f"Supplier {supplier} is blocked for purchasing", "Supplier")
    return data[1]


def _check_header(writer: Writer, header: Row) -> Row:
    for field, label in (
        ("PurchaseOrderType", "Purchasing document type"),
        ("CompanyCode", "Company code"),
        ("PurchasingOrganization", "Purchasing organization"),
        ("PurchasingGroup", "Purchasing group"),
    ):
        if header.get(field) is None:
            raise error("06/012", f"Enter a {label.lower()}", field)
    _check_codes(header)
    org, company = header["PurchasingOrganization"], header["CompanyCode"]
    if PURCHASING_ORGS[org] != company:
        raise error(
            "06/324",
            f"Purchasing organization {org} is not responsible for company code {company}",
            "PurchasingOrganization",
        )
    return _supplier_for(writer, header.get("Supplier"), org)


def _item_row(writer: Writer, header: Row, body: Any, number: str) -> tuple[Row, Row]:
    """A validated item and its schedule line, not stored yet."""
    values = writer.values("A_PurchaseOrderItem", body, creating=True)
    _check_codes(values)
    material = values.get("Material")
    plant = values.get("Plant")
    if material is None or plant is None:
        raise error(
            "06/068",
            "Enter a material and a plant for every item",
            "Material" if material is None else "Plant",
        )
    product = writer.live("A_Product", (material,))
    if product is None:
        raise error("M3/305", f"Material {material} does not exist", "Material")
    if PLANTS[plant].company_code != header["CompanyCode"]:
        raise error(
            "06/115",
            f"Plant {plant} does not belong to company code {header['CompanyCode']}",
            "Plant",
        )
    if not writer.exists("A_ProductPlant", (material, plant)):
        raise error("M3/351", f"Material {material} is not maintained in plant {plant}", "Plant")
    quantity = values.get("OrderQuantity")
    if quantity is None or Decimal(quantity) <= 0:
        raise error("06/029", "Enter a positive order quantity", "OrderQuantity")
    item = values.get("PurchaseOrderItem") or number
    if not (item.isdigit() and len(item) <= 5):
        raise error("06/030", f"Item number {item} is invalid", "PurchaseOrderItem")
    item = item.zfill(5)
    valuation = writer.live("A_ProductValuation", (material, plant, ""))
    price = valuation[1]["StandardPrice"] if valuation else "0.000"
    unit = product[1]["BaseUnit"]
    description = writer.live("A_ProductDescription", (material, "EN"))
    row = writer.blank("A_PurchaseOrderItem") | {
        "PurchaseOrder": header["PurchaseOrder"],
        "PurchaseOrderItem": item,
        "PurchasingDocumentDeletionCode": "",
        "PurchaseOrderItemText": description[1]["ProductDescription"] if description else None,
        "MaterialGroup": product[1]["ProductGroup"],
        "PurchaseOrderQuantityUnit": unit,
        "OrderPriceUnit": unit,
        "DocumentCurrency": header["DocumentCurrency"],
        "NetPriceAmount": price,
        "NetPriceQuantity": "1",
        "IsCompletelyDelivered": False,
        "IsFinallyInvoiced": False,
        "PurchaseOrderItemCategory": "0",
        "AccountAssignmentCategory": "",
        "GoodsReceiptIsExpected": True,
        "InvoiceIsExpected": True,
        "InvoiceIsGoodsReceiptBased": True,
        "RequisitionerName": writer.user(),
    }
    row.update(values)
    row["PurchaseOrderItem"] = item
    delivery = day(header["PurchaseOrderDate"] + 7 * DAY_MS)
    schedule = writer.blank("A_PurchaseOrderScheduleLine") | {
        "PurchasingDocument": header["PurchaseOrder"],
        "PurchasingDocumentItem": item,
        "ScheduleLine": "1",
        "DelivDateCategory": "1",
        "ScheduleLineDeliveryDate": delivery,
        "PurchaseOrderQuantityUnit": unit,
        "ScheduleLineOrderQuantity": row["OrderQuantity"],
        "ScheduleLineDeliveryTime": 0,
        "ScheduleLineCommittedQuantity": "0.000",
    }
    lines = body.get("to_ScheduleLine") if isinstance(body, dict) else None
    if lines is not None:
        entries = results(lines, "to_ScheduleLine")
        if len(entries) != 1:
            raise error(
                "06/031", "Exactly one schedule line per item is supported", "to_ScheduleLine"
            )
        schedule |= writer.values("A_PurchaseOrderScheduleLine", entries[0], creating=True)
        schedule |= {"PurchasingDocument": header["PurchaseOrder"], "PurchasingDocumentItem": item}
    return row, schedule


def create_purchase_order(writer: Writer, body: Any, parent: Row | None) -> Created:
    """Deep insert: header and items are validated completely, then stored together."""
    values = writer.values("A_PurchaseOrder", body, creating=True)
    if values.pop("PurchaseOrder", None):
        raise error(
            "06/004", "External numbering is not allowed for purchase orders", "PurchaseOrder"
        )
    now = writer.clock.now_ms()
    header = writer.blank("A_PurchaseOrder") | {
        "PurchaseOrder": writer.next_number("A_PurchaseOrder", PO_FIRST),
        "PurchasingDocumentDeletionCode": "",
        "PurchasingProcessingStatus": "02",
        "CreatedByUser": writer.user(),
        "CreationDate": day(now),
        "PurchaseOrderDate": day(now),
        "ExchangeRate": "1.00000",
        "ReleaseIsNotCompleted": False,
        "PurchasingCompletenessStatus": False,
        "LastChangeDateTime": None,
    }
    header.update(values)
    supplier_org = _check_header(writer, header)
    company = COMPANY_CODES[header["CompanyCode"]]
    header["DocumentCurrency"] = header["DocumentCurrency"] or company.currency
    header["Language"] = header["Language"] or company.language
    header["PaymentTerms"] = header["PaymentTerms"] or supplier_org["PaymentTerms"]
    header["NetPaymentDays"] = header["NetPaymentDays"] or str(
        PAYMENT_TERMS[header["PaymentTerms"]]
    )
    header["IncotermsClassification"] = (
        header["IncotermsClassification"] or supplier_org["IncotermsClassification"]
    )
    entries = results(
        body.get("to_PurchaseOrderItem", []) if isinstance(body, dict) else [],
        "to_PurchaseOrderItem",
    )
    if not entries:
        raise error("06/015", "The purchase order contains no items", "to_PurchaseOrderItem")
    items = [_item_row(writer, header, e, f"{(j + 1) * 10:05d}") for j, e in enumerate(entries)]
    numbers = [item["PurchaseOrderItem"] for item, _ in items]
    if len(set(numbers)) != len(numbers):
        raise error("06/032", "Item numbers must be unique", "PurchaseOrderItem")
    writer.stamp("A_PurchaseOrder", header)
    writer.insert("A_PurchaseOrder", header)
    for item, schedule in sorted(items, key=lambda pair: pair[0]["PurchaseOrderItem"]):
        item["_ItemChangeDateTime"] = header["LastChangeDateTime"]
        writer.insert("A_PurchaseOrderItem", item)
        writer.insert("A_PurchaseOrderScheduleLine", schedule)
    return Created(writer.db.set_of["A_PurchaseOrder"], header)


def create_purchase_order_item(writer: Writer, body: Any, parent: Row | None) -> Created:
    """`POST A_PurchaseOrder('…')/to_PurchaseOrderItem`: one more item for an existing PO."""
    if parent is None:
        raise error(
            "06/016",
            "Items can only be created for a purchase order: POST to "
            "A_PurchaseOrder('…')/to_PurchaseOrderItem",
            "PurchaseOrder",
        )
    if parent["PurchasingDocumentDeletionCode"]:
        raise error("06/017", f"Purchase order {parent['PurchaseOrder']} is deleted")
    items = writer.table("A_PurchaseOrderItem")
    existing = [
        row["PurchaseOrderItem"]
        for rowid in items.scan_prefix((parent["PurchaseOrder"],))
        if (row := items.get(rowid)) is not None
    ]
    number = f"{(max((int(n) for n in existing), default=0) // 10 + 1) * 10:05d}"
    item, schedule = _item_row(writer, parent, body, number)
    if item["PurchaseOrderItem"] in existing:
        raise error(
            "06/032", f"Item {item['PurchaseOrderItem']} already exists", "PurchaseOrderItem"
        )
    writer.touch("A_PurchaseOrderItem", item)
    writer.insert("A_PurchaseOrderItem", item)
    writer.insert("A_PurchaseOrderScheduleLine", schedule)
    return Created(writer.db.set_of["A_PurchaseOrderItem"], item)


def update_purchase_order(writer: Writer, row: Row, values: dict[str, Any]) -> None:
    if row["PurchasingDocumentDeletionCode"]:
        raise error("06/017", f"Purchase order {row['PurchaseOrder']} is deleted")
    if {"Supplier", "PurchasingOrganization", "CompanyCode", "PurchasingGroup"} & set(values):
        _check_header(writer, row)
    _check_codes(values)


def update_purchase_order_item(writer: Writer, row: Row, values: dict[str, Any]) -> None:
    _check_codes(values)
    merged = row
    header = writer.live("A_PurchaseOrder", (row["PurchaseOrder"],))
    if header is not None and header[1]["PurchasingDocumentDeletionCode"]:
        raise error("06/017", f"Purchase order {row['PurchaseOrder']} is deleted")
    if "Material" in values and not writer.exists("A_Product", (merged["Material"],)):
        raise error("M3/305", f"Material {merged['Material']} does not exist", "Material")
    if {"Material", "Plant"} & set(values) and not writer.exists(
        "A_ProductPlant", (merged["Material"], merged["Plant"])
    ):
        raise error(
            "M3/351",
            f"Material {merged['Material']} is not maintained in plant {merged['Plant']}",
            "Plant",
        )
    if "OrderQuantity" in values and (
        merged["OrderQuantity"] is None or Decimal(merged["OrderQuantity"]) <= 0
    ):
        raise error("06/029", "Enter a positive order quantity", "OrderQuantity")


def update_codes(writer: Writer, row: Row, values: dict[str, Any]) -> None:
    _check_codes(values)


UPDATE_RULES: dict[str, Callable[[Writer, Row, dict[str, Any]], None]] = {
    "MaintenanceOrder": update_order,
    "MaintenanceOrderOperation": update_order_child,
    "MaintOrderOpComponent": update_order_child,
    "Equipment": update_equipment,
    "FunctionalLocation": update_location,
    "A_PurchaseOrder": update_purchase_order,
    "A_PurchaseOrderItem": update_purchase_order_item,
    "A_SupplierPurchasingOrg": update_codes,
    "A_ProductPlant": update_codes,
}
CREATORS: dict[str, Callable[[Writer, Any, Row | None], Created]] = {
    "MaintenanceOrder": create_order,
    "Equipment": create_equipment,
    "FunctionalLocation": create_location,
    "A_PurchaseOrder": create_purchase_order,
    "A_PurchaseOrderItem": create_purchase_order_item,
}
