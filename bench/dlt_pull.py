"""The comparison: the same MaintainX work-order pull done by dlt.

dlt's declarative REST API source with the same page size, ``expand`` parameters,
cursor pagination and ``updatedAt[gte]`` incremental cursor our connector uses, merged
on ``id`` into the same kind of database: dlt's ``sqlalchemy`` destination for SQLite,
its ``postgres`` destination for PostgreSQL. dlt is a bench-only dependency.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.harness import PAGE_SIZE

#: The work-order listing our connector sends (see plantlink.connectors.maintainx.streams).
EXPAND = ["assignees", "parts", "times", "extra_fields", "procedure"]


def source_config(credentials: dict[str, Any]) -> dict[str, Any]:
    return {
        "client": {
            "base_url": credentials["base_url"],
            "auth": {"type": "bearer", "token": credentials["api_key"]},
            "headers": {"x-organization-id": str(credentials["organization_id"])},
            "paginator": {
                "type": "cursor",
                "cursor_path": "nextCursor",
                "cursor_param": "cursor",
            },
        },
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [
            {
                "name": "work_orders",
                "endpoint": {
                    "path": "workorders",
                    "data_selector": "workOrders",
                    "params": {"limit": PAGE_SIZE, "expand": EXPAND},
                    "incremental": {
                        "start_param": "updatedAt[gte]",
                        "cursor_path": "updatedAt",
                        "initial_value": "2000-01-01T00:00:00.000Z",
                    },
                },
            }
        ],
    }


def run_pipeline(
    destination: str, url: str, credentials: dict[str, Any], work_dir: str
) -> dict[str, Any]:
    """One ``pipeline.run`` (extract, normalize, load); wall time and rows loaded."""
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    os.environ["DLT_DATA_DIR"] = str(Path(work_dir) / "dlt-data")
    import dlt
    from dlt.sources.rest_api import rest_api_source

    dest: Any
    if destination == "sqlite":
        dest = dlt.destinations.sqlalchemy(credentials=url)
    else:
        # dlt's postgres destination wants a password even where the server trusts us.
        pg = make_url(url).set(drivername="postgresql")
        if not pg.password:
            pg = pg.set(password="unused")
        dest = dlt.destinations.postgres(credentials=pg.render_as_string(hide_password=False))
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{uuid.uuid4().hex[:8]}",
        destination=dest,
        dataset_name="maintainx",
        pipelines_dir=str(Path(work_dir) / "dlt-pipelines"),
    )
    source = rest_api_source(source_config(credentials))  # type: ignore[arg-type]
    started = time.perf_counter()
    pipeline.run(source)
    seconds = time.perf_counter() - started
    trace = pipeline.last_trace
    assert trace is not None
    steps = {s.step: (s.finished_at - s.started_at).total_seconds() for s in trace.steps}
    normalize = trace.last_normalize_info
    rows = dict(normalize.row_counts) if normalize else {}
    with pipeline.sql_client() as client:
        result = client.execute_sql("SELECT count(*) FROM work_orders")
        assert result is not None
        stored = result[0][0]
    return {"seconds": seconds, "rows": rows, "stored": int(stored), "steps": steps}
