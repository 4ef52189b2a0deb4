"""The schema, as SQLAlchemy Core tables (the Alembic migrations create exactly these).

All instants are BIGINT microseconds since the epoch (UTC): exact, index-friendly and
identical on SQLite and PostgreSQL.

``records`` holds every model of every connection. Each row carries the rendered unified
JSON (``doc``) so a list page is a concatenation of stored documents, plus the columns
filters need, each behind a ``(connection_id, model, …)`` index so that a filter over a
million records of one connection is an index range scan.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(36)

organizations = Table(
    "organizations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("redirect_urls", Text, nullable=False, server_default="[]"),
    Column("created_at", BigInteger, nullable=False),
)

admin_keys = Table(
    "admin_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organization_id", ID, ForeignKey("organizations.id"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
)

connections = Table(
    "connections",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organization_id", ID, ForeignKey("organizations.id"), nullable=False, index=True),
    Column("system", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("credentials", Text, nullable=False),
    Column("settings", Text, nullable=False, server_default="{}"),
    Column("status", String(20), nullable=False),
    Column("status_reason", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    #: Last ``modified_at`` stamp handed out; stamps are taken under this row's lock, so
    #: they strictly increase in commit order per connection (see store.records).
    Column("last_stamp", BigInteger, nullable=False, server_default="0"),
    Column("last_successful_sync_at", BigInteger),
    Column("next_sync_at", BigInteger),
    #: Consecutive failed runs while the source is down; drives the growing retry interval.
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    #: Pending sync request (JSON ``{"models": [...] | null, "full": bool, "trigger"}``),
    #: merged when several arrive before a worker takes it.
    Column("sync_request", Text),
    #: Sync lease: the worker holding it is the only one syncing this connection; it is
    #: extended with every write transaction of the sync and simply expires if the worker dies.
    Column("lease_owner", String(80)),
    Column("lease_until", BigInteger),
    Index("ix_connections_due", "next_sync_at"),
)

connection_tokens = Table(
    "connection_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("connection_id", ID, ForeignKey("connections.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
)

records = Table(
    "records",
    metadata,
    Column("id", ID, primary_key=True),
    Column("connection_id", ID, nullable=False),
    Column("model", String(32), nullable=False),
    #: (connection_id, model, remote_id) is unique through ``id`` (``records.record_id``
    #: of the three), which is also how a record is found by remote id.
    Column("remote_id", String(255), nullable=False),
    #: ``records.scope_of(connection_id, model)``: a 64-bit hash of the two, the first key
    #: of every secondary index. Eight bytes instead of ~47 of text in each entry made an
    #: initial sync on SQLite ~12 % faster (migration 0009, bench/RESULTS.md). Queries
    #: filter on it and on the two columns, so even a colliding hash reads nothing else.
    Column("scope", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("modified_at", BigInteger, nullable=False),
    Column("remote_created_at", BigInteger),
    Column("remote_modified_at", BigInteger),
    Column("remote_deleted", Boolean, nullable=False, server_default=text("false")),
    Column("status", String(40)),
    Column("asset_id", ID),
    Column("location_id", ID),
    Column("site_id", ID),
    Column("vendor_id", ID),
    Column("part_id", ID),
    Column("date_a", BigInteger),
    Column("date_b", BigInteger),
    #: Hash of everything a client can see (doc content and raw record); unchanged hash
    #: means the upsert leaves ``modified_at`` alone.
    Column("content_hash", String(32), nullable=False),
    #: The document and the raw record: about 1.2 kB each. On PostgreSQL they are
    #: TOAST-compressed with lz4 rather than pglz (migration 0008).
    Column("doc", Text, nullable=False),
    Column("remote_data", Text),
    Index("ix_records_modified", "scope", "modified_at", "id"),
    Index("ix_records_created", "scope", "created_at"),
    Index("ix_records_remote_modified", "scope", "remote_modified_at"),
    Index("ix_records_status", "scope", "status"),
    *(
        Index(
            f"ix_records_{col}",
            "scope",
            col,
            sqlite_where=text(f"{col} IS NOT NULL"),
            postgresql_where=text(f"{col} IS NOT NULL"),
        )
        for col in (
            "asset_id",
            "location_id",
            "site_id",
            "vendor_id",
            "part_id",
            "date_a",
            "date_b",
        )
    ),
)

#: Multi-valued references (a work order's parts, a part's vendors) for id filters.
record_refs = Table(
    "record_refs",
    metadata,
    Column("connection_id", ID, nullable=False),
    Column("model", String(32), nullable=False),
    Column("name", String(32), nullable=False),
    Column("target_id", ID, nullable=False),
    Column("record_id", ID, nullable=False),
    Index("ix_record_refs_lookup", "connection_id", "model", "name", "target_id"),
    Index("ix_record_refs_record", "record_id"),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("connection_id", ID, ForeignKey("connections.id"), primary_key=True),
    Column("model", String(32), primary_key=True),
    Column("status", String(20), nullable=False),
    #: True until the first complete sync of the model has finished.
    Column("is_initial_sync", Boolean, nullable=False, server_default=text("true")),
    #: Source-side high-water mark (source clock, µs), only ever over durably stored data.
    Column("cursor", BigInteger),
    #: JSON: where an interrupted run stands (its plan and the page token to resume from).
    Column("checkpoint", Text),
    Column("last_successful_sync_at", BigInteger),
    Column("last_sync_started_at", BigInteger),
    Column("last_sync_finished_at", BigInteger),
    Column("last_reconciled_at", BigInteger),
    Column("records", BigInteger, nullable=False, server_default="0"),
    Column("error_code", String(40)),
    Column("error_message", Text),
)

#: Remote ids seen by an in-progress complete listing (memory-flat deletion detection,
#: committed page by page with the records so it survives a crash).
sync_seen = Table(
    "sync_seen",
    metadata,
    Column("connection_id", ID, primary_key=True),
    Column("model", String(32), primary_key=True),
    Column("remote_id", String(255), primary_key=True),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("connection_id", ID, ForeignKey("connections.id"), nullable=False),
    Column("trigger", String(20), nullable=False),
    Column("models", Text, nullable=False),
    Column("full", Boolean, nullable=False, server_default=text("false")),
    Column("status", String(20), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Column("records_changed", Integer, nullable=False, server_default="0"),
    Column("requests", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    Index("ix_sync_runs_connection", "connection_id", "started_at"),
)

#: Webhook endpoints of an organization. The signing secret is encrypted like source
#: credentials; ``disabled_at`` marks a deleted endpoint, kept so its delivery log stays.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organization_id", ID, ForeignKey("organizations.id"), nullable=False, index=True),
    Column("url", Text, nullable=False),
    #: JSON list of subscribed event types.
    Column("events", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("disabled_at", BigInteger),
)

#: One event for one endpoint. ``event_id`` is the ``webhook-id`` header (shared by the
#: endpoints an event went to and by replays); ``payload`` is the exact body signed.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("endpoint_id", ID, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("event_id", ID, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    #: ``pending`` | ``succeeded`` | ``failed``.
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    #: When a worker may (re)try it; pushed forward by a claim, so it doubles as the lease.
    Column("next_attempt_at", BigInteger),
    #: Token of the worker holding the claim; its result is only recorded while it matches.
    Column("claimed_by", ID),
    Column("first_attempted_at", BigInteger),
    Column("last_attempted_at", BigInteger),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    #: The delivery this one replays, if any.
    Column("replay_of", ID),
    Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at", "id"),
)

#: Every HTTP attempt of a delivery: the log shown to integrators.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("delivery_id", ID, ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("attempted_at", BigInteger, nullable=False),
    Column("status_code", Integer),
    Column("duration_ms", Integer, nullable=False),
    #: Why the attempt failed (transport error or non-2xx), at most 1 KB.
    Column("error", Text),
    #: The start of the receiver's response body, at most 1 KB.
    Column("response", Text),
    Index("ix_webhook_attempts_delivery", "delivery_id", "attempted_at"),
)

#: Hosted connect page sessions (``POST /v1/admin/link-sessions``). The URL carries a
#: random token; only its hash is stored. ``claimed_until`` keeps a second submission
#: (a double click) from creating a second connection while the first is being checked.
link_sessions = Table(
    "link_sessions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organization_id", ID, ForeignKey("organizations.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("redirect_url", Text, nullable=False),
    #: Integrator-supplied value echoed on the redirect (like OAuth's ``state``).
    Column("state", Text),
    Column("end_user_name", String(200)),
    #: JSON list of system ids the customer may pick from; NULL = every system.
    Column("systems", Text),
    #: Set for a reconnect: the connection the customer re-enters credentials for.
    Column("connection_id", ID, ForeignKey("connections.id")),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("claimed_until", BigInteger),
    Column("completed_at", BigInteger),
)

#: One-time codes a completed link session redirects with; exchanged (once, while fresh)
#: by the integrator for the connection and a new token. Only the code's hash is stored.
link_codes = Table(
    "link_codes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("organization_id", ID, ForeignKey("organizations.id"), nullable=False),
    Column("link_session_id", ID, ForeignKey("link_sessions.id"), nullable=False, index=True),
    Column("connection_id", ID, ForeignKey("connections.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
)

#: ``Idempotency-Key`` of write requests (PRODUCT.md, Writes). The first request claims
#: the key by inserting the row (``pending``); a concurrent twin fails the unique insert
#: and waits for the stored response instead of writing. ``request_hash`` tells a retry
#: (same request) from a reuse (different request → 409).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("connection_id", ID, primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    #: ``pending`` | ``done``.
    Column("state", String(10), nullable=False),
    Column("status_code", Integer),
    #: The response body replayed to every later request with the same key.
    Column("response", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)
