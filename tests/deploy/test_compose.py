"""docker-compose.yml: valid against the Compose Specification and wired like `make run`
(real Kafka in KRaft mode, one PostgreSQL per service, migrations first, health checks)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tandem_dev.manifests.validate import compose_errors, yaml_lint
from tandem_dev.settings_doc import variables

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SERVICES = {"customer": 8001, "sales": 8002, "supplier": 8003, "procurement": 8004}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_is_valid_yaml_and_matches_the_compose_schema() -> None:
    assert yaml_lint(ROOT, [COMPOSE]) == []
    assert compose_errors(COMPOSE) == []


def test_a_broken_compose_file_is_rejected(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    text = COMPOSE.read_text().replace("    restart: unless-stopped\n",
                                       "    restart: unless-stopped\n    restarts: 3\n", 1)
    broken.write_text(text.replace('ports: ["8000:8000"]', "ports: {gateway: 8000}"))
    errors = compose_errors(broken)
    assert any("restarts" in e for e in errors)
    assert any("ports" in e for e in errors)


def test_kafka_runs_in_kraft_mode_without_zookeeper(compose: dict) -> None:
    kafka = compose["services"]["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"]
    assert not any("zookeeper" in name for name in compose["services"])
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert compose["services"]["kafka-topics"]["depends_on"]["kafka"]["condition"] == \
        "service_healthy"


def test_each_service_has_its_own_database_migrations_first_and_health_checks(
        compose: dict) -> None:
    services = compose["services"]
    for name, port in SERVICES.items():
        db = services[f"{name}-db"]
        assert db["environment"]["POSTGRES_DB"] == name and "healthcheck" in db
        migrate, api, worker = (services[f"{name}-{c}"] for c in ("migrate", "api", "worker"))
        assert migrate["command"] == ["migrate"] and api["command"] == ["api"]
        assert worker["command"] == ["worker"]
        assert migrate["depends_on"][f"{name}-db"]["condition"] == "service_healthy"
        url = migrate["environment"][f"{name.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and f"@{name}-db:5432/{name}" in url
        for process in (api, worker):
            assert process["depends_on"][f"{name}-migrate"]["condition"] == \
                "service_completed_successfully"
            assert process["depends_on"]["kafka-topics"]["condition"] == \
                "service_completed_successfully"
            assert process["environment"]["KAFKA_CREATE_TOPICS"] == "false"
            assert process["image"] == migrate["image"] == f"tandem-{name}:local"
        assert f"{port}/health/ready" in " ".join(api["healthcheck"]["test"])
        assert "8081/health/ready" in " ".join(worker["healthcheck"]["test"])
        assert api["ports"] == [f"{port}:{port}"]
    gateway = services["gateway"]
    assert gateway["ports"] == ["8000:8000"]
    assert gateway["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"  # its view cache
    assert {f"{s}-api" for s in SERVICES} == set(gateway["depends_on"])


def test_every_variable_given_to_a_tandem_process_is_a_real_setting(compose: dict) -> None:
    known = variables()
    for name, service in compose["services"].items():
        if "build" not in service:
            continue
        unknown = set(service.get("environment", {})) - known
        assert not unknown, f"{name}: {sorted(unknown)} are not settings"
