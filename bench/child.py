"""One measured step in a process of its own: ``python -m bench.child KIND SPEC OUT``.

``SPEC`` is JSON; the result is written as JSON to ``OUT``. The parent reads this
process's peak RSS and CPU time from ``wait4``. Timings cover only the measured call
(not interpreter start-up, imports or migrations).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.harness import SECRET_KEY

#: A connection rate limit that never binds (the throughput runs measure the pipeline).
UNLIMITED = {"requests": 1_000_000, "per_seconds": 1}


def _open_store(db_url: str) -> Any:
    from plantlink.core.config import Settings
    from plantlink.store import Store

    # Nothing is written to the data directory with an explicit database URL.
    settings = Settings(
        database_url=db_url, data_dir=Path(tempfile.gettempdir()), secret_key=SECRET_KEY
    )
    return Store.open(settings)


def _stored(store: Any, connection_id: str, model: str) -> int:
    from plantlink.store.tables import records

    r = records.c
    with store.engine.connect() as conn:
        stmt = (
            select(func.count())
            .select_from(records)
            .where(r.connection_id == connection_id, r.model == model, r.remote_deleted.is_(False))
        )
        return int(conn.execute(stmt).scalar_one())


def new_connection(
    store: Any, creds: dict[str, Any], rate_limit: dict[str, Any]
) -> tuple[str, str]:
    """An organization and a MaintainX connection (no credential check: no extra request).

    Returns the connection's id and its API token.
    """
    org, _key = store.accounts.create_organization("Bench")
    row, token = store.accounts.create_connection(
        org.id, "maintainx", "bench", creds, {"history_days": 3650, "rate_limit": rate_limit}
    )
    return str(row.id), str(token)


def sync(spec: dict[str, Any]) -> dict[str, Any]:
    """A plantlink sync run (initial or incremental) of the given models."""
    from plantlink.sync.engine import SyncEngine
    from plantlink.sync.schedule import RunRequest

    store = _open_store(spec["db_url"])
    models = spec.get("models", ["work_orders"])
    connection_id, token = spec.get("connection_id"), None
    if connection_id is None:
        connection_id, token = new_connection(
            store, spec["credentials"], spec.get("rate_limit", UNLIMITED)
        )
    engine = SyncEngine(store)
    started = time.perf_counter()
    result = engine.run(RunRequest(connection_id, models=models))
    seconds = time.perf_counter() - started
    outcomes = {
        m: {
            "status": o.status,
            "created": o.result.created,
            "updated": o.result.updated,
            "unchanged": o.result.unchanged,
            "error": o.error_message,
        }
        for m, o in result.models.items()
    }
    out = {
        "connection_id": connection_id,
        "token": token,
        "status": result.status,
        "seconds": seconds,
        "requests": result.requests,
        "models": outcomes,
        "stored": {m: _stored(store, connection_id, m) for m in models},
    }
    store.close()
    return out


def ceiling(spec: dict[str, Any]) -> dict[str, Any]:
    """Fetch, parse and map every page with our own connector and client; store nothing."""
    from plantlink.connectors.base import MapContext, ReadPlan
    from plantlink.connectors.http import PoliteClient, RateLimit
    from plantlink.connectors.maintainx import CONNECTOR

    creds = spec["credentials"]
    opts = CONNECTOR.http_options(creds)
    http = PoliteClient(
        system="maintainx",
        limiter_key="bench-ceiling",
        rate_limit=RateLimit(UNLIMITED["requests"], UNLIMITED["per_seconds"]),
        **opts,
    )
    client = CONNECTOR.client(http, creds)
    stream = CONNECTOR.stream(spec.get("model", "work_orders"))
    assert stream is not None
    plan = ReadPlan(since=datetime.now(UTC) - timedelta(days=3650))
    mapped = pages = 0
    started = time.perf_counter()
    for page in stream.read(client, plan):
        ctx = MapContext("bench-ceiling", page.lookups)
        mapped += sum(1 for raw in page.records for _ in stream.map(raw, ctx))
        pages += 1
    seconds = time.perf_counter() - started
    http.close()
    return {"seconds": seconds, "records": mapped, "pages": pages, "requests": http.requests}


def dlt_sync(spec: dict[str, Any]) -> dict[str, Any]:
    """The same pull with dlt's REST API source, merged into the same kind of database."""
    from bench.dlt_pull import run_pipeline

    return run_pipeline(spec["destination"], spec["url"], spec["credentials"], spec["work_dir"])


def seed(spec: dict[str, Any]) -> dict[str, Any]:
    """Fill a store directly with records mirroring the sandbox (see ``bench.seed``)."""
    from bench.seed import seed_store

    store = _open_store(spec["db_url"])
    started = time.perf_counter()
    out = seed_store(store, spec["credentials"], spec["sandbox_url"])
    out["seconds"] = time.perf_counter() - started
    store.close()
    return out


def sync_each(spec: dict[str, Any]) -> dict[str, Any]:
    """One run per model, in turn, on an existing connection: requests and time per model."""
    from plantlink.connectors.maintainx import CONNECTOR
    from plantlink.sync.engine import SyncEngine
    from plantlink.sync.schedule import RunRequest

    store = _open_store(spec["db_url"])
    engine = SyncEngine(store)
    out: dict[str, Any] = {}
    for model in CONNECTOR.models:
        started = time.perf_counter()
        result = engine.run(RunRequest(spec["connection_id"], models=[model]))
        o = result.models[model]
        out[model] = {
            "seconds": time.perf_counter() - started,
            "requests": result.requests,
            "status": o.status,
            "changed": o.changed,
            "unchanged": o.result.unchanged,
            "stored": _stored(store, spec["connection_id"], model),
            "incremental": bool(CONNECTOR.stream(model) and CONNECTOR.stream(model).incremental),  # type: ignore[union-attr]
        }
    store.close()
    return {"models": out}


KINDS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "sync": sync,
    "sync_each": sync_each,
    "ceiling": ceiling,
    "dlt": dlt_sync,
    "seed": seed,
}


def main() -> None:
    kind, spec, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    from plantlink.core.logging import configure

    configure("WARNING", False)
    result = KINDS[kind](spec)
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
