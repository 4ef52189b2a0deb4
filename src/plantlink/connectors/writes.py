"""The write half of the connector SDK: write specs as data, plans, and their execution.

A connector that can write declares, per unified model, what its system accepts: the
operations, which unified fields are writable on create and on update, which are
required, which enum values the system knows, how status changes (the system's own
mechanism and its transition table), whether content is locked in some states, whether
custom fields can be written, and how header and lines reach the source (one
transaction or several calls with compensation). The validation pipeline
(``plantlink.writes``) checks a request against this data before anything is sent, and
``GET /v1/meta/{model}`` publishes it.

The connector then does three things only it knows how to do: turn a checked unified
body into source calls (``plan_create`` / ``plan_update``), send them (``send``), and read
a record back through its normal stream mapping (``fetch``).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from plantlink.connectors.errors import (
    AuthFailed,
    SourceError,
    SourceRateLimited,
    SourceUnavailable,
)
from plantlink.connectors.http import RateLimit
from plantlink.model.mapped import Mapped

ClientT = TypeVar("ClientT")


# ---- the spec (data) -------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRule:
    """One writable unified field. Fields a spec does not list are read-only."""

    name: str
    create: bool = True
    update: bool = True
    required: bool = False
    #: Unified enum values the system can store (None: every value of the unified enum).
    enum: tuple[str, ...] | None = None
    #: Plain words shown in ``/v1/meta`` (unit conversions, source field, caveats).
    note: str = ""


@dataclass(frozen=True)
class LinesRule:
    """Child rows written with their parent (purchase-order ``lines``)."""

    fields: tuple[FieldRule, ...]
    name: str = "lines"
    min_items: int = 1
    #: Every line needs at least one of these fields.
    one_of: tuple[str, ...] = ()
    #: Lines can be changed by a PATCH (the list sent replaces the current lines).
    update: bool = True


@dataclass(frozen=True)
class StatusRule:
    """How ``status`` changes: never a plain field write, always the system's mechanism.

    Transitions are kept in the system's own status values (they are the source's rules);
    ``to_remote`` says which remote status a unified target means.
    """

    to_remote: Mapping[str, str]
    #: remote status → remote statuses it may move to.
    transitions: Mapping[str, frozenset[str]]
    #: remote status → unified status (to describe transitions in unified terms).
    to_unified: Mapping[str, str]
    #: The system's mechanism, in plain words (e.g. ``PATCH /purchaseorders/{id}/status``).
    mechanism: str
    #: Remote statuses in which the record's content can no longer be edited.
    locked: frozenset[str] = frozenset()
    #: Unified statuses a create may ask for (reached by status calls after the create).
    on_create: tuple[str, ...] = ()
    #: remote initial status → path of remote statuses to reach each ``on_create`` target.
    create_paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def targets(self) -> tuple[str, ...]:
        return tuple(self.to_remote)

    def allowed(self, current_remote: str | None, target_remote: str) -> bool:
        if current_remote == target_remote:
            return True
        return target_remote in self.transitions.get(current_remote or "", frozenset())


@dataclass(frozen=True)
class CustomField:
    """A custom field the source lets us write (its definition comes from the source)."""

    name: str
    kind: str = "text"
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelWriteSpec:
    model: str
    create: bool
    update: bool
    fields: tuple[FieldRule, ...]
    lines: LinesRule | None = None
    status: StatusRule | None = None
    #: Custom fields can be written (which ones: ``ConnectorWriter.custom_fields``).
    custom_fields: bool = False
    #: How the write reaches the source, in plain words (one transaction or not).
    transaction: str = ""
    #: Header and lines must be written in one source transaction.
    atomic_lines: bool = False
    limitations: tuple[str, ...] = ()

    def rule(self, name: str) -> FieldRule | None:
        return next((f for f in self.fields if f.name == name), None)

    def line_rule(self, name: str) -> FieldRule | None:
        if self.lines is None:
            return None
        return next((f for f in self.lines.fields if f.name == name), None)


@dataclass(frozen=True)
class WriteSpecs:
    models: Mapping[str, ModelWriteSpec]
    #: The source's write limit per connection (None: only the read limit applies).
    rate_limit: RateLimit | None = None
    #: The source's own idempotency mechanism the ``Idempotency-Key`` is passed on to
    #: (plain words), or None when it has none.
    idempotency: str | None = None
    limitations: tuple[str, ...] = ()


# ---- errors ------------------------------------------------------------------------------


class WriteError(Exception):
    """A refused write, already in the API's terms (status, documented code, field).

    ``dirty``: the source may hold changes from this request (the response is then kept
    for its ``Idempotency-Key``).
    """

    dirty = False

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details: dict[str, Any] = {"field": field, **(details or {})}
        self.headers = headers or {}

    @property
    def field(self) -> str | None:
        value = self.details.get("field")
        return str(value) if value is not None else None


# ---- plans and their execution -------------------------------------------------------------


@dataclass
class SourceCall:
    """One request to the source. ``{id}`` in ``path`` is the id the plan's create returned."""

    method: str
    path: str
    body: Any = None
    purpose: str = ""
    params: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Unified field this call writes (errors of the call name it).
    field: str | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"call": f"{self.method} {self.path}", "purpose": self.purpose}
        if self.body is not None:
            out["body"] = self.body
        return out


