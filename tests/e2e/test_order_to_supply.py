"""The whole chain through the gateway, every service a real process:

product, approved supplier with an offer, active customer with credit -> a confirmed order for 10
units becomes a requisition for 10 with that supplier suggested -> approval -> purchase order
issued -> partial then full receipt -> received; the supplier's scorecard changes; cancelling a
second order before its requisition is ordered removes that demand.
"""

import uuid
from datetime import date, timedelta

from tandem_kit.testing.plugin import wait_until as wait_for


def ok(response, status=200):
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def requisitions_for(gateway, auth, sku, order_id=None):
    query = f"/api/v1/requisitions?sku={sku}" + (f"&order_id={order_id}" if order_id else "")
    return ok(gateway.get(query, headers=auth))["items"]


def place_order(gateway, auth, customer_id, sku, quantity, requested):
    order = ok(
        gateway.post(
            "/api/v1/orders",
            headers=auth,
            json={
                "customer_id": customer_id,
                "lines": [
                    {
                        "sku": sku,
                        "quantity": str(quantity),
                        "unit_price": {"amount": "200.00", "currency": "EUR"},
                        "requested_date": requested.isoformat(),
                    }
                ],
            },
        ),
        201,
    )
    confirmed = ok(gateway.post(f"/api/v1/orders/{order['id']}/confirm", headers=auth))
    assert confirmed["status"] == "confirmed", confirmed
    return order


