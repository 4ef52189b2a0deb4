"""The plug-in interface between the sandbox core and one vendor emulator.

A vendor package subclasses ``Vendor`` and supplies only what differs between systems:

* ``router()`` — its own URL space (FastAPI routes under ``api_prefix``);
* ``authenticate``/``client_key`` — its auth check and the identity rate limits count by;
* ``error_body``/``too_many_requests``/``rate_limit_headers``/``forbidden`` — its error
  and 429 bodies and its rate-limit header names;
* ``credentials``/``rotate_credentials`` — exactly the credential fields of the system;
* ``entities`` — one ``ControlEntity`` per unified entity it serves (usually a
  ``TableEntity`` over a ``store.Table``) with its mutate/create/delete behaviour.

The core does the rest: the ``/_sandbox`` control API, faults, latency, rate limiting,
stats, request log, clock and the server runner. Handlers raise ``VendorError`` for any
vendor-shaped error and call ``state.require("work_orders:create")`` before a write.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fastapi import APIRouter

from plantlink.sandbox.core.clock import Clock
from plantlink.sandbox.core.faults import FaultInjector
from plantlink.sandbox.core.observe import Observer
from plantlink.sandbox.core.ratelimit import RateLimiter, Verdict
from plantlink.sandbox.core.rng import Rng, derive
from plantlink.sandbox.core.store import Record, Table

UNIFIED_ENTITIES = (
    "sites",
    "locations",
    "assets",
    "parts",
    "inventory",
    "vendors",
    "users",
    "work_orders",
    "purchase_orders",
    "maintenance_schedules",
    "service_requests",
    "meters",
    "meter_readings",
)
ACTIONS = ("create", "update", "delete", "status")


class VendorError(Exception):
    """A response in the vendor's own error shape; the core renders it verbatim."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


class PermissionDenied(Exception):
    """Raised by ``SandboxState.require``; the core answers with ``Vendor.forbidden``."""

    def __init__(self, permission: str) -> None:
        super().__init__(permission)
        self.permission = permission


class Unsupported(Exception):
    """A control call the system cannot express (e.g. editing an immutable reading)."""


@dataclass
class SandboxState:
    """Runtime state shared by the core and the vendor of one sandbox instance."""

    system: str
    seed: int
    scale: int
    clock: Clock
    faults: FaultInjector = field(default_factory=FaultInjector)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    observer: Observer = field(default_factory=Observer)
    denied: frozenset[str] = frozenset()
    latency_ms: int = 0
    abort_connection: Callable[[MutableMapping[str, Any], bool], bool] | None = None
    """Set by the server runner: abort the connection of an ASGI scope (RST if True)."""
    control_rng: Rng = field(init=False)

    def __post_init__(self) -> None:
        self.control_rng = Rng(derive(self.seed, "control"))

    def require(self, permission: str) -> None:
        """Raise ``PermissionDenied`` if ``/_sandbox/permissions`` denied ``permission``."""
        if permission in self.denied:
            raise PermissionDenied(permission)


class ControlEntity(ABC):
    """One unified entity as ``/_sandbox`` sees it. Keys are connector remote ids."""

    @abstractmethod
    def records(self, include_deleted: bool) -> Iterator[tuple[str, int, int, bool]]:
        """``(key, created_ms, updated_ms, deleted)`` for every record."""

    @abstractmethod
    def count(self) -> int:
        """Records a connector would see (deleted ones excluded)."""

    @abstractmethod
    def mutate(self, rng: Rng, count: int) -> list[str]:
        """Edit up to ``count`` random live records as a user would; their keys."""

    @abstractmethod
    def create(self, rng: Rng, count: int) -> list[str]:
        """Create ``count`` fully referenced records; their keys."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Soft-delete (as the vendor's delete/archive does); False if the key is unknown."""


