"""The thin slice through everything: gateway -> customer -> Kafka -> sales read model."""

import uuid

import httpx

from tandem_kit.testing.plugin import wait_until as wait_for


def test_a_customer_created_through_the_gateway_reaches_the_sales_read_model(gateway, token):
    auth = token("rep-e2e", ("sales_rep",))
    created = gateway.post(
        "/api/v1/customers",
        headers=auth,
        json={
            "name": "Initech",
            "email": "ap@initech.com",
            "credit_limit": {"amount": "12000.00", "currency": "EUR"},
        },
    )
    assert created.status_code == 201, created.text
    customer = created.json()
    assert created.headers["ETag"] == '"1"'

    fetched = gateway.get(f"/api/v1/customers/{customer['id']}", headers=auth)
    assert fetched.status_code == 200
    assert fetched.json() == customer

    def sales_knows():
        r = gateway.get(f"/api/v1/customer-credit/{customer['id']}", headers=auth)
        return r.json() if r.status_code == 200 else None

    credit = wait_for(sales_knows)
    assert credit["status"] == "prospect"
    assert credit["credit_limit"] == {"amount": "12000.00", "currency": "EUR"}

    blocked = gateway.post(
        f"/api/v1/customers/{customer['id']}/block", headers=auth, json={"reason": "fraud check"}
    )
    assert blocked.status_code == 200
    wait_for(lambda: sales_knows()["status"] == "blocked")


def test_the_gateway_refuses_requests_without_a_valid_token(gateway, system):
    assert gateway.get("/api/v1/customers").status_code == 401
    bad = {"Authorization": "Bearer " + "x" * 40}
    assert gateway.get("/api/v1/customers", headers=bad).status_code == 401
    # the services check too, not only the gateway
    direct = httpx.get(f"{system.service_url('customer')}/api/v1/customers", timeout=5)
    assert direct.status_code == 401


def test_invalid_input_through_the_gateway_gets_422_naming_the_field(gateway, token):
    response = gateway.post(
        "/api/v1/customers",
        headers=token(),
        json={
            "name": "X",
            "email": "x@globex.com",
            "credit_limit": {"amount": "1", "currency": "eu"},
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "credit_limit.currency"


def test_correlation_ids_come_back(gateway, token):
    cid = f"e2e-{uuid.uuid4()}"
    response = gateway.get("/api/v1/customers", headers={**token(), "X-Correlation-ID": cid})
    assert response.status_code == 200
    assert response.headers["X-Correlation-ID"] == cid


def test_unknown_resources_are_404_and_every_process_is_healthy(gateway, token, system):
    assert gateway.get("/api/v1/nothing-here", headers=token()).status_code == 404
    for name, process in system.processes.items():
        assert httpx.get(process.ready_url, timeout=5).status_code == 200, name
