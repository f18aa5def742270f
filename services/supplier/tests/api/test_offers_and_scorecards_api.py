"""Offers and scorecards over HTTP."""

from tandem_kit.testing.plugin import bearer

AUTH = bearer("sm-1", ("supplier_manager",))
SUPPLIER = {"name": "Bolt Works", "legal_id": "GB999", "categories": ["steel"]}
OFFER = {
    "sku": "BOLT-M8",
    "unit_price": {"amount": "0.12", "currency": "EUR"},
    "lead_time_days": 7,
    "minimum_order_quantity": "1000",
    "valid_from": "2026-01-01",
    "valid_until": "2026-12-31",
}


async def _supplier(client):
    return (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=AUTH)).json()


async def test_an_offer_is_published_revised_and_withdrawn(client):
    supplier = await _supplier(client)
    created = await client.post(
        f"/api/v1/suppliers/{supplier['id']}/offers", json=OFFER, headers=AUTH
    )
    assert created.status_code == 201, created.text
    offer = created.json()
    assert offer["unit_price"] == {"amount": "0.1200", "currency": "EUR"} or offer["unit_price"][
        "amount"
    ].startswith("0.12")
    url = f"/api/v1/offers/{offer['id']}"
    terms = {k: v for k, v in OFFER.items() if k != "sku"}
    revised = await client.put(
        url, json={**terms, "lead_time_days": 5}, headers={**AUTH, "If-Match": '"1"'}
    )
    assert revised.status_code == 200 and revised.json()["version"] == 2
    stale = await client.post(f"{url}/withdraw", headers={**AUTH, "If-Match": '"1"'})
    assert stale.status_code == 412
    withdrawn = await client.post(f"{url}/withdraw", headers={**AUTH, "If-Match": '"2"'})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = await client.post(f"{url}/withdraw", headers=AUTH)
    assert again.status_code == 409
    listed = (await client.get(f"/api/v1/suppliers/{supplier['id']}/offers", headers=AUTH)).json()
    assert [o["id"] for o in listed["items"]] == [offer["id"]]
    by_sku = (await client.get("/api/v1/offers?sku=BOLT-M8&status=active", headers=AUTH)).json()
    assert by_sku["items"] == []


async def test_bad_offer_terms_get_422_naming_the_field(client):
    supplier = await _supplier(client)
    url = f"/api/v1/suppliers/{supplier['id']}/offers"
    for field, value in (
        ("lead_time_days", -1),
        ("minimum_order_quantity", "0"),
        ("unit_price", {"amount": "0", "currency": "EUR"}),
        ("sku", ""),
    ):
        response = await client.post(url, json={**OFFER, field: value}, headers=AUTH)
        assert response.status_code == 422
        assert any(e["field"].startswith(field) for e in response.json()["detail"]), (
            field,
            response.json(),
        )
    inverted = await client.post(url, json={**OFFER, "valid_from": "2027-01-01"}, headers=AUTH)
    assert inverted.status_code == 422 and inverted.json()["field"] == "valid_until"


async def test_a_blocked_supplier_cannot_publish_offers(client):
    supplier = await _supplier(client)
    await client.post(
        f"/api/v1/suppliers/{supplier['id']}/block", json={"reason": "fraud"}, headers=AUTH
    )
    response = await client.post(
        f"/api/v1/suppliers/{supplier['id']}/offers", json=OFFER, headers=AUTH
    )
    assert response.status_code == 409


async def test_an_unscored_supplier_shows_its_criteria_and_counts_as_unscored(client):
    supplier = await _supplier(client)
    card = (await client.get(f"/api/v1/suppliers/{supplier['id']}/scorecard", headers=AUTH)).json()
    assert card["score"] is None and card["standing"] is None
    assert sum(c["weight"] for c in card["criteria"]) == 100
    assert card["period"]["days"] == 90
    summary = (
        await client.get("/api/v1/scorecards/summary", headers=bearer("b", ("buyer",)))
    ).json()
    assert summary == {
        "by_standing": {"excellent": 0, "good": 0, "watch": 0, "probation": 0, "unscored": 1}
    }
