"""Scale-out mode: syncs, the scheduler and webhook deliveries as procrastinate jobs.

The queue lives in the same PostgreSQL as the data (schema from migration 0005), so any
number of stateless API servers and ``plantlink worker`` processes share one source of
truth. The tasks are thin: the sync is ``SyncEngine.run`` and the scheduler reads
``sync.schedule`` exactly as embedded mode does.

Guarantees and where they come from:

- one sync per connection: the job's procrastinate ``lock`` (the connection id) keeps a
  second job of the connection from starting, and the engine's lease in the connection
  row backs it up against anything procrastinate cannot see (a ``plantlink sync`` CLI
  run, a worker wrongly declared dead);
- no pile-up: the ``queueing_lock`` (the connection id) allows one waiting job per
  connection; further requests merge into ``connections.sync_request``;
- fair share: a job syncs for ``sync_budget_seconds`` at most, then the engine records
  a ``continue`` request and the job queues the continuation at the back of the queue;
- dead workers: procrastinate heartbeats mark a silent worker's jobs as stalled; the
  ``retry_stalled_jobs`` task puts them back in the queue and the engine resumes the
  run from its checkpoints (taking over the dead process's lease at once on its host).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import structlog
from procrastinate import App, JobContext, PsycopgConnector, SyncPsycopgConnector
from procrastinate import exceptions as pq_exceptions
from procrastinate.jobs import Status
from prometheus_client import Counter, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from plantlink.core.config import Settings
from plantlink.store import Store
from plantlink.store.housekeeping import purge_expired
from plantlink.sync import schedule
from plantlink.sync.engine import SyncEngine
from plantlink.webhooks import events
from plantlink.webhooks.delivery import deliver_due

log = structlog.get_logger(__name__)

SYNC_QUEUE = "sync"
WEBHOOK_QUEUE = "webhooks"
MAINTENANCE_QUEUE = "maintenance"
QUEUES = (SYNC_QUEUE, WEBHOOK_QUEUE, MAINTENANCE_QUEUE)

SYNC_TASK = "plantlink.sync_connection"
SCHEDULE_TASK = "plantlink.schedule_due_syncs"
DELIVER_TASK = "plantlink.deliver_webhooks"
RETRY_STALLED_TASK = "plantlink.retry_stalled_jobs"
PURGE_TASK = "plantlink.purge_links"

#: Deliveries one ``deliver_webhooks`` job attempts before it lets the next tick go on.
DELIVERIES_PER_JOB = 100

JOBS = Counter(
    "plantlink_jobs_total", "Jobs run by this worker, by task and outcome", ["task", "outcome"]
)
STALLED_RETRIED = Counter(
    "plantlink_stalled_jobs_retried_total",
    "Jobs of dead workers put back in the queue (or dropped when a newer one was waiting)",
    ["outcome"],
)
LAST_TICK = Gauge(
    "plantlink_worker_last_tick_timestamp_seconds",
    "When this worker last ran the scheduler tick (Unix seconds)",
)


def conninfo(settings: Settings) -> str:
    """The libpq URL of the store's PostgreSQL (SQLAlchemy's driver suffix removed)."""
    url = settings.resolved_database_url
    if not url.startswith("postgresql"):
        raise RuntimeError("scale-out mode needs PostgreSQL (PLANTLINK_DATABASE_URL)")
    return "postgresql://" + url.split("://", 1)[1]


def build_app(settings: Settings, *, worker: bool, pool_size: int = 4) -> App:
    """The procrastinate app on the store's database, with every plantlink task.

    API processes only defer (a small synchronous pool); workers run an asyncio pool.
    Periodic tasks tick every ``worker_tick_seconds``; procrastinate makes sure one
    worker, not all of them, defers each tick.
    """
    dsn = conninfo(settings)
    connector: PsycopgConnector | SyncPsycopgConnector
    if worker:
        connector = PsycopgConnector(conninfo=dsn, min_size=1, max_size=pool_size)
    else:
        connector = SyncPsycopgConnector(conninfo=dsn, min_size=1, max_size=pool_size)
    app = App(connector=connector)
    cron = f"* * * * * */{settings.worker_tick_seconds}"
    app.task(name=SYNC_TASK, queue=SYNC_QUEUE, pass_context=True)(sync_connection)
    for name, queue, func in (
        (SCHEDULE_TASK, MAINTENANCE_QUEUE, schedule_due_syncs),
        (DELIVER_TASK, WEBHOOK_QUEUE, deliver_webhooks),
        (RETRY_STALLED_TASK, MAINTENANCE_QUEUE, retry_stalled_jobs),
    ):
        task = app.task(name=name, queue=queue, pass_context=True)(func)
        # The queueing lock keeps a backlog of ticks from piling up behind a slow one.
        app.periodic(cron=cron, periodic_id=name, queueing_lock=name)(task)
    purge = app.task(name=PURGE_TASK, queue=MAINTENANCE_QUEUE, pass_context=True)(purge_links)
    app.periodic(cron="17 * * * *", periodic_id=PURGE_TASK, queueing_lock=PURGE_TASK)(purge)
    return app


def defer_sync(app: App, connection_id: str) -> bool:
    """Queue a sync job for the connection; False if one is already waiting."""
    try:
        app.configure_task(SYNC_TASK, lock=connection_id, queueing_lock=connection_id).defer(
            connection_id=connection_id
        )
    except pq_exceptions.AlreadyEnqueued:
        return False
    return True


def wake_deliveries(app: App) -> None:
    """Queue a delivery job now rather than at the next tick (one waiting is enough)."""
    with contextlib.suppress(pq_exceptions.AlreadyEnqueued):
        app.configure_task(DELIVER_TASK, queueing_lock=DELIVER_TASK).defer(timestamp=0)


# -- the API side -----------------------------------------------------------------------


class ProcrastinateDispatcher:
    """Records sync requests in the database and queues a job for them.

    The request is the source of truth: if queueing the job fails (the database blipped
    between the two writes), the scheduler tick finds the request and queues it.
    ``start``/``stop`` have no background work to manage; ``stop`` closes the pool.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self.store = store
        self.app = build_app(settings, worker=False)
        self._opened = False
        self._lock = threading.Lock()

    def _open(self) -> App:
        with self._lock:
            if not self._opened:
                self.app.open()
                self._opened = True
        return self.app

    def request_sync(
        self, connection_id: str, models: list[str] | None, full: bool, trigger: str
    ) -> dict[str, Any]:
        merged = schedule.request_sync(self.store.engine, connection_id, models, full, trigger)
        try:
            defer_sync(self._open(), connection_id)
        except pq_exceptions.ConnectorException:
            log.warning("sync_job_not_queued", connection_id=connection_id, exc_info=True)
        return merged

    def wake_deliveries(self) -> None:
        try:
            wake_deliveries(self._open())
        except pq_exceptions.ConnectorException:
            log.warning("delivery_job_not_queued", exc_info=True)

    def start(self) -> None:
        """Nothing runs in an API process in scale-out mode."""

    def stop(self) -> None:
        with self._lock:
            if self._opened:
                self.app.close()
                self._opened = False


