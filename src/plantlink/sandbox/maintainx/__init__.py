"""MaintainX public REST API v1 sandbox (``/v1``), built on ``plantlink.sandbox.core``.

Emulated: bearer-key auth with a multi-organization key (``x-organization-id``), the read
endpoints of work orders, assets, locations, parts (with per-location stock), vendors,
users, teams, purchase orders (with items), meters (``expand=last_reading``), work
requests, maintenance plans, categories, asset criticalities, organizations and custom
field definitions; cursor paging; the spec's filters, ``sort`` and ``expand`` values;
writes for work orders (incl. status), assets, parts, vendors, purchase orders (incl. the
status transition table), meter readings, and DELETE on the served collections; the
vendor's error bodies, rate-limit headers and 429.

Not emulated: attachments and thumbnails, comments, procedures, webhooks/subscriptions,
part transfers, vendor contacts, team membership, the manual-meter-reading limit
(10 per 24 h), and the organization-wide 500/min limit (one configurable limit per key).
"""

from __future__ import annotations

from fastapi import FastAPI

from plantlink.sandbox.core import create_app as _create_app
from plantlink.sandbox.maintainx.vendor import MaintainX


def create_app(seed: int, scale: int, *, anchor_ms: int | None = None) -> FastAPI:
    """The MaintainX sandbox for ``(seed, scale)``; ``anchor_ms`` pins "now" of the data."""
    return _create_app(MaintainX, seed, scale, anchor_ms=anchor_ms)


__all__ = ["MaintainX", "create_app"]
