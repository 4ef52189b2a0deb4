"""Garbage-collector settings for a sync's bulk allocation.

CPython's cyclic collector runs a young-generation pass every 700 net container
allocations and, now and then, a full pass over every tracked object in the process:
modules, SQLAlchemy metadata, pydantic models. A sync parses pages of a few thousand
dicts each, so it crossed the young threshold several times per page and paid for ~40
full passes over ~120k long-lived objects in a 200k-record sync: a quarter of the
sync's CPU (measured with ``gc.callbacks``; bench/RESULTS.md). The records themselves
are freed by reference counting as soon as a page is stored; the collector finds
almost nothing.

Two standard-library levers, applied for the length of a run and then undone:

- ``gc.freeze()`` moves every object alive now to a permanent generation that full
  passes skip; ``gc.unfreeze()`` hands them back to the oldest generation, so anything
  that became garbage meanwhile is still collected later.
- A larger young threshold: a page's allocations no longer trigger passes that find the
  page still in use and promote it to older generations, to be traversed again there.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Young-generation threshold during a run (CPython's default is 700). At 5,000 a
#: 200-record page no longer triggers passes of its own; peak memory is unchanged.
BULK_THRESHOLD = 5_000

_lock = threading.Lock()
_active = 0
#: The young threshold found by the first block to enter, restored by the last to leave.
_saved = gc.get_threshold()


@contextmanager
def bulk_gc() -> Iterator[None]:
    """Collector settings for a block of bulk allocation (a sync run).

    Process-wide and re-entrant across threads: the first block to enter freezes the
    objects alive now and raises the young threshold; the last to leave unfreezes them
    and restores the threshold it found. Unfreezing hands back everything frozen,
    including what the process had frozen itself (a sandbox server running in the same
    process): freezing that again without freezing garbage with it takes a full
    collection per run, which cost 53 s of a 153 s test run.
    """
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(_saved[0], BULK_THRESHOLD), *_saved[1:])
            gc.freeze()
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.unfreeze()
                gc.set_threshold(*_saved)
