"""One running system (every service as a real process) shared by all e2e tests."""

import os
import socket
import time
import uuid

import httpx
import pytest

from tandem_dev.system import DevSettings, System
from tandem_kit.embedded import free_port


def _free_block(size: int) -> int:
    """A base port whose next ``size`` ports are free (workers listen on base+1..base+4,
    procurement's stream processor on base+5)."""
    for _ in range(50):
        base = free_port()
        if all(_bindable(base + i) for i in range(1, size + 1)):
            return base
    raise RuntimeError("no free block of ports for the workers")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    ports = {
        name: free_port()
        for name in (
            "gateway_port",
            "customer_port",
            "sales_port",
            "supplier_port",
            "procurement_port",
            "broker_port",
        )
    }
    settings = DevSettings(
        data_dir=tmp_path_factory.mktemp("system"),
        worker_port_base=_free_block(5),
        ready_timeout_s=120,
        **ports,
    )
    # Its own broker (unless KAFKA_BOOTSTRAP_SERVERS names one): the services' consumer groups
    # have fixed names, and other tests run workers in the same groups on the shared broker.
    system = System(
        settings=settings,
        kafka_bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS"),
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


def _create(gateway, auth, path, body, timeout=20.0):
    """Make a subject through the gateway; an unknown id where the service does not serve it.

    Retries while the owning service catches up on events (e.g. a customer it has not seen yet).
    """
    deadline = time.monotonic() + timeout
    while True:
        response = gateway.post(path, headers=auth, json=body)
        if response.status_code == 201:
            return response.json()["id"]
        if response.status_code in (404, 405):
            return str(uuid.uuid4())
        assert time.monotonic() < deadline, f"POST {path}: {response.status_code} {response.text}"
        time.sleep(0.3)


def _subjects(gateway, auth, customer_id):
    """A supplier and an order (of a catalog product) for the reads that need them."""
    supplier_id = _create(
        gateway,
        auth,
        "/api/v1/suppliers",
        {
            "name": f"E2E Parts {uuid.uuid4().hex[:8]}",
            "legal_id": f"EP-{uuid.uuid4().hex[:8]}",
            "categories": ["parts"],
        },
    )
    sku = f"E2E-{uuid.uuid4().hex[:8]}"
    _create(
        gateway,
        auth,
        "/api/v1/products",
        {
            "sku": sku,
            "name": f"E2E widget {sku}",
            "unit": "pcs",
            "list_price": {"amount": "3.50", "currency": "EUR"},
        },
    )
    order_id = _create(
        gateway,
        auth,
        "/api/v1/orders",
        {
            "customer_id": customer_id,
            "lines": [
                {
                    "sku": sku,
                    "quantity": "2",
                    "unit_price": {"amount": "3.50", "currency": "EUR"},
                }
            ],
        },
    )
    return supplier_id, order_id


@pytest.fixture(scope="session")
def order_and_supplier(gateway):
    """Make a supplier and an order (of a new catalog product) for a customer: (ids)."""
    return lambda auth, customer_id: _subjects(gateway, auth, customer_id)


def _is_e2e(item) -> bool:
    return "tests/e2e" in str(item.fspath).replace(os.sep, "/")


def pytest_collection_modifyitems(items):
    for item in items:
        if _is_e2e(item):
            item.add_marker(pytest.mark.e2e)
    # Whole-system tests last: the system then runs alone instead of beside every other test.
    items.sort(key=_is_e2e)