class TableEntity(ControlEntity):
    """A unified entity backed by (a subset of) one ``Table``, keyed by the record id.

    The vendor supplies the edits: ``mutate_row(row, rng)``, ``create_row(rng) -> row`` and
    ``delete_row(row)``; ``subset(row)`` restricts the entity to some rows (e.g. sites as
    the top-level locations).
    """

    def __init__(
        self,
        table: Table,
        *,
        mutate_row: Callable[[int, Rng], None],
        create_row: Callable[[Rng], int],
        delete_row: Callable[[int], None],
        subset: Callable[[int], bool] | None = None,
    ) -> None:
        self.table = table
        self._mutate_row = mutate_row
        self._create_row = create_row
        self._delete_row = delete_row
        self._subset = subset

    def _rows(self) -> Iterable[int]:
        rows: Iterable[int] = range(self.table.n)
        return rows if self._subset is None else filter(self._subset, rows)

    def records(self, include_deleted: bool) -> Iterator[tuple[str, int, int, bool]]:
        t = self.table
        deleted = t.deleted
        for row in self._rows():
            gone = row in deleted
            if include_deleted or not gone:
                yield str(t.first_id + row), t.created[row], t.updated[row], gone

    def count(self) -> int:
        if self._subset is None:
            return self.table.live_count
        return sum(1 for r in self._rows() if r not in self.table.deleted)

    def mutate(self, rng: Rng, count: int) -> list[str]:
        rows = pick_rows(rng, self.table, count, self._subset)
        for row in rows:
            self._mutate_row(row, rng)
        return [str(self.table.id_of(r)) for r in rows]

    def create(self, rng: Rng, count: int) -> list[str]:
        return [str(self.table.id_of(self._create_row(rng))) for _ in range(count)]

    def delete(self, key: str) -> bool:
        if not key.isdigit():
            return False
        row = self.table.row_of(int(key))
        if row is None or (self._subset is not None and not self._subset(row)):
            return False
        if row not in self.table.deleted:
            self._delete_row(row)
        return True


def pick_rows(
    rng: Rng, table: Table, count: int, subset: Callable[[int], bool] | None = None
) -> list[int]:
    """Up to ``count`` distinct random live rows, in draw order (deterministic per rng)."""
    live = table.live_count
    if subset is not None or count * 2 >= live:
        pool = [r for r in table.live_rows() if subset is None or subset(r)]
        return rng.sample(pool, count)
    picked: dict[int, None] = {}
    while len(picked) < count:
        row = rng.below(table.n)
        if row not in table.deleted:
            picked[row] = None
    return list(picked)


class Vendor(ABC):
    """Base class of a vendor emulator (see the module docstring)."""

    system: ClassVar[str]
    api_prefix: ClassVar[str]
    """Path prefix of the vendor API; everything under it gets faults, limits and stats."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.entities: dict[str, ControlEntity] = {}

    @abstractmethod
    def router(self) -> APIRouter:
        """The vendor's routes (full paths, i.e. including ``api_prefix``)."""

    @abstractmethod
    def credentials(self, root_url: str) -> dict[str, Any]:
        """Exactly the credential fields of the system, incl. ``base_url``."""

    @abstractmethod
    def rotate_credentials(self) -> None:
        """Issue new credentials; the old ones must be refused from now on."""

    @abstractmethod
    def authenticate(self, headers: dict[str, str]) -> VendorError | None:
        """None if the request may proceed, else the vendor's 401/400/403 (lower-case names)."""

    @abstractmethod
    def client_key(self, headers: dict[str, str]) -> str:
        """Identity the rate limit counts by (e.g. the API key presented)."""

    @abstractmethod
    def error_body(self, status: int) -> Any:
        """JSON body of an injected ``500``/``503``."""

    @abstractmethod
    def too_many_requests(self, verdict: Verdict) -> VendorError:
        """The vendor's 429 body (and e.g. ``Retry-After``) for an exhausted window.

        The rate-limit headers themselves are added by the core from the same verdict.
        """

    @abstractmethod
    def rate_limit_headers(self, verdict: Verdict) -> dict[str, str]:
        """Headers every vendor-API response carries for the active limit."""

    @abstractmethod
    def forbidden(self, permission: str) -> VendorError:
        """The vendor's 403 for a write denied by ``/_sandbox/permissions``."""


def live_record(table: Table, row: int) -> Record:
    """A private copy of a row's record, ready to edit and ``put`` back."""
    return dict(table.get(row))