@dataclass
class WritePlan:
    """The source calls a write needs, in order; the first of a create creates the record."""

    model: str
    operation: str
    calls: list[SourceCall]
    remote_id: str | None = None
    #: Undoes the create when a later call fails (the source is never left half-written).
    compensate: SourceCall | None = None
    #: Plain words on how the write reaches the source.
    transaction: str = ""


@dataclass
class Step:
    call: str
    purpose: str
    status: int | None
    ok: bool

    def public(self) -> dict[str, Any]:
        return {"call": self.call, "purpose": self.purpose, "status": self.status, "ok": self.ok}


@dataclass
class WriteOutcome:
    remote_id: str | None
    steps: list[Step] = field(default_factory=list)
    #: The source may hold changes from this write (False: nothing or undone).
    dirty: bool = False
    compensated: bool = False
    error: WriteError | None = None


@dataclass
class Fetched:
    """A record as the source has it now, mapped exactly as a sync maps it."""

    remote_id: str
    raw: Any
    records: list[Mapped]
    remote_status: str | None = None

    @property
    def record(self) -> Mapped:
        return self.records[0]


@dataclass
class WriteContext:
    """What a write knows besides its body."""

    connection_id: str
    #: Source field path → the unified field path it carries (for error mapping).
    sent_fields: dict[str, str] = field(default_factory=dict)
    #: What ``prepare`` looked up in the source for planning (defaults, ETags, tokens).
    state: dict[str, Any] = field(default_factory=dict)


