"""Leads over HTTP: capture with score, lifecycle, conversion, CSV import."""

import uuid

import pytest

from tandem_kit.testing.plugin import bearer

REP = bearer("rep-1", ("sales_rep",))
REP2 = bearer("rep-2", ("sales_rep",))
MANAGER = bearer("mgr", ("sales_manager",))
LEAD = {
    "name": "Jo Smith",
    "email": "jo@initech.com",
    "company": "Initech",
    "source": "referral",
    "estimated_amount": {"amount": "20000", "currency": "EUR"},
}


async def capture(client, headers=REP, **extra) -> dict:
    response = await client.post("/api/v1/leads", json={**LEAD, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_captured_lead_comes_back_scored_with_its_reasons(client):
    lead = await capture(client)
    assert lead["status"] == "captured" and lead["owner"] == "rep-1"
    assert lead["score"] == 10 + 15 + 25 + 10
    assert {line["rule"] for line in lead["score_explanation"]} == {
        "company given",
        "business email domain",
        "source referral",
        "estimated amount >= 10000",
    }


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"name": ""}, "name"),
        ({"email": "x"}, "email"),
        ({"estimated_amount": {"amount": "-5", "currency": "EUR"}}, "estimated_amount.amount"),
        ({"estimated_amount": {"amount": "5", "currency": "eu"}}, "estimated_amount.currency"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_leads_get_422_naming_the_field(client, patch, field):
    response = await client.post("/api/v1/leads", json={**LEAD, **patch}, headers=REP)
    assert response.status_code == 422
    assert any(e["field"] == field for e in response.json()["detail"]), response.json()


async def test_a_second_lead_with_the_same_email_is_a_409(client):
    first = await capture(client)
    again = await client.post(
        "/api/v1/leads", json={**LEAD, "email": "JO+x@initech.com"}, headers=REP
    )
    assert again.status_code == 409 and again.json()["duplicate_of"] == first["id"]


async def test_the_same_idempotency_key_twice_captures_once(client):
    headers = {**REP, "Idempotency-Key": "lead-1"}
    a = await client.post("/api/v1/leads", json=LEAD, headers=headers)
    b = await client.post("/api/v1/leads", json=LEAD, headers=headers)
    assert a.status_code == b.status_code == 201 and a.json()["id"] == b.json()["id"]
    assert len((await client.get("/api/v1/leads", headers=REP)).json()["items"]) == 1


async def test_lifecycle_409_names_allowed_transitions_and_412_on_stale_if_match(client):
    lead = await capture(client)
    url = f"/api/v1/leads/{lead['id']}"
    refused = await client.post(f"{url}/convert", headers=REP)
    assert refused.status_code == 409
    assert refused.json()["allowed_transitions"] == ["assign", "disqualify", "qualify"]
    assert (
        await client.post(f"{url}/qualify", headers={**REP, "If-Match": '"1"'})
    ).status_code == 200
    stale = await client.post(
        f"{url}/disqualify", json={"reason": "x"}, headers={**REP, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    no_reason = await client.post(f"{url}/disqualify", json={"reason": ""}, headers=REP)
    assert no_reason.status_code == 422
    gone = await client.post(f"{url}/disqualify", json={"reason": "no budget"}, headers=REP)
    assert gone.json()["status"] == "disqualified" and gone.json()["reason"] == "no budget"
    assert (await client.post(f"{url}/reopen", headers=REP)).json()["status"] == "captured"


async def test_sales_reps_see_and_change_only_their_own_leads(client):
    mine = await capture(client)
    theirs = await capture(client, REP2, email="al@globex.com")
    listed = (await client.get("/api/v1/leads", headers=REP)).json()["items"]
    assert [lead["id"] for lead in listed] == [mine["id"]]
    assert (await client.get(f"/api/v1/leads/{theirs['id']}", headers=REP)).status_code == 404
    assert (
        await client.post(f"/api/v1/leads/{theirs['id']}/qualify", headers=REP)
    ).status_code == 404
    everyone = (await client.get("/api/v1/leads", headers=MANAGER)).json()["items"]
    assert len(everyone) == 2
    handed = await client.post(
        f"/api/v1/leads/{theirs['id']}/assign", json={"owner": "rep-1"}, headers=MANAGER
    )
    assert handed.json()["owner"] == "rep-1"
    assert (await client.get(f"/api/v1/leads/{theirs['id']}", headers=REP)).status_code == 200
    refused = await client.post(
        f"/api/v1/leads/{mine['id']}/assign", json={"owner": "rep-2"}, headers=REP
    )
    assert refused.status_code == 403


async def test_converting_creates_customer_and_contact(client):
    lead = await capture(client)
    url = f"/api/v1/leads/{lead['id']}"
    await client.post(f"{url}/qualify", headers=REP)
    converted = await client.post(
        f"{url}/convert", json={"opportunity_name": "Initech rollout"}, headers=REP
    )
    assert converted.status_code == 200, converted.text
    body = converted.json()
    assert body["lead"]["status"] == "converted"
    customer = (await client.get(f"/api/v1/customers/{body['customer_id']}", headers=REP)).json()
    assert customer["name"] == "Initech" and customer["owner"] == "rep-1"
    contacts = (
        await client.get(f"/api/v1/contacts?customer_id={body['customer_id']}", headers=REP)
    ).json()
    assert [(c["id"], c["name"]) for c in contacts["items"]] == [(body["contact_id"], "Jo Smith")]
    assert (await client.post(f"{url}/convert", headers=REP)).status_code == 409


async def test_converting_a_lookalike_answers_with_duplicates_or_links_the_customer(client):
    existing = await client.post(
        "/api/v1/customers",
        json={
            "name": "Initech Inc.",
            "email": "ap@initech.com",
            "credit_limit": {"amount": "0", "currency": "EUR"},
        },
        headers=REP,
    )
    lead = await capture(client)
    url = f"/api/v1/leads/{lead['id']}"
    await client.post(f"{url}/qualify", headers=REP)
    dup = await client.post(f"{url}/convert", headers=REP)
    assert dup.status_code == 409
    assert [d["id"] for d in dup.json()["duplicates"]] == [existing.json()["id"]]
    linked = await client.post(
        f"{url}/convert", json={"customer_id": existing.json()["id"]}, headers=REP
    )
    assert linked.status_code == 200 and linked.json()["customer_id"] == existing.json()["id"]


def _csv(rows: int, bad_every: int = 0, dup_every: int = 0) -> str:
    lines = ["name,email,company,source,estimated_amount,currency"]
    for i in range(rows):
        email = f"lead{i}@company{i}.com"
        amount = "1000"
        if dup_every and i % dup_every == dup_every - 1:
            email = f"lead{i - 1}@company{i - 1}.com"
        if bad_every and i % bad_every == 0:
            amount = "lots"
        lines.append(f"Lead {i},{email},Company {i},web,{amount},EUR")
    return "\n".join(lines) + "\n"


async def test_importing_10000_leads_reports_progress_duplicates_and_row_errors(client):
    text = _csv(10_000, bad_every=1000, dup_every=500)
    started = await client.post(
        "/api/v1/leads/imports",
        content=text.encode(),
        headers={**MANAGER, "Content-Type": "text/csv"},
    )
    assert started.status_code == 202, started.text
    job_url = f"/api/v1/leads/imports/{started.json()['id']}"
    from tandem_kit.testing.plugin import eventually

    seen: list[int] = []

    async def finished():
        job = (await client.get(job_url, headers=MANAGER)).json()
        seen.append(job["processed"])
        return job if job["status"] != "running" else None

    job = await eventually(finished, timeout=120, interval=0.2)
    assert job["status"] == "completed"
    assert any(0 < n < 10_000 for n in seen), seen  # progress was visible while it ran
    assert seen == sorted(seen)
    assert job["total_rows"] == job["processed"] == 10_000
    assert job["failed"] == 10 and job["duplicates"] == 20
    assert job["imported"] == 10_000 - 10 - 20
    assert job["errors"][0] == {
        "row": 1,
        "field": "estimated_amount",
        "message": "not a decimal number",
    }
    assert {e["row"] for e in job["errors"]} == {1 + 1000 * k for k in range(10)}
    page = (await client.get("/api/v1/leads?limit=200", headers=MANAGER)).json()
    assert len(page["items"]) == 200 and page["next"]


async def test_an_import_skips_leads_already_captured_and_refuses_bad_files(client):
    await capture(client, MANAGER, email="lead0@company0.com")
    done = await client.post(
        "/api/v1/leads/imports?wait=true",
        content=_csv(3),
        headers={**MANAGER, "Content-Type": "text/csv"},
    )
    assert done.status_code == 200
    assert (done.json()["imported"], done.json()["duplicates"]) == (2, 1)
    bad = await client.post(
        "/api/v1/leads/imports",
        content=b"colour\nred\n",
        headers={**MANAGER, "Content-Type": "text/csv"},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "file"
    wrong_type = await client.post("/api/v1/leads/imports", json={"x": 1}, headers=MANAGER)
    assert wrong_type.status_code == 422 and wrong_type.json()["field"] == "Content-Type"
    assert (
        await client.get(f"/api/v1/leads/imports/{uuid.uuid4()}", headers=MANAGER)
    ).status_code == 404
