"""The connector SDK: what a source system must declare for the engine to sync it.

A connector is data plus small functions: its credential fields, its default rate
limit, how to build an authenticated client and check credentials, and one ``Stream``
per unified model. Adding a system never touches the sync engine.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from plantlink.connectors.http import PoliteClient, RateLimit
from plantlink.connectors.writes import ConnectorWriter
from plantlink.core.timeutil import utc_text
from plantlink.model.mapped import Mapped
from plantlink.store.records import stable_id


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""
    #: Fields in the same non-empty group are an alternative set (e.g. SAP basic vs OAuth).
    group: str = ""

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "secret": self.secret,
            "required": self.required,
            "help": self.help,
            "group": self.group or None,
        }


BASE_URL = CredentialField("base_url", "Instance URL", help="The API root of the instance")


@dataclass(frozen=True)
class ReadPlan:
    """What one listing of a stream should fetch.

    ``since`` is inclusive and in the source's clock; ``None`` means everything.
    ``resume`` is the page token of a checkpoint to continue from.
    """

    since: datetime | None = None
    created_since: datetime | None = None
    resume: str | None = None


@dataclass
class Page:
    records: list[Any]
    #: Token to fetch the page after this one (and to resume from); None on the last page.
    next: str | None
    source_time: datetime | None = None
    #: Reference data the mapping needs (e.g. criticality names), see MapContext.lookups.
    lookups: dict[str, Any] = field(default_factory=dict)


class MapContext:
    """Helpers a mapping function needs: plantlink ids for references, canonical values."""

    def __init__(self, connection_id: str, lookups: dict[str, Any] | None = None) -> None:
        self.connection_id = connection_id
        self.lookups = lookups or {}

    def ref(self, model: str, remote_id: Any) -> str | None:
        if remote_id is None or remote_id == "":
            return None
        return stable_id(self.connection_id, model, str(remote_id))

    def refs(self, model: str, remote_ids: Iterable[Any] | None) -> list[str]:
        return [r for r in (self.ref(model, x) for x in remote_ids or ()) if r]

    @staticmethod
    def instant(value: datetime | str | None) -> str | None:
        """Canonical UTC RFC 3339 with microseconds, from a datetime or ISO 8601 text."""
        if value is None or value == "":
            return None
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value)  # validates every form below
            if value[-1:] == "Z" and value[10:11] == "T":
                # UTC already (JavaScript's toISOString and the like, most REST sources):
                # widened to microseconds as text, several times faster than formatting.
                if len(value) == 24 and value[19] == ".":
                    return value[:23] + "000Z"
                if len(value) == 20:
                    return value[:19] + ".000000Z"
                if len(value) == 27 and value[19] == ".":
                    return value
            value = parsed
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return utc_text(value.astimezone(UTC))

    @staticmethod
    def day(value: date | datetime | str | None) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC).date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return MapContext.day(datetime.fromisoformat(value)) if "T" in value else value[:10]

    @staticmethod
    def decimal(value: Any, *, scale: int = 0) -> str | None:
        """Decimal string; ``scale`` shifts the point (MaintainX cents: scale=2)."""
        if value is None or value == "":
            return None
        if type(value) is int and -_INT_FAST < value < _INT_FAST:
            return _int_decimal(value, scale)  # most amounts and quantities: no Decimal
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation:
            return None
        if scale:
            number = number.scaleb(-scale)
        text = format(number.normalize(), "f")
        return text


#: Integers below this take the string path; Decimal would round longer ones to its
#: 28 significant digits, and the two must give the same text.
_INT_FAST = 10**18


def _int_decimal(value: int, scale: int) -> str:
    """``MapContext.decimal`` of an integer, by string arithmetic (same text)."""
    if scale <= 0:
        return str(value * 10**-scale)
    digits = str(abs(value)).rjust(scale + 1, "0")
    whole, frac = digits[:-scale], digits[-scale:].rstrip("0")
    text = f"{whole}.{frac}" if frac else whole
    return f"-{text}" if value < 0 else text


ClientT = TypeVar("ClientT")


class Stream(abc.ABC, Generic[ClientT]):
    """One unified model read from one source collection.

    ``incremental``: the source filters by change time server-side, so an incremental
    run asks only for what changed. Without it every run lists everything and the
    content hash decides what changed — and a complete listing also reveals deletions.
    ``reconcile``: deletions can be detected by listing (False for append-only models such
    as readings a source only shows the latest of): a complete listing — periodic, or
    every run for non-incremental streams — flags what the source no longer has.
    """

    model: str
    incremental: bool = False
    #: Source field holding the change time (documentation and conformance checks).
    cursor_field: str | None = None
    reconcile: bool = True
    #: The source can list just keys cheaply (e.g. OData ``$select``): reconcile with
    #: ``list_keys`` after an incremental read instead of re-reading everything.
    cheap_keys: bool = False
    #: Seconds subtracted from the high-water mark: source clock skew and transactions
    #: that commit after we listed.
    overlap_seconds: float = 300.0

    @abc.abstractmethod
    def read(self, client: ClientT, plan: ReadPlan) -> Iterator[Page]:
        """Yield pages in a stable order; each page's ``next`` must be resumable."""

    @abc.abstractmethod
    def map(self, raw: Any, ctx: MapContext) -> Iterable[Mapped]:
        """Turn one raw record into unified records (usually one)."""

    def list_keys(self, client: ClientT, plan: ReadPlan) -> Iterator[list[str]]:
        """Remote ids the source has now (within ``plan``), page by page, for reconciliation."""
        for page in self.read(client, plan):
            ctx = MapContext("keys", page.lookups)
            yield [
                m.remote_id
                for raw in page.records
                for m in self.map(raw, ctx)
                if m.model == self.model
            ]


