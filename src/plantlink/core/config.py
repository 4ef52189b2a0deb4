"""Process-wide settings, read from the environment (``PLANTLINK_*``).

Embedded mode (the default) keeps everything in one process on a SQLite file; pointing
``PLANTLINK_DATABASE_URL`` at PostgreSQL switches to scale-out mode, where API servers do
no background work and ``plantlink worker`` processes run syncs and deliveries.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLANTLINK_", extra="ignore")

    database_url: str = ""
    secret_key: str = ""
    data_dir: Path = Field(default_factory=lambda: Path.cwd())
    #: Public URL of this API, used in hosted-link URLs and webhook payloads.
    public_url: str = ""
    #: Requests per minute per connection token on the data API.
    api_rate_limit_per_minute: int = 1200
    #: Storage for rate limits (a ``limits`` storage URI such as ``redis://host:6379``);
    #: empty = in-process memory. Scale-out mode refuses an empty value: limits must hold
    #: across processes (``memory://`` opts in to per-process limits explicitly).
    rate_limit_storage: str = ""
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 1_000_000
    #: Run the in-process scheduler and workers (embedded mode); None = decide from URL.
    embedded: bool | None = None
    #: Webhook retry delay after the first failed attempt (doubles after each further one).
    webhook_retry_base_seconds: float = Field(default=30.0, gt=0)
    #: Scale-out: a sync job stops after the page that crosses this many seconds and
    #: re-queues the rest behind other work, so one huge sync cannot hold a worker.
    sync_budget_seconds: float = Field(default=20.0, gt=0)
    #: Scale-out: how often workers look for due syncs, stalled jobs and due deliveries
    #: (seconds; a cron step, so divisors of 60 tick evenly).
    worker_tick_seconds: int = Field(default=5, ge=1, le=30)
    #: Scale-out: a worker's heartbeat interval, and the silence after which it counts as
    #: dead and its jobs are retried elsewhere.
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
    worker_stalled_seconds: float = Field(default=30.0, gt=0)
    #: How long a hosted connect link (``POST /v1/admin/link-sessions``) can be opened.
    link_session_ttl_seconds: int = Field(default=1800, gt=0)
    #: How long the one-time code a completed link session hands out can be exchanged.
    link_code_ttl_seconds: int = Field(default=600, gt=0)
    #: How long an ``Idempotency-Key`` and its stored response are kept (at least 24 h).
    idempotency_ttl_hours: float = Field(default=24.0, ge=24.0)
    #: How long a request waits for a concurrent twin with the same key to finish.
    idempotency_wait_seconds: float = Field(default=30.0, gt=0)
    log_level: str = "INFO"
    log_json: bool = False

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'plantlink.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def run_embedded_workers(self) -> bool:
        return self.is_sqlite if self.embedded is None else self.embedded

    def require_shared_rate_limits(self) -> None:
        """Scale-out processes must share rate limits; refuse a silent per-process default."""
        if not self.run_embedded_workers and not self.rate_limit_storage:
            raise RuntimeError(
                "scale-out mode needs a shared rate-limit storage: set "
                "PLANTLINK_RATE_LIMIT_STORAGE (e.g. redis://127.0.0.1:6379), or "
                "memory:// to accept limits counted per process"
            )

    def resolved_secret_key(self) -> str:
        """The credential-encryption key; generated once and kept in the data dir if unset."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / ".plantlink-secret-key"
        if path.exists():
            return path.read_text().strip()
        if not self.is_sqlite:
            raise RuntimeError("PLANTLINK_SECRET_KEY must be set when using PostgreSQL")
        key = secrets.token_urlsafe(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


def normalize_database_url(url: str) -> str:
    """Accept the usual spellings and pick the drivers we ship (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
