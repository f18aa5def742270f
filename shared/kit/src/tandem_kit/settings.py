"""Settings shared by every service; each service subclasses ServiceSettings with its prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "tandem-development-secret-change-me-0123456789"


class KafkaSettings(BaseSettings):
    """How to reach the broker (env prefix ``KAFKA_``); tuned per broker kind."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    client_id_prefix: str = "tandem"
    # The embedded broker holds each fetch for the full wait even when data is there.
    fetch_max_wait_ms: int = Field(default=10, ge=1, le=10_000)
    # A consumer whose polls find nothing doubles its fetch wait up to this, and is back at
    # fetch_max_wait_ms with the first record: idle consumers stop asking 100 times a second.
    # The first event after a quiet spell waits at most this long. <= fetch_max_wait_ms: off.
    fetch_idle_max_wait_ms: int = Field(default=100, ge=1, le=10_000)
    # A group join takes about half the session timeout on the embedded broker.
    session_timeout_ms: int = Field(default=6000, ge=1000)
    heartbeat_interval_ms: int = Field(default=1000, ge=100)
    # The embedded broker refuses InitProducerId; switch on against real Kafka.
    enable_idempotence: bool = False
    request_timeout_ms: int = Field(default=15_000, ge=1000)
    create_topics: bool = Field(default=True, description="create registry topics at start")
    replication_factor: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL") and not (
            self.sasl_mechanism and self.sasl_username and self.sasl_password
        ):
            raise ValueError(
                "SASL needs KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self

    def with_fetch_wait(self, fetch_wait_ms: int | None) -> KafkaSettings:
        """These settings for a reader that may trail its events by ``fetch_wait_ms`` (None:
        unchanged): it asks the broker less often; its idle wait grows from there."""
        if fetch_wait_ms is None:
            return self
        idle = max(fetch_wait_ms, self.fetch_idle_max_wait_ms)
        return self.model_copy(
            update={"fetch_max_wait_ms": fetch_wait_ms, "fetch_idle_max_wait_ms": idle}
        )


class AuthSettings(BaseSettings):
    """Bearer JWT validation (env prefix ``TANDEM_AUTH_``)."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_AUTH_", extra="ignore")

    development: bool = Field(default=False, description="HS256 secret and POST /auth/token")
    secret: SecretStr = SecretStr(DEV_SECRET)
    algorithms: list[str] = ["HS256"]
    jwks_url: str | None = None
    issuer: str = "tandem"
    audience: str = "tandem-api"
    token_ttl_seconds: int = Field(default=3600, ge=60)
    token_cache_size: int = Field(
        default=10_000, ge=0, description="verified tokens remembered until they expire; 0=off"
    )
    jwks_cache_s: float = Field(
        default=300.0, gt=0, description="how long keys fetched from the JWKS URL are trusted"
    )
    jwks_min_refresh_s: float = Field(
        default=10.0, ge=0, description="fetch the JWKS at most this often (unknown key ids)"
    )
    jwks_max_stale_s: float = Field(
        default=3600.0,
        gt=0,
        description="while the JWKS URL cannot be reached, known keys stay trusted this long",
    )

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> AuthSettings:
        if not self.development:
            if self.jwks_url is None and self.secret.get_secret_value() == DEV_SECRET:
                raise ValueError(
                    "outside development set TANDEM_AUTH_JWKS_URL or a real "
                    "TANDEM_AUTH_SECRET (the development secret is refused)"
                )
        if any(a.startswith("HS") for a in self.algorithms):
            if len(self.secret.get_secret_value()) < 32:
                raise ValueError("TANDEM_AUTH_SECRET must be at least 32 characters")
        return self


class ServiceSettings(BaseSettings):
    """One service's settings; subclasses set ``env_prefix`` (``CUSTOMER_``, ``SALES_``...)."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    worker_port: int = Field(default=0, ge=0, le=65535, description="worker health/metrics; 0=off")
    data_dir: Path = Path(".data")
    database_url: str | None = Field(default=None, description="default: SQLite in data_dir")
    database_pool_size: int = Field(default=10, ge=1)
    database_inline_reads: bool = Field(
        default=True,
        description="SQLite: run read-only queries on the event loop's thread (no thread hops)",
    )
    log_level: str = "INFO"
    log_json: bool = True
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_poll_interval_ms: int = Field(default=20, ge=1, le=60_000)
    outbox_max_backoff_ms: int = Field(default=5_000, ge=10)
    outbox_retention_hours: float = Field(
        default=24.0, gt=0, description="published rows are deleted after this"
    )
    consumer_max_attempts: int = Field(default=3, ge=1, le=100)
    consumer_retry_backoff_ms: int = Field(default=100, ge=0)
    consumer_batch_size: int = Field(
        default=20, ge=1, le=1000,
        description="events of one fetch handled in one transaction (1 = one each)",
    )
    page_size_max: int = Field(default=200, ge=1, le=1000)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{self.service_name}.db').resolve()}"
