"""Internal records → MaintainX response shapes, per endpoint and ``expand``.

List items follow the vendor's list schemas (fields marked "expand with query parameter"
appear only when expanded); GET-by-id follows the single-record schemas. Where a list
schema is thinner than what a connector needs to sync without N+1 calls (vendors,
users, meters, purchase orders), list items carry the GET shape; where the vendor omits
change timestamps (vendors, users) they are added, because PROTOCOLS.md §2 tells clients
to compare ``updatedAt`` for those collections. Extra properties are allowed by the
vendor schemas (none sets ``additionalProperties: false``).
"""

from __future__ import annotations

from typing import Any

from plantlink.sandbox.core import Record
from plantlink.sandbox.maintainx.data import FIRST_ID
from plantlink.sandbox.maintainx.ops import Org

_WO_LIST = (
    "id",
    "sequentialId",
    "title",
    "status",
    "updatedAt",
    "completedAt",
    "completerId",
    "createdAt",
    "creatorId",
    "deletedAt",
    "description",
    "dueDate",
    "dueDateIsFullDay",
    "lastMessageSentAt",
    "startDate",
    "assetId",
    "locationId",
    "nextId",
    "organizationId",
    "partsAvailability",
    "partStatus",
    "previousId",
    "priority",
    "recurrenceInfo",
    "requesterId",
    "type",
)
_WO_GET = (
    *_WO_LIST,
    "categories",
    "externalData",
    "isParent",
    "parentId",
    "vendorIds",
    "assigneeIds",
    "teamIds",
)
_WO_INTERNAL = (
    "categories", "externalData", "isParent", "parentId", "vendorIds", "assigneeIds",
    "teamIds", "partsUsed", "extraFields", "estimatedTime", "workRequestId",
)  # fmt: skip
"""Work-order record fields that list items show only when expanded (or never)."""
_ASSET_BRIEF = (
    "id",
    "name",
    "description",
    "parentId",
    "criticalityId",
    "locationId",
    "serialNumber",
    "createdAt",
    "updatedAt",
    "creatorId",
)
_LOCATION_BRIEF = ("id", "name", "description", "address", "parentId", "createdAt", "updatedAt")


def _pick(record: Record, keys: tuple[str, ...]) -> Record:
    return {k: record[k] for k in keys}


