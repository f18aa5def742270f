"""Contracts, approval rules and demand reads over HTTP."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

from tandem_kit.testing.plugin import bearer
from tandem_procurement.application.commands import RecordOrderLineDemand
from tandem_procurement.application.demand import when_order_line_demand_changed

MANAGER = bearer("manager-1", ("procurement_manager",))
BUYER = bearer("buyer-1", ("buyer",))
TODAY = date.today()


def contract_body(supplier, **overrides):
    return {
        "supplier_id": str(supplier),
        "lines": [{"sku": "SKU-1", "unit_price": {"amount": "9.50", "currency": "EUR"}}],
        "valid_from": (TODAY - timedelta(days=1)).isoformat(),
        "valid_until": (TODAY + timedelta(days=365)).isoformat(),
        "volume_commitment": {"amount": "10000", "currency": "EUR"},
        **overrides,
    }


async def test_an_active_contract_prices_requisitions_and_counts_consumption(client, seed):
    supplier = uuid.uuid4()
    await seed(supplier, sku="SKU-1", price="12")
    created = await client.post("/api/v1/contracts", json=contract_body(supplier), headers=MANAGER)
    assert created.status_code == 201, created.text
    c = created.json()
    assert c["status"] == "draft" and c["allowed_actions"] == ["activate", "terminate"]
    activated = await client.post(
        f"/api/v1/contracts/{c['id']}/activate", headers={**MANAGER, "If-Match": '"1"'}
    )
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    req = (
        await client.post(
            "/api/v1/requisitions",
            json={"lines": [{"sku": "SKU-1", "quantity": "10"}], "submit": True},
            headers=BUYER,
        )
    ).json()
    line = req["lines"][0]
    assert line["unit_price"] == {"amount": "9.50", "currency": "EUR"}
    assert line["contract_id"] == c["id"]
    po = (
        await client.post(
            "/api/v1/purchase-orders", json={"requisition_ids": [req["id"]]}, headers=BUYER
        )
    ).json()["items"][0]
    await client.post(f"/api/v1/purchase-orders/{po['id']}/issue", headers=BUYER)
    fetched = (await client.get(f"/api/v1/contracts/{c['id']}", headers=MANAGER)).json()
    assert fetched["consumed"] == {"amount": "95.00", "currency": "EUR"}
    listed = (await client.get(f"/api/v1/contracts?supplier_id={supplier}", headers=BUYER)).json()
    assert [x["id"] for x in listed["items"]] == [c["id"]] and listed["next"] is None


async def test_contract_input_errors_name_the_field(client):
    supplier = uuid.uuid4()
    mixed = contract_body(
        supplier,
        lines=[
            {"sku": "A", "unit_price": {"amount": "1", "currency": "EUR"}},
            {"sku": "B", "unit_price": {"amount": "1", "currency": "USD"}},
        ],
    )
    response = await client.post("/api/v1/contracts", json=mixed, headers=MANAGER)
    assert response.status_code == 422
    backwards = contract_body(supplier, valid_until=(TODAY - timedelta(days=5)).isoformat())
    response = await client.post("/api/v1/contracts", json=backwards, headers=MANAGER)
    assert response.status_code == 422 and response.json()["field"] == "valid_until"
    twice = contract_body(
        supplier,
        lines=[
            {"sku": "A", "unit_price": {"amount": "1", "currency": "EUR"}},
            {"sku": "A", "unit_price": {"amount": "2", "currency": "EUR"}},
        ],
    )
    response = await client.post("/api/v1/contracts", json=twice, headers=MANAGER)
    assert response.status_code == 422 and response.json()["field"] == "lines"
    assert (
        await client.post("/api/v1/contracts", json=contract_body(supplier), headers=BUYER)
    ).status_code == 403


async def test_contract_transitions_409_and_stale_if_match_412(client):
    c = (
        await client.post("/api/v1/contracts", json=contract_body(uuid.uuid4()), headers=MANAGER)
    ).json()
    url = f"/api/v1/contracts/{c['id']}"
    assert (await client.post(f"{url}/terminate", headers=MANAGER)).status_code == 200
    again = await client.post(f"{url}/activate", headers=MANAGER)
    assert again.status_code == 409 and again.json()["allowed_transitions"] == []
    stale = await client.post(f"{url}/terminate", headers={**MANAGER, "If-Match": '"1"'})
    assert stale.status_code == 412


async def test_approval_rules_are_versioned_and_apply_to_new_requisitions(client, seed):
    await seed(uuid.uuid4(), sku="SKU-1", price="10")
    assert (await client.get("/api/v1/approval-rules", headers=BUYER)).json()["version"] == 1
    rules = {
        "currency": "EUR",
        "tiers": [{"below": "50", "levels": 0}, {"below": None, "levels": 1}],
        "level_roles": [["procurement_manager"]],
    }
    published = await client.post("/api/v1/approval-rules", json=rules, headers=MANAGER)
    assert published.status_code == 201, published.text
    assert published.json()["version"] == 2
    req = (
        await client.post(
            "/api/v1/requisitions",
            json={"lines": [{"sku": "SKU-1", "quantity": "10"}], "submit": True},
            headers=BUYER,
        )
    ).json()
    assert req["status"] == "submitted" and req["rule_version"] == 2  # 100 EUR >= 50
    refused = await client.post(f"/api/v1/requisitions/{req['id']}/approve", headers=BUYER)
    assert refused.status_code == 403  # version 2 says only managers decide
    bad = {**rules, "tiers": [{"below": "50", "levels": 0}]}
    response = await client.post("/api/v1/approval-rules", json=bad, headers=MANAGER)
    assert response.status_code == 422 and response.json()["field"] == "tiers"
    assert (
        await client.post("/api/v1/approval-rules", json=rules, headers=BUYER)
    ).status_code == 403


async def test_order_demand_shows_coverage_per_sales_order_line(app, client, seed):
    supplier = uuid.uuid4()
    await seed(supplier, sku="SKU-1", price="10", lead=3)
    order, line = uuid.uuid4(), uuid.uuid4()
    async with app.state.uow() as uow:
        await when_order_line_demand_changed(
            RecordOrderLineDemand(
                order_id=order,
                line_id=line,
                sku="SKU-1",
                order_version=2,
                order_status="confirmed",
                ordered_quantity=Decimal(10),
                open_quantity=Decimal(10),
                requested_date=TODAY + timedelta(days=30),
            ),
            uow,
        )
        await uow.commit()
    view = (await client.get(f"/api/v1/demand/orders/{order}", headers=BUYER)).json()
    (item,) = view["items"]
    assert item["line_id"] == str(line) and item["quantity"] == "10"
    assert item["covered_quantity"] == "10" and item["at_risk"] is False
    (req,) = item["requisitions"]
    assert req["suggested_supplier_id"] == str(supplier) and req["quantity"] == "10"
    po = (
        await client.post(
            "/api/v1/purchase-orders", json={"requisition_ids": [req["id"]]}, headers=BUYER
        )
    ).json()["items"][0]
    await client.post(f"/api/v1/purchase-orders/{po['id']}/issue", headers=BUYER)
    await client.post(
        f"/api/v1/purchase-orders/{po['id']}/receipts",
        json={"lines": [{"sku": "SKU-1", "quantity_accepted": "4"}]},
        headers=BUYER,
    )
    (item,) = (await client.get(f"/api/v1/demand/orders/{order}", headers=BUYER)).json()["items"]
    (p,) = item["purchase_orders"]
    assert (p["status"], p["received_quantity"], len(p["receipts"])) == (
        "partially_received",
        "4",
        1,
    )
    assert p["promised_date"] == (TODAY + timedelta(days=3)).isoformat()
    empty = (await client.get(f"/api/v1/demand/orders/{uuid.uuid4()}", headers=BUYER)).json()
    assert empty["items"] == []
    assert (await client.get("/api/v1/demand?sku=SKU-1", headers=BUYER)).json() == {
        "items": [],
        "next": None,
    }
