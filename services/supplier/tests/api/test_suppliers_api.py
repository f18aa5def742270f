"""The supplier API over HTTP (ASGI) with a migrated SQLite database."""

import asyncio
import uuid

import pytest

from tandem_kit.testing.plugin import bearer

AUTH = bearer("sm-1", ("supplier_manager",))
VALID = {
    "name": "Acme Foods GmbH",
    "legal_id": "DE 123 456",
    "categories": ["food"],
    "risk_level": "low",
    "contacts": [{"name": "Ann", "email": "ann@acme-foods.com", "role": "sales"}],
}
ISO = {
    "kind": "ISO9001",
    "issuer": "TÜV",
    "number": "Q-1",
    "valid_from": "2025-01-01",
    "valid_until": "2027-01-01",
}
HACCP = {**ISO, "kind": "HACCP", "number": "H-1"}


async def _create(client, **changes):
    response = await client.post("/api/v1/suppliers", json={**VALID, **changes}, headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


async def _act(client, supplier, action, version=None, **body):
    headers = {**AUTH, "If-Match": f'"{version}"'} if version else AUTH
    return await client.post(
        f"/api/v1/suppliers/{supplier['id']}/{action}", json=body or None, headers=headers
    )


async def test_registering_returns_the_applicant_with_an_etag(client):
    response = await client.post("/api/v1/suppliers", json=VALID, headers=AUTH)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "applied" and body["legal_id"] == "DE123456"
    assert body["allowed_actions"] == ["block", "submit"]
    assert response.headers["ETag"] == '"1"'
    fetched = await client.get(f"/api/v1/suppliers/{body['id']}", headers=AUTH)
    assert fetched.json()["contacts"][0]["email"] == "ann@acme-foods.com"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("legal_id", ""),
        ("categories", []),
        ("risk_level", "extreme"),
        ("contacts", [{"name": "A", "email": "not-an-email"}]),
    ],
)
async def test_invalid_input_gets_422_naming_the_field(client, field, value):
    response = await client.post("/api/v1/suppliers", json={**VALID, field: value}, headers=AUTH)
    assert response.status_code == 422
    assert any(e["field"].startswith(field) for e in response.json()["detail"]), response.json()
    assert (await client.get("/api/v1/suppliers", headers=AUTH)).json()["items"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"legal_id": "de-123456", "name": "Other"}, "legal_id"),
        ({"name": "ACME foods", "legal_id": "X9"}, "name"),
    ],
)
async def test_a_duplicate_legal_id_or_normalised_name_gets_409(client, change, field):
    first = await _create(client)
    response = await client.post("/api/v1/suppliers", json={**VALID, **change}, headers=AUTH)
    assert response.status_code == 409
    assert response.json()["field"] == field and first["id"] in response.json()["detail"]