# -- the worker side --------------------------------------------------------------------


@dataclass
class Runtime:
    """What the tasks of one worker process share (handed over as job context)."""

    settings: Settings
    store: Store
    engine: SyncEngine


def _runtime(context: JobContext) -> Runtime:
    runtime: Runtime = context.additional_context["plantlink"]
    return runtime


def sync_connection(context: JobContext, connection_id: str) -> str:
    """One budgeted slice of the connection's sync; queue the rest behind other work."""
    rt = _runtime(context)
    req = schedule.due_request(rt.store.engine, connection_id)
    if req is None:
        JOBS.labels(SYNC_TASK, "not_due").inc()
        return "not_due"
    req.budget_seconds = rt.settings.sync_budget_seconds
    result = rt.engine.run(req)
    if result.status == "yielded":
        defer_sync(context.app, connection_id)
    JOBS.labels(SYNC_TASK, result.status).inc()
    log.info("sync_job_finished", connection_id=connection_id, status=result.status)
    return result.status


def schedule_due_syncs(context: JobContext, timestamp: int) -> int:
    """Queue a sync job for every due connection not already waiting; returns how many."""
    rt = _runtime(context)
    queued = sum(
        defer_sync(context.app, req.connection_id)
        for req in schedule.due_connections(rt.store.engine, limit=500)
    )
    LAST_TICK.set_to_current_time()
    JOBS.labels(SCHEDULE_TASK, "done").inc()
    return queued


def purge_links(context: JobContext, timestamp: int) -> int:
    """Hourly: delete expired link sessions and codes (a day after expiry) and idempotency keys."""
    purged = purge_expired(_runtime(context).store)
    JOBS.labels(PURGE_TASK, "done").inc()
    return purged.link_codes + purged.link_sessions + purged.idempotency_keys


def deliver_webhooks(context: JobContext, timestamp: int) -> int:
    """Send due webhook deliveries (claimed in the database, so any number may run)."""
    rt = _runtime(context)
    sent = deliver_due(
        rt.store,
        limit=DELIVERIES_PER_JOB,
        retry_base_seconds=rt.settings.webhook_retry_base_seconds,
    )
    JOBS.labels(DELIVER_TASK, "done").inc()
    return sent


