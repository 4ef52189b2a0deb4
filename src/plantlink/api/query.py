"""List-endpoint parameters: declared once per model, validated strictly, documented.

Unknown parameters, repeated parameters, malformed or impossible values and inverted
ranges are each a 400 ``INVALID_PARAMETER`` naming the parameter — never ignored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from starlette.datastructures import QueryParams

from plantlink.api.errors import invalid_parameter
from plantlink.core.timeutil import DateParseError, parse_instant
from plantlink.model.registry import MODELS, ModelSpec
from plantlink.store.records import ListQuery

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
MAX_LIST_VALUES = 100

_STANDARD_RANGES = (
    ("created", "created"),
    ("modified", "modified"),
    ("remote_modified", "remote_modified"),
)
_PAGING = ("cursor", "page_size")
_FLAGS = ("include_deleted", "include_remote_data")


@dataclass(frozen=True)
class ParamDoc:
    name: str
    kind: str  # "date" | "int" | "bool" | "list" | "string"
    description: str


def list_params(spec: ModelSpec) -> list[ParamDoc]:
    docs: list[ParamDoc] = [
        ParamDoc("page_size", "int", f"1 to {MAX_PAGE_SIZE}, default {DEFAULT_PAGE_SIZE}"),
        ParamDoc("cursor", "string", "next_cursor of the previous page"),
    ]
    for prefix, _ in _STANDARD_RANGES:
        docs.append(ParamDoc(f"{prefix}_after", "date", f"{prefix}_at strictly after"))
        docs.append(ParamDoc(f"{prefix}_before", "date", f"{prefix}_at strictly before"))
    for df in spec.date_filters:
        docs.append(ParamDoc(f"{df.prefix}_after", "date", f"{df.field} strictly after"))
        docs.append(ParamDoc(f"{df.prefix}_before", "date", f"{df.field} strictly before"))
    if spec.status_enum is not None:
        values = ", ".join(v.value for v in spec.status_enum)
        docs.append(ParamDoc("status", "list", f"comma list of: {values}"))
    docs.append(ParamDoc("remote_id", "list", "comma list of source keys"))
    for name in spec.filter_names:
        docs.append(ParamDoc(name, "list", f"comma list of plantlink ids ({name})"))
    docs.append(ParamDoc("include_deleted", "bool", "also return records the source deleted"))
    docs.append(ParamDoc("include_remote_data", "bool", "add the raw source record"))
    if spec.expandable:
        docs.append(
            ParamDoc(
                "expand",
                "list",
                "comma list of reference fields to inline: " + ", ".join(spec.expandable),
            )
        )
    return docs


def openapi_parameters(spec: ModelSpec) -> list[dict[str, Any]]:
    types = {
        "date": "string",
        "int": "integer",
        "bool": "boolean",
        "list": "string",
        "string": "string",
    }
    out = []
    for p in list_params(spec):
        schema: dict[str, Any] = {"type": types[p.kind]}
        if p.kind == "date":
            schema["examples"] = ["2024-01-01", "2024-01-01T00:00:00Z", "-7d", "-PT12H"]
        out.append(
            {
                "name": p.name,
                "in": "query",
                "required": False,
                "description": p.description,
                "schema": schema,
            }
        )
    return out


def _single(params: QueryParams, name: str) -> str:
    values = params.getlist(name)
    if len(values) > 1:
        raise invalid_parameter(name, f"parameter '{name}' given {len(values)} times; give it once")
    return values[0]


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise invalid_parameter(name, f"'{name}' must be true or false, got {value!r}")


def _date(name: str, value: str) -> int:
    try:
        return parse_instant(value)
    except DateParseError as exc:
        raise invalid_parameter(
            name,
            f"'{name}' is not a valid date: {value!r} (use 2024-01-01, RFC 3339, -7d or -P7D)",
        ) from exc


def _csv(name: str, value: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise invalid_parameter(name, f"'{name}' is empty")
    if len(items) > MAX_LIST_VALUES:
        raise invalid_parameter(name, f"'{name}' takes at most {MAX_LIST_VALUES} values")
    return items


def _range(params: dict[str, str], prefix: str) -> tuple[int | None, int | None]:
    lo_name, hi_name = f"{prefix}_after", f"{prefix}_before"
    lo = _date(lo_name, params[lo_name]) if lo_name in params else None
    hi = _date(hi_name, params[hi_name]) if hi_name in params else None
    if lo is not None and hi is not None and lo >= hi:
        raise invalid_parameter(
            lo_name,
            f"'{lo_name}' must be earlier than '{hi_name}' (the range is empty or inverted)",
        )
    return lo, hi


@dataclass
class ParsedList:
    query: ListQuery
    cursor: str | None
    expand: list[str]
    scope: str


@cache
def _allowed(model: str) -> frozenset[str]:
    """The parameter names a model's list accepts (built once per model, not per request)."""
    return frozenset(p.name for p in list_params(MODELS[model]))


def parse_list(spec: ModelSpec, raw: QueryParams, connection_id: str) -> ParsedList:
    allowed = _allowed(spec.name)
    for name in raw:
        if name not in allowed:
            hint = ""
            if name.replace("-", "_") in allowed:
                hint = f" (did you mean '{name.replace('-', '_')}'?)"
            raise invalid_parameter(name, f"unknown parameter '{name}' for /v1/{spec.path}{hint}")
    params = {name: _single(raw, name) for name in raw}
    q = ListQuery(model=spec.name)
    if "page_size" in params:
        text = params["page_size"]
        if not text.strip().isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
            raise invalid_parameter(
                "page_size",
                f"'page_size' must be an integer from 1 to {MAX_PAGE_SIZE}, got {text!r}",
            )
        q.page_size = int(text)
    q.created_after, q.created_before = _range(params, "created")
    q.modified_after, q.modified_before = _range(params, "modified")
    q.remote_modified_after, q.remote_modified_before = _range(params, "remote_modified")
    for df in spec.date_filters:
        lo, hi = _range(params, df.prefix)
        if lo is not None or hi is not None:
            q.slot_ranges[df.slot] = (lo, hi)
    if "status" in params:
        assert spec.status_enum is not None
        statuses = _csv("status", params["status"])
        valid = {v.value for v in spec.status_enum}
        bad = [s for s in statuses if s not in valid]
        if bad:
            raise invalid_parameter(
                "status", f"unknown status {bad[0]!r}; expected one of: {', '.join(sorted(valid))}"
            )
        q.statuses = statuses
    if "remote_id" in params:
        q.remote_ids = _csv("remote_id", params["remote_id"])
    for name in spec.ref_filters:
        if name in params:
            q.ref_filters[name] = _csv(name, params[name])
    for name in spec.multi_refs:
        if name in params:
            q.multi_filters[name] = _csv(name, params[name])
    for flag in _FLAGS:
        if flag in params:
            setattr(q, flag, _bool(flag, params[flag]))
    expand: list[str] = []
    if "expand" in params:
        expand = _csv("expand", params["expand"])
        bad = [e for e in expand if e not in spec.expandable]
        if bad:
            raise invalid_parameter(
                "expand",
                f"cannot expand {bad[0]!r} on {spec.path}; expandable: {', '.join(spec.expandable)}",
            )
    fingerprint = sorted(
        (k, v) for k, v in params.items() if k not in (*_PAGING, "expand", "include_remote_data")
    )
    digest = hashlib.sha256(repr(fingerprint).encode()).hexdigest()[:16]
    scope = f"{connection_id}:{spec.name}:{digest}"
    return ParsedList(q, params.get("cursor"), expand, scope)
