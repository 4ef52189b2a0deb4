"""REST transport for streams: a collection path, a records key and a paginator."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from plantlink.connectors.base import MapContext, Mapper, Page, ReadPlan, Stream
from plantlink.connectors.errors import SourceError
from plantlink.model.mapped import Mapped


class JsonClient(Protocol):
    def get_json(self, path: str, params: dict[str, Any]) -> tuple[Any, datetime | None]: ...


class Paginator(Protocol):
    def params(self, token: str | None) -> dict[str, Any]: ...
    def next_token(self, body: Any) -> str | None: ...


@dataclass(frozen=True)
class CursorPagination:
    """The next page is named by an opaque cursor in the body (MaintainX ``nextCursor``)."""

    param: str = "cursor"
    field: str = "nextCursor"

    def params(self, token: str | None) -> dict[str, Any]:
        return {self.param: token} if token else {}

    def next_token(self, body: Any) -> str | None:
        value = body.get(self.field) if isinstance(body, dict) else None
        return str(value) if value else None


@dataclass(frozen=True)
class RestStream(Stream[JsonClient]):
    model: str
    path: str
    records_key: str
    mapper: Mapper
    paginator: Paginator = field(default_factory=CursorPagination)
    page_size: int = 100
    page_size_param: str = "limit"
    since_param: str | None = None
    created_since_param: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    format_time: Callable[[datetime], str] = lambda dt: dt.isoformat()
    #: Reference data loaded once per client and handed to the mapper with every page.
    lookups: Callable[[Any], dict[str, Any]] | None = None
    cursor_field: str | None = None
    reconcile: bool = True
    cheap_keys: bool = False
    overlap_seconds: float = 300.0

    @property
    def incremental(self) -> bool:  # type: ignore[override]
        return self.since_param is not None

    def read(self, client: JsonClient, plan: ReadPlan) -> Iterator[Page]:
        base: dict[str, Any] = {**self.params, self.page_size_param: self.page_size}
        if plan.since is not None and self.since_param:
            base[self.since_param] = self.format_time(plan.since)
        if plan.created_since is not None and self.created_since_param:
            base[self.created_since_param] = self.format_time(plan.created_since)
        token = plan.resume
        lookups = self.lookups(client) if self.lookups else {}
        while True:
            body, source_time = client.get_json(self.path, {**base, **self.paginator.params(token)})
            if not isinstance(body, dict) or not isinstance(body.get(self.records_key), list):
                raise SourceError(
                    f"unexpected response from {self.path}: no '{self.records_key}' list"
                )
            token = self.paginator.next_token(body)
            yield Page(body[self.records_key], token, source_time, lookups)
            if token is None:
                return

    def map(self, raw: Any, ctx: MapContext) -> Iterable[Mapped]:
        return self.mapper(raw, ctx)
