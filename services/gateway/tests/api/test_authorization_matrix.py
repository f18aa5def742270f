"""Every role against every gateway route: allowed, or refused with 403; bad tokens get 401.

The expected table is written out here on purpose (not derived from the policy module), so a
change to who may do what has to be made twice: in the policy and in this test.
"""

import time
import uuid

import httpx
import jwt
import pytest

from tandem_gateway.main import create_app
from tandem_gateway.routing import ROUTES
from tandem_gateway.settings import GatewaySettings
from tandem_kit.auth import TokenVerifier
from tandem_kit.settings import DEV_SECRET, AuthSettings

ROLE_LETTERS = {
    "R": "sales_rep",
    "M": "sales_manager",
    "G": "service_agent",
    "B": "buyer",
    "P": "procurement_manager",
    "S": "supplier_manager",
    "U": "auditor",
}
ROLES = ["admin", *ROLE_LETTERS.values()]

# resource: (who may read, who may write); admin may always, so it is not listed.
EXPECTED = {
    "customers": ("RMGBPU", "RM"),
    "contacts": ("RMGU", "RMG"),
    "activities": ("RMGU", "RMG"),
    "leads": ("RMU", "RM"),
    "tickets": ("RMGU", "G"),
    "segments": ("RMU", "M"),
    "campaigns": ("RMU", "M"),
    "products": ("RMGBPSU", "M"),
    "opportunities": ("RMU", "RM"),
    "forecast": ("RMU", ""),
    "quotes": ("RMU", "RM"),
    "orders": ("RMGBPU", "RM"),
    "customer-credit": ("RMU", ""),
    "customer-sales": ("RMGBPU", ""),
    "suppliers": ("BPSU", "S"),
    "certifications": ("BPSU", "S"),
    "offers": ("BPSU", "S"),
    "scorecards": ("BPSU", "S"),
    "demand": ("MBPU", ""),
    "requisitions": ("BPU", "BP"),
    "purchase-orders": ("BPSU", "BP"),
    "receipts": ("BPSU", "BP"),
    "contracts": ("BPSU", "P"),
    "approval-rules": ("BPU", "P"),
}
AGGREGATES = {
    "/api/v1/customers/{id}/360": "RMGBPU",
    "/api/v1/suppliers/{id}/360": "BPSU",
    "/api/v1/orders/{id}/trace": "RMGBPU",
    "/api/v1/dashboard": "MPSU",
}


def _allowed(role: str, letters: str) -> bool:
    return role == "admin" or any(ROLE_LETTERS[x] == role for x in letters)


def _cases():
    for resource, (read, write) in EXPECTED.items():
        for role in ROLES:
            yield pytest.param(
                role,
                "GET",
                f"/api/v1/{resource}",
                _allowed(role, read),
                id=f"{role}-GET-{resource}",
            )
            yield pytest.param(
                role,
                "POST",
                f"/api/v1/{resource}",
                _allowed(role, write),
                id=f"{role}-POST-{resource}",
            )
            yield pytest.param(
                role,
                "DELETE",
                f"/api/v1/{resource}/{uuid.uuid4()}",
                _allowed(role, write),
                id=f"{role}-DELETE-{resource}",
            )
    for template, readers in AGGREGATES.items():
        for role in ROLES:
            path = template.replace("{id}", str(uuid.uuid4()))
            yield pytest.param(role, "GET", path, _allowed(role, readers), id=f"{role}-{template}")


def _upstream(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"id": str(uuid.uuid4()), "items": [], "next": None})


@pytest.fixture(scope="module")
async def gateway():
    settings = GatewaySettings(auth=AuthSettings(development=True), rate_limit_enabled=False)
    app = create_app(settings, transport=httpx.MockTransport(_upstream))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw"
        ) as client:
            yield client


def test_the_table_covers_every_routed_resource():
    assert set(EXPECTED) == set(ROUTES)


@pytest.mark.parametrize(("role", "method", "path", "allowed"), list(_cases()))
async def test_each_role_on_each_route(gateway, role, method, path, allowed):
    token = TokenVerifier(AuthSettings(development=True)).issue(f"user-{role}", [role])
    kwargs = {"json": {}} if method == "POST" else {}
    response = await gateway.request(
        method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
    )
    if allowed:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403, response.text
        assert "needs one of the roles" in response.json()["detail"]


def _claims(**overrides):
    now = int(time.time())
    claims = {
        "sub": "someone",
        "roles": ["admin"],
        "iss": "tandem",
        "aud": "tandem-api",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


BAD_TOKENS = {
    "none": None,
    "expired": jwt.encode(_claims(exp=int(time.time()) - 120), DEV_SECRET, algorithm="HS256"),
    "wrong-audience": jwt.encode(_claims(aud="someone-else"), DEV_SECRET, algorithm="HS256"),
    "wrong-issuer": jwt.encode(_claims(iss="evil"), DEV_SECRET, algorithm="HS256"),
    "wrong-signature": jwt.encode(_claims(), "another-secret-of-at-least-32-chars!", "HS256"),
    "no-expiry": jwt.encode(_claims(exp=None), DEV_SECRET, algorithm="HS256"),
    "unsigned": jwt.encode(_claims(), None, algorithm="none"),
    "garbage": "not.a.token",
}
ROUTES_TO_PROBE = [
    *(f"/api/v1/{r}" for r in EXPECTED),
    *(t.replace("{id}", str(uuid.uuid4())) for t in AGGREGATES),
]


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
async def test_bad_tokens_are_401_on_every_route(gateway, kind):
    token = BAD_TOKENS[kind]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for path in ROUTES_TO_PROBE:
        response = await gateway.get(path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"
