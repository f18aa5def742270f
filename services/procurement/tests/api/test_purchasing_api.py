"""Requisitions, approvals, purchase orders and receipts over HTTP (ASGI, migrated SQLite)."""

import asyncio
import uuid

import pytest

from tandem_kit.testing.plugin import bearer

BUYER = bearer("buyer-1", ("buyer",))
BUYER2 = bearer("buyer-2", ("buyer",))
MANAGER = bearer("manager-1", ("procurement_manager",))
MANAGER2 = bearer("manager-2", ("procurement_manager",))


async def _requisition(client, sku="SKU-1", quantity="10", headers=BUYER, submit=True):
    response = await client.post(
        "/api/v1/requisitions",
        json={"lines": [{"sku": sku, "quantity": quantity}], "submit": submit},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_requisition_is_sourced_approved_ordered_and_received(client, seed):
    supplier = uuid.uuid4()
    await seed(supplier, sku="SKU-1", price="150")
    req = await _requisition(client)  # 10 x 150 = 1500 EUR: one approval level
    assert req["status"] == "submitted"
    assert req["lines"][0]["suggested_supplier_id"] == str(supplier)
    assert req["required_levels"] == 1 and req["rule_version"] == 1
    approved = await client.post(f"/api/v1/requisitions/{req['id']}/approve", headers=MANAGER)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    decision = approved.json()["decisions"][-1]
    assert decision["decided_by"] == "manager-1" and decision["rule_version"] == 1

    created = await client.post(
        "/api/v1/purchase-orders", json={"requisition_ids": [req["id"]]}, headers=BUYER
    )
    assert created.status_code == 201, created.text
    po = created.json()["items"][0]
    assert po["supplier_id"] == str(supplier) and po["status"] == "draft"
    assert po["lines"][0]["promised_date"]
    url = f"/api/v1/purchase-orders/{po['id']}"
    assert (await client.post(f"{url}/issue", headers=BUYER)).json()["status"] == "issued"
    partial = await client.post(
        f"{url}/receipts",
        json={"lines": [{"sku": "SKU-1", "quantity_accepted": "4", "quantity_rejected": "1"}]},
        headers=BUYER,
    )
    assert partial.status_code == 201, partial.text
    assert partial.json()["purchase_order"]["status"] == "partially_received"
    full = await client.post(
        f"{url}/receipts",
        json={"lines": [{"sku": "SKU-1", "quantity_accepted": "6"}]},
        headers=BUYER,
    )
    assert full.json()["purchase_order"]["status"] == "received"
    fetched = (await client.get(url, headers=BUYER)).json()
    assert len(fetched["receipts"]) == 2
    assert fetched["lines"][0]["quantity_received"] == "10"
    assert fetched["lines"][0]["quantity_rejected"] == "1"
    listed = (
        await client.get(f"/api/v1/purchase-orders?supplier_id={supplier}&open=true", headers=BUYER)
    ).json()
    assert listed["items"] == []
    summary = (await client.get("/api/v1/purchase-orders/summary", headers=BUYER)).json()
    assert summary["spend_by_supplier"] == [
        {"supplier_id": str(supplier), "amount": {"amount": "1500.00", "currency": "EUR"}}
    ]
    assert summary["open"] == 0


async def test_the_requester_may_not_approve_their_own_requisition(client, seed):
    await seed(uuid.uuid4(), sku="SKU-1", price="150")
    req = await _requisition(client, headers=MANAGER)
    response = await client.post(f"/api/v1/requisitions/{req['id']}/approve", headers=MANAGER)
    assert response.status_code == 403
    assert response.json()["code"] == "SegregationOfDuties"
    assert (await client.get(f"/api/v1/requisitions/{req['id']}", headers=MANAGER)).json()[
        "status"
    ] == "submitted"


async def test_an_unsourced_requisition_says_why(client):
    req = await _requisition(client, sku="NOBODY-SELLS")
    assert req["status"] == "unsourced"
    assert "no active contract and no offer" in req["unsourced_reason"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "A", "quantity": "0"}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "", "quantity": "1"}]}, "lines.0.sku"),
        ({"lines": [{"sku": "A", "quantity": "ten"}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "A", "quantity": "1"}], "needed_by": "soon"}, "needed_by"),
        ({"lines": [{"sku": "A", "quantity": "1"}], "extra": 1}, "extra"),
    ],
)
async def test_invalid_requisitions_get_422_naming_the_field(client, body, field):
    response = await client.post("/api/v1/requisitions", json=body, headers=BUYER)
    assert response.status_code == 422
    assert any(e["field"] == field for e in response.json()["detail"]), response.json()


