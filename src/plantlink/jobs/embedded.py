"""Embedded mode: an in-process scheduler thread feeding a small pool of sync threads."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import structlog

from plantlink.core.timeutil import now_us
from plantlink.store import Store
from plantlink.store.housekeeping import purge_expired
from plantlink.sync import schedule
from plantlink.sync.engine import SyncEngine
from plantlink.sync.schedule import RunRequest

log = structlog.get_logger(__name__)
#: Expired link sessions and codes, and idempotency keys past retention, are purged this often.
PURGE_EVERY_SECONDS = 3600


class EmbeddedDispatcher:
    """Finds due connections every few seconds (or at once when woken) and syncs them.

    The sync lease in the database keeps one sync per connection even if several
    processes share the file; the in-process ``_running`` set only avoids queueing a
    connection twice.
    """

    def __init__(self, store: Store, engine: SyncEngine, *, workers: int = 4, poll: float = 5.0):
        self.store = store
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._poll = poll
        self._thread: threading.Thread | None = None
        self._next_purge = 0.0

    def request_sync(
        self, connection_id: str, models: list[str] | None, full: bool, trigger: str
    ) -> dict[str, Any]:
        merged = schedule.request_sync(self.store.engine, connection_id, models, full, trigger)
        self._wake.set()
        return merged

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception:
                log.exception("scheduler_tick_failed")
            timeout = self._poll
            nxt = schedule.next_wakeup(self.store.engine) if not self._stop.is_set() else None
            if nxt is not None:
                timeout = min(timeout, max(0.05, (nxt - now_us()) / 1e6))
            self._wake.wait(timeout)
            self._wake.clear()

    def _tick(self) -> None:
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
            purge_expired(self.store)
        for req in schedule.due_connections(self.store.engine):
            with self._lock:
                if req.connection_id in self._running:
                    continue
                self._running.add(req.connection_id)
            fut = self._pool.submit(self._run, req)
            fut.add_done_callback(self._done_callback(req.connection_id))

    def _run(self, req: RunRequest) -> None:
        result = self.engine.run(req)
        log.info("sync_run_finished", connection_id=req.connection_id, status=result.status)

    def _done_callback(self, connection_id: str) -> Any:
        def done(fut: Future[None]) -> None:
            with self._lock:
                self._running.discard(connection_id)
            exc = fut.exception()
            if exc is not None:
                log.error("sync_run_crashed", connection_id=connection_id, error=repr(exc))
            self._wake.set()

        return done
