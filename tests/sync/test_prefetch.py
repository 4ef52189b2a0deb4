"""Read-ahead: pages in order, errors where they happened, nothing left running after."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from plantlink.sync.prefetch import read_ahead


class Boom(Exception):
    pass


def test_items_arrive_in_order_and_all_of_them() -> None:
    with read_ahead(iter(range(500)), depth=2) as it:
        assert list(it) == list(range(500))


def test_an_error_surfaces_after_the_items_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise Boom("page 3 failed")

    got: list[int] = []
    with pytest.raises(Boom, match="page 3"), read_ahead(pages()) as it:
        for page in it:
            got.append(page)
    assert got == [1, 2]


def test_leaving_early_stops_and_closes_the_source() -> None:
    produced: list[int] = []
    closed = threading.Event()

    def pages() -> Iterator[int]:
        try:
            for n in range(1000):
                produced.append(n)
                yield n
        finally:
            closed.set()

    with read_ahead(pages(), depth=2) as it:
        for page in it:
            if page == 3:
                break
    assert closed.is_set()
    # It read ahead by at most the queue's depth plus the page in hand.
    assert len(produced) <= 3 + 1 + 2 + 1
    assert not any(t.name == "sync-read-ahead" and t.is_alive() for t in threading.enumerate())


def test_an_exception_in_the_consumer_stops_the_helper() -> None:
    closed = threading.Event()

    def pages() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    with pytest.raises(Boom), read_ahead(pages()) as it:
        for _ in it:
            raise Boom
    assert closed.is_set()


def test_take_returns_what_is_waiting_then_the_error_then_nothing() -> None:
    produced = threading.Event()

    def pages() -> Iterator[int]:
        yield from range(5)
        produced.set()
        raise Boom("page 6 failed")

    with read_ahead(pages(), depth=8) as ahead:
        assert produced.wait(5)
        # Everything already produced comes at once, up to the limit asked for.
        assert ahead.take(3) == [0, 1, 2]
        assert ahead.take(10) == [3, 4]
        with pytest.raises(Boom, match="page 6"):
            ahead.take(10)
        assert ahead.take(10) == []


def test_take_waits_for_one_item_and_ends_empty() -> None:
    gate = threading.Event()

    def pages() -> Iterator[int]:
        yield 1
        gate.wait(5)
        yield 2

    with read_ahead(pages(), depth=4) as ahead:
        assert ahead.take(4) == [1]  # does not wait for a second item
        gate.set()
        assert ahead.take(4) == [2]
        assert ahead.take(4) == []
        assert list(ahead) == []