async def test_an_illegal_transition_gets_409_with_the_allowed_ones(client):
    req = await _requisition(client, submit=False)
    response = await client.post(f"/api/v1/requisitions/{req['id']}/approve", headers=MANAGER)
    assert response.status_code == 409
    assert response.json()["allowed_transitions"] == ["cancel", "resource", "submit"]


async def test_a_stale_if_match_gets_412(client, seed):
    await seed(uuid.uuid4(), sku="SKU-1", price="150")
    req = await _requisition(client, submit=False)
    url = f"/api/v1/requisitions/{req['id']}"
    submitted = await client.post(f"{url}/submit", headers={**BUYER, "If-Match": '"1"'})
    assert submitted.status_code == 200, submitted.text
    stale = await client.post(f"{url}/cancel", headers={**BUYER, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await client.get(url, headers=BUYER)).json()["status"] == "submitted"


async def test_the_same_idempotency_key_twice_creates_once(client):
    headers = {**BUYER, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"lines": [{"sku": "A", "quantity": "1"}]}
    first, second = await asyncio.gather(
        client.post("/api/v1/requisitions", json=body, headers=headers),
        client.post("/api/v1/requisitions", json=body, headers=headers),
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    listed = (await client.get("/api/v1/requisitions", headers=BUYER)).json()["items"]
    assert len(listed) == 1
    other = await client.post(
        "/api/v1/requisitions", json={"lines": [{"sku": "B", "quantity": "1"}]}, headers=headers
    )
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"


async def test_over_receiving_is_refused_and_writes_nothing(client, seed):
    await seed(uuid.uuid4(), sku="SKU-1", price="50")
    req = await _requisition(client, quantity="5")  # 250 EUR: approved automatically
    assert req["status"] == "approved"
    po = (
        await client.post(
            "/api/v1/purchase-orders", json={"requisition_ids": [req["id"]]}, headers=BUYER
        )
    ).json()["items"][0]
    url = f"/api/v1/purchase-orders/{po['id']}"
    early = await client.post(
        f"{url}/receipts",
        json={"lines": [{"sku": "SKU-1", "quantity_accepted": "1"}]},
        headers=BUYER,
    )
    assert early.status_code == 409  # a draft order receives nothing
    await client.post(f"{url}/issue", headers=BUYER)
    too_much = await client.post(
        f"{url}/receipts",
        json={"lines": [{"sku": "SKU-1", "quantity_accepted": "6"}]},
        headers=BUYER,
    )
    assert too_much.status_code == 422
    assert too_much.json()["field"] == "lines.0.quantity_accepted"
    wrong_sku = await client.post(
        f"{url}/receipts",
        json={"lines": [{"sku": "OTHER", "quantity_accepted": "1"}]},
        headers=BUYER,
    )
    assert wrong_sku.status_code == 422 and wrong_sku.json()["field"] == "lines.0.sku"
    assert (await client.get(url, headers=BUYER)).json()["status"] == "issued"
    assert (
        await client.get(f"/api/v1/receipts?purchase_order_id={po['id']}", headers=BUYER)
    ).json()["items"] == []


async def test_requisition_summary_and_list_filters(client, seed):
    await seed(uuid.uuid4(), sku="SKU-1", price="150")
    await _requisition(client)
    await _requisition(client, sku="SKU-2", submit=False)
    summary = (await client.get("/api/v1/requisitions/summary", headers=BUYER)).json()
    assert summary["by_status"]["submitted"] == 1 and summary["by_status"]["draft"] == 1
    assert summary["awaiting_approval"] == 1
    only = (await client.get("/api/v1/requisitions?sku=SKU-2", headers=BUYER)).json()["items"]
    assert [r["lines"][0]["sku"] for r in only] == ["SKU-2"]
    assert (await client.get("/api/v1/requisitions?limit=0", headers=BUYER)).status_code == 422
    bad = await client.get("/api/v1/requisitions?cursor=garbage", headers=BUYER)
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"


async def test_roles_are_checked_in_the_service(client):
    response = await client.post(
        "/api/v1/requisitions",
        json={"lines": [{"sku": "A", "quantity": "1"}]},
        headers=bearer("rep", ("sales_rep",)),
    )
    assert response.status_code == 403
    assert (await client.get("/api/v1/requisitions")).status_code == 401
