"""The one validation pipeline every write goes through before anything reaches the source.

In order, each failure with its PRODUCT.md code and the field it concerns:

1. the system provides the model (``MODEL_NOT_SUPPORTED``) and allows the operation
   (``OPERATION_NOT_SUPPORTED`` 405);
2. the body fits the unified shape (``VALIDATION_ERROR``), writes no read-only field
   (``FIELD_READ_ONLY``, custom fields included), has what the system requires
   (``FIELD_REQUIRED``) and only enum values the system knows (``VALIDATION_ERROR``);
3. for an update, the record as the source has it *now*: content locked in its state or
   an illegal status transition → ``INVALID_STATE`` 409;
4. every reference exists (``INVALID_REFERENCE``): the synced copy first, the source when
   the copy does not know the record or thinks it is gone;
5. the connection's write limit (``RATE_LIMIT_EXCEEDED`` with ``Retry-After``).

Only then does the connector's plan run (nothing at all with ``dry_run``). What the
source still refuses comes back in the same envelope with its own message in
``details``. After a write the record is read back from the source through the
connector's stream mapping and stored with the sync engine's stamping (write-through).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select

from plantlink.connectors.base import Connector
from plantlink.connectors.errors import SourceError
from plantlink.connectors.http import retry_after
from plantlink.connectors.registry import get_connector
from plantlink.connectors.writes import (
    ConnectorWriter,
    Fetched,
    ModelWriteSpec,
    WriteContext,
    WriteError,
    WriteOutcome,
    WritePlan,
    default_classification,
)
from plantlink.core.timeutil import format_us
from plantlink.model.registry import MODELS
from plantlink.store import Store
from plantlink.store.accounts import ConnectionRow
from plantlink.store.db import write_connection
from plantlink.store.records import get_record, stable_id, take_stamp, upsert
from plantlink.store.tables import records
from plantlink.sync import state
from plantlink.sync.engine import SyncEngine
from plantlink.sync.settings import ConnectionSettings
from plantlink.writes.schema import LINE_REFS, parse_body

log = structlog.get_logger(__name__)

OPERATIONS = ("create", "update")
#: Longest pause for the source's rate limit a write waits out before answering 429.
MAX_WAIT = 5.0


@dataclass
class WriteRequest:
    conn: ConnectionRow
    model: str
    operation: str
    body: Any
    record_id: str | None = None
    dry_run: bool = False
    idempotency_key: str | None = None


@dataclass
class Progress:
    """Shared with the caller so an unexpected crash still tells whether the source moved."""

    dirty: bool = False


@dataclass
class WriteResult:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _error(
    http_status: int, code: str, message: str, fld: str | None, /, **details: Any
) -> WriteError:
    return WriteError(http_status, code, message, field=fld, details=details or None)


class WriteService:
    def __init__(self, store: Store, sync_engine: SyncEngine, limiter_storage: Storage) -> None:
        self.store = store
        self.sync_engine = sync_engine
        self.limiter = MovingWindowRateLimiter(limiter_storage)

    # -- entry -----------------------------------------------------------------------------

    def run(self, req: WriteRequest, progress: Progress | None = None) -> WriteResult:
        progress = progress or Progress()
        connector, writer, spec = self.spec_for(req.conn, req.model, req.operation)
        if req.conn.status == "auth_required":
            raise _error(
                409,
                "CONNECTION_AUTH_REQUIRED",
                "the source refused the stored credentials; reconnect the connection",
                None,
            )
        body = parse_body(req.model, req.body)
        self._check_fields(spec, req.operation, body)
        http, client = self.sync_engine.make_client(req.conn, connector, max_wait=MAX_WAIT)
        with http:
            try:
                return self._run(req, connector, writer, spec, body, client, progress)
            except SourceError as exc:  # a read the pipeline made (checks, read-back)
                error = default_classification(exc, None)
                error.dirty = progress.dirty
                if error.code == "CONNECTION_AUTH_REQUIRED":
                    self.sync_engine.mark_auth_required(req.conn, exc.message)
                raise error from None
            except WriteError as exc:
                if exc.code == "CONNECTION_AUTH_REQUIRED":
                    self.sync_engine.mark_auth_required(req.conn, exc.message)
                raise

    def spec_for(
        self, conn: ConnectionRow, model: str, operation: str
    ) -> tuple[Connector[Any], ConnectorWriter[Any], ModelWriteSpec]:
        connector = get_connector(conn.system)
        path = MODELS[model].path
        if connector is None or model not in connector.models:
            raise WriteError(
                400,
                "MODEL_NOT_SUPPORTED",
                f"{conn.system} connections do not provide {path}",
                field=None,
                details={"model": path},
            )
        writer = connector.writer
        spec = writer.spec(model) if writer is not None else None
        allowed = [op for op in OPERATIONS if spec is not None and getattr(spec, op)]
        if writer is None or spec is None or operation not in allowed:
            verb = {"create": "creating", "update": "updating"}[operation]
            raise WriteError(
                405,
                "OPERATION_NOT_SUPPORTED",
                f"{connector.label} does not allow {verb} {path} through its API",
                field=None,
                details={"model": path, "operation": operation, "supported_operations": allowed},
            )
        return connector, writer, spec

    # -- static checks (no source call) ------------------------------------------------------

    def _check_fields(self, spec: ModelWriteSpec, op: str, body: dict[str, Any]) -> None:
        creating = op == "create"
        writable = [r.name for r in spec.fields if (r.create if creating else r.update)]
        if spec.lines is not None and (creating or spec.lines.update):
            writable.append(spec.lines.name)
        if spec.custom_fields:
            writable.append("custom_fields")
        for name, value in body.items():
            if name == "custom_fields" and not spec.custom_fields and value:
                raise _error(
                    422,
                    "FIELD_READ_ONLY",
                    f"{MODELS[spec.model].path} custom fields cannot be written on this system",
                    "custom_fields",
                )
            if name == "custom_fields":
                continue
            if name not in writable:
                when = "when creating" if creating else "when updating"
                raise _error(
                    422,
                    "FIELD_READ_ONLY",
                    f"'{name}' cannot be written {when} {MODELS[spec.model].path} on this system",
                    name,
                    writable=writable,
                )
            rule = spec.rule(name)
            if rule is not None and value is None and (rule.required or name == "status"):
                raise _error(422, "FIELD_REQUIRED", f"'{name}' cannot be null", name)
            if rule is not None and rule.enum is not None and value not in (None, *rule.enum):
                raise _error(
                    422,
                    "VALIDATION_ERROR",
                    f"'{value}' is not a {name} this system knows; allowed: "
                    + ", ".join(rule.enum),
                    name,
                    allowed=list(rule.enum),
                )
        if creating:
            for rule in spec.fields:
                if rule.required and body.get(rule.name) is None:
                    raise _error(
                        422,
                        "FIELD_REQUIRED",
                        f"'{rule.name}' is required to create {MODELS[spec.model].path} "
                        "on this system",
                        rule.name,
                    )
        status = body.get("status")
        if status is not None and spec.status is not None:
            if creating and status not in spec.status.on_create:
                raise _error(
                    409,
                    "INVALID_STATE",
                    f"a new record cannot start as '{status}'; it can start as: "
                    + ", ".join(spec.status.on_create),
                    "status",
                    allowed=list(spec.status.on_create),
                )
            if not creating and status not in spec.status.to_remote:
                raise _error(
                    422,
                    "VALIDATION_ERROR",
                    f"'{status}' is not a status this system can set; allowed: "
                    + ", ".join(spec.status.targets()),
                    "status",
                    allowed=list(spec.status.targets()),
                )
        lines = spec.lines
        if lines is None:
            return
        if lines.name not in body:
            if creating and lines.min_items:
                raise _error(
                    422,
                    "FIELD_REQUIRED",
                    f"'{lines.name}' is required: at least {lines.min_items} line(s)",
                    lines.name,
                )
            return
        rows = body[lines.name] or []
        if len(rows) < lines.min_items:
            raise _error(
                422,
                "FIELD_REQUIRED",
                f"'{lines.name}' needs at least {lines.min_items} line(s)",
                lines.name,
            )
        line_writable = {r.name for r in lines.fields}
        for i, row in enumerate(rows):
            existing = not creating and (row.get("id") or row.get("remote_id"))
            for name, value in row.items():
                if name in ("id", "remote_id") and not creating:
                    continue
                if name not in line_writable:
                    raise _error(
                        422,
                        "FIELD_READ_ONLY",
                        f"'{lines.name}[{i}].{name}' cannot be written on this system",
                        f"{lines.name}[{i}].{name}",
                        writable=sorted(line_writable),
                    )
                rule = spec.line_rule(name)
                if rule is not None and rule.required and value is None:
                    raise _error(
                        422,
                        "FIELD_REQUIRED",
                        f"'{lines.name}[{i}].{name}' cannot be null",
                        f"{lines.name}[{i}].{name}",
                    )
            if existing:
                continue
            for rule in lines.fields:
                if rule.required and row.get(rule.name) is None:
                    raise _error(
                        422,
                        "FIELD_REQUIRED",
                        f"'{lines.name}[{i}].{rule.name}' is required for every line",
                        f"{lines.name}[{i}].{rule.name}",
                    )
            if lines.one_of and all(row.get(n) is None for n in lines.one_of):
                raise _error(
                    422,
                    "FIELD_REQUIRED",
                    f"'{lines.name}[{i}]' needs one of: " + ", ".join(lines.one_of),
                    f"{lines.name}[{i}].{lines.one_of[0]}",
                )

    # -- checks against the source, then the write ---------------------------------------------

    def _run(
        self,
        req: WriteRequest,
        connector: Connector[Any],
        writer: ConnectorWriter[Any],
        spec: ModelWriteSpec,
        body: dict[str, Any],
        client: Any,
        progress: Progress,
    ) -> WriteResult:
        conn = req.conn
        wctx = WriteContext(conn.id)
        settings = ConnectionSettings.model_validate(conn.settings)
        wctx.state["write_defaults"] = dict(settings.write_defaults)
        if body.get("custom_fields"):
            self._check_custom_fields(writer, client, spec, body["custom_fields"])
        current: Fetched | None = None
        if req.operation == "update":
            current = self._current(writer, client, req, spec)
            self._check_state(spec, current, body)
        resolved = self._resolve_refs(connector, writer, client, conn, spec, body, current)
        writer.prepare(client, req.model, resolved, current, wctx)
        if req.operation == "create":
            plan = writer.plan_create(req.model, resolved, wctx)
        else:
            assert current is not None
            plan = writer.plan_update(req.model, current, resolved, wctx)
        self._check_rate(conn, settings, writer, consume=not req.dry_run and bool(plan.calls))
        if req.dry_run:
            return WriteResult(
                200,
                {
                    "dry_run": True,
                    "valid": True,
                    "model": MODELS[req.model].path,
                    "operation": req.operation,
                    "id": req.record_id,
                    "remote_id": plan.remote_id,
                    "plan": self._describe(plan),
                },
            )
        if not plan.calls:  # nothing to change (e.g. the status it already has)
            assert current is not None
            doc = self._write_through(connector, writer, client, conn, req.model, current.remote_id)
            return WriteResult(
                200,
                {"data": doc, "write": self._report(req, plan, None, read_back=doc is not None)},
            )
        # Until execute says otherwise, assume the source may have applied something: an
        # unexpected failure in there must not release the idempotency key for a retry.
        progress.dirty = True
        outcome = writer.execute(client, plan, wctx)
        progress.dirty = outcome.dirty
        doc = None
        if outcome.remote_id is not None and (outcome.dirty or outcome.error is None):
            try:
                doc = self._write_through(
                    connector, writer, client, conn, req.model, outcome.remote_id
                )
            except SourceError as exc:  # the write stands; the next sync stores it
                log.warning("write_read_back_failed", error=exc.message)
        if outcome.error is not None:
            error = outcome.error
            error.details.update(self._report(req, plan, outcome, read_back=doc is not None))
            error.dirty = outcome.dirty
            raise error
        return WriteResult(
            201 if req.operation == "create" else 200,
            {"data": doc, "write": self._report(req, plan, outcome, read_back=doc is not None)},
        )

    def _describe(self, plan: WritePlan) -> dict[str, Any]:
        return {
            "calls": [c.describe() for c in plan.calls],
            "compensation": plan.compensate.describe() if plan.compensate else None,
            "transaction": plan.transaction,
        }

    def _report(
        self,
        req: WriteRequest,
        plan: WritePlan,
        outcome: WriteOutcome | None,
        *,
        read_back: bool,
    ) -> dict[str, Any]:
        return {
            "operation": req.operation,
            "model": MODELS[req.model].path,
            "remote_id": outcome.remote_id if outcome else plan.remote_id,
            "steps": [s.public() for s in outcome.steps] if outcome else [],
            "compensated": outcome.compensated if outcome else False,
            "source_changed": outcome.dirty if outcome else False,
            "transaction": plan.transaction,
            "read_back": read_back,
            "idempotency_key": req.idempotency_key,
        }

    def _check_custom_fields(
        self,
        writer: ConnectorWriter[Any],
        client: Any,
        spec: ModelWriteSpec,
        values: dict[str, Any],
    ) -> None:
        defs = writer.custom_fields(client, spec.model)
        if defs is None:
            return  # the source cannot tell: it checks them itself
        for name, value in values.items():
            path = f"custom_fields.{name}"
            found = defs.get(name)
            if found is None:
                raise _error(
                    422,
                    "FIELD_READ_ONLY",
                    f"custom field '{name}' is not a writable custom field of "
                    f"{MODELS[spec.model].path} on this system",
                    path,
                    writable=sorted(defs),
                )
            if value is None:
                continue
            if isinstance(value, dict | list):
                raise _error(422, "VALIDATION_ERROR", f"{path} must be a single value", path)
            if found.options and str(value) not in found.options:
                raise _error(
                    422,
                    "VALIDATION_ERROR",
                    f"'{value}' is not an option of custom field '{name}'",
                    path,
                    allowed=list(found.options),
                )
            if found.kind == "number":
                try:
                    float(str(value))
                except ValueError:
                    raise _error(
                        422, "VALIDATION_ERROR", f"{path} must be a number", path
                    ) from None

    def _current(
        self, writer: ConnectorWriter[Any], client: Any, req: WriteRequest, spec: ModelWriteSpec
    ) -> Fetched:
        assert req.record_id is not None
        path = MODELS[req.model].path
        row = self._lookup(req.conn.id, req.model, req.record_id)
        if row is None:
            raise _error(
                404,
                "NOT_FOUND",
                f"no {path} record with id {req.record_id!r} on this connection",
                None,
            )
        current = writer.fetch(client, req.conn.id, req.model, row[0])
        if current is None:
            raise _error(
                404,
                "NOT_FOUND",
                f"the source no longer has {path} {row[0]!r}",
                None,
                remote_id=row[0],
            )
        return current

    def _lookup(self, connection_id: str, model: str, value: str) -> tuple[str, bool] | None:
        """(remote id, remote_deleted) of a record named by plantlink id or remote id."""
        r = records.c
        # A record's id is stable_id(connection, model, remote id): one primary-key lookup
        # answers both ways of naming it.
        ids = [value, stable_id(connection_id, model, value)]
        with self.store.engine.connect() as db:
            rows = db.execute(
                select(r.id, r.remote_id, r.remote_deleted).where(
                    r.connection_id == connection_id, r.model == model, r.id.in_(ids)
                )
            ).all()
        by_id = {row.id: row for row in rows}
        row = by_id.get(value) or by_id.get(ids[1])  # a plantlink id wins, as before
        return None if row is None else (str(row.remote_id), bool(row.remote_deleted))

    def _check_state(self, spec: ModelWriteSpec, current: Fetched, body: dict[str, Any]) -> None:
        rule = spec.status
        if rule is None:
            return
        remote = current.remote_status
        unified = rule.to_unified.get(remote or "", remote)
        content = [k for k in body if k != "status"]
        if content and remote in rule.locked:
            raise _error(
                409,
                "INVALID_STATE",
                f"this {MODELS[spec.model].path[:-1].replace('-', ' ')} is {unified} "
                f"({remote}) and can no longer be edited; '{content[0]}' was not changed",
                content[0],
                status=unified,
                remote_status=remote,
                locked_statuses=sorted(rule.locked),
            )
        target = body.get("status")
        if target is None:
            return
        target_remote = rule.to_remote[target]
        if not rule.allowed(remote, target_remote):
            allowed = sorted(rule.transitions.get(remote or "", frozenset()))
            raise _error(
                409,
                "INVALID_STATE",
                f"status cannot move from {unified} ({remote}) to {target} ({target_remote})",
                "status",
                status=unified,
                remote_status=remote,
                to=target,
                allowed=sorted({rule.to_unified.get(a, a) for a in allowed}),
                allowed_remote=allowed,
            )

    def _resolve_refs(
        self,
        connector: Connector[Any],
        writer: ConnectorWriter[Any],
        client: Any,
        conn: ConnectionRow,
        spec: ModelWriteSpec,
        body: dict[str, Any],
        current: Fetched | None,
    ) -> dict[str, Any]:
        """The body with every reference replaced by the source's key."""
        model = MODELS[spec.model]
        out = dict(body)

        def resolve(target: str, value: Any, path: str) -> str:
            return self._resolve(connector, writer, client, conn, target, str(value), path)

        for name, target in model.refs.items():
            if out.get(name) is not None:
                out[name] = resolve(target, out[name], name)
        for name, target in model.list_refs.items():
            if out.get(name):
                out[name] = [resolve(target, v, f"{name}[{i}]") for i, v in enumerate(out[name])]
        if spec.lines is not None and out.get(spec.lines.name):
            known = {}
            if current is not None:
                for line in current.record.fields.get(spec.lines.name) or ():
                    known[line.get("id")] = line.get("remote_id")
                    known[line.get("remote_id")] = line.get("remote_id")
            rows = []
            for i, row in enumerate(out[spec.lines.name]):
                line = dict(row)
                for name, target in LINE_REFS.items():
                    if line.get(name) is not None:
                        line[name] = resolve(target, line[name], f"{spec.lines.name}[{i}].{name}")
                ref = line.pop("id", None) or line.get("remote_id")
                if ref is not None:
                    if ref not in known:
                        raise _error(
                            422,
                            "INVALID_REFERENCE",
                            f"{spec.lines.name}[{i}]: this record has no line {ref!r}",
                            f"{spec.lines.name}[{i}].id",
                        )
                    line["remote_id"] = known[ref]
                rows.append(line)
            out[spec.lines.name] = rows
        return out

    def _resolve(
        self,
        connector: Connector[Any],
        writer: ConnectorWriter[Any],
        client: Any,
        conn: ConnectionRow,
        target: str,
        value: str,
        path: str,
    ) -> str:
        found = self._lookup(conn.id, target, value)
        if found is not None and not found[1]:
            return found[0]
        # The synced copy does not know it (created since the last sync?) or thinks it is
        # gone: the source decides.
        candidate = found[0] if found is not None else value
        if target in connector.models and writer.exists(client, conn.id, target, candidate):
            return candidate
        raise _error(
            422,
            "INVALID_REFERENCE",
            f"{path}: no {MODELS[target].path} record {value!r} exists in the source",
            path,
            model=MODELS[target].path,
            value=value,
        )

    def _check_rate(
        self,
        conn: ConnectionRow,
        settings: ConnectionSettings,
        writer: ConnectorWriter[Any],
        consume: bool,
    ) -> None:
        limit = settings.write_limit(writer.specs.rate_limit)
        if limit is None:
            return
        item = limit.item()
        allowed = (
            self.limiter.hit(item, "writes", conn.id)
            if consume
            else self.limiter.test(item, "writes", conn.id)
        )
        if not allowed:
            retry = retry_after(self.limiter, item, "writes", conn.id)
            raise WriteError(
                429,
                "RATE_LIMIT_EXCEEDED",
                f"more than {limit.requests} writes per {limit.per_seconds:g} s on this "
                "connection (the source's write limit)",
                field=None,
                details={"limit": limit.requests, "per_seconds": limit.per_seconds},
                headers={"Retry-After": str(retry)},
            )

    # -- write-through ---------------------------------------------------------------------

    def _write_through(
        self,
        connector: Connector[Any],
        writer: ConnectorWriter[Any],
        client: Any,
        conn: ConnectionRow,
        model: str,
        remote_id: str,
    ) -> Any:
        """Read the record back as a sync would and store it with the sync's stamping.

        Records of other models the same source record yields (MaintainX stock rows of a
        part: ``inventory``) are stored too, so they agree with it.
        """
        fetched = writer.fetch(client, conn.id, model, remote_id, exact=True)
        if fetched is None:
            return None
        supported = connector.models
        by_model: dict[str, list[Any]] = {}
        for item in fetched.records:
            if item.model in supported:
                by_model.setdefault(item.model, []).append(item)
        main = by_model.get(model)
        if not main:
            return None
        results = {}
        with write_connection(self.store.engine) as db:
            stamp = take_stamp(db, conn.id)
            for name, items in by_model.items():
                results[name] = upsert(db, conn.id, items, stamp)
                state.adjust_records(db, conn.id, name, results[name].live_delta)
        for name, result in results.items():
            if result.changed:
                self.sync_engine.emit(
                    conn,
                    "records.changed",
                    {
                        "model": MODELS[name].path,
                        "created": result.created,
                        "updated": result.updated,
                        "deleted": 0,
                        "modified_after": format_us(stamp - 1),
                        "trigger": "write",
                    },
                )
        record_id = stable_id(conn.id, model, main[0].remote_id)
        found = get_record(self.store.engine, conn.id, model, record_id)
        return None if found is None else orjson.loads(found[0])
