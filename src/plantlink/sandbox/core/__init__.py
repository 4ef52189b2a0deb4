"""Vendor-neutral sandbox core: everything a vendor emulator does not have to write.

A vendor package (``plantlink.sandbox.<system>``) plugs in like this:

1. Subclass ``Vendor`` (``core/vendor.py``): set ``system`` and ``api_prefix``; in
   ``__init__`` build one ``Table`` per collection (``core/store.py``) from row builders
   that use ``Rng.for_row`` (``core/rng.py``), ``vocab`` and ``clock.anchor_ms``; fill
   ``self.entities`` with a ``ControlEntity`` (usually ``TableEntity``) per unified entity.
2. Implement the hooks: ``router``, ``credentials``/``rotate_credentials``,
   ``authenticate``/``client_key``, ``error_body``, ``too_many_requests``,
   ``rate_limit_headers``, ``forbidden``. Handlers raise ``VendorError`` for vendor-shaped
   errors and call ``state.require("<entity>:<action>")`` before writes.
3. Export ``create_app(seed, scale, *, anchor_ms=None)`` (wrapping ``core.create_app``) and
   register it in ``plantlink/sandbox/registry.py``.

The core then provides the ``/_sandbox`` control API (``control.py``), the traffic
middleware with latency, faults, rate limits, stats and request log (``app.py``,
``faults.py``, ``ratelimit.py``, ``observe.py``), the skewable clock (``clock.py``) and the
HTTP runner ``SandboxServer`` (``server.py``).
"""

from plantlink.sandbox.core.app import create_app, json_response
from plantlink.sandbox.core.clock import Clock, iso_ms, parse_iso
from plantlink.sandbox.core.ratelimit import Verdict
from plantlink.sandbox.core.rng import Rng, Weighted, derive, spread_stamps
from plantlink.sandbox.core.server import SandboxServer
from plantlink.sandbox.core.store import Query, Record, Table, decode_cursor, encode_cursor
from plantlink.sandbox.core.vendor import (
    ControlEntity,
    PermissionDenied,
    SandboxState,
    TableEntity,
    Unsupported,
    Vendor,
    VendorError,
    live_record,
    pick_rows,
)

__all__ = [
    "Clock",
    "ControlEntity",
    "PermissionDenied",
    "Query",
    "Record",
    "Rng",
    "SandboxServer",
    "SandboxState",
    "Table",
    "TableEntity",
    "Unsupported",
    "Vendor",
    "VendorError",
    "Verdict",
    "Weighted",
    "create_app",
    "decode_cursor",
    "derive",
    "encode_cursor",
    "iso_ms",
    "json_response",
    "live_record",
    "parse_iso",
    "pick_rows",
    "spread_stamps",
]
