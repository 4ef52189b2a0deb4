"""Per-connection settings (``settings`` on a connection), validated with their bounds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from plantlink.connectors.http import RateLimit


class RateLimitSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    requests: int = Field(ge=1, le=1_000_000)
    per_seconds: float = Field(gt=0, le=86_400)


class ConnectionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: How far back transactional models (work orders, purchase orders, service requests,
    #: meter readings) are read on the initial sync: records changed in the last N days.
    history_days: int = Field(default=90, ge=1, le=3650)
    sync_interval_minutes: int = Field(default=15, ge=1, le=10_080)
    #: How often a complete listing checks for records the source deleted silently.
    reconcile_interval_hours: float = Field(default=24, gt=0, le=8_760)
    #: Override the connector's default source rate limit (e.g. a customer's own quota).
    rate_limit: RateLimitSetting | None = None
    #: Override the connector's write limit (writes per window through the API).
    write_rate_limit: RateLimitSetting | None = None
    #: Source fields a connector fills in on writes when the unified body cannot say them
    #: (e.g. SAP ``CompanyCode``, ``PurchasingOrganization``, ``PurchasingGroup``).
    write_defaults: dict[str, str] = Field(default_factory=dict)
    request_timeout_seconds: float = Field(default=30, gt=0, le=300)
    max_attempts: int = Field(default=6, ge=1, le=20)

    def source_rate_limit(self, default: RateLimit | None) -> RateLimit | None:
        """The limit every call to this connection's source counts against: syncs, the
        credential check, writes and passthrough share one window."""
        return _limit(self.rate_limit, default)

    def write_limit(self, default: RateLimit | None) -> RateLimit | None:
        """Writes through the API per window (the connector's default unless overridden)."""
        return _limit(self.write_rate_limit, default)


def _limit(setting: RateLimitSetting | None, default: RateLimit | None) -> RateLimit | None:
    return default if setting is None else RateLimit(setting.requests, setting.per_seconds)