async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Put the jobs of workers that stopped heartbeating back in the queue.

    A retried sync job keeps its id, so it runs before any newer job of its connection,
    and the engine resumes from the checkpoints. When a newer job of the same queueing
    lock is already waiting, the stalled one is marked failed instead: the waiting job
    does the same work.
    """
    rt = _runtime(context)
    manager = context.app.job_manager
    # Silent workers are not deleted here (a worker starting up prunes them): one that was
    # only slow resumes heartbeating under its own id, and the engine's lease keeps its
    # run and the retried one from both syncing (the second answers ``busy``).
    count = 0
    stalled = await manager.get_stalled_jobs(
        seconds_since_heartbeat=rt.settings.worker_stalled_seconds
    )
    for job in stalled:
        try:
            await manager.retry_job(job)
            outcome = "retried"
        except pq_exceptions.UniqueViolation:
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
            outcome = "superseded"
        STALLED_RETRIED.labels(outcome).inc()
        log.warning("stalled_job_recovered", job_id=job.id, task=job.task_name, outcome=outcome)
        count += 1
    JOBS.labels(RETRY_STALLED_TASK, "done").inc()
    return count


def run_worker(
    settings: Settings,
    *,
    concurrency: int,
    queues: list[str] | None = None,
    name: str | None = None,
) -> None:
    """Run a worker in the foreground until SIGINT/SIGTERM (graceful: jobs finish)."""
    settings.require_shared_rate_limits()
    store = Store.open(settings)
    app = build_app(settings, worker=True, pool_size=concurrency + 4)
    engine = SyncEngine(
        store,
        rate_limit_storage=settings.rate_limit_storage,
        on_event=events.sink(store, wake=lambda: wake_deliveries(app)),
    )
    log.info("worker_starting", concurrency=concurrency, queues=queues or "all")
    try:
        app.run_worker(
            name=name or f"plantlink-{engine.owner}",
            queues=queues or None,
            concurrency=concurrency,
            additional_context={"plantlink": Runtime(settings, store, engine)},
            update_heartbeat_interval=settings.worker_heartbeat_seconds,
            stalled_worker_timeout=settings.worker_stalled_seconds,
            delete_jobs="successful",
        )
    finally:
        store.close()


# -- health ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueHealth:
    """Live workers and queue depth, as operators and ``plantlink worker --check`` see them."""

    workers_alive: int
    workers_stalled: int
    #: queue -> (jobs waiting, jobs running, age in seconds of the oldest waiting job)
    queues: dict[str, tuple[int, int, float]]


def queue_health(store: Store, stalled_seconds: float) -> QueueHealth:
    with store.engine.connect() as conn:
        workers = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE last_heartbeat >= now() - make_interval(secs => :s)),"
                " count(*) FILTER (WHERE last_heartbeat < now() - make_interval(secs => :s))"
                " FROM procrastinate_workers"
            ),
            {"s": stalled_seconds},
        ).one()
        rows = conn.execute(
            text(
                "SELECT queue_name, count(*) FILTER (WHERE status = 'todo') AS todo,"
                " count(*) FILTER (WHERE status = 'doing') AS doing,"
                " coalesce(extract(epoch FROM now() - min(e.at) FILTER (WHERE status = 'todo')), 0)"
                " AS oldest"
                " FROM procrastinate_jobs j"
                " LEFT JOIN LATERAL (SELECT at FROM procrastinate_events"
                "   WHERE job_id = j.id AND type = 'deferred' ORDER BY at LIMIT 1) e ON true"
                " WHERE status IN ('todo', 'doing') GROUP BY queue_name"
            )
        ).all()
    queues = {q: (0, 0, 0.0) for q in QUEUES}
    for row in rows:
        queues[row.queue_name] = (int(row.todo), int(row.doing), float(row.oldest))
    return QueueHealth(int(workers[0]), int(workers[1]), queues)


class QueueCollector(Collector):
    """Queue depth, queue age and live workers as Prometheus gauges, read at scrape time.

    Served by the API's ``/metrics`` in scale-out mode: any API server sees the whole
    queue, so alerts need no scrape of the workers themselves.
    """

    def __init__(self, store: Store, stalled_seconds: float) -> None:
        self.store = store
        self.stalled_seconds = stalled_seconds

    def collect(self) -> Iterator[Metric]:
        try:
            health = queue_health(self.store, self.stalled_seconds)
        except SQLAlchemyError:  # the rest of /metrics is still worth serving
            log.warning("queue_metrics_unavailable", exc_info=True)
            return
        workers = GaugeMetricFamily(
            "plantlink_workers", "Workers by heartbeat state (alive, stalled)", labels=["state"]
        )
        workers.add_metric(["alive"], health.workers_alive)
        workers.add_metric(["stalled"], health.workers_stalled)
        jobs = GaugeMetricFamily(
            "plantlink_queue_jobs", "Jobs waiting or running, by queue", labels=["queue", "state"]
        )
        oldest = GaugeMetricFamily(
            "plantlink_queue_oldest_waiting_seconds",
            "Age of the oldest waiting job, by queue (0 when none waits)",
            labels=["queue"],
        )
        for queue, (todo, doing, age) in sorted(health.queues.items()):
            jobs.add_metric([queue, "waiting"], todo)
            jobs.add_metric([queue, "running"], doing)
            oldest.add_metric([queue], age)
        yield from (workers, jobs, oldest)
