"""The customer API over HTTP (ASGI), with a migrated SQLite database."""

import asyncio
import uuid

import pytest

from tandem_kit.testing.plugin import bearer

AUTH = bearer("rep-1", ("sales_rep",))
VALID = {
    "name": "Acme GmbH",
    "email": "ops@acme.com",
    "credit_limit": {"amount": "5000.00", "currency": "EUR"},
    "legal_id": "DE123",
}


async def test_creating_a_customer_returns_it_with_an_etag(client):
    response = await client.post("/api/v1/customers", json=VALID, headers=AUTH)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "prospect"
    assert body["credit_limit"] == {"amount": "5000.0000", "currency": "EUR"} or body[
        "credit_limit"
    ]["amount"].startswith("5000")
    assert response.headers["ETag"] == '"1"'
    fetched = await client.get(f"/api/v1/customers/{body['id']}", headers=AUTH)
    assert fetched.status_code == 200
    assert fetched.json()["name"] == "Acme GmbH"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("name", "", "at least 1 character"),
        ("email", "not-an-email", "email"),
        ("credit_limit", {"amount": "-1", "currency": "EUR"}, "greater than or equal"),
        ("credit_limit", {"amount": "10", "currency": "euro"}, "pattern"),
        ("credit_limit", {"amount": "ten", "currency": "EUR"}, "decimal"),
    ],
)
async def test_invalid_input_gets_422_naming_the_field(client, field, value, reason):
    response = await client.post("/api/v1/customers", json={**VALID, field: value}, headers=AUTH)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["field"].startswith(field) and reason in e["msg"] for e in errors), errors


async def test_a_missing_field_is_named(client):
    response = await client.post("/api/v1/customers", json={"name": "x"}, headers=AUTH)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["detail"]} >= {"email", "credit_limit"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
async def test_a_missing_or_bad_token_gets_401(client, headers):
    response = await client.post("/api/v1/customers", json=VALID, headers=headers)
    assert response.status_code == 401


async def test_a_token_signed_with_another_secret_gets_401(client):
    import jwt

    token = jwt.encode(
        {"sub": "x", "roles": ["admin"], "iss": "tandem", "aud": "tandem-api", "exp": 9999999999},
        "another-secret-another-secret-0123456789",
        algorithm="HS256",
    )
    response = await client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_a_role_without_permission_gets_403(client):
    response = await client.post(
        "/api/v1/customers", json=VALID, headers=bearer("aud", ("auditor",))
    )
    assert response.status_code == 403


async def test_the_same_idempotency_key_twice_creates_once(client):
    headers = {**AUTH, "Idempotency-Key": f"key-{uuid.uuid4()}"}
    first, second = await asyncio.gather(
        client.post("/api/v1/customers", json=VALID, headers=headers),
        client.post("/api/v1/customers", json=VALID, headers=headers),
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    listed = (await client.get("/api/v1/customers", headers=AUTH)).json()["items"]
    assert len(listed) == 1


async def test_reusing_an_idempotency_key_with_another_body_is_refused(client):
    headers = {**AUTH, "Idempotency-Key": "k-1"}
    assert (await client.post("/api/v1/customers", json=VALID, headers=headers)).status_code == 201
    response = await client.post(
        "/api/v1/customers", json={**VALID, "name": "Other"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"


async def test_an_illegal_transition_gets_409_with_the_allowed_ones(client):
    created = (await client.post("/api/v1/customers", json=VALID, headers=AUTH)).json()
    response = await client.post(f"/api/v1/customers/{created['id']}/hold", headers=AUTH)
    assert response.status_code == 409
    assert response.json()["allowed_transitions"] == ["activate", "archive", "block", "merge"]


async def test_a_stale_if_match_gets_412(client):
    created = (await client.post("/api/v1/customers", json=VALID, headers=AUTH)).json()
    url = f"/api/v1/customers/{created['id']}"
    activated = await client.post(f"{url}/activate", headers={**AUTH, "If-Match": '"1"'})
    assert activated.status_code == 200
    assert activated.headers["ETag"] == '"2"'
    stale = await client.post(f"{url}/hold", headers={**AUTH, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await client.get(url, headers=AUTH)).json()["status"] == "active"


async def test_lists_paginate_with_a_bounded_limit(client):
    for i in range(5):
        body = {**VALID, "name": f"C{i}", "email": f"c{i}@acme.com", "legal_id": f"DE{i}"}
        assert (await client.post("/api/v1/customers", json=body, headers=AUTH)).status_code == 201
    page = (await client.get("/api/v1/customers?limit=2", headers=AUTH)).json()
    assert len(page["items"]) == 2 and page["next"]
    seen = [c["id"] for c in page["items"]]
    while page["next"]:
        page = (
            await client.get(f"/api/v1/customers?limit=2&cursor={page['next']}", headers=AUTH)
        ).json()
        seen += [c["id"] for c in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert (await client.get("/api/v1/customers?limit=1000", headers=AUTH)).status_code == 422
    bad = await client.get("/api/v1/customers?cursor=garbage", headers=AUTH)
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"


async def test_an_unknown_customer_is_404(client):
    response = await client.get(f"/api/v1/customers/{uuid.uuid4()}", headers=AUTH)
    assert response.status_code == 404
    assert (await client.get("/api/v1/customers/not-a-uuid", headers=AUTH)).status_code == 422


async def test_health_and_metrics(client):
    assert (await client.get("/health/live")).status_code == 200
    ready = await client.get("/health/ready")
    assert ready.json()["checks"]["database"] == "ok"
    metrics = await client.get("/metrics")
    assert "tandem_http_requests_total" in metrics.text
