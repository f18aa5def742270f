"""Customers beyond the basics: ownership, duplicates, update, merge, value from orders."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from tandem_contracts import Envelope, Money, sales
from tandem_customer.events.consumers import on_order_snapshot
from tandem_kit.db import outbox_table
from tandem_kit.testing.plugin import bearer

REP = bearer("rep-1", ("sales_rep",))
REP2 = bearer("rep-2", ("sales_rep",))
MANAGER = bearer("mgr", ("sales_manager",))
AGENT = bearer("agent", ("service_agent",))


def body(name="Acme GmbH", email="ops@acme.com", **extra):
    return {
        "name": name,
        "email": email,
        "credit_limit": {"amount": "100", "currency": "EUR"},
        **extra,
    }


async def create(client, headers=REP, **kw):
    r = await client.post("/api/v1/customers", json=body(**kw), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_sales_reps_see_and_change_only_customers_they_own(client):
    mine = await create(client)
    theirs = await create(client, REP2, name="Globex", email="x@globex.com")
    assert [
        c["id"] for c in (await client.get("/api/v1/customers", headers=REP)).json()["items"]
    ] == [mine["id"]]
    assert (await client.get("/api/v1/customers?owner=rep-2", headers=REP)).json()["items"] == []
    assert (await client.get(f"/api/v1/customers/{theirs['id']}", headers=REP)).status_code == 404
    assert (
        await client.post(f"/api/v1/customers/{theirs['id']}/activate", headers=REP)
    ).status_code == 404
    assert (
        await client.patch(f"/api/v1/customers/{theirs['id']}", json={"industry": "x"}, headers=REP)
    ).status_code == 404
    assert len((await client.get("/api/v1/customers", headers=MANAGER)).json()["items"]) == 2
    assert (await client.get(f"/api/v1/customers/{theirs['id']}", headers=AGENT)).status_code == 200
    other_owner = await client.post(
        "/api/v1/customers",
        json=body(name="Hooli", email="h@hooli.com", owner="rep-2"),
        headers=REP,
    )
    assert other_owner.status_code == 403 and other_owner.json()["field"] == "owner"


async def test_a_likely_duplicate_is_refused_with_the_candidates(client):
    first = await create(client, legal_id="DE 123")
    for probe in (
        body(name="ACME, Inc.", email="new@other.com"),
        body(name="Other", email="OPS+x@acme.com"),
        body(name="Other", email="o@o.com", legal_id="de123"),
    ):
        r = await client.post("/api/v1/customers", json=probe, headers=REP)
        assert r.status_code == 409, probe
        assert [d["id"] for d in r.json()["duplicates"]] == [first["id"]]
    forced = await client.post(
        "/api/v1/customers?allow_duplicates=true", json=body(name="ACME"), headers=REP
    )
    assert forced.status_code == 201
    on_demand = (
        await client.get(f"/api/v1/customers/{forced.json()['id']}/duplicates", headers=REP)
    ).json()
    assert [(d["id"], sorted(d["matched_on"])) for d in on_demand["items"]] == [
        (first["id"], ["email", "name"])
    ]
    check = (await client.get("/api/v1/customers/duplicates?legal_id=DE-123", headers=REP)).json()
    assert [d["id"] for d in check["items"]] == [first["id"]]


async def test_filters_search_and_sort(client):
    await create(client, MANAGER, name="Beta Corp", email="b@beta.com", industry="retail")
    await create(client, MANAGER, name="Alpha AG", email="a@alpha.com", industry="metal")
    await create(client, MANAGER, name="Gamma", email="g@gamma.io", industry="retail")
    names = lambda r: [c["name"] for c in r.json()["items"]]  # noqa: E731
    assert names(await client.get("/api/v1/customers?sort=name", headers=MANAGER)) == [
        "Alpha AG",
        "Beta Corp",
        "Gamma",
    ]
    assert names(await client.get("/api/v1/customers?sort=-name&limit=2", headers=MANAGER)) == [
        "Gamma",
        "Beta Corp",
    ]
    assert names(
        await client.get("/api/v1/customers?industry=retail&sort=name", headers=MANAGER)
    ) == ["Beta Corp", "Gamma"]
    assert names(await client.get("/api/v1/customers?q=GAMMA", headers=MANAGER)) == ["Gamma"]
    assert names(await client.get("/api/v1/customers?q=alpha.com", headers=MANAGER)) == ["Alpha AG"]
    page1 = (await client.get("/api/v1/customers?sort=-name&limit=2", headers=MANAGER)).json()
    page2 = (
        await client.get(
            f"/api/v1/customers?sort=-name&limit=2&cursor={page1['next']}", headers=MANAGER
        )
    ).json()
    assert [c["name"] for c in page2["items"]] == ["Alpha AG"] and page2["next"] is None
    assert (await client.get("/api/v1/customers?sort=colour", headers=MANAGER)).status_code == 422


async def test_update_changes_fields_and_honours_if_match(client):
    c = await create(client)
    url = f"/api/v1/customers/{c['id']}"
    r = await client.patch(
        url,
        json={"credit_limit": {"amount": "900", "currency": "EUR"}, "industry": "retail"},
        headers={**REP, "If-Match": '"1"'},
    )
    assert r.status_code == 200 and r.json()["version"] == 2 and r.headers["ETag"] == '"2"'
    assert r.json()["credit_limit"]["amount"].startswith("900")
    assert (
        await client.patch(url, json={"industry": "x"}, headers={**REP, "If-Match": '"1"'})
    ).status_code == 412
    bad = await client.patch(url, json={"email": "nope"}, headers=REP)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "email"
    blank = await client.patch(url, json={"name": None}, headers=REP)
    assert blank.status_code == 422 and blank.json()["field"] == "name"


async def test_merging_moves_records_and_leaves_a_tombstone(client, customer_app):
    survivor = await create(client, MANAGER)
    source = await create(client, MANAGER, name="Acme Germany", email="de@acme.de", legal_id="DE9")
    await client.post(
        "/api/v1/contacts", json={"customer_id": source["id"], "name": "Jo"}, headers=AGENT
    )
    await client.post(
        "/api/v1/tickets", json={"customer_id": source["id"], "subject": "x"}, headers=AGENT
    )
    await client.post(
        "/api/v1/activities",
        json={"customer_id": source["id"], "kind": "note", "subject": "n"},
        headers=AGENT,
    )
    merged = await client.post(
        f"/api/v1/customers/{source['id']}/merge", json={"into": survivor["id"]}, headers=MANAGER
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged" and merged.json()["merged_into"] == survivor["id"]
    for path in ("contacts", "tickets", "activities"):
        items = (
            await client.get(f"/api/v1/{path}?customer_id={survivor['id']}", headers=AGENT)
        ).json()["items"]
        assert len(items) == 1, path
    kept = (await client.get(f"/api/v1/customers/{survivor['id']}", headers=MANAGER)).json()
    assert kept["legal_id"] == "DE9"
    again = await client.post(
        f"/api/v1/customers/{source['id']}/merge", json={"into": survivor["id"]}, headers=MANAGER
    )
    assert again.status_code == 409 and again.json()["allowed_transitions"] == []
    listed = [
        c["id"] for c in (await client.get("/api/v1/customers", headers=MANAGER)).json()["items"]
    ]
    assert listed == [survivor["id"]]
    async with customer_app.state.sessions() as s:
        types = list(
            await s.scalars(
                select(outbox_table.c.event_type).where(outbox_table.c.message_key == source["id"])
            )
        )
    assert types[-1] == "tandem.customer.customer.merged.v1"


def order_event(cls, customer_id, order_id, version, status, amount, currency="EUR", **extra):
    total = Money(amount=Decimal(amount), currency=currency)
    data = cls(
        order_id=order_id,
        customer_id=uuid.UUID(customer_id),
        version=version,
        status=status,
        lines=[],
        total=total,
        **extra,
    )
    return Envelope.wrap(data, subject=str(order_id), time=datetime(2026, 3, version, tzinfo=UTC))


async def apply(customer_app, envelope):
    async with customer_app.state.uow() as uow:
        await on_order_snapshot(envelope, uow)
        await uow.commit()


async def test_customer_value_counts_each_order_once_and_drops_cancelled_ones(client, customer_app):
    c = await create(client)
    url = f"/api/v1/customers/{c['id']}/value"
    empty = (await client.get(url, headers=REP)).json()
    assert empty["order_count"] == 0 and empty["tier"] == "bronze"
    o1, o2 = uuid.uuid4(), uuid.uuid4()
    await apply(
        customer_app, order_event(sales.OrderConfirmed, c["id"], o1, 1, "confirmed", "40000")
    )
    await apply(
        customer_app, order_event(sales.OrderConfirmed, c["id"], o1, 1, "confirmed", "40000")
    )
    await apply(
        customer_app, order_event(sales.OrderFulfilled, c["id"], o1, 2, "fulfilled", "40000")
    )
    await apply(
        customer_app, order_event(sales.OrderConfirmed, c["id"], o2, 1, "confirmed", "20000")
    )
    value = (await client.get(url, headers=REP)).json()
    assert value["order_count"] == 2 and Decimal(value["lifetime_revenue"]["amount"]) == Decimal(
        "60000"
    )
    assert value["tier"] == "silver" and value["last_order_at"].startswith("2026-03-01")
    customer = (await client.get(f"/api/v1/customers/{c['id']}", headers=REP)).json()
    assert customer["tier"] == "silver"
    await apply(
        customer_app,
        order_event(sales.OrderCancelled, c["id"], o2, 2, "cancelled", "20000", reason="x"),
    )
    await apply(
        customer_app, order_event(sales.OrderChanged, c["id"], o2, 1, "confirmed", "20000")
    )  # stale
    value = (await client.get(url, headers=REP)).json()
    assert value["order_count"] == 1 and Decimal(value["lifetime_revenue"]["amount"]) == Decimal(
        "40000"
    )
    assert value["tier"] == "bronze"
    async with customer_app.state.sessions() as s:
        tiers = list(
            await s.scalars(
                select(outbox_table.c.event_type).where(
                    outbox_table.c.message_key == c["id"],
                    outbox_table.c.event_type.like("%tier-changed%"),
                )
            )
        )
    assert len(tiers) == 3  # none -> bronze -> silver -> bronze
