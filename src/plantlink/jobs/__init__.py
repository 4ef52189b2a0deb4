"""Background work: who runs syncs (and, later, webhook deliveries).

Embedded mode runs them on threads inside the API process; scale-out mode hands them
to procrastinate workers. Both implement ``Dispatcher`` so the API does not care.
"""

from __future__ import annotations

from typing import Any, Protocol


class Dispatcher(Protocol):
    def request_sync(
        self, connection_id: str, models: list[str] | None, full: bool, trigger: str
    ) -> dict[str, Any]:
        """Queue a sync (merged with a waiting one); return the merged request."""

    def start(self) -> None: ...

    def stop(self) -> None: ...
