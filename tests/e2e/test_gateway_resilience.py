"""Stop one service's API process: every aggregated read still answers within its deadline,
names the missing parts and the service, and is whole again once the service is back.

Data-driven over the four services and the four reads, so it covers each read as soon as the
services behind it serve their endpoints. Always restarts what it stopped (the system is shared).
"""

import time
import uuid

import pytest

from tandem_gateway.aggregate import Read, parts_of
from tandem_gateway.settings import GatewaySettings
from tandem_gateway.views import customer_parts, dashboard_parts, supplier_parts, trace_parts
from tandem_kit.testing.plugin import wait_until as wait_for

# The gateway runs with its default deadline in the e2e system; allow scheduling slack.
DEADLINE_S = GatewaySettings().aggregate_deadline_s
SLACK_S = 1.5


def flat(reads: list[Read]):
    """Every part the view's reads answer (a bundle answers several)."""
    return [part for read in reads for part in parts_of(read)]


@pytest.fixture(scope="module")
def reads(gateway, token, order_and_supplier):
    auth = token("resilience", ("admin",))
    customer = gateway.post(
        "/api/v1/customers",
        headers=auth,
        json={
            "name": f"Resilient {uuid.uuid4().hex[:6]}",
            "email": f"ap-{uuid.uuid4().hex[:6]}@resilient.example",
            "credit_limit": {"amount": "5000.00", "currency": "EUR"},
        },
    )
    assert customer.status_code == 201, customer.text
    customer_id = customer.json()["id"]
    supplier_id, order_id = order_and_supplier(auth, customer_id)
    return auth, {
        "customer_360": (
            f"/api/v1/customers/{customer_id}/360",
            flat(customer_parts(customer_id, 1)),
        ),
        "supplier_360": (f"/api/v1/suppliers/{supplier_id}/360", flat(supplier_parts(supplier_id))),
        "order_trace": (f"/api/v1/orders/{order_id}/trace", flat(trace_parts(order_id))),
        "dashboard": ("/api/v1/dashboard", flat(dashboard_parts())),
    }


def _shape(response):
    """What must come back after recovery: status, which parts are missing and why."""
    if response.status_code != 200:
        return response.status_code, None
    return 200, sorted((m["part"], m["reason"]) for m in response.json()["missing"])


@pytest.mark.parametrize("service", ["customer", "sales", "supplier", "procurement"])
def test_each_aggregated_read_survives_a_stopped_service_and_recovers(
    service, system, gateway, reads
):
    auth, views = reads
    relevant = {
        v: (p, parts) for v, (p, parts) in views.items() if any(x.service == service for x in parts)
    }
    assert relevant, f"no aggregated read uses {service}"

    def healthy():
        # Cold services may miss a first deadline: the baseline is the system answering whole,
        # where the only gaps are endpoints a service does not serve (yet).
        now = {view: gateway.get(path, headers=auth) for view, (path, _) in relevant.items()}
        gaps = {
            m["reason"] for r in now.values() if r.status_code == 200 for m in r.json()["missing"]
        }
        return now if gaps <= {"not_found"} else None

    baseline = wait_for(healthy)
    for view, response in baseline.items():
        assert response.status_code in (200, 404), (view, response.text)
    if "customer_360" in baseline:  # made above, so it is there and whole where served
        whole = baseline["customer_360"].json()
        assert whole["customer"] is not None, whole["missing"]

    process = f"{service}-api"
    system.processes[process].stop()
    # Composed afresh: a customer 360 kept by the gateway's view cache would still be whole.
    fresh = {**auth, "Cache-Control": "no-cache"}
    try:
        for view, (path, parts) in relevant.items():
            started = time.monotonic()
            response = gateway.get(path, headers=fresh)
            elapsed = time.monotonic() - started
            assert elapsed < DEADLINE_S + SLACK_S, (view, elapsed)
            primary = next((p for p in parts if p.primary), None)
            if baseline[view].status_code == 404 and primary and primary.service != service:
                # The subject is unknown to a service that is still up: still unknown.
                assert response.status_code == 404, (view, response.text)
                continue
            assert response.status_code == 200, (view, response.text)
            body = response.json()
            assert body["complete"] is False
            missing = {m["part"]: m for m in body["missing"]}
            for part in (p for p in parts if p.service == service):
                assert part.name in missing, (view, part.name, body["missing"])
                assert missing[part.name]["service"] == service
                assert missing[part.name]["reason"] == "unavailable"
                assert service in missing[part.name]["detail"]
    finally:
        system.restart(process)

    def recovered():
        now = {view: gateway.get(path, headers=auth) for view, (path, _) in relevant.items()}
        return all(_shape(now[v]) == _shape(baseline[v]) for v in relevant) and now

    after = wait_for(recovered)
    for view, response in after.items():
        if response.status_code == 200:
            # Its parts are back (their data may have moved on: workers keep working).
            before = baseline[view].json()
            for part in (p for p in views[view][1] if p.service == service):
                if before.get(part.name) is not None:
                    assert response.json().get(part.name) is not None, (view, part.name)
