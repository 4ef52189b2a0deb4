"""Embedded mode: webhook deliveries on threads inside the API process."""

from __future__ import annotations

import threading

import structlog

from plantlink.store import Store
from plantlink.webhooks.delivery import RETRY_BASE_SECONDS, deliver_due, new_client

log = structlog.get_logger(__name__)


class WebhookWorker:
    """A few threads looping ``deliver_due`` every ``poll`` seconds, or at once when woken.

    Several threads so that one slow receiver (up to the timeout per attempt) does not
    hold up everyone else's deliveries; the claim in the database keeps them apart, as
    it does across processes. Each call delivers one event so ``stop`` is never stuck
    behind a batch.
    """

    def __init__(
        self,
        store: Store,
        *,
        threads: int = 4,
        poll: float = 1.0,
        retry_base_seconds: float = RETRY_BASE_SECONDS,
    ) -> None:
        self.store = store
        self._threads_wanted = threads
        self._poll = poll
        self._retry_base = retry_base_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._threads:
            return
        for n in range(self._threads_wanted):
            thread = threading.Thread(target=self._loop, name=f"webhooks-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _loop(self) -> None:
        with new_client() as client:
            while not self._stop.is_set():
                try:
                    sent = deliver_due(
                        self.store, limit=1, client=client, retry_base_seconds=self._retry_base
                    )
                except Exception:
                    log.exception("webhook_delivery_failed")
                    sent = 0
                if not sent:
                    self._wake.wait(self._poll)
                    self._wake.clear()
