"""The hand-off between a connector's mapping and the store.

Field values are JSON-ready: instants as canonical RFC 3339 strings
(``2024-01-01T00:00:00.000000Z``, see connectors.base.MapContext), dates as
``YYYY-MM-DD``, money and quantities as decimal strings, references as plantlink ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Mapped:
    model: str
    remote_id: str
    fields: dict[str, Any]
    remote_created_at: str | None = None
    remote_modified_at: str | None = None
    remote_deleted: bool = False
    custom_fields: dict[str, Any] = field(default_factory=dict)
    #: The raw source record, served as ``remote_data``.
    raw: Any = None
