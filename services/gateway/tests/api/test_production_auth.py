"""Production auth: RS256/ES256 tokens checked against keys from a JWKS URL (served locally)."""

import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from tandem_gateway.main import create_app
from tandem_gateway.settings import GatewaySettings
from tandem_kit.settings import AuthSettings
from tandem_kit.testing.jwks import jwks_server

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
IMPOSTOR = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url():
    with jwks_server(("rsa-1", RSA_KEY, "RS256"), ("ec-1", EC_KEY, "ES256")) as server:
        yield server.url


@pytest.fixture(scope="module")
async def gateway(jwks_url):
    auth = AuthSettings(
        development=False,
        jwks_url=jwks_url,
        algorithms=["RS256", "ES256"],
        issuer="https://idp.example.test/",
        audience="tandem-api",
    )
    settings = GatewaySettings(auth=auth, rate_limit_enabled=False)

    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [], "next": None})

    app = create_app(settings, transport=httpx.MockTransport(upstream))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw"
        ) as client:
            yield client


def _token(key=RSA_KEY, alg="RS256", kid="rsa-1", **overrides):
    now = int(time.time())
    claims = {
        "sub": "idp|42",
        "roles": ["sales_rep"],
        "iss": "https://idp.example.test/",
        "aud": "tandem-api",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


async def _get(gateway, token):
    return await gateway.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})


async def test_rs256_and_es256_tokens_from_the_identity_provider_are_accepted(gateway):
    assert (await _get(gateway, _token())).status_code == 200
    assert (await _get(gateway, _token(EC_KEY, "ES256", "ec-1"))).status_code == 200


@pytest.mark.parametrize(
    ("case", "token"),
    [
        ("no issuer", lambda: _token(iss=None)),
        ("no audience", lambda: _token(aud=None)),
        ("no expiry", lambda: _token(exp=None)),
        ("expired", lambda: _token(exp=int(time.time()) - 60)),
        ("other issuer", lambda: _token(iss="https://evil.example.test/")),
        ("other audience", lambda: _token(aud="another-api")),
        ("signed by another key", lambda: _token(IMPOSTOR)),
        ("unknown key id", lambda: _token(kid="rsa-9")),
        ("HS256 with a guessable secret", lambda: _token("x" * 40, "HS256")),
    ],
)
async def test_tokens_missing_or_failing_a_required_claim_are_401(gateway, case, token):
    response = await _get(gateway, token())
    assert response.status_code == 401, case


async def test_production_issues_no_development_tokens(gateway):
    response = await gateway.post("/auth/token", json={"subject": "me", "roles": ["admin"]})
    assert response.status_code in (404, 405)


def test_a_jwks_url_with_hmac_algorithms_is_refused_at_start():
    with pytest.raises(ValidationError, match="RS256"):
        GatewaySettings(
            auth=AuthSettings(
                development=False, jwks_url="http://idp.test/jwks", algorithms=["HS256"]
            )
        )
