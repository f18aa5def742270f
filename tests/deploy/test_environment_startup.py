"""A service starts from environment variables alone, as in a container: PostgreSQL from
``<SVC>_DATABASE_URL``, a SASL_SSL broker from ``KAFKA_*``, production token settings."""

from __future__ import annotations

import importlib
import os
import ssl

import certifi
import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import inspect

from tandem_kit.db import create_engine
from tandem_kit.embedded import free_port
from tandem_kit.health import BrokerProbe
from tandem_kit.kafka import client_options
from tandem_kit.migrations import upgrade
from tandem_kit.settings import KafkaSettings

pytestmark = pytest.mark.postgres
SERVICES = ("customer", "sales", "supplier", "procurement")
PREFIXES = ("KAFKA_", "TANDEM_AUTH_", "CUSTOMER_", "SALES_", "SUPPLIER_", "PROCUREMENT_",
            "GATEWAY_")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Nothing from the test run's own environment leaks into the settings."""
    for name in list(os.environ):
        if name.startswith(PREFIXES):
            monkeypatch.delenv(name)
    return monkeypatch


def production_env(service: str, database_url: str, broker_port: int) -> dict[str, str]:
    prefix = service.upper()
    return {
        f"{prefix}_DATABASE_URL": database_url,
        f"{prefix}_HOST": "0.0.0.0",
        f"{prefix}_WORKER_PORT": "8081",
        f"{prefix}_LOG_LEVEL": "WARNING",
        # A SASL_SSL listener where nothing answers: readiness must say so, not crash.
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{broker_port}",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": f"tandem-{service}",
        "KAFKA_SASL_PASSWORD": "scram-password-from-a-secret",
        "KAFKA_SSL_CAFILE": certifi.where(),
        "KAFKA_ENABLE_IDEMPOTENCE": "true",
        "KAFKA_CREATE_TOPICS": "false",
        "KAFKA_SESSION_TIMEOUT_MS": "45000",
        "TANDEM_AUTH_DEVELOPMENT": "false",
        "TANDEM_AUTH_SECRET": "a-production-signing-secret-of-forty-chars",
    }


@pytest.mark.parametrize("service", SERVICES)
async def test_service_starts_on_postgresql_and_a_sasl_broker_from_environment_alone(
        service: str, postgres_url: str, clean_env: pytest.MonkeyPatch) -> None:
    for name, value in production_env(service, postgres_url, free_port()).items():
        clean_env.setenv(name, value)
    definition = importlib.import_module(f"tandem_{service}.cli").DEFINITION
    settings = definition.settings()

    assert settings.resolved_database_url() == postgres_url
    assert settings.host == "0.0.0.0" and settings.worker_port == 8081
    assert settings.kafka.enable_idempotence and not settings.kafka.create_topics
    assert not settings.auth.development
    options = client_options(settings.kafka, "probe")
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == f"tandem-{service}"
    assert options["sasl_plain_password"] == "scram-password-from-a-secret"
    assert isinstance(options["ssl_context"], ssl.SSLContext)

    await upgrade(settings.resolved_database_url(), definition.migrations)
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"alembic_version", "tandem_outbox"} <= tables
    finally:
        await engine.dispose()

    app = definition.build_app(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://service") as client:
            assert (await client.get("/health/live")).status_code == 200
            ready = await client.get("/health/ready")
            # The HTTP process stays ready without a broker (the outbox holds the events).
            assert ready.status_code == 200
            assert ready.json()["status"] == "degraded"
            checks = ready.json()["checks"]
            assert checks["database"] == "ok"
            assert checks["broker"] != "ok"
    finally:
        await app.state.engine.dispose()

    worker = definition.build_worker(settings)
    probe = BrokerProbe(settings.kafka, timeout=1.0)
    try:
        checks = await worker.ready_checks(probe)
        assert checks["database"] is None and checks["broker"] is not None
    finally:
        await probe.close()
        await worker.engine.dispose()


async def test_gateway_starts_from_environment_alone(clean_env: pytest.MonkeyPatch) -> None:
    from tandem_gateway.main import create_app
    from tandem_gateway.settings import GatewaySettings

    clean_env.setenv("GATEWAY_HOST", "0.0.0.0")
    clean_env.setenv("GATEWAY_CUSTOMER_URL", "http://tandem-customer:8001")
    clean_env.setenv("TANDEM_AUTH_DEVELOPMENT", "false")
    clean_env.setenv("TANDEM_AUTH_SECRET", "a-production-signing-secret-of-forty-chars")
    settings = GatewaySettings()
    assert settings.service_urls()["customer"] == "http://tandem-customer:8001"
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gateway") as client:
        assert (await client.get("/health/live")).status_code == 200


def test_sasl_without_credentials_or_a_default_token_secret_is_refused(
        clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    clean_env.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    with pytest.raises(ValidationError, match="KAFKA_SASL_PASSWORD"):
        KafkaSettings()
    from tandem_customer.settings import CustomerSettings

    clean_env.delenv("KAFKA_SECURITY_PROTOCOL")
    clean_env.setenv("TANDEM_AUTH_DEVELOPMENT", "false")
    with pytest.raises(ValidationError, match="TANDEM_AUTH_SECRET"):
        CustomerSettings()


async def test_procurement_streams_role_runs_the_demand_join_alone(
        postgres_url: str, clean_env: pytest.MonkeyPatch) -> None:
    for name, value in production_env("procurement", postgres_url, free_port()).items():
        clean_env.setenv(name, value)
    definition = importlib.import_module("tandem_procurement.cli").DEFINITION
    settings = definition.settings()
    streams = definition.build_worker(settings, "streams")
    assert streams.engine is None and streams.consumers == [] and len(streams.tasks) == 1
    probe = BrokerProbe(settings.kafka, timeout=1.0)
    try:
        assert set(await streams.ready_checks(probe)) == {"broker"}  # no database to check
    finally:
        await probe.close()
    worker = definition.build_worker(settings)
    alone = definition.build_worker(
        settings.model_copy(update={"demand_join_enabled": False})
    )
    try:
        assert len(worker.tasks) == len(alone.tasks) + 1  # the join, in the worker by default
        assert [c.group_id for c in worker.consumers] == [c.group_id for c in alone.consumers]
    finally:
        await worker.engine.dispose()
        await alone.engine.dispose()
