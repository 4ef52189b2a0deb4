"""Read ahead: fetch (and map, and prepare) the next source page while the current one is stored.

A sync alternates between waiting on the source (network, the source's own work,
latency) and working on our side (parsing, mapping, the write transaction). Done in one
thread, the two add up; with the listing running one or two pages ahead in a helper
thread they overlap, which is most of the gap between a naive sync and the source's
own pace (``bench/RESULTS.md``). Pages are still handed over strictly in order, and an
error raised by the listing surfaces in the consumer exactly where the page it failed
to produce would have been, so checkpoints and error handling see what they saw before.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_END = object()


@contextmanager
def read_ahead(source: Iterable[T], depth: int = 2) -> Iterator[Iterator[T]]:
    """Iterate ``source`` in a helper thread, at most ``depth`` items ahead of the consumer.

    Leaving the block early (an exception, a budget spent) stops the helper after the
    item it is producing and closes ``source``; the block exits only once the helper has
    finished, so nothing is left using the source's client afterwards.
    """
    items: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        it = iter(source)
        try:
            for item in it:
                if not offer(item):
                    return
            offer(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            offer(exc)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def consume() -> Iterator[T]:
        while True:
            item = items.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    # The helper logs with the caller's bound context (connection, model).
    context = contextvars.copy_context()
    helper = threading.Thread(target=context.run, args=(produce,), name="sync-read-ahead")
    helper.start()
    try:
        yield consume()
    finally:
        stop.set()
        helper.join()