def test_a_confirmed_order_becomes_supply_and_a_cancelled_one_stops_being_demand(gateway, token):
    admin = token("e2e-admin", ("admin",))
    approver = token("e2e-approver", ("procurement_manager",))
    sku = f"E2E-{uuid.uuid4().hex[:8].upper()}"
    requested = date.today() + timedelta(days=45)

    # The approval rules this scenario relies on (other tests may have published their own).
    rules = ok(
        gateway.post(
            "/api/v1/approval-rules",
            headers=approver,
            json={
                "currency": "EUR",
                "tiers": [
                    {"below": "1000", "levels": 0},
                    {"below": "10000", "levels": 1},
                    {"levels": 2},
                ],
                "level_roles": [["buyer", "procurement_manager"], ["procurement_manager"]],
            },
        ),
        201,
    )

    # Catalog, supplier (approved, with an offer for the SKU) and a customer with credit.
    ok(
        gateway.post(
            "/api/v1/products",
            headers=admin,
            json={
                "sku": sku,
                "name": "E2E widget",
                "unit": "pcs",
                "list_price": {"amount": "200.00", "currency": "EUR"},
            },
        ),
        201,
    )
    supplier = ok(
        gateway.post(
            "/api/v1/suppliers",
            headers=admin,
            json={"name": f"Supplier {sku}", "legal_id": f"L-{sku}", "categories": ["electronics"]},
        ),
        201,
    )
    sid = supplier["id"]
    ok(gateway.post(f"/api/v1/suppliers/{sid}/submit", headers=admin))
    # Electronics suppliers need ISO 9001 before approval.
    refused = gateway.post(f"/api/v1/suppliers/{sid}/approve", headers=admin)
    assert refused.status_code == 409 and "ISO9001" in refused.text, refused.text
    ok(
        gateway.post(
            f"/api/v1/suppliers/{sid}/certifications",
            headers=admin,
            json={
                "kind": "ISO9001",
                "issuer": "TÜV",
                "number": f"Q-{sku}",
                "valid_from": (date.today() - timedelta(days=30)).isoformat(),
                "valid_until": (date.today() + timedelta(days=700)).isoformat(),
            },
        ),
        201,
    )
    assert ok(gateway.post(f"/api/v1/suppliers/{sid}/approve", headers=admin))["status"] == (
        "approved"
    )
    ok(
        gateway.post(
            f"/api/v1/suppliers/{sid}/offers",
            headers=admin,
            json={
                "sku": sku,
                "unit_price": {"amount": "150.00", "currency": "EUR"},
                "lead_time_days": 10,
                "minimum_order_quantity": "1",
            },
        ),
        201,
    )
    customer = ok(
        gateway.post(
            "/api/v1/customers",
            headers=admin,
            json={
                "name": f"Customer {sku}",
                "email": f"buyer-{sku.lower()}@example.com",
                "credit_limit": {"amount": "100000.00", "currency": "EUR"},
            },
        ),
        201,
    )
    ok(gateway.post(f"/api/v1/customers/{customer['id']}/activate", headers=admin))

    def sales_sees_the_active_customer():
        r = gateway.get(f"/api/v1/customer-credit/{customer['id']}", headers=admin)
        return r.status_code == 200 and r.json()["status"] == "active"

    wait_for(sales_sees_the_active_customer, timeout=30)

    # A confirmed order for 10 becomes a requisition for 10 with the supplier suggested.
    first = place_order(gateway, admin, customer["id"], sku, 10, requested)
    req = wait_for(lambda: requisitions_for(gateway, admin, sku, first["id"]), timeout=15)[0]
    assert req["quantity"] == "10"
    assert req["lines"][0]["suggested_supplier_id"] == sid
    assert req["order_id"] == first["id"]
    # 10 x 150 EUR needs one approval level; the approver is not the requester.
    assert req["status"] == "submitted", req
    approved = ok(gateway.post(f"/api/v1/requisitions/{req['id']}/approve", headers=approver))
    assert approved["status"] == "approved"
    assert approved["decisions"][-1]["decided_by"] == "e2e-approver"
    assert approved["decisions"][-1]["rule_version"] == rules["version"]

    # Purchase order issued, then received in two receipts.
    po = ok(
        gateway.post(
            "/api/v1/purchase-orders", headers=admin, json={"requisition_ids": [req["id"]]}
        ),
        201,
    )["items"][0]
    assert po["supplier_id"] == sid
    url = f"/api/v1/purchase-orders/{po['id']}"
    assert ok(gateway.post(f"{url}/issue", headers=admin))["status"] == "issued"
    scorecard_before = ok(gateway.get(f"/api/v1/suppliers/{sid}/scorecard", headers=admin))
    partial = ok(
        gateway.post(
            f"{url}/receipts",
            headers=admin,
            json={"lines": [{"sku": sku, "quantity_accepted": "4", "quantity_rejected": "0"}]},
        ),
        201,
    )
    assert partial["purchase_order"]["status"] == "partially_received"
    full = ok(
        gateway.post(
            f"{url}/receipts",
            headers=admin,
            json={"lines": [{"sku": sku, "quantity_accepted": "6", "quantity_rejected": "0"}]},
        ),
        201,
    )
    assert full["purchase_order"]["status"] == "received"
    open_pos = ok(
        gateway.get(f"/api/v1/purchase-orders?supplier_id={sid}&open=true", headers=admin)
    )
    assert open_pos["items"] == []

    # The supplier's scorecard reflects the receipts (joined from purchase orders and receipts).
    def scorecard_changed():
        now = ok(gateway.get(f"/api/v1/suppliers/{sid}/scorecard", headers=admin))
        return now if now != scorecard_before else None

    assert wait_for(scorecard_changed, timeout=30)

    # The order line's trace: covered by the requisition and the received purchase order.
    trace = ok(gateway.get(f"/api/v1/demand/orders/{first['id']}", headers=admin))
    (line,) = trace["items"]
    assert line["covered_quantity"] == "10"
    assert line["purchase_orders"][0]["received_quantity"] == "10"

    # A second order: its requisition appears, and cancelling the order before the requisition
    # is ordered cancels the requisition and removes the demand.
    second = place_order(gateway, admin, customer["id"], sku, 7, requested)
    second_req = wait_for(lambda: requisitions_for(gateway, admin, sku, second["id"]), timeout=15)[
        0
    ]
    assert second_req["quantity"] == "7" and second_req["status"] in ("submitted", "approved")
    cancelled = ok(
        gateway.post(f"/api/v1/orders/{second['id']}/cancel", headers=admin, json={"reason": "e2e"})
    )
    assert cancelled["status"] == "cancelled"
    wait_for(
        lambda: (
            ok(gateway.get(f"/api/v1/requisitions/{second_req['id']}", headers=admin))["status"]
            == "cancelled"
        ),
        timeout=15,
    )

    def demand_is_first_order_only():
        items = ok(gateway.get(f"/api/v1/demand?sku={sku}", headers=admin))["items"]
        return items and items[0]["ordered_quantity"] == "10" and items[0]["net_quantity"] == "0"

    wait_for(demand_is_first_order_only, timeout=15)
    (gone,) = ok(gateway.get(f"/api/v1/demand/orders/{second['id']}", headers=admin))["items"]
    assert gone["quantity"] == "0" and gone["covered_quantity"] == "0"
