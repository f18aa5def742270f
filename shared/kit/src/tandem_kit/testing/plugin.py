"""Pytest fixtures: the broker and PostgreSQL chosen as DESIGN.md says, fresh databases per test.

Broker: ``KAFKA_BOOTSTRAP_SERVERS`` if set; a testcontainers Kafka where a Docker engine answers;
otherwise the embedded broker. PostgreSQL: ``TANDEM_TEST_POSTGRES_URL`` if set; testcontainers
where Docker answers; otherwise the local server on 127.0.0.1:5432 when it answers.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tandem_kit.embedded import EmbeddedBroker
from tandem_kit.settings import KafkaSettings

LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def docker_answers() -> bool:
    """True when a Docker engine responds (testcontainers can run)."""
    if os.environ.get("TANDEM_TEST_NO_DOCKER"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=2)
        client.ping()
        client.close()
        return True
    except Exception:
        return False


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of the broker the whole test session shares."""
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield servers
        return
    if docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_file=log) as broker:
        yield broker.bootstrap_servers


@pytest.fixture
def kafka_settings(kafka_bootstrap: str) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=kafka_bootstrap, create_topics=True)


@pytest.fixture
def embedded_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A private embedded broker that a test may stop, kill and start again."""
    broker = EmbeddedBroker(log_file=tmp_path / "tansu.log")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str | None]:
    """A URL to a PostgreSQL server where tests may create databases, or None."""
    if url := os.environ.get("TANDEM_TEST_POSTGRES_URL"):
        yield url
        return
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver="asyncpg") as pg:
            yield pg.get_connection_url()
        return
    yield LOCAL_POSTGRES if _port_open("127.0.0.1", 5432) else None


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_postgres_database(admin_url: str) -> AsyncIterator[str]:
    """Create an empty database on the server behind ``admin_url``; drop it afterwards."""
    name = f"tandem_test_{uuid.uuid4().hex[:12]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _need_postgres(admin_url: str | None) -> str:
    if admin_url is None:
        pytest.skip("no PostgreSQL reachable: set TANDEM_TEST_POSTGRES_URL or run one locally")
    return admin_url


@pytest.fixture
async def postgres_url(postgres_admin_url: str | None) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    async with fresh_postgres_database(_need_postgres(postgres_admin_url)) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each test that asks for it runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    admin = _need_postgres(request.getfixturevalue("postgres_admin_url"))
    async with fresh_postgres_database(admin) as url:
        yield url


def unique(prefix: str) -> str:
    """A name no other test uses (consumer groups, subjects)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def eventually(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Await ``predicate()`` (sync or async) until it returns a truthy value or time runs out."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def wait_until(probe, timeout: float = 30.0, interval: float = 0.1):
    """Call ``probe()`` until it returns a truthy value (returned) or ``timeout`` passes: the
    blocking twin of ``eventually``, for tests that drive a running system over HTTP."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s")
        time.sleep(interval)


def pytest_configure(config: pytest.Config) -> None:
    # Tests sign their own tokens with the development secret.
    os.environ.setdefault("TANDEM_AUTH_DEVELOPMENT", "true")


def bearer(subject: str = "tester", roles: tuple[str, ...] = ("admin",)) -> dict[str, str]:
    """Authorization header with a development token (the test settings' secret)."""
    from tandem_kit.auth import TokenVerifier
    from tandem_kit.settings import AuthSettings

    token = TokenVerifier(AuthSettings(development=True)).issue(subject, list(roles))
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def service_client(app):
    """An httpx client over an ASGI app, with the app's lifespan running."""
    import httpx

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
