from __future__ import annotations

import base64

import pytest

from plantlink.api.cursor import CursorCodec, CursorError


def test_round_trip() -> None:
    codec = CursorCodec("k")
    token = codec.encode("conn:work_orders:abc", 1_700_000_000_000_000, "id-1")
    assert codec.decode("conn:work_orders:abc", token) == (1_700_000_000_000_000, "id-1")


def test_other_scope_is_refused() -> None:
    codec = CursorCodec("k")
    token = codec.encode("conn:work_orders:abc", 5, "x")
    with pytest.raises(CursorError, match="different query"):
        codec.decode("conn:work_orders:def", token)


def test_forged_and_damaged_cursors_are_refused() -> None:
    codec = CursorCodec("k")
    token = codec.encode("s", 5, "x")
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[3] ^= 1
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    for bad in (forged, token[:-2], "not-a-cursor", "", CursorCodec("other").encode("s", 5, "x")):
        with pytest.raises(CursorError):
            codec.decode("s", bad)
