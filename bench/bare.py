"""The read API's framework-overhead ceiling: a bare Starlette endpoint, same SQL.

    python -m bench.bare PORT DATABASE_URL CONNECTION_ID

``GET /v1/work-orders?modified_after=…&page_size=…`` runs the very query the real
endpoint runs (``plantlink.store.records.list_records``) on the same kind of engine, in a
sync endpoint on Starlette's thread pool under one uvicorn process, like ``plantlink
serve``, and concatenates the stored documents the same way. No authentication,
validation, middleware, rate limiting or cursor signing: what is left is the floor.
"""

from __future__ import annotations

import sys

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plantlink.core.timeutil import parse_instant
from plantlink.store.db import make_engine
from plantlink.store.records import ListQuery, list_records


def make_app(database_url: str, connection_id: str) -> Starlette:
    engine = make_engine(database_url)

    def work_orders(request: Request) -> Response:
        params = request.query_params
        q = ListQuery(model="work_orders", page_size=int(params.get("page_size", "100")))
        if "modified_after" in params:
            q.modified_after = parse_instant(params["modified_after"])
        rows = list_records(engine, connection_id, q)
        more = len(rows) > q.page_size
        rows = rows[: q.page_size]
        cursor = f"{rows[-1][2]}:{rows[-1][0]}" if more else None
        body = (
            b'{"data":['
            + ",".join(r[1] for r in rows).encode()
            + b'],"next_cursor":'
            + orjson.dumps(cursor)
            + b"}"
        )
        return Response(body, media_type="application/json")

    def ready(_request: Request) -> Response:
        return Response(b"ok")

    return Starlette(routes=[Route("/v1/work-orders", work_orders), Route("/readyz", ready)])


def main() -> None:
    port, url, connection_id = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    uvicorn.run(make_app(url, connection_id), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
