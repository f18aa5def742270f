"""Products, opportunities, the forecast and quotes over HTTP."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tandem_kit.testing.plugin import bearer

REP = bearer("rep-1", ("sales_rep",))
OTHER_REP = bearer("rep-2", ("sales_rep",))
MANAGER = bearer("manager-1", ("sales_manager",))
AUDITOR = bearer("auditor-1", ("auditor",))
PRODUCT = {
    "sku": "BOLT-10",
    "name": "Bolt",
    "unit": "pcs",
    "list_price": {"amount": "0.25", "currency": "EUR"},
}


async def test_products_are_created_by_managers_with_unique_skus(client):
    created = await client.post("/api/v1/products", json=PRODUCT, headers=MANAGER)
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    assert created.json()["list_price"] == {"amount": "0.25", "currency": "EUR"}
    twin = await client.post("/api/v1/products", json=PRODUCT, headers=MANAGER)
    assert twin.status_code == 409 and twin.json()["field"] == "sku"
    assert (await client.post("/api/v1/products", json=PRODUCT, headers=REP)).status_code == 403
    listed = await client.get("/api/v1/products", params={"sku": "BOLT"}, headers=REP)
    assert [p["sku"] for p in listed.json()["items"]] == ["BOLT-10"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sku", ""),
        ("sku", "has space"),
        ("name", ""),
        ("list_price", {"amount": "-1", "currency": "EUR"}),
        ("list_price", {"amount": "1", "currency": "EURO"}),
        ("extra", 1),
    ],
)
async def test_bad_products_get_422_naming_the_field(client, field, value):
    response = await client.post(
        "/api/v1/products", json={**PRODUCT, field: value}, headers=MANAGER
    )
    assert response.status_code == 422
    assert any(e["field"].startswith(field) for e in response.json()["detail"])


async def test_product_changes_honour_if_match(client):
    product = (await client.post("/api/v1/products", json=PRODUCT, headers=MANAGER)).json()
    url = f"/api/v1/products/{product['id']}"
    stale = await client.patch(url, json={"active": False}, headers={**MANAGER, "If-Match": '"5"'})
    assert stale.status_code == 412
    ok = await client.patch(url, json={"active": False}, headers={**MANAGER, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["active"] is False and ok.json()["version"] == 2
    inactive = await client.get("/api/v1/products", params={"active": "false"}, headers=REP)
    assert len(inactive.json()["items"]) == 1


async def open_opportunity(client, customer_id, amount="1000", headers=REP, **extra):
    response = await client.post(
        "/api/v1/opportunities",
        json={
            "customer_id": str(customer_id),
            "name": "Fleet deal",
            "amount": {"amount": amount, "currency": "EUR"},
            **extra,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_opportunity_moves_through_stages_and_lost_needs_a_reason(client, customer):
    opp = await open_opportunity(client, await customer(), expected_close="2027-01-31")
    assert (opp["stage"], opp["probability"], opp["owner"]) == ("qualification", 10, "rep-1")
    url = f"/api/v1/opportunities/{opp['id']}"
    moved = await client.post(f"{url}/stage", json={"to": "negotiation"}, headers=REP)
    assert moved.json()["probability"] == 70
    assert moved.json()["weighted_amount"] == {"amount": "700.00", "currency": "EUR"}
    bad = await client.post(f"{url}/stage", json={"to": "won"}, headers=REP)
    assert bad.status_code == 422 and bad.json()["field"] == "to"
    unknown = await client.post(f"{url}/stage", json={"to": "dreaming"}, headers=REP)
    assert unknown.status_code == 422
    no_reason = await client.post(f"{url}/lose", json={}, headers=REP)
    assert no_reason.status_code == 422
    stale = await client.post(
        f"{url}/lose", json={"reason": "price"}, headers={**REP, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    lost = await client.post(f"{url}/lose", json={"reason": "price"}, headers=REP)
    assert lost.json()["stage"] == "lost" and lost.json()["lost_reason"] == "price"
    again = await client.post(f"{url}/win", headers=REP)
    assert again.status_code == 409 and again.json()["allowed_transitions"] == []


async def test_opportunities_are_filtered_by_customer_and_hidden_from_other_reps(client, customer):
    cid = await customer()
    mine = await open_opportunity(client, cid)
    await open_opportunity(client, await customer())
    theirs = await open_opportunity(client, cid, headers=OTHER_REP)
    listed = await client.get(
        "/api/v1/opportunities", params={"customer_id": str(cid)}, headers=REP
    )
    assert [o["id"] for o in listed.json()["items"]] == [mine["id"]]
    listed = await client.get(
        "/api/v1/opportunities", params={"customer_id": str(cid)}, headers=MANAGER
    )
    assert len(listed.json()["items"]) == 2
    hidden = await client.get(f"/api/v1/opportunities/{theirs['id']}", headers=REP)
    assert hidden.status_code == 404


async def test_the_forecast_weights_the_pipeline_by_stage_month_and_owner(client, customer):
    cid = await customer()
    a = await open_opportunity(client, cid, "1000", expected_close="2027-01-10")
    await client.post(
        f"/api/v1/opportunities/{a['id']}/stage", json={"to": "proposal"}, headers=REP
    )
    await open_opportunity(client, cid, "500", expected_close="2027-01-20")
    await open_opportunity(client, cid, "200", headers=OTHER_REP)
    forecast = (await client.get("/api/v1/forecast", headers=MANAGER)).json()
    by_stage = {(s["stage"], s["currency"]): s for s in forecast["by_stage"]}
    assert by_stage[("proposal", "EUR")]["weighted_amount"]["amount"] == "400.00"
    assert by_stage[("qualification", "EUR")]["count"] == 2
    assert by_stage[("qualification", "EUR")]["amount"]["amount"] == "700.00"
    by_month = {(m["month"], m["currency"]): m for m in forecast["by_month"]}
    assert by_month[("2027-01", "EUR")]["weighted_amount"]["amount"] == "450.00"
    assert by_month[(None, "EUR")]["count"] == 1
    by_owner = {o["owner"]: o for o in forecast["by_owner"]}
    assert by_owner["rep-2"]["weighted_amount"]["amount"] == "20.00"
    assert forecast["open_pipeline"][0]["weighted_amount"]["amount"] == "470.00"
    own = (await client.get("/api/v1/forecast", headers=OTHER_REP)).json()
    assert [o["owner"] for o in own["by_owner"]] == ["rep-2"]
    assert (await client.get("/api/v1/forecast", headers=AUDITOR)).status_code == 200


async def test_an_accepted_quote_becomes_a_draft_order_and_wins_the_opportunity(
    client, customer, product
):
    cid = await customer()
    opp = await open_opportunity(client, cid)
    valid = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    created = await client.post(
        "/api/v1/quotes",
        json={
            "customer_id": str(cid),
            "opportunity_id": opp["id"],
            "valid_until": valid,
            "lines": [{"sku": "SKU-1", "quantity": "4", "discount": "25"}],
        },
        headers={**REP, "Idempotency-Key": "q-1"},
    )
    assert created.status_code == 201, created.text
    quote = created.json()
    assert quote["lines"][0]["net_unit_price"] == {"amount": "7.50", "currency": "EUR"}
    assert quote["total"] == {"amount": "30.00", "currency": "EUR"}
    url = f"/api/v1/quotes/{quote['id']}"
    early = await client.post(f"{url}/accept", headers=REP)
    assert early.status_code == 409 and early.json()["allowed_transitions"] == ["expire", "send"]
    assert (await client.post(f"{url}/send", headers=REP)).json()["status"] == "sent"
    accepted = await client.post(f"{url}/accept", headers=REP)
    assert accepted.status_code == 200
    order_id = accepted.json()["order_id"]
    order = (await client.get(f"/api/v1/orders/{order_id}", headers=REP)).json()
    assert (order["status"], order["quote_id"], order["total"]["amount"]) == (
        "draft",
        quote["id"],
        "30.00",
    )
    won = (await client.get(f"/api/v1/opportunities/{opp['id']}", headers=REP)).json()
    assert (won["stage"], won["probability"]) == ("won", 100)
    twice = await client.post(f"{url}/reject", headers=REP)
    assert twice.status_code == 409


async def test_a_quote_cannot_start_expired_or_name_another_customers_deal(
    client, customer, product
):
    cid = await customer()
    opp = await open_opportunity(client, await customer())
    lines = [{"sku": "SKU-1", "quantity": "1"}]
    past = (date.today() - timedelta(days=3)).isoformat()
    expired = await client.post(
        "/api/v1/quotes",
        json={"customer_id": str(cid), "valid_until": past, "lines": lines},
        headers=REP,
    )
    assert expired.status_code == 422 and expired.json()["field"] == "valid_until"
    foreign = await client.post(
        "/api/v1/quotes",
        json={
            "customer_id": str(cid),
            "opportunity_id": opp["id"],
            "valid_until": "2099-01-01",
            "lines": lines,
        },
        headers=REP,
    )
    assert foreign.status_code == 422 and foreign.json()["field"] == "opportunity_id"


async def test_the_credit_view_of_an_unknown_customer_is_a_404(client):
    import uuid

    response = await client.get(f"/api/v1/customer-credit/{uuid.uuid4()}", headers=MANAGER)
    assert response.status_code == 404


async def test_an_open_opportunity_can_be_revised_and_reassigned_only_by_a_manager(
    client, customer
):
    opp = await open_opportunity(client, await customer(), expected_close="2027-03-01")
    url = f"/api/v1/opportunities/{opp['id']}"
    revised = await client.patch(
        url,
        json={"amount": {"amount": "1500", "currency": "EUR"}, "expected_close": None},
        headers={**REP, "If-Match": '"1"'},
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["amount"]["amount"] == "1500.00"
    assert revised.json()["expected_close"] is None and revised.json()["version"] == 2
    stale = await client.patch(url, json={"name": "x"}, headers={**REP, "If-Match": '"1"'})
    assert stale.status_code == 412
    handover = await client.patch(url, json={"owner": "rep-2"}, headers=REP)
    assert handover.status_code == 403
    handover = await client.patch(url, json={"owner": "rep-2"}, headers=MANAGER)
    assert handover.json()["owner"] == "rep-2"
    assert (await client.get(url, headers=REP)).status_code == 404
    await client.post(f"{url}/win", headers=OTHER_REP)
    closed = await client.patch(url, json={"name": "late"}, headers=OTHER_REP)
    assert closed.status_code == 409


async def test_a_rep_sees_the_credit_of_the_customers_they_own(client, customer):
    mine, theirs = await customer(owner="rep-1"), await customer(owner="rep-2")
    assert (await client.get(f"/api/v1/customer-credit/{mine}", headers=REP)).status_code == 200
    hidden = await client.get(f"/api/v1/customer-credit/{theirs}", headers=REP)
    assert hidden.status_code == 404
    seen = await client.get(f"/api/v1/customer-credit/{theirs}", headers=MANAGER)
    assert seen.json()["available"] == {"amount": "1000.00", "currency": "EUR"}


async def test_the_catalog_pages_by_sku_and_refuses_foreign_cursors(client):
    for sku in ("C-3", "A-1", "B-2"):
        await client.post("/api/v1/products", json={**PRODUCT, "sku": sku}, headers=MANAGER)
    first = (await client.get("/api/v1/products", params={"limit": 2}, headers=REP)).json()
    assert [p["sku"] for p in first["items"]] == ["A-1", "B-2"]
    rest = await client.get("/api/v1/products", params={"cursor": first["next"]}, headers=REP)
    assert [p["sku"] for p in rest.json()["items"]] == ["C-3"] and rest.json()["next"] is None
    bad = await client.get("/api/v1/products", params={"cursor": "WzVd"}, headers=REP)  # [5]
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"
