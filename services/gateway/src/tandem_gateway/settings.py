"""Gateway settings (env prefix ``GATEWAY_``)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tandem_kit.settings import AuthSettings, KafkaSettings


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    customer_url: str = "http://127.0.0.1:8001"
    sales_url: str = "http://127.0.0.1:8002"
    supplier_url: str = "http://127.0.0.1:8003"
    procurement_url: str = "http://127.0.0.1:8004"
    upstream_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="timeout of one proxied call to a service"
    )
    upstream_concurrency: int = Field(
        default=32, ge=1, le=1000, description="calls in flight to one service; more wait"
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Aggregated reads: each upstream call gets part_timeout_s, the whole answer deadline_s.
    aggregate_part_timeout_s: float = Field(
        default=2.0, gt=0, le=60, description="timeout of one call within an aggregated read"
    )
    aggregate_deadline_s: float = Field(
        default=3.0, gt=0, le=60, description="an aggregated read answers within this, partial"
    )
    aggregate_recent_limit: int = Field(
        default=20, ge=1, le=200, description="recent activities and orders in a customer 360"
    )
    # Circuit breaker per service: after this many failures in a row, pause calls for open_s.
    circuit_failure_threshold: int = Field(
        default=5, ge=1, description="failures in a row that pause calls to a service"
    )
    circuit_open_s: float = Field(
        default=5.0, gt=0, le=300, description="how long calls stay paused before one probe"
    )
    # Token bucket per client (token subject, else client address).
    rate_limit_enabled: bool = Field(default=True, description="429 past the per-client rate")
    rate_limit_per_second: float = Field(
        default=100.0, gt=0, description="requests a second per client (subject or address)"
    )
    rate_limit_burst: int = Field(default=200, ge=1, description="requests a client may burst")
    rate_limit_max_clients: int = Field(
        default=100_000, ge=100, description="most client buckets kept in memory"
    )
    trust_forwarded_for: bool = Field(
        default=False, description="key anonymous clients by X-Forwarded-For (behind a proxy)"
    )
    openapi_cache_s: float = Field(default=30.0, ge=0, description="merged OpenAPI freshness")
    openapi_warm_up: bool = Field(
        default=True, description="build the merged OpenAPI at start, not on the first request"
    )
    openapi_fetch_timeout_s: float = Field(
        default=10.0, gt=0, le=60, description="timeout fetching a service's /openapi.json"
    )
    # Customer 360 answers kept while no event says the customer changed (tandem_gateway.viewcache).
    view_cache_entries: int = Field(
        default=10_000, ge=0, le=1_000_000, description="customer 360 answers kept; 0: no cache"
    )
    view_cache_max_mb: int = Field(
        default=64, ge=1, le=16_384, description="memory the kept customer 360 answers may take"
    )
    view_cache_ttl_s: float = Field(
        default=30.0, gt=0, le=3600, description="the longest a kept customer 360 answer is served"
    )
    view_cache_fetch_wait_ms: int = Field(
        default=50, ge=1, le=5000,
        description="the view cache listener's fetch wait: how late an event may drop a 360",
    )  # fmt: skip
    view_cache_gather_ms: int = Field(
        default=250, ge=0, le=5000,
        description="after reading events, the view cache listener waits this long before its"
        " next read: while events flow, an event may drop a 360 up to about twice this later",
    )  # fmt: skip
    view_cache_grace_s: float = Field(
        default=2.0, gt=0, le=60,
        description="kept answers are served only while the broker answered within this",
    )  # fmt: skip
    log_level: str = "INFO"
    log_json: bool = True
    auth: AuthSettings = Field(default_factory=AuthSettings)
    # The broker the view cache's invalidation listener reads (KAFKA_* as for the services).
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)

    @model_validator(mode="after")
    def _sane_auth(self) -> GatewaySettings:
        # A JWKS publishes public keys: HMAC algorithms would never verify against them.
        if self.auth.jwks_url and any(a.upper().startswith("HS") for a in self.auth.algorithms):
            raise ValueError(
                "with TANDEM_AUTH_JWKS_URL set TANDEM_AUTH_ALGORITHMS to RS256 and/or ES256"
            )
        return self

    @model_validator(mode="after")
    def _gather_within_grace(self) -> GatewaySettings:
        # The listener's pause after a read must leave it heard within the grace, or the cache
        # would turn itself off while events flow.
        if self.view_cache_gather_ms >= self.view_cache_grace_s * 1000 / 2:
            raise ValueError(
                "GATEWAY_VIEW_CACHE_GATHER_MS must be under half of GATEWAY_VIEW_CACHE_GRACE_S"
                f" ({self.view_cache_gather_ms} ms against {self.view_cache_grace_s} s)"
            )
        return self

    def service_urls(self) -> dict[str, str]:
        return {
            "customer": self.customer_url.rstrip("/"),
            "sales": self.sales_url.rstrip("/"),
            "supplier": self.supplier_url.rstrip("/"),
            "procurement": self.procurement_url.rstrip("/"),
        }
