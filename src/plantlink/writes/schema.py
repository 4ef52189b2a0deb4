"""Write bodies in the unified shape: strict pydantic models and per-system JSON Schemas.

A write body is a subset of a record's fields (every one optional here: what a system
requires is its write spec's business) plus ``custom_fields``. Unknown properties are a
``VALIDATION_ERROR``; standard fields such as ``id`` or ``modified_at`` are plantlink's and
are ``FIELD_READ_ONLY``.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from plantlink.connectors.writes import FieldRule, ModelWriteSpec, WriteError
from plantlink.model import fields as f
from plantlink.model.registry import MODELS

#: Standard record fields (PRODUCT.md, Records) a client can never write.
STANDARD_READ_ONLY = (
    "id",
    "remote_id",
    "created_at",
    "modified_at",
    "remote_created_at",
    "remote_modified_at",
    "remote_deleted",
    "remote_data",
)
#: References inside purchase-order lines, by field → target model.
LINE_REFS = {"part_id": "parts", "location_id": "locations"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PurchaseOrderLineWrite(f.PurchaseOrderLine):
    model_config = ConfigDict(extra="forbid")


def _optional(annotation: Any) -> Any:
    return annotation | None


@cache
def write_model(model: str) -> type[BaseModel]:
    """The strict body model of ``model``: every field optional, nothing unknown accepted."""
    spec = MODELS[model]
    fields: dict[str, Any] = {}
    for name, info in spec.fields.model_fields.items():
        annotation = info.annotation
        if name == "lines":
            annotation = list[PurchaseOrderLineWrite]
        fields[name] = (_optional(annotation), None)
    fields["custom_fields"] = (dict[str, Any] | None, None)
    name = "".join(p.capitalize() for p in model.split("_")) + "Write"
    return create_model(name, __base__=_Strict, **fields)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def parse_body(model: str, body: Any) -> dict[str, Any]:
    """The fields present in ``body``, validated and JSON-ready (decimals as strings)."""
    if not isinstance(body, dict):
        raise WriteError(
            422,
            "VALIDATION_ERROR",
            "the request body must be a JSON object",
            field="body",
        )
    for name in body:
        if name in STANDARD_READ_ONLY:
            raise WriteError(
                422,
                "FIELD_READ_ONLY",
                f"'{name}' is set by plantlink and the source system; it cannot be written",
                field=name,
            )
    cls = write_model(model)
    try:
        parsed = cls.model_validate(body)
    except ValidationError as exc:
        errors = [
            {"field": _path(tuple(e.get("loc", ()))), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = errors[0]
        message = f"{first['field']}: {first['message']}"
        if first["message"] == "Extra inputs are not permitted":
            message = f"'{first['field']}' is not a field of {MODELS[model].path}"
        raise WriteError(
            422,
            "VALIDATION_ERROR",
            f"invalid request body: {message}",
            field=first["field"],
            details={"errors": errors},
        ) from None
    dumped: dict[str, Any] = parsed.model_dump(mode="json", exclude_unset=True)
    return dumped


# ---- JSON Schema of what a system accepts ------------------------------------------------


def _field_schema(prop: dict[str, Any], rule: FieldRule, enum: tuple[str, ...] | None) -> Any:
    out = copy.deepcopy(prop)
    out.pop("default", None)
    if enum is not None:
        out = {"type": "string", "enum": list(enum)}
        if prop.get("title"):
            out["title"] = prop["title"]
    if rule.note:
        out["description"] = rule.note
    return out


def accepted_schema(spec: ModelWriteSpec, operation: str) -> dict[str, Any]:
    """JSON Schema of the body ``operation`` accepts on this system (writable fields only)."""
    full = write_model(spec.model).model_json_schema()
    props = full.get("properties", {})
    defs = full.get("$defs", {})
    creating = operation == "create"
    properties: dict[str, Any] = {}
    required: list[str] = []
    for rule in spec.fields:
        if not (rule.create if creating else rule.update) or rule.name not in props:
            continue
        enum = rule.enum
        if rule.name == "status" and spec.status is not None:
            enum = spec.status.on_create if creating else spec.status.targets()
        properties[rule.name] = _field_schema(props[rule.name], rule, enum)
        if creating and rule.required:
            required.append(rule.name)
    lines = spec.lines
    if lines is not None and (creating or lines.update):
        line_props = defs.get("PurchaseOrderLineWrite", {}).get("properties", {})
        item: dict[str, Any] = {"type": "object", "additionalProperties": False}
        item_props: dict[str, Any] = {}
        if not creating:
            item_props["id"] = {"type": "string", "description": "an existing line's id"}
            item_props["remote_id"] = {
                "type": "string",
                "description": "an existing line's remote_id",
            }
        for rule in lines.fields:
            if rule.name in line_props:
                item_props[rule.name] = _field_schema(line_props[rule.name], rule, rule.enum)
        item["properties"] = item_props
        item_required = [r.name for r in lines.fields if r.required]
        if item_required:
            item["required"] = item_required
        if lines.one_of:
            item["anyOf"] = [{"required": [name]} for name in lines.one_of]
        properties[lines.name] = {"type": "array", "items": item, "minItems": lines.min_items}
        if creating and lines.min_items:
            required.append(lines.name)
    if spec.custom_fields:
        properties["custom_fields"] = {
            "type": "object",
            "description": "the system's writable custom fields (see custom_fields)",
        }
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
    if required:
        schema["required"] = required
    used = {k: v for k, v in defs.items() if k != "PurchaseOrderLineWrite"}
    if used:
        schema["$defs"] = used
    return schema
