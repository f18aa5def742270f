"""GET /customer-sales/{id}: a customer's opportunities and recent orders in one read."""

import uuid

from sqlalchemy import event

from tandem_kit.testing.plugin import bearer

REP = bearer("rep-1", ("sales_rep",))
OTHER_REP = bearer("rep-2", ("sales_rep",))
MANAGER = bearer("manager-1", ("sales_manager",))
BUYER = bearer("buyer-1", ("buyer",))
SUPPLIER_MANAGER = bearer("sm-1", ("supplier_manager",))


async def _post(client, path, body, headers):
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def customer_with_sales(client, customer) -> str:
    """Three orders and an opportunity of rep-1, an order and an opportunity of rep-2."""
    cid = str(await customer())
    for headers in (REP, REP, REP, OTHER_REP):
        await _post(
            client,
            "/api/v1/orders",
            {"customer_id": cid, "lines": [{"sku": "SKU-1", "quantity": "1"}]},
            headers,
        )
    for headers in (REP, OTHER_REP):
        await _post(
            client,
            "/api/v1/opportunities",
            {
                "customer_id": cid,
                "name": "Fleet deal",
                "amount": {"amount": "1000", "currency": "EUR"},
            },
            headers,
        )
    return cid


async def test_each_part_is_what_its_own_list_answers(client, customer, product):
    cid = await customer_with_sales(client, customer)
    for who in (MANAGER, REP):
        r = await client.get(f"/api/v1/customer-sales/{cid}?recent=2", headers=who)
        assert r.status_code == 200, r.text
        bundle = r.json()
        opportunities = await client.get(f"/api/v1/opportunities?customer_id={cid}", headers=who)
        orders = await client.get(f"/api/v1/orders?customer_id={cid}&limit=2", headers=who)
        assert bundle["opportunities"] == opportunities.json()
        assert bundle["orders"] == orders.json()
        assert bundle["orders"]["next"] is not None and bundle["missing"] == []
    # A sales rep sees only their own, as the lists show them.
    assert {o["owner"] for o in bundle["opportunities"]["items"]} == {"rep-1"}


async def test_the_parts_are_read_in_one_transaction(client, customer, product, app):
    cid = await customer_with_sales(client, customer)
    begun: list[object] = []

    def on_begin(connection: object) -> None:
        begun.append(connection)

    engine = app.state.read_engine.sync_engine
    event.listen(engine, "begin", on_begin)
    try:
        r = await client.get(f"/api/v1/customer-sales/{cid}", headers=MANAGER)
    finally:
        event.remove(engine, "begin", on_begin)
    assert r.status_code == 200 and r.json()["orders"]["items"], r.text
    assert len(begun) == 1


async def test_parts_the_callers_roles_do_not_cover_are_named_and_not_read(
    client, customer, product
):
    cid = await customer_with_sales(client, customer)
    r = await client.get(f"/api/v1/customer-sales/{cid}", headers=BUYER)
    assert r.status_code == 200, r.text
    bundle = r.json()
    assert bundle["opportunities"] is None and len(bundle["orders"]["items"]) == 4
    assert bundle["missing"] == [
        {
            "part": "opportunities",
            "reason": "forbidden",
            "detail": "the caller's roles may not read opportunities",
        }
    ]
    only = await client.get(f"/api/v1/customer-sales/{cid}?parts=orders", headers=MANAGER)
    assert only.json()["opportunities"] is None and only.json()["missing"] == []
    refused = await client.get(f"/api/v1/customer-sales/{cid}", headers=SUPPLIER_MANAGER)
    assert refused.status_code == 403


async def test_bad_parameters_get_422_naming_the_field(client):
    cid = uuid.uuid4()
    cases = (("parts=quotes", "parts.0"), ("recent=0", "recent"), ("recent=201", "recent"))
    for query, field in cases:
        r = await client.get(f"/api/v1/customer-sales/{cid}?{query}", headers=MANAGER)
        assert r.status_code == 422, (query, r.text)
        assert any(e["field"] == field for e in r.json()["detail"]), (query, r.json())
    r = await client.get("/api/v1/customer-sales/not-a-uuid", headers=MANAGER)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "customer_id"