class Render:
    """Renders with access to the organisation, for expands that join other records."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.d = org.data

    # -- joins -----------------------------------------------------------------------

    def asset_brief(self, asset_id: int | None, extra: bool) -> Record | None:
        if asset_id is None:
            return None
        asset = self.d.assets.get_live(asset_id)
        if asset is None:
            return None
        out = _pick(asset, _ASSET_BRIEF)
        if extra:
            out["assetExtraFields"] = asset["extraFields"]
        return out

    def location_brief(self, location_id: int | None, extra: bool) -> Record | None:
        if location_id is None:
            return None
        location = self.d.locations.get_live(location_id)
        if location is None:
            return None
        out = _pick(location, _LOCATION_BRIEF)
        if extra:
            out["locationExtraFields"] = location["extraFields"]
        return out

    def children(self, table_name: str, record_id: int) -> list[int]:
        table = getattr(self.d, table_name)
        rows = table.facet_rows("parent", record_id)
        return sorted(table.id_of(r) for r in rows if r not in table.deleted)

    # -- work orders -----------------------------------------------------------------

    def work_order(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        if single:
            out = _pick(rec, _WO_GET)
        else:  # hot path of list pages: a C-level copy minus internal keys beats a pick
            out = rec.copy()
            for key in _WO_INTERNAL:
                del out[key]
        out["workOrderSummary"] = None
        if single:
            out["attachments"] = []
            out["procedure"] = None
            out["progress"] = None
        elif "categories" in expand:
            out["categories"] = rec["categories"]
        if not single and "vendor_ids" in expand:
            out["vendorIds"] = rec["vendorIds"]
        if "assignees" in expand:
            out["assignees"] = [{"type": "USER", "id": u} for u in rec["assigneeIds"]] + [
                {"type": "TEAM", "id": t} for t in rec["teamIds"]
            ]
        if "extra_fields" in expand:
            out["extraFields"] = rec["extraFields"]
        if "estimated_time" in expand:
            out["estimatedTime"] = rec["estimatedTime"]
        if "asset" in expand:
            out["asset"] = self.asset_brief(rec["assetId"], "asset_extra_fields" in expand)
        if "location" in expand:
            out["location"] = self.location_brief(
                rec["locationId"], "location_extra_fields" in expand
            )
        if "parts" in expand:
            out["parts"] = [
                self._wo_part(p, "part_extra_fields" in expand) for p in rec["partsUsed"]
            ]
        if "times" in expand:
            out["times"] = []
        if "time_items" in expand:
            out["timeItems"] = []
        if "expenditures" in expand:
            out["expenditures"] = [self._expenditure(p) for p in rec["partsUsed"]]
        return out

    def _wo_part(self, used: Record, extra: bool) -> Record:
        part = self.d.parts.get(used["partId"] - FIRST_ID["parts"])
        stock = next(
            (s for s in part["locations"] if s["locationId"] == used.get("locationId")),
            part["locations"][0] if part["locations"] else None,
        )
        out: Record = {
            "id": part["id"],
            "name": part["name"],
            "description": part["description"],
            "area": stock["area"] if stock else None,
            "unitCost": part["unitCost"],
            "availableQuantity": stock["availableQuantity"] if stock else 0,
            "minimumQuantity": (stock["minimumQuantity"] or 0) if stock else 0,
            "barcode": part["barcode"],
            "quantityUsed": used["quantityUsed"],
            "copyOnRecurring": used.get("copyOnRecurring", "Default"),
            "locationId": used.get("locationId"),
            "extraFields": {},
        }
        if extra:
            out["partExtraFields"] = part["extraFields"]
        return out

    def _expenditure(self, used: Record) -> Record:
        part = self.d.parts.get(used["partId"] - FIRST_ID["parts"])
        cost = part["unitCost"] or 0
        return {
            "type": "PART",
            "costPerUnit": cost,
            "description": part["name"],
            "quantity": used["quantityUsed"],
            "rowTotal": cost * used["quantityUsed"],
            "durationTotal": 0,
            "userId": None,
            "partId": part["id"],
        }

    # -- assets ----------------------------------------------------------------------

    def asset(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        status = self._asset_status(rec)
        if single:
            out = {k: v for k, v in rec.items() if k != "status"}
            out.update(
                globalUuid=None,
                currentOwnerId=self.d.organization_id,
                thumbnail=None,
                attachments=[],
                status=status,
                childrenIds=self.children("assets", rec["id"]),
            )
            return out
        out = _pick(rec, _ASSET_BRIEF)
        out["organizationId"] = self.d.organization_id
        for key, field in (
            ("team_ids", "teamIds"),
            ("asset_types", "assetTypes"),
            ("extra_fields", "extraFields"),
            ("vendor_ids", "vendorIds"),
        ):
            if key in expand:
                out[field] = rec[field]
        # Not nullable in the list schema: omitted when the asset has none.
        for key in ("barcode", "manufacturer", "model", "depreciation"):
            if key in expand and rec[key] is not None:
                out[key] = rec[key]
        if "status" in expand:
            out["status"] = status
        return out

    def _asset_status(self, rec: Record) -> Record:
        status = rec["status"]
        return {
            "id": rec["id"],
            **status,
            "createdAt": status["startedAt"],
            "updatedAt": status["startedAt"],
            "deletedAt": None,
            "customStatus": None,
        }

    # -- parts -----------------------------------------------------------------------

    def part(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        stock = rec["locations"]
        first = stock[0] if stock else None
        in_stock = sum(s["availableQuantity"] for s in stock)
        maxima = [s["maximumQuantity"] for s in stock if s["maximumQuantity"] is not None]
        committed = {
            k: sum(s["committedQuantities"][k] for s in stock)
            for k in ("kitted", "reserved", "staged")
        }
        out: Record = {
            "id": rec["id"],
            "name": rec["name"],
            "description": rec["description"],
            "barcode": rec["barcode"],
            "locationId": first["locationId"] if first else None,
            "locations": stock,
            "area": first["area"] if first else None,
            "unitCost": rec["unitCost"],
            "availableQuantity": in_stock,
            "inStockQuantity": in_stock,
            "minimumQuantity": sum(s["minimumQuantity"] or 0 for s in stock),
            "maximumQuantity": sum(maxima) if maxima else None,
            "orderedQuantity": rec["orderedQuantity"],
            "reservedQuantity": committed["reserved"],
            "committedQuantities": committed,
            "assignedQuantity": sum(s["assignedQuantity"] for s in stock),
            "partTypes": rec["partTypes"],
            "createdAt": rec["createdAt"],
            "updatedAt": rec["updatedAt"],
        }
        if single:
            out.update(
                assetIds=rec["assetIds"],
                teamIds=rec["teamIds"],
                extraFields=rec["extraFields"],
                vendors=rec["vendors"],
                vendorIds=[v["vendorId"] for v in rec["vendors"]],
                thumbnail=None,
                attachments=[],
                deletedAt=rec["deletedAt"],
            )
            return out
        out["organizationId"] = self.d.organization_id
        if "extra_fields" in expand:
            out["extraFields"] = rec["extraFields"]
        if "vendors" in expand:
            out["vendors"] = rec["vendors"]
        return out

    # -- simple collections ----------------------------------------------------------

    def location(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        if single:
            out = {k: v for k, v in rec.items() if not k.startswith("_")}
            out.update(
                thumbnail=None, attachments=[], childrenIds=self.children("locations", rec["id"])
            )
            return out
        out = _pick(rec, _LOCATION_BRIEF)
        out["organizationId"] = self.d.organization_id
        for key, field in (
            ("extra_fields", "extraFields"),
            ("team_ids", "teamIds"),
            ("vendor_ids", "vendorIds"),
        ):
            if key in expand:
                out[field] = rec[field]
        if "barcode" in expand and rec["barcode"] is not None:  # not nullable in the list
            out["barcode"] = rec["barcode"]
        return out

    def vendor(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        out = {k: v for k, v in rec.items() if k != "extraFields"}
        if single or "extra_fields" in expand:
            out["extraFields"] = rec["extraFields"]
        if single:
            out.update(thumbnail=None, attachments=[])
        return out

    def user(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        keys = (
            "id",
            "firstName",
            "lastName",
            "email",
            "phoneNumber",
            "authType",
            "hourlyRate",
            "lastVisitedAt",
            "createdAt",
            "updatedAt",
        )
        out = _pick(rec, keys)
        if single:
            out.update(
                role=rec["role"],
                customRole=rec["customRole"],
                extraFields=rec["extraFields"],
                removedFromOrganization=rec["removedFromOrganization"],
                externalData=rec["externalData"],
            )
            return out
        if "role" in expand:
            out["role"] = rec["role"]
        if "extra_fields" in expand:
            out["extraFields"] = rec["extraFields"]
        return out

    def team(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        if single:
            return _pick(
                rec, ("id", "name", "description", "assetIds", "membersCount", "locationIds")
            )
        return _pick(rec, ("id", "name"))

    def category(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        out = _pick(rec, ("id", "label", "description"))
        if single:
            rows = self.d.workorders.facet_rows("category", rec["label"])
            out["workOrderCount"] = sum(1 for r in rows if r not in self.d.workorders.deleted)
            out["updatedAt"] = rec["updatedAt"]
        return out

    def criticality(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        return _pick(rec, ("id", "label", "level"))

    def purchase_order(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        return rec

    def meter(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        out = dict(rec)
        if "asset" in expand:
            out["asset"] = self.asset_brief(rec["assetId"], False)
        if "location" in expand:
            out["location"] = self.location_brief(rec["locationId"], False)
        if "last_reading" in expand:
            out["lastReading"] = self.org.last_reading(rec["id"] - FIRST_ID["meters"])
        return out

    def work_request(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        out = {k: v for k, v in rec.items() if k not in ("extraFields", "creatorId")}
        if "extra_fields" in expand:
            out["extraFields"] = rec["extraFields"]
        if "asset" in expand:
            asset = self.asset_brief(rec["assetId"], False)
            if asset is not None:
                out["asset"] = asset
        if "location" in expand:
            location = self.location_brief(rec["locationId"], False)
            if location is not None:
                out["location"] = location
        if "work_order" in expand and rec["workOrderId"] is not None:
            wo = self.d.workorders.get_live(rec["workOrderId"])
            if wo is not None:
                out["workOrder"] = self.work_order(wo, frozenset(), single=True)
        return out

    def plan(self, rec: Record, expand: frozenset[str], single: bool = False) -> Record:
        return {k: v for k, v in rec.items() if k != "deletedAt"}


def organization(org: Org) -> dict[str, Any]:
    return {
        "id": org.data.organization_id,
        "name": org.data.organization_name,
        "timeZone": "Etc/UTC",
        "imageUrl": None,
        "currency": "USD",
        "dateFormatLocale": "en-US",
    }
