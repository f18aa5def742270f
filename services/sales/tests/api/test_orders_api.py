"""Sales orders over HTTP: drafts, the credit rule, 409/412/422, idempotency, access."""

import uuid

import pytest

from tandem_kit.testing.plugin import bearer

REP = bearer("rep-1", ("sales_rep",))
OTHER_REP = bearer("rep-2", ("sales_rep",))
MANAGER = bearer("manager-1", ("sales_manager",))
BUYER = bearer("buyer-1", ("buyer",))


def order_body(customer_id, quantity="1", **line):
    return {
        "customer_id": str(customer_id),
        "lines": [{"sku": "SKU-1", "quantity": quantity, **line}],
    }


async def new_order(client, customer_id, quantity="1", headers=REP, **line):
    response = await client.post(
        "/api/v1/orders", json=order_body(customer_id, quantity, **line), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_draft_takes_list_prices_and_shows_its_lines(client, customer, product):
    cid = await customer()
    order = await new_order(client, cid, "2.5", requested_date="2026-12-24")
    assert order["status"] == "draft"
    assert order["owner"] == "rep-1"
    assert order["total"] == {"amount": "25.00", "currency": "EUR"}
    line = order["lines"][0]
    assert set(line) >= {"line_id", "sku", "quantity", "unit_price", "requested_date"}
    assert line["quantity"] == "2.50" and line["requested_date"] == "2026-12-24"
    fetched = await client.get(f"/api/v1/orders/{order['id']}", headers=REP)
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == '"1"'
    assert fetched.json()["lines"] == order["lines"]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"sku": "NOPE", "quantity": "1"}, "lines.0.sku"),
        ({"sku": "SKU-1", "quantity": "0"}, "lines.0.quantity"),
        (
            {"sku": "SKU-1", "quantity": "1", "unit_price": {"amount": "1", "currency": "eur"}},
            "lines.0.unit_price.currency",
        ),
        (
            {"sku": "SKU-1", "quantity": "1", "unit_price": {"amount": "1", "currency": "USD"}},
            "lines.0.unit_price.currency",
        ),
        ({"sku": "SKU-1", "quantity": "x"}, "lines.0.quantity"),
    ],
)
async def test_bad_lines_get_422_naming_the_field(client, customer, product, line, field):
    body = {"customer_id": str(await customer()), "currency": "EUR", "lines": [line]}
    response = await client.post("/api/v1/orders", json=body, headers=REP)
    assert response.status_code == 422, response.text
    detail = response.json()
    fields = (
        [e["field"] for e in detail["detail"]]
        if isinstance(detail["detail"], list)
        else [detail["field"]]
    )
    assert field in fields


async def test_confirmation_within_credit_then_over_it_gives_a_reason_code(
    client, customer, product
):
    cid = await customer(limit="100")
    first = await new_order(client, cid, "6")
    second = await new_order(client, cid, "5")
    ok = await client.post(f"/api/v1/orders/{first['id']}/confirm", headers=REP)
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    refused = await client.post(f"/api/v1/orders/{second['id']}/confirm", headers=REP)
    assert refused.status_code == 409
    body = refused.json()
    assert body["reason"] == "credit_limit_exceeded"
    assert body["available"] == {"amount": "40.00", "currency": "EUR"}
    assert "credit limit" in body["detail"]
    credit = await client.get(f"/api/v1/customer-credit/{cid}", headers=MANAGER)
    assert credit.json()["open_total"] == {"amount": "60.00", "currency": "EUR"}
    assert credit.json()["available"] == {"amount": "40.00", "currency": "EUR"}


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        ("blocked", 409, "customer_blocked"),
        ("on_hold", 409, "customer_on_hold"),
        ("archived", 409, "customer_archived"),
    ],
)
async def test_customers_not_in_good_standing_are_refused(
    client, customer, product, status, code, reason
):
    order = await new_order(client, await customer(status=status))
    response = await client.post(f"/api/v1/orders/{order['id']}/confirm", headers=REP)
    assert (response.status_code, response.json()["reason"]) == (code, reason)


async def test_an_unknown_customer_or_another_currency_is_a_422(client, customer, product):
    unknown = await new_order(client, uuid.uuid4())
    response = await client.post(f"/api/v1/orders/{unknown['id']}/confirm", headers=REP)
    assert (response.status_code, response.json()["reason"]) == (422, "customer_unknown")
    usd = await new_order(client, await customer(currency="USD"))
    response = await client.post(f"/api/v1/orders/{usd['id']}/confirm", headers=REP)
    assert (response.status_code, response.json()["reason"]) == (422, "currency_mismatch")


async def test_an_illegal_transition_is_a_409_naming_the_allowed_ones(client, customer, product):
    order = await new_order(client, await customer())
    response = await client.post(f"/api/v1/orders/{order['id']}/fulfil", headers=REP)
    assert response.status_code == 409
    assert response.json()["allowed_transitions"] == ["cancel", "change", "confirm"]
    assert response.json()["current_status"] == "draft"


async def test_a_stale_if_match_is_a_412_and_a_fresh_one_works(client, customer, product):
    order = await new_order(client, await customer())
    stale = await client.post(
        f"/api/v1/orders/{order['id']}/confirm", headers={**REP, "If-Match": '"7"'}
    )
    assert stale.status_code == 412
    assert stale.json()["field"] == "If-Match"
    fresh = await client.post(
        f"/api/v1/orders/{order['id']}/confirm", headers={**REP, "If-Match": '"1"'}
    )
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] == '"2"'


