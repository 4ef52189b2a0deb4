"""Read ahead: fetch (and map, and prepare) the next source page while the current one is stored.

A sync alternates between waiting on the source (network, the source's own work,
latency) and working on our side (parsing, mapping, the write transaction). Done in one
thread, the two add up; with the listing running one or two pages ahead in a helper
thread they overlap, which is most of the gap between a naive sync and the source's
own pace (``bench/RESULTS.md``). Pages are still handed over strictly in order, and an
error raised by the listing surfaces in the consumer exactly where the page it failed
to produce would have been, so checkpoints and error handling see what they saw before.

The consumer may also ``take`` every page already waiting at once: a writer that fell
behind then stores them in one round of statements instead of one round each (a sync's
writer spends most of its time waiting on the database, ``bench/RESULTS.md``).
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()


class Ahead(Generic[T]):
    """The items a helper produced, in order: one at a time, or every one waiting."""

    def __init__(self, items: queue.Queue[object]) -> None:
        self._items = items
        self._done = False
        self._error: BaseException | None = None

    def __iter__(self) -> Iterator[T]:
        while group := self.take(1):
            yield group[0]

    def take(self, most: int) -> list[T]:
        """The next item (waiting for it), then those already waiting, ``most`` in all.

        Empty once the source is exhausted. A source error is raised by the call after
        the one that returned the items produced before it, as iterating would.
        """
        if self._error is not None:
            error, self._error = self._error, None
            self._done = True
            raise error
        out: list[T] = []
        if self._done:
            return out
        item = self._items.get()
        while True:
            if item is _END:
                self._done = True
                return out
            if isinstance(item, BaseException):
                if out:
                    self._error = item
                    return out
                self._done = True
                raise item
            out.append(item)  # type: ignore[arg-type]
            if len(out) >= most:
                return out
            try:
                item = self._items.get_nowait()
            except queue.Empty:
                return out


@contextmanager
def read_ahead(source: Iterable[T], depth: int = 2) -> Iterator[Ahead[T]]:
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

    # The helper logs with the caller's bound context (connection, model).
    context = contextvars.copy_context()
    helper = threading.Thread(target=context.run, args=(produce,), name="sync-read-ahead")
    helper.start()
    try:
        yield Ahead(items)
    finally:
        stop.set()
        helper.join()
