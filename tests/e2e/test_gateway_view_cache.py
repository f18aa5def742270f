"""The gateway keeps a customer 360 until something names the customer: a write through the
gateway (at once), a change made anywhere else, and the value the customer worker derives
from orders (both through their events)."""

import uuid
from decimal import Decimal

import httpx

from tandem_kit.testing.plugin import wait_until as wait_for


def test_a_kept_360_follows_writes_here_changes_elsewhere_and_derived_value(
    system, gateway, token
):
    admin = token("view-cache", ("admin",))
    sku = f"E2E-VC-{uuid.uuid4().hex[:8]}"
    product = gateway.post(
        "/api/v1/products",
        headers=admin,
        json={"sku": sku, "name": "Crate", "unit": "pcs",
              "list_price": {"amount": "25.00", "currency": "EUR"}},
    )  # fmt: skip
    assert product.status_code == 201, product.text
    created = gateway.post(
        "/api/v1/customers?allow_duplicates=true",
        headers=admin,
        json={"name": f"Kept {uuid.uuid4().hex[:6]}", "email": f"k{uuid.uuid4().hex[:6]}@x.example",
              "credit_limit": {"amount": "1000.00", "currency": "EUR"}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    path = f"/api/v1/customers/{cid}/360"

    def read():
        answer = gateway.get(path, headers=admin)
        assert answer.status_code == 200, answer.text
        return answer

    read()
    wait_for(lambda: read().headers["x-cache"] == "hit")  # kept (the listener follows events)

    # Written through the gateway: the writer's next read shows it, without waiting.
    ticket = gateway.post(
        "/api/v1/tickets", headers=admin, json={"customer_id": cid, "subject": "Lid missing"}
    )
    assert ticket.status_code == 201, ticket.text
    after = read()
    assert after.headers["x-cache"] == "miss"
    assert ticket.json()["id"] in [t["id"] for t in after.json()["open_tickets"]["items"]]
    # The ticket's own event may still arrive and drop the view once more; then it is kept again.
    wait_for(lambda: read().headers["x-cache"] == "hit")

    # Written straight to the customer service (another gateway, an integration): its event.
    contact = httpx.post(
        f"{system.service_url('customer')}/api/v1/contacts",
        headers=admin,
        json={"customer_id": cid, "name": "Dana Direct", "email": "dana@x.example"},
        timeout=10,
    )
    assert contact.status_code == 201, contact.text
    wait_for(lambda: contact.json()["id"] in [c["id"] for c in read().json()["contacts"]["items"]])

    # Derived by the customer worker from a confirmed order: the customer's value event.
    gateway.post(f"/api/v1/customers/{cid}/activate", headers=admin)
    wait_for(
        lambda: (r := gateway.get(f"/api/v1/customer-credit/{cid}", headers=admin)).status_code
        == 200 and r.json()["status"] == "active"
    )
    order = gateway.post(
        "/api/v1/orders", headers=admin,
        json={"customer_id": cid, "lines": [{"sku": sku, "quantity": "2"}]},
    )  # fmt: skip
    assert order.status_code == 201, order.text
    read()  # kept between the confirmation and the worker's value (both below)
    confirmed = gateway.post(f"/api/v1/orders/{order.json()['id']}/confirm", headers=admin)
    assert confirmed.status_code == 200, confirmed.text
    assert read().json()["orders"]["items"][0]["status"] == "confirmed"  # the write: at once
    # The value moves later, in the customer worker; only its event can refresh the kept 360
    # (kept up to 30 s otherwise, longer than this wait).
    value = wait_for(lambda: (v := read().json()["value"]) and v["order_count"] == 1 and v)
    assert Decimal(value["lifetime_revenue"]["amount"]) == 50