async def test_cancelling_needs_a_reason_and_frees_credit(client, customer, product):
    cid = await customer(limit="10")
    order = await new_order(client, cid)
    await client.post(f"/api/v1/orders/{order['id']}/confirm", headers=REP)
    missing = await client.post(f"/api/v1/orders/{order['id']}/cancel", json={}, headers=REP)
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "reason"
    done = await client.post(
        f"/api/v1/orders/{order['id']}/cancel", json={"reason": "duplicate"}, headers=REP
    )
    assert done.json()["status"] == "cancelled" and done.json()["cancel_reason"] == "duplicate"
    credit = await client.get(f"/api/v1/customer-credit/{cid}", headers=MANAGER)
    assert credit.json()["available"] == {"amount": "10.00", "currency": "EUR"}


async def test_an_idempotency_key_creates_one_order_and_replays_the_response(
    client, customer, product
):
    cid = await customer()
    headers = {**REP, "Idempotency-Key": "order-create-1"}
    first = await client.post("/api/v1/orders", json=order_body(cid), headers=headers)
    again = await client.post("/api/v1/orders", json=order_body(cid), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = await client.post("/api/v1/orders", json=order_body(cid, "2"), headers=headers)
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    listed = await client.get("/api/v1/orders", params={"customer_id": str(cid)}, headers=REP)
    assert len(listed.json()["items"]) == 1


async def test_a_repeated_confirm_with_its_key_answers_the_same(client, customer, product):
    order = await new_order(client, await customer())
    headers = {**REP, "Idempotency-Key": "confirm-1"}
    first = await client.post(f"/api/v1/orders/{order['id']}/confirm", headers=headers)
    again = await client.post(f"/api/v1/orders/{order['id']}/confirm", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["version"] == first.json()["version"] == 2


async def test_a_rep_sees_and_changes_only_their_own_orders(client, customer, product):
    cid = await customer()
    mine = await new_order(client, cid)
    theirs = await new_order(client, cid, headers=OTHER_REP)
    assert (await client.get(f"/api/v1/orders/{theirs['id']}", headers=REP)).status_code == 404
    response = await client.post(f"/api/v1/orders/{theirs['id']}/confirm", headers=REP)
    assert response.status_code == 404
    listed = await client.get("/api/v1/orders", headers=REP)
    assert [o["id"] for o in listed.json()["items"]] == [mine["id"]]
    for who in (MANAGER, BUYER):
        listed = await client.get("/api/v1/orders", headers=who)
        assert len(listed.json()["items"]) == 2
    assert (
        await client.post("/api/v1/orders", json=order_body(cid), headers=BUYER)
    ).status_code == 403
    assigned = await client.post(
        "/api/v1/orders", json={**order_body(cid), "owner": "rep-2"}, headers=REP
    )
    assert assigned.status_code == 403


async def test_lists_are_newest_first_paginated_and_filtered(client, customer, product):
    cid, other = await customer(), await customer()
    created = [(await new_order(client, cid))["id"] for _ in range(5)]
    await new_order(client, other)
    seen, cursor = [], None
    while True:
        params = {"customer_id": str(cid), "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/orders", params=params, headers=REP)).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == created[::-1]
    drafts = await client.get("/api/v1/orders", params={"status": "confirmed"}, headers=REP)
    assert drafts.json()["items"] == []
    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "???"}, {"status": "nope"}):
        assert (await client.get("/api/v1/orders", params=bad, headers=REP)).status_code == 422


async def test_the_summary_counts_todays_confirmations_per_currency(client, customer, product):
    cid = await customer()
    for quantity in ("1", "2", "3"):
        order = await new_order(client, cid, quantity)
        await client.post(f"/api/v1/orders/{order['id']}/confirm", headers=REP)
    cancelled = await new_order(client, cid)
    await client.post(f"/api/v1/orders/{cancelled['id']}/confirm", headers=REP)
    await client.post(f"/api/v1/orders/{cancelled['id']}/cancel", json={"reason": "x"}, headers=REP)
    await new_order(client, cid)  # a draft
    summary = (await client.get("/api/v1/orders/summary", headers=MANAGER)).json()
    assert summary["confirmed_today"] == 3
    assert summary["confirmed_today_value"] == [{"amount": "60.00", "currency": "EUR"}]


async def test_changing_a_confirmed_order_rechecks_credit(client, customer, product):
    cid = await customer(limit="50")
    order = await new_order(client, cid, "2")
    await client.post(f"/api/v1/orders/{order['id']}/confirm", headers=REP)
    bigger = await client.put(
        f"/api/v1/orders/{order['id']}/lines",
        json={"lines": [{"sku": "SKU-1", "quantity": "6"}]},
        headers=REP,
    )
    assert bigger.status_code == 409 and bigger.json()["reason"] == "credit_limit_exceeded"
    ok = await client.put(
        f"/api/v1/orders/{order['id']}/lines",
        json={"lines": [{"sku": "SKU-1", "quantity": "5"}]},
        headers={**REP, "If-Match": '"2"'},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["total"]["amount"] == "50.00"
    credit = await client.get(f"/api/v1/customer-credit/{cid}", headers=MANAGER)
    assert credit.json()["open_total"]["amount"] == "50.00"
