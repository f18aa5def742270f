"""Aggregated reads return the same data as each service's own endpoint, called directly.

Each part is compared with a direct call to the owning service (not through the gateway). A
part the service does not serve (yet) must be named missing as not_found, and the direct call
must agree (404); any other gap fails the test.
"""

import time
import uuid

import httpx
import pytest

RECENT = 20  # the gateway's default aggregate_recent_limit


def direct_reads(kind, subject):
    """(part, service, path, params) straight from the agreed interfaces."""
    if kind == "customer_360":
        by = {"customer_id": subject}
        return [
            ("customer", "customer", f"/api/v1/customers/{subject}", {}),
            ("contacts", "customer", "/api/v1/contacts", by),
            ("activities", "customer", "/api/v1/activities", {**by, "limit": RECENT}),
            ("open_tickets", "customer", "/api/v1/tickets", {**by, "open": "true"}),
            ("opportunities", "sales", "/api/v1/opportunities", by),
            ("orders", "sales", "/api/v1/orders", {**by, "limit": RECENT}),
            ("value", "customer", f"/api/v1/customers/{subject}/value", {}),
        ]
    if kind == "supplier_360":
        base, by = f"/api/v1/suppliers/{subject}", {"supplier_id": subject}
        return [
            ("supplier", "supplier", base, {}),
            ("certifications", "supplier", f"{base}/certifications", {}),
            ("offers", "supplier", f"{base}/offers", {}),
            ("scorecard", "supplier", f"{base}/scorecard", {}),
            ("contracts", "procurement", "/api/v1/contracts", by),
            (
                "open_purchase_orders",
                "procurement",
                "/api/v1/purchase-orders",
                {**by, "open": "true"},
            ),
        ]
    if kind == "order_trace":
        return [("order", "sales", f"/api/v1/orders/{subject}", {})]
    return [
        ("pipeline", "sales", "/api/v1/forecast", {}),
        ("orders_today", "sales", "/api/v1/orders/summary", {}),
        ("tickets", "customer", "/api/v1/tickets/summary", {}),
        ("requisitions", "procurement", "/api/v1/requisitions/summary", {}),
        ("purchase_orders", "procurement", "/api/v1/purchase-orders/summary", {}),
        ("suppliers", "supplier", "/api/v1/scorecards/summary", {}),
    ]


@pytest.fixture(scope="module")
def subjects(gateway, token, order_and_supplier):
    auth = token("same-data", ("admin",))
    created = gateway.post(
        "/api/v1/customers",
        headers=auth,
        json={
            "name": "Same Data Ltd",
            "email": f"ap-{uuid.uuid4().hex[:6]}@same.example",
            "credit_limit": {"amount": "700.00", "currency": "EUR"},
            "industry": "retail",
        },
    )
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]
    supplier_id, order_id = order_and_supplier(auth, customer_id)
    return auth, {
        "customer_360": (f"/api/v1/customers/{customer_id}/360", customer_id),
        "supplier_360": (f"/api/v1/suppliers/{supplier_id}/360", supplier_id),
        "order_trace": (f"/api/v1/orders/{order_id}/trace", order_id),
        "dashboard": ("/api/v1/dashboard", None),
    }


def _compare(system, auth, view, kind, subject):
    """None when the view and the direct reads agree, else what differs."""
    reads = direct_reads(kind, subject)
    direct = {}
    with httpx.Client(timeout=10, headers=auth) as client:
        for part, service, path, params in reads:
            direct[part] = client.get(f"{system.service_url(service)}{path}", params=params)
    if view.status_code == 404:
        primary = reads[0][0]
        return None if direct[primary].status_code == 404 else f"404 but {primary} exists"
    if view.status_code != 200:
        return f"view answered {view.status_code}: {view.text}"
    body = view.json()
    missing = {m["part"]: m for m in body["missing"]}
    for part, _service, _path, _params in reads:
        answer = direct[part]
        if part in missing:
            if missing[part]["reason"] != "not_found" or answer.status_code != 404:
                return f"{part} missing ({missing[part]}) but direct said {answer.status_code}"
        elif answer.status_code != 200 or body[part] != answer.json():
            return f"{part} differs: {body[part]!r} vs {answer.status_code} {answer.text[:300]}"
    return None


@pytest.mark.parametrize("kind", ["customer_360", "supplier_360", "order_trace", "dashboard"])
def test_aggregated_reads_return_what_the_services_return(kind, system, gateway, subjects):
    auth, views = subjects
    path, subject = views[kind]
    # Worker-driven reads (values, summaries) may move between two calls: agree within a bound.
    deadline = time.monotonic() + 20
    while True:
        problem = _compare(system, auth, gateway.get(path, headers=auth), kind, subject)
        if problem is None:
            break
        assert time.monotonic() < deadline, problem
        time.sleep(0.3)


def test_the_customer_part_is_the_customer_as_created(gateway, subjects):
    auth, views = subjects
    path, customer_id = views["customer_360"]
    body = gateway.get(path, headers=auth).json()
    assert body["customer"]["id"] == customer_id
    assert body["customer"]["name"] == "Same Data Ltd"
    assert body["customer"]["credit_limit"] == {"amount": "700.00", "currency": "EUR"}
