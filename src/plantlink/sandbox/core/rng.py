"""Deterministic randomness for sandbox data.

Base records are generated lazily, in any order, from ``(seed, entity, row)``; Python's
``random.Random`` is too slow to seed per record and its stream is not addressable. An
``Rng`` here is a counter-mode BLAKE2b stream keyed by ``(seed, entity, row)``: creating
one costs a ``struct.pack``, and each hash call yields eight 64-bit words. So
``Rng.for_row(seed, "workorders", 42)`` gives the same stream every time and on every
platform, and the same seed and scale always produce byte-identical data.

How a vendor plugs in: call ``Rng.for_row`` inside its row builder (one stream per record)
and ``Rng(derive(seed, "something"))`` for anything global (organisation ids, keys). Hot
builders take one ``next()`` and slice it (``x % n``, ``x >> 8``) for several fields, with
``Weighted.pick`` for skewed choices.
"""

from __future__ import annotations

import struct
import zlib
from bisect import bisect_right
from collections.abc import Sequence
from hashlib import blake2b
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")

_MASK = (1 << 64) - 1
_WORDS = struct.Struct("<8Q")
_ROW_KEY = struct.Struct("<QIQ")
_salts: dict[str, int] = {}


def _salt(part: int | str) -> int:
    # crc32, not hash(): str hashes are randomised per process.
    if isinstance(part, int):
        return part & _MASK
    salt = _salts.get(part)
    if salt is None:
        salt = _salts[part] = zlib.crc32(part.encode())
    return salt


def derive(seed: int, *parts: int | str) -> int:
    """A 64-bit value that depends only on ``seed`` and ``parts``."""
    key = b"".join(_salt(p).to_bytes(8, "little") for p in (seed, *parts))
    return int.from_bytes(blake2b(key, digest_size=8).digest(), "little")


class Rng:
    """Addressable pseudo-random stream of 64-bit words."""

    __slots__ = ("_block", "_key", "_words")

    def __init__(self, seed: int, key: bytes | None = None) -> None:
        self._key = (seed & _MASK).to_bytes(8, "little") if key is None else key
        self._block = 0
        self._words: list[int] = []

    @classmethod
    def for_row(cls, seed: int, entity: str, row: int) -> Rng:
        return cls(0, _ROW_KEY.pack(seed & _MASK, _salt(entity), row))

    def next(self) -> int:
        words = self._words
        if not words:
            block = self._key + self._block.to_bytes(4, "little")
            words = self._words = list(_WORDS.unpack(blake2b(block, digest_size=64).digest()))
            self._block += 1
        return words.pop()

    def below(self, n: int) -> int:
        """Uniform integer in ``[0, n)`` (modulo bias is irrelevant for test data)."""
        return self.next() % n

    def between(self, lo: int, hi: int) -> int:
        """Uniform integer in ``[lo, hi]``."""
        return lo + self.next() % (hi - lo + 1)

    def random(self) -> float:
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)

    def chance(self, p: float) -> bool:
        return self.random() < p

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.next() % len(seq)]

    def weighted(self, seq: Sequence[T], weights: Sequence[float]) -> T:
        x = self.random() * sum(weights)
        for item, w in zip(seq, weights, strict=True):
            x -= w
            if x < 0:
                return item
        return seq[-1]

    def sample(self, seq: Sequence[T], k: int) -> list[T]:
        """``k`` distinct items (fewer if ``seq`` is shorter), in draw order."""
        k = min(k, len(seq))
        picked: list[T] = []
        seen: set[int] = set()
        while len(picked) < k:
            i = self.next() % len(seq)
            if i not in seen:
                seen.add(i)
                picked.append(seq[i])
        return picked

    def hex(self, n: int) -> str:
        """``n`` lowercase hex digits."""
        out = ""
        while len(out) < n:
            out += f"{self.next():016x}"
        return out[:n]


class Weighted(Generic[T]):
    """Values with integer weights, picked from any integer (e.g. a slice of one draw).

    Hot generators take one 64-bit draw and slice it (``x % 100``, ``x >> 8`` …) instead
    of calling the generator per field: ``PRIORITY.pick(x)`` costs one bisect.
    """

    __slots__ = ("_cum", "_values", "total")

    def __init__(self, values: Sequence[T], weights: Sequence[int]) -> None:
        self._values = tuple(values)
        self._cum = tuple(accumulate(weights))
        self.total = self._cum[-1]

    def pick(self, n: int) -> T:
        return self._values[bisect_right(self._cum, n % self.total)]


def spread_stamps(rng: Rng, anchor_ms: int, days: int = 365) -> tuple[int, int]:
    """``(created_ms, updated_ms)`` spread over ``days`` before ``anchor_ms``.

    Most records are edited a little after creation, a few much later, some never: this is
    what makes incremental-sync windows interesting. Both fall on whole milliseconds and
    ``updated >= created`` always holds.
    """
    span = days * 86_400_000
    created = anchor_ms - 1 - rng.below(span)
    roll = rng.random()
    if roll < 0.25:
        updated = created
    elif roll < 0.85:
        updated = created + rng.below(min(14 * 86_400_000, anchor_ms - created))
    else:
        updated = created + rng.below(anchor_ms - created)
    return created, updated
