"""``GET /v1/meta/{model}``: what this connection's system lets you write, as data.

Served straight from the connector's write spec: the JSON Schema of the body each
operation accepts, the field rules, the status mechanism and its transition table, the
writable custom fields (their definitions come from the source), the write limit, how
header and lines reach the source, and the limitations in plain words.
"""

from __future__ import annotations

from typing import Any

from plantlink.connectors.errors import SourceError
from plantlink.connectors.registry import get_connector
from plantlink.model.registry import MODELS
from plantlink.store.accounts import ConnectionRow
from plantlink.sync.engine import SyncEngine
from plantlink.sync.settings import ConnectionSettings
from plantlink.writes.idempotency import HEADER
from plantlink.writes.schema import STANDARD_READ_ONLY, accepted_schema


def describe(
    engine: SyncEngine, conn: ConnectionRow, model: str, *, ttl_hours: float
) -> dict[str, Any]:
    spec_model = MODELS[model]
    connector = get_connector(conn.system)
    readable = connector is not None and model in connector.models
    out: dict[str, Any] = {
        "model": spec_model.path,
        "system": conn.system,
        "read": readable,
        "create": False,
        "update": False,
        "delete": False,
    }
    label = connector.label if connector else conn.system
    if not readable:
        out["limitations"] = [f"{label} connections do not provide {spec_model.path}"]
        return out
    assert connector is not None
    writer = connector.writer
    spec = writer.spec(model) if writer is not None else None
    if writer is None or spec is None:
        out["limitations"] = [f"{label} does not allow writing {spec_model.path} through its API"]
        return out
    out["create"], out["update"] = spec.create, spec.update
    ops = [op for op in ("create", "update") if getattr(spec, op)]
    out["schema"] = {op: accepted_schema(spec, op) for op in ops}
    fields = [
        {
            "name": r.name,
            "create": r.create,
            "update": r.update,
            "required": r.required,
            "enum": list(r.enum) if r.enum is not None else None,
            "note": r.note or None,
        }
        for r in spec.fields
    ]
    writable = {r.name for r in spec.fields}
    if spec.lines is not None:
        writable.add(spec.lines.name)
    out["fields"] = fields
    out["read_only_fields"] = [
        *STANDARD_READ_ONLY,
        *(n for n in spec_model.field_names if n not in writable),
    ]
    if spec.lines is not None:
        out["lines"] = {
            "field": spec.lines.name,
            "min_items": spec.lines.min_items,
            "one_of": list(spec.lines.one_of),
            "update": spec.lines.update,
            "fields": [
                {"name": r.name, "required": r.required, "note": r.note or None}
                for r in spec.lines.fields
            ],
        }
    if spec.status is not None:
        rule = spec.status
        out["status"] = {
            "mechanism": rule.mechanism,
            "values": dict(rule.to_remote),
            "on_create": list(rule.on_create),
            "locked_statuses": [
                {"status": rule.to_unified.get(s, s), "remote_status": s}
                for s in sorted(rule.locked)
            ],
            "transitions": [
                {
                    "from": rule.to_unified.get(src, src),
                    "from_remote": src,
                    "to": [
                        {"status": rule.to_unified.get(dst, dst), "remote_status": dst}
                        for dst in sorted(dsts)
                    ],
                }
                for src, dsts in sorted(rule.transitions.items())
            ],
        }
    custom: dict[str, Any] = {"writable": spec.custom_fields, "fields": []}
    if spec.custom_fields:
        try:
            http, client = engine.make_client(conn, connector)
            with http:
                defs = writer.custom_fields(client, model)
            custom["fields"] = (
                None
                if defs is None
                else [
                    {"name": d.name, "type": d.kind, "options": list(d.options)}
                    for d in defs.values()
                ]
            )
        except SourceError as exc:
            custom["fields"] = None
            custom["error"] = f"could not read the definitions from the source: {exc.message}"
    out["custom_fields"] = custom
    limit = ConnectionSettings.model_validate(conn.settings).write_limit(writer.specs.rate_limit)
    out["rate_limit"] = (
        None if limit is None else {"requests": limit.requests, "per_seconds": limit.per_seconds}
    )
    out["transaction"] = spec.transaction
    out["atomic_lines"] = spec.atomic_lines
    out["idempotency"] = {
        "header": HEADER,
        "retention_hours": ttl_hours,
        "source_mechanism": writer.specs.idempotency,
    }
    out["dry_run"] = "add ?dry_run=true to run every check without writing"
    out["limitations"] = [*spec.limitations, *writer.specs.limitations]
    return out