async def test_approval_is_refused_until_the_mandatory_certificates_are_valid(client):
    supplier = await _create(client)
    assert (await _act(client, supplier, "submit")).status_code == 200
    refused = await _act(client, supplier, "approve")
    assert refused.status_code == 409
    assert refused.json()["field"] == "certifications"
    assert "HACCP, ISO9001" in refused.json()["detail"]
    url = f"/api/v1/suppliers/{supplier['id']}/certifications"
    assert (await client.post(url, json=ISO, headers=AUTH)).status_code == 201
    expired_haccp = {**HACCP, "valid_until": "2026-02-01"}
    assert (await client.post(url, json=expired_haccp, headers=AUTH)).status_code == 201
    still = await _act(client, supplier, "approve")
    assert still.status_code == 409 and "HACCP" in still.json()["detail"]
    assert (await client.post(url, json=HACCP, headers=AUTH)).status_code == 201
    approved = await _act(client, supplier, "approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    listed = (await client.get(url, headers=AUTH)).json()["items"]
    assert {(c["kind"], c["state"], c["mandatory"]) for c in listed} == {
        ("ISO9001", "valid", True),
        ("HACCP", "expired", True),
        ("HACCP", "valid", True),
    }


async def test_an_illegal_transition_gets_409_with_the_allowed_ones(client):
    supplier = await _create(client)
    response = await _act(client, supplier, "suspend")
    assert response.status_code == 409
    assert response.json()["allowed_transitions"] == ["block", "submit"]


async def test_reject_and_block_need_a_reason(client):
    supplier = await _create(client)
    await _act(client, supplier, "submit")
    response = await _act(client, supplier, "reject")
    assert response.status_code == 422 and response.json()["field"] == "reason"
    rejected = await _act(client, supplier, "reject", reason="no capacity")
    assert (
        rejected.json()["status"] == "rejected"
        and rejected.json()["status_reason"] == "no capacity"
    )


async def test_a_stale_if_match_gets_412_and_changes_nothing(client):
    supplier = await _create(client)
    submitted = await _act(client, supplier, "submit", version=1)
    assert submitted.status_code == 200 and submitted.headers["ETag"] == '"2"'
    stale = await _act(client, supplier, "block", version=1, reason="fraud")
    assert stale.status_code == 412
    url = f"/api/v1/suppliers/{supplier['id']}"
    patched = await client.patch(
        url, json={"risk_level": "high"}, headers={**AUTH, "If-Match": '"1"'}
    )
    assert patched.status_code == 412
    current = (await client.get(url, headers=AUTH)).json()
    assert current["status"] == "under_review" and current["risk_level"] == "low"
    ok = await client.patch(url, json={"risk_level": "high"}, headers={**AUTH, "If-Match": '"2"'})
    assert ok.status_code == 200 and ok.json()["version"] == 3


async def test_the_same_idempotency_key_twice_registers_once(client):
    headers = {**AUTH, "Idempotency-Key": f"key-{uuid.uuid4()}"}
    first, second = await asyncio.gather(
        client.post("/api/v1/suppliers", json=VALID, headers=headers),
        client.post("/api/v1/suppliers", json=VALID, headers=headers),
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert len((await client.get("/api/v1/suppliers", headers=AUTH)).json()["items"]) == 1
    other = await client.post("/api/v1/suppliers", json={**VALID, "name": "Other"}, headers=headers)
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"


async def test_an_action_repeated_with_its_idempotency_key_answers_the_first_response(client):
    supplier = await _create(client)
    headers = {**AUTH, "Idempotency-Key": "submit-1"}
    url = f"/api/v1/suppliers/{supplier['id']}/submit"
    first = await client.post(url, headers=headers)
    again = await client.post(url, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["version"] == 2


async def test_lists_filter_and_paginate_with_bounded_limits(client):
    for i in range(5):
        await _create(
            client,
            name=f"Supplier {i}",
            legal_id=f"L{i}",
            categories=["steel" if i % 2 else "food"],
        )
    page = (await client.get("/api/v1/suppliers?limit=2", headers=AUTH)).json()
    seen = [s["id"] for s in page["items"]]
    while page["next"]:
        page = (
            await client.get(f"/api/v1/suppliers?limit=2&cursor={page['next']}", headers=AUTH)
        ).json()
        seen += [s["id"] for s in page["items"]]
    assert len(set(seen)) == 5
    steel = (await client.get("/api/v1/suppliers?category=Steel", headers=AUTH)).json()["items"]
    assert len(steel) == 2
    assert (await client.get("/api/v1/suppliers?limit=0", headers=AUTH)).status_code == 422
    assert (await client.get("/api/v1/suppliers?limit=201", headers=AUTH)).status_code == 422
    bad = await client.get("/api/v1/suppliers?cursor=garbage", headers=AUTH)
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"


async def test_unknown_ids_are_404_and_roles_are_checked(client):
    missing = uuid.uuid4()
    for path in (
        f"/api/v1/suppliers/{missing}",
        f"/api/v1/suppliers/{missing}/scorecard",
        f"/api/v1/suppliers/{missing}/certifications",
        f"/api/v1/suppliers/{missing}/offers",
        f"/api/v1/offers/{missing}",
        f"/api/v1/certifications/{missing}",
    ):
        assert (await client.get(path, headers=AUTH)).status_code == 404, path
    buyer = bearer("b-1", ("buyer",))
    assert (await client.get("/api/v1/suppliers", headers=buyer)).status_code == 200
    assert (await client.post("/api/v1/suppliers", json=VALID, headers=buyer)).status_code == 403
    assert (await client.get("/api/v1/suppliers")).status_code == 401


async def test_renaming_onto_another_suppliers_name_gets_409(client):
    first = await _create(client)
    second = await _create(client, name="Other Foods", legal_id="X2")
    url = f"/api/v1/suppliers/{second['id']}"
    clash = await client.patch(url, json={"name": "acme foods"}, headers=AUTH)
    assert clash.status_code == 409 and first["id"] in clash.json()["detail"]
    renamed = await client.patch(url, json={"name": "Other Foods Ltd"}, headers=AUTH)
    assert (
        renamed.status_code == 200 and renamed.json()["name"] == "Other Foods Ltd"
    )  # not its own duplicate
