"""The sync engine: plan each model's listing, run it page by page, publish the result.

Each page is stored in a write transaction together with its checkpoint (several pages
to a transaction, see ``sync.batch``), so a run killed at any point resumes from the
last committed page with no gap and no duplicate. A model's high-water mark
(``cursor``) only advances when its listing finished and everything it returned is
stored. One model failing never stops the others; a source refusing our credentials
stops the connection (``auth_required``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog
from sqlalchemy import insert, update

from plantlink.connectors.base import Connector, MapContext, Page, ReadPlan, Stream
from plantlink.connectors.errors import AuthFailed, SourceError, SourceRejected, SourceUnavailable
from plantlink.connectors.http import PoliteClient, RetryPolicy, limiter_storage
from plantlink.connectors.registry import get_connector
from plantlink.core import metrics
from plantlink.core.gctune import bulk_gc
from plantlink.core.timeutil import format_us, from_us, instant_us, now_us, to_us
from plantlink.model.mapped import Mapped
from plantlink.model.registry import MODELS
from plantlink.store import Store
from plantlink.store.accounts import ConnectionRow
from plantlink.store.db import write_connection
from plantlink.store.records import Prepared, UpsertResult, mark_deleted, take_stamp, upsert
from plantlink.store.tables import connections, sync_runs
from plantlink.sync import lease, seen, state
from plantlink.sync.batch import BatchPolicy, PageBatch
from plantlink.sync.prefetch import read_ahead
from plantlink.sync.schedule import RunRequest, request_sync
from plantlink.sync.settings import ConnectionSettings

log = structlog.get_logger(__name__)

#: Called with (organization_id, event type, payload) — webhooks subscribe here.
EventSink = Callable[[str, str, dict[str, Any]], None]
#: Called with (model, pages, records) after every commit of pages.
Progress = Callable[[str, int, int], None]

#: After this many models of a run failed because the source is unreachable, the rest
#: are not attempted (the circuit is open); the run is retried with growing intervals.
CIRCUIT_MODELS = 2
#: Consecutive unreachable runs before a connection is shown as ``offline``.
OFFLINE_AFTER = 2
#: Pages the listing runs ahead of the writer, and the most the writer stores at once.
_READ_AHEAD = 4


class _BudgetSpent(Exception):
    pass


@dataclass
class ModelOutcome:
    model: str
    status: str
    result: UpsertResult = field(default_factory=UpsertResult)
    deleted: int = 0
    error_code: str | None = None
    error_message: str | None = None
    watermark: int | None = None
    previous_watermark: int | None = None
    #: Pages committed by this run (also those before a failure: then partially synced).
    pages: int = 0

    @property
    def changed(self) -> int:
        return self.result.changed + self.deleted


@dataclass
class RunResult:
    run_id: str | None
    status: str
    models: dict[str, ModelOutcome] = field(default_factory=dict)
    requests: int = 0
    watermark: int | None = None


class SyncEngine:
    def __init__(
        self,
        store: Store,
        *,
        owner: str | None = None,
        on_event: EventSink | None = None,
        progress: Progress | None = None,
        rate_limit_storage: str = "",
        batch_policy: BatchPolicy | None = None,
    ) -> None:
        self.store = store
        self.owner = owner or lease.new_owner()
        self.on_event = on_event
        self.progress = progress
        self.batch_policy = batch_policy or BatchPolicy()
        self._limiter_storage = limiter_storage(rate_limit_storage)

    # -- public -----------------------------------------------------------------------

    def run(self, req: RunRequest) -> RunResult:
        conn_row = self.store.accounts.get_connection(req.connection_id)
        if conn_row is None or conn_row.status in ("disconnected", "auth_required"):
            return RunResult(None, "skipped")
        connector = get_connector(conn_row.system)
        if connector is None:  # a system this build cannot sync: never due again
            self.store.accounts.update_connection(
                req.connection_id, sync_request=None, next_sync_at=None
            )
            return RunResult(None, "skipped")
        if not lease.claim(self.store.engine, req.connection_id, self.owner):
            return RunResult(None, "busy")
        structlog.contextvars.bind_contextvars(connection_id=req.connection_id)
        try:
            # bulk_gc: a run's pages would otherwise pay for full collector passes over
            # every object of the process (core.gctune).
            with lease.Heartbeat(self.store.engine, req.connection_id, self.owner), bulk_gc():
                return self._run_locked(conn_row, connector, req)
        finally:
            lease.release(self.store.engine, req.connection_id, self.owner)
            structlog.contextvars.unbind_contextvars("connection_id", "model")

    def make_client(
        self,
        conn_row: ConnectionRow,
        connector: Connector[Any],
        run_id: str | None = None,
        *,
        max_wait: float | None = None,
    ) -> tuple[PoliteClient, Any]:
        """An authenticated client for this connection (syncs, writes, passthrough).

        ``max_wait``: give up (``SourceRateLimited``) instead of waiting longer for the
        source's rate limit — for requests a client is waiting on.
        """
        creds = self.store.accounts.credentials(conn_row.id)
        settings = ConnectionSettings.model_validate(conn_row.settings)
        limit = settings.source_rate_limit(connector.rate_limit)
        opts = connector.http_options(creds)
        headers = {**opts.pop("headers", {}), "X-Plantlink-Connection": conn_row.id}
        if run_id:
            headers["X-Plantlink-Run"] = run_id
        http = PoliteClient(
            system=connector.system,
            limiter_key=f"{connector.system}|{connector.limiter_identity(creds)}",
            rate_limit=limit,
            headers=headers,
            timeout=settings.request_timeout_seconds,
            retry=RetryPolicy(attempts=settings.max_attempts),
            storage=self._limiter_storage,
            max_wait=max_wait,
            **opts,
        )
        return http, connector.client(http, creds)

    # -- one run ------------------------------------------------------------------------

    def _run_locked(
        self, conn_row: ConnectionRow, connector: Connector[Any], req: RunRequest
    ) -> RunResult:
        engine = self.store.engine
        run_id = str(uuid.uuid4())
        settings = ConnectionSettings.model_validate(conn_row.settings)
        supported = connector.models
        wanted = [m for m in supported if req.models is None or m in req.models]
        started = now_us()
        with write_connection(engine) as conn:
            conn.execute(
                update(connections).where(connections.c.id == conn_row.id).values(sync_request=None)
            )
            # Holding the lease means no other run of this connection is alive: a row
            # still "running" belongs to a worker that died mid-run.
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.connection_id == conn_row.id, sync_runs.c.status == "running")
                .values(
                    status="interrupted",
                    finished_at=started,
                    error="the worker stopped before the run finished; resumed from its checkpoint",
                )
            )
            conn.execute(
                insert(sync_runs).values(
                    id=run_id,
                    connection_id=conn_row.id,
                    trigger=req.trigger,
                    models=orjson.dumps(wanted).decode(),
                    full=req.full,
                    status="running",
                    started_at=started,
                )
            )
        state.ensure_states(engine, conn_row.id, supported)
        states = state.load_states(engine, conn_row.id)
        http, client = self.make_client(conn_row, connector, run_id)
        result = RunResult(run_id, "done")
        unavailable = 0
        auth_error: AuthFailed | None = None
        deadline = time.monotonic() + req.budget_seconds if req.budget_seconds is not None else None
        # A run over every model, or the continuation of one whose slices all went well
        # ("continue_all"), publishes the connection's watermark when it completes.
        covers_all = set(wanted) == set(supported) or req.trigger == "continue_all"
        try:
            for model in wanted:
                stream = connector.stream(model)
                assert stream is not None
                if auth_error is not None or unavailable >= CIRCUIT_MODELS:
                    reason = auth_error or SourceUnavailable("source unreachable; circuit open")
                    state.mark_failed(
                        engine,
                        conn_row.id,
                        model,
                        partial=False,
                        code=reason.code,
                        message=reason.message,
                    )
                    result.models[model] = ModelOutcome(
                        model, "failed", error_code=reason.code, error_message=reason.message
                    )
                    continue
                outcome = self._sync_model(
                    conn_row, settings, stream, client, states[model], req.full, run_id, deadline
                )
                result.models[model] = outcome
                if outcome.changed:
                    self._records_changed(conn_row, outcome)
                if outcome.error_code == AuthFailed.code:
                    auth_error = AuthFailed(outcome.error_message or "credentials refused")
                elif outcome.error_code in (SourceUnavailable.code, "RATE_LIMIT_EXCEEDED"):
                    unavailable += 1
        except lease.LeaseLost:
            result.status = "lease_lost"
            log.warning("sync_lease_lost", run_id=run_id)
        except _BudgetSpent:
            result.status = "yielded"
            rest = wanted[wanted.index(model) :]
            clean = covers_all and not any(o.error_code for o in result.models.values())
            # Checkpoints make the continuation resume where this run stopped.
            trigger = "continue_all" if clean else "continue"
            request_sync(engine, conn_row.id, rest, req.full, trigger)
            log.info("sync_yielded", run_id=run_id, remaining=rest)
        finally:
            result.requests = http.requests
            http.close()
        if result.status not in ("lease_lost", "yielded"):
            self._finish_run(conn_row, settings, result, auth_error, covers_all)
        with write_connection(engine) as conn:
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == run_id)
                .values(
                    status=result.status,
                    finished_at=now_us(),
                    records_changed=sum(o.changed for o in result.models.values()),
                    requests=result.requests,
                    error=next(
                        (o.error_message for o in result.models.values() if o.error_message), None
                    ),
                )
            )
        return result

    def mark_auth_required(self, conn_row: ConnectionRow, reason: str) -> None:
        """The source refused the stored credentials: stop syncing until a reconnect.

        Shared by syncs and by live calls (passthrough, writes) that meet the refusal first.
        """
        accounts = self.store.accounts
        prev = accounts.set_status(conn_row.id, "auth_required", reason)
        accounts.update_connection(conn_row.id, next_sync_at=None)
        if prev is not None:  # only on the transition, not on every refused call
            self.emit(conn_row, "connection.auth_required", {"reason": reason})
            self._status_event(conn_row, prev, "auth_required", reason)

    def _finish_run(
        self,
        conn_row: ConnectionRow,
        settings: ConnectionSettings,
        result: RunResult,
        auth_error: AuthFailed | None,
        covers_all: bool,
    ) -> None:
        engine, accounts = self.store.engine, self.store.accounts
        outcomes = list(result.models.values())
        failed = [o for o in outcomes if o.status in ("failed", "partially_synced")]
        now = now_us()
        interval = settings.sync_interval_minutes * 60_000_000
        if auth_error is not None:
            result.status = "auth_required"
            self.mark_auth_required(conn_row, auth_error.message)
        elif outcomes and all(
            o.error_code in (SourceUnavailable.code, "RATE_LIMIT_EXCEEDED") for o in outcomes
        ):
            result.status = "failed"
            fails = conn_row.consecutive_failures + 1
            backoff = min(interval * (2 ** min(fails, 10)), 24 * 3600 * 1_000_000)
            accounts.update_connection(
                conn_row.id, consecutive_failures=fails, next_sync_at=now + backoff
            )
            if fails >= OFFLINE_AFTER:
                reason = outcomes[0].error_message
                prev = accounts.set_status(conn_row.id, "offline", reason)
                if prev is not None:
                    self._status_event(conn_row, prev, "offline", reason)
        else:
            result.status = "partial" if failed else "done"
            accounts.update_connection(
                conn_row.id, consecutive_failures=0, next_sync_at=now + interval
            )
            prev = accounts.set_status(conn_row.id, "active", None)
            if prev is not None:
                self._status_event(conn_row, prev, "active", None)
            if not failed and covers_all:
                result.watermark = state.publish_connection_success(engine, conn_row.id)
        metrics.SYNC_RUNS.labels(conn_row.system, result.status).inc()
        refreshed = accounts.get_connection(conn_row.id)
        if refreshed and refreshed.last_successful_sync_at:
            metrics.SYNC_LAG.labels(conn_row.id, conn_row.system).set(
                (now_us() - refreshed.last_successful_sync_at) / 1e6
            )
        event = "sync.failed" if result.status in ("failed", "auth_required") else "sync.completed"
        self.emit(
            conn_row,
            event,
            {
                "run_id": result.run_id,
                "status": result.status,
                "models": {
                    m: {
                        "status": o.status,
                        "created": o.result.created,
                        "updated": o.result.updated,
                        "deleted": o.deleted,
                        "error": (
                            {"code": o.error_code, "message": o.error_message}
                            if o.error_code
                            else None
                        ),
                    }
                    for m, o in result.models.items()
                },
            },
        )

    def _records_changed(self, conn_row: ConnectionRow, o: ModelOutcome) -> None:
        """Announced per model as soon as it is stored, so sliced and partial runs tell too."""
        self.emit(
            conn_row,
            "records.changed",
            {
                "model": MODELS[o.model].path,
                "created": o.result.created,
                "updated": o.result.updated,
                "deleted": o.deleted,
                # Read from here to get these changes (null: read everything).
                "modified_after": format_us(o.previous_watermark),
            },
        )

    def emit(self, conn_row: ConnectionRow, event: str, data: dict[str, Any]) -> None:
        if self.on_event is None:
            return
        payload = {"connection_id": conn_row.id, **data}
        try:
            self.on_event(conn_row.organization_id, event, payload)
        except Exception:  # an event sink must never break a sync or a write
            log.exception("event_sink_failed", event=event)

    def _status_event(
        self, conn_row: ConnectionRow, prev: str, status: str, reason: str | None
    ) -> None:
        self.emit(
            conn_row,
            "connection.status_changed",
            {"previous_status": prev, "status": status, "reason": reason},
        )

    # -- one model ----------------------------------------------------------------------

    def _sync_model(
        self,
        conn_row: ConnectionRow,
        settings: ConnectionSettings,
        stream: Stream[Any],
        client: Any,
        st: state.ModelState,
        full: bool,
        run_id: str,
        deadline: float | None = None,
    ) -> ModelOutcome:
        model = stream.model
        structlog.contextvars.bind_contextvars(model=model)
        engine = self.store.engine
        outcome = ModelOutcome(model, "done", previous_watermark=st.last_successful_sync_at)
        timer = metrics.SYNC_DURATION.labels(conn_row.system, model, "done")
        started = now_us()
        state.mark_started(engine, conn_row.id, model)
        cp = self._plan(stream, st, settings, full)
        try:
            restarted = False
            while True:
                try:
                    self._list(conn_row, stream, client, cp, outcome, deadline)
                    break
                except SourceRejected:
                    # A stale page token (e.g. an expired source cursor): start the
                    # listing over once; records already stored are simply unchanged.
                    if cp.get("token") is None or restarted:
                        raise
                    restarted = True
                    cp = self._plan(stream, st, settings, full, ignore_checkpoint=True)
            outcome.watermark = self._finalize(conn_row, stream, cp, outcome)
            if cp.get("reconcile_keys"):
                outcome.watermark = self._reconcile_keys(conn_row, stream, client, cp, outcome)
        except (lease.LeaseLost, _BudgetSpent):
            raise
        except AuthFailed as exc:
            return self._fail(conn_row, outcome, exc, started)
        except SourceError as exc:
            return self._fail(conn_row, outcome, exc, started)
        except Exception as exc:  # a mapping bug in one model must not stop the others
            log.exception("model_sync_crashed", run_id=run_id)
            return self._fail(conn_row, outcome, exc, started)
        timer.observe((now_us() - started) / 1e6)
        log.info(
            "model_synced",
            created=outcome.result.created,
            updated=outcome.result.updated,
            unchanged=outcome.result.unchanged,
            deleted=outcome.deleted,
            pages=outcome.pages,
        )
        return outcome

    def _fail(
        self,
        conn_row: ConnectionRow,
        outcome: ModelOutcome,
        exc: Exception,
        started: int,
    ) -> ModelOutcome:
        code = exc.code if isinstance(exc, SourceError) else "SYNC_ERROR"
        message = exc.message if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}"
        partial = outcome.pages > 0
        outcome.status = "partially_synced" if partial else "failed"
        outcome.error_code, outcome.error_message = code, message
        state.mark_failed(
            self.store.engine,
            conn_row.id,
            outcome.model,
            partial=partial,
            code=code,
            message=message,
        )
        metrics.SYNC_DURATION.labels(conn_row.system, outcome.model, "failed").observe(
            (now_us() - started) / 1e6
        )
        log.warning("model_sync_failed", code=code, error=message)
        return outcome

    def _plan(
        self,
        stream: Stream[Any],
        st: state.ModelState,
        settings: ConnectionSettings,
        full: bool,
        *,
        ignore_checkpoint: bool = False,
    ) -> dict[str, Any]:
        """Where this model's listing starts: resume a checkpoint, or plan a fresh one."""
        cp = st.checkpoint
        if cp and not ignore_checkpoint and cp.get("v") == 1 and (cp.get("complete") or not full):
            return cp
        now = now_us()
        spec = MODELS[stream.model]
        window = now - settings.history_days * 86_400_000_000 if spec.transactional else None
        reconcile_due = stream.reconcile and (
            st.last_reconciled_at is None
            or now - st.last_reconciled_at > settings.reconcile_interval_hours * 3_600_000_000
        )
        # Deletions are invisible to a change-filtered listing: when a reconciliation is
        # due, either list keys cheaply after the incremental read, or list everything.
        incremental = (
            stream.incremental
            and st.cursor is not None
            and not full
            and (not reconcile_due or stream.cheap_keys)
        )
        if incremental:
            assert st.cursor is not None
            since: int | None = st.cursor - int(stream.overlap_seconds * 1_000_000)
            if window is not None and since is not None:
                since = max(since, window)
        else:
            since = window if stream.incremental else None
        complete = not incremental
        return {
            "v": 1,
            "since": since,
            "window": window,
            "complete": complete,
            # A complete listing reveals deletions, which needs the keys it saw; a model
            # with nothing stored yet has nothing to delete, so skip that cost.
            "track_seen": complete and st.records > 0 and stream.reconcile,
            "reconcile_keys": incremental and reconcile_due and st.records > 0,
            "token": None,
            "done": False,
            "listing_start": None,
            "listing_stamp": None,
            "pages": 0,
            "records": 0,
        }

    def _list(
        self,
        conn_row: ConnectionRow,
        stream: Stream[Any],
        client: Any,
        cp: dict[str, Any],
        outcome: ModelOutcome,
        deadline: float | None,
    ) -> None:
        """List the model from the checkpoint on; ``outcome`` counts what is committed."""
        if cp["done"]:
            return
        engine, model = self.store.engine, stream.model
        if cp["pages"] == 0 and cp["track_seen"]:
            with write_connection(engine) as conn:
                seen.clear(conn, conn_row.id, model)
        plan = ReadPlan(
            since=from_us(cp["since"]) if cp["since"] is not None else None, resume=cp["token"]
        )
        window = cp["window"] if not stream.incremental or cp["complete"] else None

        def mapped_pages() -> Iterator[tuple[Page, list[Mapped], Prepared]]:
            for page in stream.read(client, plan):
                ctx = MapContext(conn_row.id, page.lookups)
                mapped = [m for raw in page.records for m in stream.map(raw, ctx)]
                if window is not None:
                    mapped = [
                        m
                        for m in mapped
                        if m.remote_modified_at is None
                        or instant_us(m.remote_modified_at) >= window
                    ]
                yield page, mapped, Prepared(conn_row.id, mapped)

        # The next page is fetched, mapped and rendered for the store (``Prepared``) while
        # this one is written (see prefetch): the database releases the GIL while it
        # works, so the two overlap. Pages already waiting when the writer gets to them
        # are stored together (one lookup, one insert), and pages are committed several
        # at a time, with the checkpoint after the last of them (see batch).
        batch: PageBatch | None = None

        def commit() -> None:
            nonlocal batch
            assert batch is not None
            done, batch = batch, None
            try:
                done.refs.flush(done.conn)
                state.save_page(done.conn, conn_row.id, model, cp, done.result.live_delta)
            except BaseException:
                done.rollback()
                raise
            done.commit()
            outcome.pages += done.pages
            outcome.result.add(done.result)
            for change, n in (("created", done.result.created), ("updated", done.result.updated)):
                if n:
                    metrics.RECORDS_SYNCED.labels(conn_row.system, model, change).inc(n)
            if self.progress is not None:
                self.progress(model, cp["pages"], cp["records"])

        try:
            with read_ahead(mapped_pages(), depth=_READ_AHEAD) as listing:
                while True:
                    try:
                        group = listing.take(_READ_AHEAD)
                    except BaseException:
                        if batch is not None:  # what is stored stays stored
                            commit()
                        raise
                    if not group:
                        break
                    if cp["listing_start"] is None:
                        first = group[0][0]
                        start = to_us(first.source_time) if first.source_time else now_us()
                        cp["listing_start"] = start - 1_000_000
                        cp["listing_stamp"] = now_us()
                    if batch is None:
                        batch = PageBatch.open(engine, conn_row.id, self.owner)
                    prepared = Prepared.merge([p for _, _, p in group])
                    res = upsert(batch.conn, conn_row.id, prepared, batch.stamp, batch.refs)
                    listed = [m for _, mapped, _ in group for m in mapped]
                    if cp["track_seen"]:
                        seen.add(batch.conn, conn_row.id, model, (m.remote_id for m in listed))
                    last = group[-1][0]
                    cp["token"] = last.next
                    cp["done"] = last.next is None
                    cp["pages"] += len(group)
                    cp["records"] += len(listed)
                    batch.add(res, len(listed), pages=len(group))
                    out_of_time = deadline is not None and last.next and time.monotonic() > deadline
                    if last.next is None or out_of_time or batch.full(self.batch_policy):
                        commit()
                    if out_of_time:
                        raise _BudgetSpent
        finally:
            if batch is not None:
                batch.rollback()

    def _reconcile_keys(
        self,
        conn_row: ConnectionRow,
        stream: Stream[Any],
        client: Any,
        cp: dict[str, Any],
        outcome: ModelOutcome,
    ) -> int:
        """List only the source's keys and flag stored records it no longer has.

        Runs after the incremental read was published; ``seen`` rows are committed page by
        page so memory stays flat however many records the model has.
        """
        engine, model = self.store.engine, stream.model
        started = now_us()
        with write_connection(engine) as conn:
            seen.clear(conn, conn_row.id, model)
        window = cp["window"]
        plan = ReadPlan(since=from_us(window) if window is not None else None)
        for keys in stream.list_keys(client, plan):
            with write_connection(engine) as conn:
                lease.fence(conn, conn_row.id, self.owner)
                seen.add(conn, conn_row.id, model, keys)
        with write_connection(engine) as conn:
            lease.fence(conn, conn_row.id, self.owner)
            stamp = take_stamp(conn, conn_row.id)
            gone = seen.unseen_record_ids(
                conn, conn_row.id, model, created_before=started, remote_modified_from=window
            )
            deleted = mark_deleted(conn, conn_row.id, model, gone, stamp) if gone else 0
            outcome.deleted += deleted
            seen.clear(conn, conn_row.id, model)
            state.save_page(conn, conn_row.id, model, None, -deleted)
            return state.publish_success(
                conn, conn_row.id, model, stamp, cursor=None, reconciled=True
            )

    def _finalize(
        self,
        conn_row: ConnectionRow,
        stream: Stream[Any],
        cp: dict[str, Any],
        outcome: ModelOutcome,
    ) -> int:
        engine, model = self.store.engine, stream.model
        with write_connection(engine) as conn:
            lease.fence(conn, conn_row.id, self.owner)
            stamp = take_stamp(conn, conn_row.id)
            if cp["complete"] and cp["track_seen"]:
                gone = seen.unseen_record_ids(
                    conn,
                    conn_row.id,
                    model,
                    created_before=cp["listing_stamp"] or stamp,
                    remote_modified_from=cp["window"],
                )
                if gone:
                    outcome.deleted = mark_deleted(conn, conn_row.id, model, gone, stamp)
                seen.clear(conn, conn_row.id, model)
            state.save_page(conn, conn_row.id, model, None, -outcome.deleted)
            return state.publish_success(
                conn,
                conn_row.id,
                model,
                stamp,
                cursor=cp["listing_start"] if stream.incremental else None,
                reconciled=cp["complete"],
            )
