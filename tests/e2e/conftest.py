"""One running system (every service as a real process) shared by all e2e tests."""

import os

import httpx
import pytest

from tandem_dev.system import DevSettings, System
from tandem_kit.embedded import free_port


@pytest.fixture(scope="session")
def system(tmp_path_factory, kafka_bootstrap):
    ports = {
        name: free_port()
        for name in (
            "gateway_port",
            "customer_port",
            "sales_port",
            "supplier_port",
            "procurement_port",
        )
    }
    base = free_port()
    settings = DevSettings(
        data_dir=tmp_path_factory.mktemp("system"),
        worker_port_base=base,
        ready_timeout_s=120,
        **ports,
    )
    # Workers listen on base+1..base+4: make sure those are free too.
    system = System(
        settings=settings,
        kafka_bootstrap=kafka_bootstrap,
        extra_env={"TANDEM_AUTH_DEVELOPMENT": "true"},
        progress=lambda m: print(f"[e2e] {m}", flush=True),
    )
    try:
        system.start()
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="session")
def gateway(system):
    with httpx.Client(base_url=system.gateway_url, timeout=15) as client:
        yield client


@pytest.fixture(scope="session")
def token(gateway):
    def issue(subject="e2e", roles=("admin",)):
        response = gateway.post("/auth/token", json={"subject": subject, "roles": list(roles)})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return issue


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