@dataclass(frozen=True)
class SourceAccount:
    """What a credential check learned about the account (shown on the connection)."""

    name: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Connector(abc.ABC, Generic[ClientT]):
    system: str
    label: str
    credential_fields: tuple[CredentialField, ...]
    #: Default source rate limit (a connection's settings may lower or raise it).
    rate_limit: RateLimit | None = None
    streams: tuple[Stream[Any], ...] = ()
    #: The write side (``connectors.writes.ConnectorWriter``); None: read-only connector.
    writer: ConnectorWriter[Any] | None = None

    @abc.abstractmethod
    def client(self, http: PoliteClient, credentials: dict[str, Any]) -> ClientT:
        """Wrap the polite HTTP client with this system's auth and conventions."""

    @abc.abstractmethod
    def check_credentials(self, client: ClientT) -> SourceAccount:
        """One cheap authenticated call; raise AuthFailed with the source's reason."""

    @abc.abstractmethod
    def http_options(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """Keyword arguments for PoliteClient: base_url, auth, headers, pause_hint."""

    def limiter_identity(self, credentials: dict[str, Any]) -> str:
        """Which source account a rate limit counts against (vendors limit per user)."""
        user = credentials.get("username") or credentials.get("api_key") or ""
        return f"{credentials.get('base_url', '')}|{user}"

    def prepare_write(self, http: PoliteClient, client: ClientT) -> dict[str, str]:
        """Headers a modifying request (POST, PUT, PATCH, MERGE, DELETE) must carry.

        Called on the client that will send it, right before. SAP fetches a CSRF token
        here (``GET`` with ``X-CSRF-Token: Fetch``; the session cookies stay in ``http``'s
        jar) and returns ``{"X-CSRF-Token": token}``. Most systems need nothing.
        """
        return {}

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.model for s in self.streams))

    def stream(self, model: str) -> Stream[Any] | None:
        return next((s for s in self.streams if s.model == model), None)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.system,
            "name": self.label,
            "credential_fields": [f.public() for f in self.credential_fields],
            "models": list(self.models),
        }


Mapper = Callable[[Any, MapContext], Iterable[Mapped]]
