"""Sales through the gateway: a catalog, an order confirmed against credit, a block that
reaches sales by events and refuses the next confirmation."""

import uuid

from tandem_kit.testing.plugin import wait_until as wait_for


def test_an_order_is_confirmed_within_credit_and_refused_once_the_customer_is_blocked(
    gateway, token
):
    rep, manager = token("rep-orders", ("sales_rep",)), token("mgr-orders", ("sales_manager",))
    sku = f"E2E-{uuid.uuid4().hex[:8]}"
    product = gateway.post(
        "/api/v1/products",
        headers=manager,
        json={
            "sku": sku,
            "name": "Pallet",
            "unit": "pcs",
            "list_price": {"amount": "40.00", "currency": "EUR"},
        },
    )
    assert product.status_code == 201, product.text
    customer = gateway.post(
        "/api/v1/customers",
        headers=rep,
        json={
            "name": "Umbrella",
            "email": "ap@umbrella.example",
            "credit_limit": {"amount": "100.00", "currency": "EUR"},
        },
    ).json()
    gateway.post(f"/api/v1/customers/{customer['id']}/activate", headers=rep)

    def credit():
        r = gateway.get(f"/api/v1/customer-credit/{customer['id']}", headers=rep)
        return r.json() if r.status_code == 200 else None

    wait_for(lambda: (c := credit()) and c["status"] == "active")

    def draft(quantity):
        r = gateway.post(
            "/api/v1/orders",
            headers=rep,
            json={"customer_id": customer["id"], "lines": [{"sku": sku, "quantity": quantity}]},
        )
        assert r.status_code == 201, r.text
        return r.json()

    first, too_big, later = draft("2"), draft("1"), draft("0.5")
    confirmed = gateway.post(f"/api/v1/orders/{first['id']}/confirm", headers=rep)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    over = gateway.post(f"/api/v1/orders/{too_big['id']}/confirm", headers=rep)
    assert over.status_code == 409 and over.json()["reason"] == "credit_limit_exceeded"
    assert credit()["available"] == {"amount": "20.00", "currency": "EUR"}

    blocked = gateway.post(
        f"/api/v1/customers/{customer['id']}/block", headers=rep, json={"reason": "dunning"}
    )
    assert blocked.status_code == 200
    wait_for(lambda: credit()["status"] == "blocked", timeout=10)
    refused = gateway.post(f"/api/v1/orders/{later['id']}/confirm", headers=rep)
    assert refused.status_code == 409 and refused.json()["reason"] == "customer_blocked"

    listed = gateway.get(
        "/api/v1/orders", headers=rep, params={"customer_id": customer["id"], "status": "confirmed"}
    )
    assert [o["id"] for o in listed.json()["items"]] == [first["id"]]
    summary = gateway.get("/api/v1/orders/summary", headers=manager).json()
    assert summary["confirmed_today"] >= 1