class ConnectorWriter(abc.ABC, Generic[ClientT]):
    """A connector's write side; see the module docstring."""

    specs: WriteSpecs

    def spec(self, model: str) -> ModelWriteSpec | None:
        return self.specs.models.get(model)

    def custom_fields(self, client: ClientT, model: str) -> dict[str, CustomField] | None:
        """The custom fields of ``model`` the source lets us write (None: cannot tell)."""
        return {}

    @abc.abstractmethod
    def fetch(
        self,
        client: ClientT,
        connection_id: str,
        model: str,
        remote_id: str,
        *,
        exact: bool = False,
    ) -> Fetched | None:
        """The record now, from the source, mapped by the model's stream (None: not there).

        ``exact``: read it the way the sync's listing does, so what is stored equals what
        a sync would store (used for the read-back after a write).
        """

    def exists(self, client: ClientT, connection_id: str, model: str, remote_id: str) -> bool:
        """Whether the source has the record (references the synced copy does not know)."""
        return self.fetch(client, connection_id, model, remote_id) is not None

    def prepare(
        self,
        client: ClientT,
        model: str,
        body: dict[str, Any],
        current: Fetched | None,
        ctx: WriteContext,
    ) -> None:
        """Look up what planning needs from the source (into ``ctx.state``), e.g. the
        organizational defaults a purchase order inherits. Runs for dry runs too."""

    @abc.abstractmethod
    def plan_create(self, model: str, body: dict[str, Any], ctx: WriteContext) -> WritePlan:
        """Source calls for a checked unified body whose references are remote ids."""

    @abc.abstractmethod
    def plan_update(
        self, model: str, current: Fetched, body: dict[str, Any], ctx: WriteContext
    ) -> WritePlan:
        """Source calls for a checked change of ``current`` (only fields present in body)."""

    @abc.abstractmethod
    def send(self, client: ClientT, call: SourceCall, ctx: WriteContext) -> tuple[int, Any]:
        """Send one modifying call; returns (status, body) or raises SourceError."""

    @abc.abstractmethod
    def created_id(self, call: SourceCall, body: Any) -> str:
        """The new record's remote id from the create call's response."""

    def classify(self, exc: SourceError, call: SourceCall, ctx: WriteContext) -> WriteError:
        """Map what the source refused to the API's codes, the source's words kept."""
        return default_classification(exc, call.field)

    def execute(self, client: ClientT, plan: WritePlan, ctx: WriteContext) -> WriteOutcome:
        """Send the plan's calls in order; on a failure after a create, undo the create."""
        outcome = WriteOutcome(plan.remote_id)
        for index, call in enumerate(plan.calls):
            if outcome.remote_id is not None:
                call.path = call.path.replace("{id}", outcome.remote_id)
            try:
                _status, body = self._step(client, call, outcome, ctx)
            except SourceError as exc:
                # Only a refusal means the source did not apply the call; a timeout or a
                # 5xx may have been applied, so the source may hold the change.
                if not _refused(exc):
                    outcome.dirty = True
                outcome.error = self.classify(exc, call, ctx)
                if index > 0 and plan.operation == "create" and plan.compensate is not None:
                    self._compensate(client, plan, outcome, ctx)
                return outcome
            outcome.dirty = True
            if index == 0 and plan.operation == "create":
                try:
                    outcome.remote_id = self.created_id(call, body)
                except SourceError as exc:  # created, but we cannot tell which record
                    outcome.error = default_classification(exc, None)
                    return outcome
        return outcome

    def _step(
        self, client: ClientT, call: SourceCall, outcome: WriteOutcome, ctx: WriteContext
    ) -> tuple[int, Any]:
        """Send one call and list it in ``outcome.steps``; a refusal is listed, then raised."""
        label = f"{call.method} {call.path}"
        try:
            status, body = self.send(client, call, ctx)
        except SourceError as exc:
            outcome.steps.append(Step(label, call.purpose, exc.status, False))
            raise
        outcome.steps.append(Step(label, call.purpose, status, True))
        return status, body

    def _compensate(
        self, client: ClientT, plan: WritePlan, outcome: WriteOutcome, ctx: WriteContext
    ) -> None:
        assert plan.compensate is not None and outcome.remote_id is not None
        call = plan.compensate
        call.path = call.path.replace("{id}", outcome.remote_id)
        try:
            self._step(client, call, outcome, ctx)
        except SourceError:
            return
        outcome.compensated = True
        outcome.dirty = False


def _refused(exc: SourceError) -> bool:
    if isinstance(exc, SourceRateLimited | AuthFailed):
        return True
    if isinstance(exc, SourceUnavailable):
        return False
    return exc.status is not None and 400 <= exc.status < 500


def default_classification(exc: SourceError, field_name: str | None) -> WriteError:
    """The source's own refusal in the API's envelope: 403, 404, 409, 429, else 422/502."""
    details = {"source_status": exc.status, "source_message": exc.message, **exc.details}
    if isinstance(exc, SourceRateLimited):
        headers = {}
        if exc.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return WriteError(
            429,
            "RATE_LIMIT_EXCEEDED",
            f"the source's write limit is exhausted: {exc.message}",
            field=field_name,
            details=details,
            headers=headers or {"Retry-After": "60"},
        )
    if isinstance(exc, AuthFailed):
        return WriteError(409, exc.code, exc.message, field=field_name, details=details)
    status = exc.status or 0
    if status == 403:
        return WriteError(
            403,
            "PERMISSION_DENIED",
            f"the source refused the write: {exc.message}",
            field=field_name,
            details=details,
        )
    if status == 404:
        return WriteError(
            404, "NOT_FOUND", f"the source has no such record: {exc.message}", details=details
        )
    if status in (409, 412):
        return WriteError(
            409,
            "INVALID_STATE",
            f"the source refused the change in the record's current state: {exc.message}",
            field=field_name,
            details=details,
        )
    if 400 <= status < 500:
        return WriteError(
            422,
            "VALIDATION_ERROR",
            f"the source refused the write: {exc.message}",
            field=field_name,
            details=details,
        )
    if isinstance(exc, SourceUnavailable):
        return WriteError(503, exc.code, exc.message, field=field_name, details=details)
    return WriteError(502, "SOURCE_ERROR", exc.message, field=field_name, details=details)
