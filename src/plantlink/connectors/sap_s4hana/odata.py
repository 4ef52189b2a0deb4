"""A small OData V2 reader on top of the SDK: literals, JSON values and paged streams.

SAP Gateway speaks OData V2: change filters need typed literals
(``datetimeoffset'…'``, ``datetime'…'``, ``time'PT…'``), JSON dates come as
``/Date(ms)/`` or ``/Date(ms+0000)/``, and a server that caps a page answers with
``__next`` carrying a ``$skiptoken``. A stream's page token is that ``__next`` made
relative to the instance, so a checkpoint resumes exactly where the listing stopped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlsplit

from plantlink.connectors.base import MapContext, Mapper, Page, ReadPlan, Stream
from plantlink.connectors.errors import SourceError
from plantlink.model.mapped import Mapped

#: Characters SAP Gateway expects unescaped in system query options.
URI_SAFE = "'(),/:=$*@!"
_DATE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")
_TIME = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


# --- values ------------------------------------------------------------------------------


def parse_date(value: Any) -> datetime | None:
    """``/Date(ms)/`` (Edm.DateTime) or ``/Date(ms+0060)/`` (Edm.DateTimeOffset) as UTC.

    In V2 JSON the milliseconds are UTC since the epoch; the offset (minutes) only says
    which zone the value was entered in, so the instant ignores it.
    """
    if value is None or value == "":
        return None
    match = _DATE.match(str(value))
    if match is None:
        raise ValueError(f"not an OData V2 date: {value!r}")
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))


def parse_time(value: Any) -> timedelta | None:
    """Edm.Time ``PT14H30M05S`` as a duration since midnight."""
    if value is None or value == "":
        return None
    match = _TIME.match(str(value))
    if match is None or not any(match.groups()):
        raise ValueError(f"not an OData V2 time: {value!r}")
    hours, minutes, seconds = match.groups()
    return timedelta(hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0))


def instant(value: Any) -> str | None:
    """An OData date/time value as the canonical unified instant."""
    return MapContext.instant(parse_date(value))


def day(value: Any) -> str | None:
    """An Edm.DateTime used as a date (SAP sends midnight UTC) as ``YYYY-MM-DD``."""
    parsed = parse_date(value)
    return parsed.date().isoformat() if parsed else None


def datetimeoffset_literal(value: datetime) -> str:
    """Whole seconds, rounded down: a ``ge`` filter on it never misses the instant."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return f"datetimeoffset'{utc:%Y-%m-%dT%H:%M:%S}Z'"


def datetime_literal(value: date | datetime) -> str:
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value
        return f"datetime'{utc:%Y-%m-%dT%H:%M:%S}'"
    return f"datetime'{value:%Y-%m-%d}T00:00:00'"


def time_literal(value: datetime) -> str:
    return f"time'PT{value:%H}H{value:%M}M{value:%S}S'"


def string_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def json_literal(value: Any) -> str:
    """A JSON value of an entity as a URI literal of its EDM type (V2 JSON tells the type
    of dates by their shape: ``/Date(ms)/`` Edm.DateTime, ``/Date(ms+0000)/`` offset)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    match = _DATE.match(text)
    if match is None:
        return string_literal(text)
    moment = parse_date(text)
    assert moment is not None
    stamp = f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}"
    return f"datetimeoffset'{stamp}Z'" if match.group(2) else f"datetime'{stamp}'"


def keyset_filter(order: tuple[str, ...], row: dict[str, Any]) -> str:
    """Entities after ``row`` in ``$orderby`` order (all ascending, ending with the key).

    ``f1 ge v1 and (f1 gt v1 or (f1 eq v1 and f2 gt v2) or …)``: the leading range lets
    the server use its index on ``f1`` (the change time), the rest breaks ties.
    """
    values = [json_literal(row.get(f)) for f in order]
    terms = []
    for i, name in enumerate(order):
        equal = [f"{order[j]} eq {values[j]}" for j in range(i)]
        terms.append("(" + " and ".join([*equal, f"{name} gt {values[i]}"]) + ")")
    return f"{order[0]} ge {values[0]} and ({' or '.join(terms)})"


def query_string(params: dict[str, str]) -> str:
    """Percent-encode like SAP's own links (``%20`` for spaces, never ``+``)."""
    return "&".join(f"{k}={quote(v, safe=URI_SAFE)}" for k, v in params.items())


def results(body: Any, where: str) -> tuple[list[dict[str, Any]], str | None]:
    """The entities and the ``__next`` link of a V2 collection response."""
    d = body.get("d") if isinstance(body, dict) else None
    rows = d.get("results") if isinstance(d, dict) else None
    if not isinstance(rows, list):
        raise SourceError(f"unexpected response from {where}: no d.results list")
    nxt = d.get("__next") if isinstance(d, dict) else None
    return rows, str(nxt) if nxt else None


