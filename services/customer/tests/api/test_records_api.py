"""Contacts, activities, tickets, segments and campaigns over HTTP."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tandem_kit.testing.plugin import bearer

ADMIN = bearer("boss", ("admin",))
AGENT = bearer("agent-1", ("service_agent",))
MANAGER = bearer("mgr", ("sales_manager",))


async def new_customer(client, name="Acme GmbH", **extra) -> dict:
    body = {
        "name": name,
        "email": f"{uuid.uuid4().hex[:8]}@{name.split()[0].lower()}.com",
        "credit_limit": {"amount": "1000", "currency": "EUR"},
        **extra,
    }
    response = await client.post(
        "/api/v1/customers?allow_duplicates=true", json=body, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_contacts_belong_to_a_customer_and_list_by_customer(client):
    acme, other = await new_customer(client), await new_customer(client, "Globex")
    made = await client.post(
        "/api/v1/contacts",
        json={"customer_id": acme["id"], "name": "Jo", "email": "Jo@Acme.com", "primary": True},
        headers=AGENT,
    )
    assert made.status_code == 201 and made.json()["email"] == "jo@acme.com"
    await client.post(
        "/api/v1/contacts", json={"customer_id": other["id"], "name": "Al"}, headers=AGENT
    )
    listed = (await client.get(f"/api/v1/contacts?customer_id={acme['id']}", headers=AGENT)).json()
    assert [c["name"] for c in listed["items"]] == ["Jo"] and listed["next"] is None
    url = f"/api/v1/contacts/{made.json()['id']}"
    changed = await client.patch(url, json={"title": "CFO"}, headers={**AGENT, "If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = await client.patch(url, json={"title": "CEO"}, headers={**AGENT, "If-Match": '"1"'})
    assert stale.status_code == 412


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "email": "nope"}, "email"),
        ({"name": "x", "customer_id": "not-a-uuid"}, "customer_id"),
    ],
)
async def test_bad_contacts_get_422_naming_the_field(client, body, field):
    acme = await new_customer(client)
    response = await client.post(
        "/api/v1/contacts", json={"customer_id": acme["id"], **body}, headers=AGENT
    )
    assert response.status_code == 422
    assert any(e["field"] == field for e in response.json()["detail"])


async def test_a_contact_for_an_unknown_customer_is_404(client):
    response = await client.post(
        "/api/v1/contacts", json={"customer_id": str(uuid.uuid4()), "name": "Jo"}, headers=AGENT
    )
    assert response.status_code == 404 and response.json()["field"] == "customer_id"


async def test_the_timeline_lists_activities_newest_first(client):
    acme = await new_customer(client)
    now = datetime.now(UTC)
    for i, kind in enumerate(["call", "email", "meeting", "note"]):
        r = await client.post(
            "/api/v1/activities",
            json={
                "customer_id": acme["id"],
                "kind": kind,
                "subject": f"#{i}",
                "occurred_at": (now - timedelta(hours=10 - i)).isoformat(),
            },
            headers=AGENT,
        )
        assert r.status_code == 201, r.text
    task = await client.post(
        "/api/v1/activities",
        json={
            "customer_id": acme["id"],
            "kind": "task",
            "subject": "follow up",
            "due_at": (now + timedelta(days=2)).isoformat(),
        },
        headers=AGENT,
    )
    first = (
        await client.get(f"/api/v1/activities?customer_id={acme['id']}&limit=3", headers=AGENT)
    ).json()
    assert [a["subject"] for a in first["items"]] == ["follow up", "#3", "#2"]
    rest = (
        await client.get(
            f"/api/v1/activities?customer_id={acme['id']}&limit=3&cursor={first['next']}",
            headers=AGENT,
        )
    ).json()
    assert [a["subject"] for a in rest["items"]] == ["#1", "#0"] and rest["next"] is None
    done = await client.post(f"/api/v1/activities/{task.json()['id']}/complete", headers=AGENT)
    assert done.status_code == 200 and done.json()["completed_at"]
    again = await client.post(f"/api/v1/activities/{task.json()['id']}/complete", headers=AGENT)
    assert again.status_code == 409
    no_due = await client.post(
        "/api/v1/activities",
        json={"customer_id": acme["id"], "kind": "task", "subject": "x"},
        headers=AGENT,
    )
    assert no_due.status_code == 422 and no_due.json()["field"] == "due_at"


async def test_ticket_lifecycle_with_409_412_and_idempotency(client):
    acme = await new_customer(client)
    headers = {**AGENT, "Idempotency-Key": "t-1"}
    body = {"customer_id": acme["id"], "subject": "Printer on fire", "priority": "urgent"}
    first = await client.post("/api/v1/tickets", json=body, headers=headers)
    second = await client.post("/api/v1/tickets", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    ticket = first.json()
    created = datetime.fromisoformat(ticket["created_at"])
    assert datetime.fromisoformat(ticket["first_response_due"]) - created == timedelta(minutes=15)
    url = f"/api/v1/tickets/{ticket['id']}"
    refused = await client.post(f"{url}/close", headers=AGENT)
    assert refused.status_code == 409
    assert refused.json()["allowed_transitions"] == ["escalate", "open", "pend", "resolve"]
    assert (
        await client.post(f"{url}/open", headers={**AGENT, "If-Match": '"1"'})
    ).status_code == 200
    assert (
        await client.post(f"{url}/pend", headers={**AGENT, "If-Match": '"1"'})
    ).status_code == 412
    for action in ("pend", "open", "resolve", "close", "reopen"):
        r = await client.post(f"{url}/{action}", headers=AGENT)
        assert r.status_code == 200, (action, r.text)
    assert r.json()["status"] == "open" and r.json()["first_responded_at"]
    open_list = (
        await client.get(f"/api/v1/tickets?customer_id={acme['id']}&open=true", headers=AGENT)
    ).json()
    assert [t["id"] for t in open_list["items"]] == [ticket["id"]]
    assert (await client.get("/api/v1/tickets?limit=201", headers=AGENT)).status_code == 422
    assert (await client.get("/api/v1/tickets?limit=0", headers=AGENT)).status_code == 422


async def test_ticket_summary_counts_by_status_and_breaching(client, customer_app):
    acme = await new_customer(client)
    ids = []
    for subject in ("a", "b", "c"):
        r = await client.post(
            "/api/v1/tickets", json={"customer_id": acme["id"], "subject": subject}, headers=AGENT
        )
        ids.append(r.json()["id"])
    await client.post(f"/api/v1/tickets/{ids[2]}/resolve", headers=AGENT)
    # Age one ticket past its first-response due time.
    from sqlalchemy import update

    from tandem_customer.db.tables import tickets

    async with customer_app.state.sessions() as s:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await s.execute(
            update(tickets).where(tickets.c.id == uuid.UUID(ids[0])).values(first_response_due=past)
        )
        await s.commit()
    summary = (await client.get("/api/v1/tickets/summary", headers=MANAGER)).json()
    assert summary["by_status"] == {"new": 2, "open": 0, "pending": 0, "resolved": 1, "closed": 0}
    assert summary["breaching"] == 1 and summary["breaching_ids"] == [ids[0]]


async def test_a_sales_rep_reads_tickets_but_cannot_write_them(client):
    rep = bearer("rep-1", ("sales_rep",))
    assert (await client.get("/api/v1/tickets", headers=rep)).status_code == 200
    r = await client.post(
        "/api/v1/tickets", json={"customer_id": str(uuid.uuid4()), "subject": "x"}, headers=rep
    )
    assert r.status_code == 403


async def test_segments_compute_membership_and_campaigns_snapshot_it(client):
    retail = [await new_customer(client, f"Shop{i} Ltd", industry="Retail") for i in range(3)]
    await new_customer(client, "Steelworks", industry="Metal")
    bad = await client.post("/api/v1/segments", json={"name": "x", "rules": {}}, headers=MANAGER)
    assert bad.status_code == 422 and bad.json()["field"] == "rules"
    seg = await client.post(
        "/api/v1/segments",
        json={"name": "Retail", "rules": {"industries": ["retail"]}},
        headers=MANAGER,
    )
    assert seg.status_code == 201, seg.text
    dup = await client.post(
        "/api/v1/segments", json={"name": "retail", "rules": {"industries": ["x"]}}, headers=MANAGER
    )
    assert dup.status_code == 409
    members = (
        await client.get(f"/api/v1/segments/{seg.json()['id']}/members?limit=2", headers=MANAGER)
    ).json()
    assert len(members["items"]) == 2 and members["next"]
    rest = (
        await client.get(
            f"/api/v1/segments/{seg.json()['id']}/members?limit=2&cursor={members['next']}",
            headers=MANAGER,
        )
    ).json()
    ids = {m["customer_id"] for m in members["items"] + rest["items"]}
    assert ids == {c["id"] for c in retail}
    camp = await client.post(
        "/api/v1/campaigns",
        json={"name": "Spring", "segment_id": seg.json()["id"]},
        headers=MANAGER,
    )
    assert camp.status_code == 201
    url = f"/api/v1/campaigns/{camp.json()['id']}"
    refused = await client.post(f"{url}/complete", headers=MANAGER)
    assert refused.status_code == 409 and refused.json()["allowed_transitions"] == [
        "cancel",
        "launch",
        "schedule",
    ]
    launched = await client.post(f"{url}/launch", headers=MANAGER)
    assert launched.status_code == 200 and launched.json()["member_count"] == 3
    locked = await client.post(
        f"{url}/members", json={"customer_ids": [retail[0]["id"]]}, headers=MANAGER
    )
    assert locked.status_code == 409
    listed = (await client.get(f"{url}/members", headers=MANAGER)).json()
    assert {m["customer_id"] for m in listed["items"]} == ids
    rep = bearer("rep-1", ("sales_rep",))
    assert (
        await client.post(
            "/api/v1/segments", json={"name": "y", "rules": {"tiers": ["gold"]}}, headers=rep
        )
    ).status_code == 403


async def test_campaign_members_by_hand(client):
    a, b = await new_customer(client), await new_customer(client, "Globex")
    camp = (await client.post("/api/v1/campaigns", json={"name": "Hand"}, headers=MANAGER)).json()
    url = f"/api/v1/campaigns/{camp['id']}/members"
    added = await client.post(
        url, json={"customer_ids": [a["id"], b["id"], a["id"]]}, headers=MANAGER
    )
    assert added.json()["member_count"] == 2
    removed = await client.delete(f"{url}/{a['id']}", headers=MANAGER)
    assert removed.json()["member_count"] == 1
    unknown = await client.post(url, json={"customer_ids": [str(uuid.uuid4())]}, headers=MANAGER)
    assert unknown.status_code == 422 and unknown.json()["field"] == "customer_ids"
    dates = await client.post(
        "/api/v1/campaigns",
        json={"name": "x", "starts_on": "2026-02-01", "ends_on": "2026-01-01"},
        headers=MANAGER,
    )
    assert dates.status_code == 422 and dates.json()["field"] == "ends_on"


async def test_a_repeated_action_with_the_same_idempotency_key_is_answered_not_redone(client):
    acme = await new_customer(client)
    ticket = (
        await client.post(
            "/api/v1/tickets", json={"customer_id": acme["id"], "subject": "x"}, headers=AGENT
        )
    ).json()
    headers = {**AGENT, "Idempotency-Key": f"resolve-{ticket['id']}"}
    first = await client.post(f"/api/v1/tickets/{ticket['id']}/resolve", headers=headers)
    again = await client.post(f"/api/v1/tickets/{ticket['id']}/resolve", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.json()["version"] == 2
    fresh = await client.post(f"/api/v1/tickets/{ticket['id']}/resolve", headers=AGENT)
    assert fresh.status_code == 409
