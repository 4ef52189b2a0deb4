"""Prometheus metrics (served at ``/metrics``). Label sets stay small: system, model, status."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECORDS_SYNCED = Counter(
    "plantlink_records_synced_total",
    "Records written by syncs (created or changed), by system and model",
    ["system", "model", "change"],
)
SOURCE_REQUESTS = Counter(
    "plantlink_source_requests_total",
    "Requests sent to source systems, by system and response status ('error' = no response)",
    ["system", "status"],
)
SOURCE_RETRIES = Counter(
    "plantlink_source_retries_total", "Retried source requests, by system", ["system"]
)
SYNC_DURATION = Histogram(
    "plantlink_sync_duration_seconds",
    "Wall time of a model sync, by system, model and outcome",
    ["system", "model", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
)
SYNC_LAG = Gauge(
    "plantlink_sync_lag_seconds",
    "Seconds since the connection's last successful sync (updated when a run ends)",
    ["connection_id", "system"],
)
SYNC_RUNS = Counter(
    "plantlink_sync_runs_total", "Sync runs by system and outcome", ["system", "outcome"]
)
API_REQUESTS = Counter(
    "plantlink_api_requests_total", "API requests by route and status", ["route", "status"]
)