def expanded(entity: dict[str, Any] | None, nav: str) -> list[dict[str, Any]]:
    """An expanded to-many navigation's entities ([] when absent or deferred)."""
    value = (entity or {}).get(nav)
    if isinstance(value, dict):
        rows = value.get("results")
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def expanded_one(entity: dict[str, Any] | None, nav: str) -> dict[str, Any] | None:
    """An expanded to-one navigation's entity (None when absent, null or deferred)."""
    value = (entity or {}).get(nav)
    if isinstance(value, dict) and "__deferred" not in value:
        return value
    return None


# --- streams -----------------------------------------------------------------------------


class ODataClient(Protocol):
    def collection_url(self, service: str, entity_set: str, params: dict[str, str]) -> str: ...
    def get_page(self, url: str) -> tuple[list[dict[str, Any]], str | None, datetime | None]: ...


def change_filter(field_name: str) -> Callable[[datetime], str]:
    """``<field> ge datetimeoffset'…'``: the server-side incremental filter."""
    return lambda since: f"{field_name} ge {datetimeoffset_literal(since)}"


@dataclass(frozen=True)
class ODataStream(Stream[ODataClient]):
    """One entity set read with ``$filter``/``$orderby``/``$expand``, following ``__next``.

    ``since_filter`` makes the stream incremental (the filter for ``ReadPlan.since``).
    ``page_size`` pages by ``$top`` plus a keyset on ``orderby`` (which must end with the
    key): it works whether or not the service pages by itself (``__next`` is followed
    when sent), never skips or repeats an entity that does not change during the
    listing, and needs no server state, so a page token (the next URL) stays valid.
    ``key_set``/``key_fields``/``key_of`` list just the keys (``$select``) for cheap
    reconciliation: deletions show without re-reading every record.
    """

    model: str
    service: str
    entity_set: str
    mapper: Mapper
    since_filter: Callable[[datetime], str] | None = None
    orderby: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    key_set: str | None = None
    key_fields: tuple[str, ...] = ()
    key_of: Callable[[dict[str, Any]], str] | None = None
    page_size: int | None = None
    key_page_size: int = 1000
    cursor_field: str | None = None
    reconcile: bool = True
    overlap_seconds: float = 300.0
    params: dict[str, str] = field(default_factory=dict)

    @property
    def incremental(self) -> bool:  # type: ignore[override]
        return self.since_filter is not None

    @property
    def cheap_keys(self) -> bool:  # type: ignore[override]
        return bool(self.key_fields) and self.key_of is not None

    def query(self, plan: ReadPlan) -> dict[str, str]:
        params = dict(self.params)
        if plan.since is not None and self.since_filter is not None:
            params["$filter"] = self.since_filter(plan.since)
        if self.orderby:
            params["$orderby"] = ",".join(self.orderby)
        if self.expand:
            params["$expand"] = ",".join(self.expand)
        if self.select:
            params["$select"] = ",".join(self.select)
        return params

    def pages(
        self,
        client: ODataClient,
        entity_set: str,
        params: dict[str, str],
        order: tuple[str, ...],
        page_size: int | None,
        resume: str | None = None,
    ) -> Iterator[Page]:
        """Pages of ``entity_set`` for the first request's ``params``, from ``resume`` on."""
        first = {**params, "$top": str(page_size)} if page_size else params
        url = resume or client.collection_url(self.service, entity_set, first)
        while True:
            rows, nxt, source_time = client.get_page(url)
            if nxt is None and page_size and rows and order:
                top = dict(parse_qsl(urlsplit(url).query)).get("$top")
                if top is not None and len(rows) >= int(top):
                    after = keyset_filter(order, rows[-1])
                    base = params.get("$filter")
                    query = {
                        **first,
                        "$filter": f"({base}) and {after}" if base else after,
                    }
                    nxt = client.collection_url(self.service, entity_set, query)
            yield Page(rows, nxt, source_time)
            if nxt is None:
                return
            url = nxt

    def read(self, client: ODataClient, plan: ReadPlan) -> Iterator[Page]:
        yield from self.pages(
            client, self.entity_set, self.query(plan), self.orderby, self.page_size, plan.resume
        )

    def map(self, raw: Any, ctx: MapContext) -> Iterable[Mapped]:
        return self.mapper(raw, ctx)

    def list_keys(self, client: ODataClient, plan: ReadPlan) -> Iterator[list[str]]:
        if not self.cheap_keys:
            yield from super().list_keys(client, plan)
            return
        assert self.key_of is not None
        params = {"$select": ",".join(self.key_fields), "$orderby": ",".join(self.key_fields)}
        # Keys listed from another set (``key_set``) cannot take this set's change filter.
        if plan.since is not None and self.since_filter is not None and self.key_set is None:
            params["$filter"] = self.since_filter(plan.since)
        pages = self.pages(
            client, self.key_set or self.entity_set, params, self.key_fields, self.key_page_size
        )
        for page in pages:
            yield [self.key_of(row) for row in page.records]
