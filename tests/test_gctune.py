"""Collector settings for bulk work: applied inside, restored after, nothing leaked."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from plantlink.core.gctune import BULK_THRESHOLD, bulk_gc


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    """Each test starts from a process with nothing frozen (an in-process sandbox of an
    earlier test may have frozen its tables), and leaves it as it was."""
    was_frozen = gc.get_freeze_count() > 0
    gc.unfreeze()
    yield
    gc.unfreeze()
    if was_frozen:
        gc.freeze()


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_bulk_gc_freezes_and_raises_the_threshold_then_restores_both() -> None:
    before_threshold = gc.get_threshold()
    before_frozen = gc.get_freeze_count()
    with bulk_gc():
        assert gc.get_threshold()[0] >= BULK_THRESHOLD
        assert gc.get_threshold()[1:] == before_threshold[1:]
        assert gc.get_freeze_count() > before_frozen
    assert gc.get_threshold() == before_threshold
    assert gc.get_freeze_count() == before_frozen


def test_garbage_made_of_objects_frozen_by_bulk_gc_is_collected_afterwards() -> None:
    node = _Node()
    alive = weakref.ref(node)
    with bulk_gc():
        del node  # frozen while alive, garbage from now on
        gc.collect()
        assert alive() is not None  # full passes skip frozen objects
    gc.collect()
    assert alive() is None


def test_bulk_gc_blocks_in_several_threads_undo_only_when_the_last_leaves() -> None:
    before = gc.get_threshold()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int]] = []

    def first() -> None:
        with bulk_gc():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with bulk_gc():
            second_in.set()
            first_out.wait(5)
            # The first block has left; this one still runs with the bulk settings.
            seen.append((gc.get_threshold()[0], gc.get_freeze_count()))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen and seen[0][0] >= BULK_THRESHOLD and seen[0][1] > 0
    assert gc.get_threshold() == before


def test_what_the_process_had_frozen_itself_is_handed_back_too() -> None:
    gc.collect()
    gc.freeze()  # what an in-process sandbox server does when it starts
    node = _Node()
    alive = weakref.ref(node)
    with bulk_gc():
        del node
    # Frozen again, the garbage would have needed a full collection per run first.
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert alive() is None


def test_bulk_gc_restores_the_settings_when_the_block_raises() -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    try:
        with bulk_gc():
            raise ValueError("boom")
    except ValueError:
        pass
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
