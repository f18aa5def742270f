"""GET /customers/{id}/bundle: the customer 360's share of this service in one read."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from tandem_kit.testing.plugin import bearer

ADMIN = bearer("boss", ("admin",))
AGENT = bearer("agent-1", ("service_agent",))
BUYER = bearer("buyer-1", ("buyer",))
REP = bearer("rep-1", ("sales_rep",))
SUPPLIER_MANAGER = bearer("sm-1", ("supplier_manager",))


async def _post(client, path, body, headers=ADMIN):
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def customer_with_records(client) -> str:
    """A customer with two contacts, three activities, an open and a resolved ticket."""
    customer = await _post(
        client,
        "/api/v1/customers",
        {
            "name": "Initech",
            "email": f"{uuid.uuid4().hex[:8]}@initech.example",
            "credit_limit": {"amount": "1000", "currency": "EUR"},
            "owner": "rep-1",
        },
    )
    cid = customer["id"]
    for name in ("Ann", "Bob"):
        await _post(client, "/api/v1/contacts", {"customer_id": cid, "name": name})
    now = datetime.now(UTC)
    for i in range(3):
        await _post(
            client,
            "/api/v1/activities",
            {
                "customer_id": cid,
                "kind": "note",
                "subject": f"note {i}",
                "occurred_at": (now - timedelta(days=3 - i)).isoformat(),
            },
        )
    await _post(client, "/api/v1/tickets", {"customer_id": cid, "subject": "open one"})
    done = await _post(client, "/api/v1/tickets", {"customer_id": cid, "subject": "done one"})
    resolved = await client.post(
        f"/api/v1/tickets/{done['id']}/resolve", headers={**ADMIN, "If-Match": '"1"'}
    )
    assert resolved.status_code == 200, resolved.text
    return cid


async def test_each_part_is_what_its_own_endpoint_answers(client):
    cid = await customer_with_records(client)
    r = await client.get(f"/api/v1/customers/{cid}/bundle?recent=2", headers=AGENT)
    assert r.status_code == 200, r.text
    bundle = r.json()
    own = {
        "customer": f"/api/v1/customers/{cid}",
        "contacts": f"/api/v1/contacts?customer_id={cid}",
        "activities": f"/api/v1/activities?customer_id={cid}&limit=2",
        "open_tickets": f"/api/v1/tickets?customer_id={cid}&open=true",
        "value": f"/api/v1/customers/{cid}/value",
    }
    for part, path in own.items():
        alone = await client.get(path, headers=AGENT)
        assert alone.status_code == 200, (part, alone.text)
        assert bundle[part] == alone.json(), part
    assert bundle["missing"] == []
    assert [a["subject"] for a in bundle["activities"]["items"]] == ["note 2", "note 1"]
    assert bundle["activities"]["next"] is not None
    assert [t["subject"] for t in bundle["open_tickets"]["items"]] == ["open one"]
    assert bundle["value"]["order_count"] == 0


async def test_the_bundle_is_read_in_one_transaction(client, customer_app):
    cid = await customer_with_records(client)
    begun: list[object] = []

    def on_begin(connection: object) -> None:
        begun.append(connection)

    engine = customer_app.state.read_engine.sync_engine
    event.listen(engine, "begin", on_begin)
    try:
        r = await client.get(f"/api/v1/customers/{cid}/bundle", headers=AGENT)
    finally:
        event.remove(engine, "begin", on_begin)
    assert r.status_code == 200 and r.json()["contacts"]["items"], r.text
    assert len(begun) == 1


async def test_parts_the_callers_roles_do_not_cover_are_named_and_not_read(client):
    cid = await customer_with_records(client)
    r = await client.get(f"/api/v1/customers/{cid}/bundle", headers=BUYER)
    assert r.status_code == 200, r.text
    bundle = r.json()
    assert bundle["customer"]["name"] == "Initech" and bundle["value"]["tier"] == "bronze"
    missing = {m["part"]: m for m in bundle["missing"]}
    assert set(missing) == {"contacts", "activities", "open_tickets"}
    assert {m["reason"] for m in missing.values()} == {"forbidden"}
    assert "tickets" in missing["open_tickets"]["detail"]
    assert (bundle["contacts"], bundle["activities"], bundle["open_tickets"]) == (None,) * 3


async def test_only_the_parts_asked_for_are_read(client):
    cid = await customer_with_records(client)
    r = await client.get(
        f"/api/v1/customers/{cid}/bundle?parts=contacts&parts=value", headers=AGENT
    )
    assert r.status_code == 200, r.text
    bundle = r.json()
    assert len(bundle["contacts"]["items"]) == 2 and bundle["value"] is not None
    assert bundle["activities"] is None and bundle["open_tickets"] is None
    assert bundle["missing"] == []


async def test_the_customer_decides_the_answer_as_a_whole(client):
    cid = await customer_with_records(client)
    r = await client.get(f"/api/v1/customers/{cid}/bundle", headers=REP)  # rep-1 owns it
    assert r.status_code == 200 and r.json()["missing"] == []
    other_rep = bearer("rep-2", ("sales_rep",))
    assert (
        await client.get(f"/api/v1/customers/{cid}/bundle", headers=other_rep)
    ).status_code == 404
    unknown = await client.get(f"/api/v1/customers/{uuid.uuid4()}/bundle", headers=AGENT)
    assert unknown.status_code == 404
    refused = await client.get(f"/api/v1/customers/{cid}/bundle", headers=SUPPLIER_MANAGER)
    assert refused.status_code == 403


async def test_bad_parameters_get_422_naming_the_field(client):
    cid = await customer_with_records(client)
    cases = (("parts=orders", "parts.0"), ("recent=0", "recent"), ("recent=x", "recent"))
    for query, field in cases:
        r = await client.get(f"/api/v1/customers/{cid}/bundle?{query}", headers=AGENT)
        assert r.status_code == 422, (query, r.text)
        assert any(e["field"] == field for e in r.json()["detail"]), (query, r.json())
    r = await client.get("/api/v1/customers/not-a-uuid/bundle", headers=AGENT)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "customer_id"
