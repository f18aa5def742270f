"""The token verifier remembers tokens that passed, but never past their expiry or their key."""

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import HTTPException

from tandem_kit.auth import TokenVerifier
from tandem_kit.settings import AuthSettings
from tandem_kit.testing.jwks import jwks_server

OLD_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NEW_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISSUER = "https://idp.example.test/"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_is_checked_in_full_again_once_it_expires(monkeypatch):
    clock = Clock()
    verifier = TokenVerifier(AuthSettings(development=True), clock=clock)
    token = verifier.issue("ann", ["sales_rep"], ttl_seconds=60)
    decode = verifier._decode
    checks = []
    monkeypatch.setattr(verifier, "_decode", lambda t: checks.append(t) or decode(t))
    assert verifier.verify(token).subject == "ann"
    assert verifier.verify(token).subject == "ann"
    assert len(checks) == 1  # the second request skipped the signature check
    clock.now += 61  # past the token's exp
    assert verifier.remembered(token) is None
    verifier.verify(token)
    assert len(checks) == 2


def test_an_expired_token_is_refused():
    verifier = TokenVerifier(AuthSettings(development=True))
    claims = {"sub": "ann", "roles": [], "iss": "tandem", "aud": "tandem-api", "exp": 1}
    expired = jwt.encode(claims, verifier.settings.secret.get_secret_value(), algorithm="HS256")
    with pytest.raises(HTTPException) as refused:
        verifier.verify(expired)
    assert refused.value.status_code == 401 and "expired" in refused.value.detail


def test_a_refused_token_is_not_remembered_and_stays_refused():
    verifier = TokenVerifier(AuthSettings(development=True))
    forged = jwt.encode(
        {"sub": "eve", "roles": ["admin"], "iss": "tandem", "aud": "tandem-api", "exp": 2**40},
        "another-secret-that-is-long-enough-0123456789",
        algorithm="HS256",
    )
    for _ in range(2):
        with pytest.raises(HTTPException):
            verifier.verify(forged)
    assert verifier.remembered(forged) is None


def test_the_cache_holds_at_most_its_size_dropping_the_least_recently_used():
    verifier = TokenVerifier(AuthSettings(development=True, token_cache_size=2))
    first, second, third = (verifier.issue(s, ["auditor"]) for s in ("a", "b", "c"))
    verifier.verify(first)
    verifier.verify(second)
    verifier.verify(first)  # first is now the most recently used
    verifier.verify(third)
    assert verifier.remembered(second) is None
    assert verifier.remembered(first) is not None and verifier.remembered(third) is not None


def test_a_cache_size_of_zero_remembers_nothing():
    verifier = TokenVerifier(AuthSettings(development=True, token_cache_size=0))
    token = verifier.issue("ann", ["auditor"])
    assert verifier.verify(token).subject == "ann"
    assert verifier.remembered(token) is None


@pytest.fixture
def idp():
    with jwks_server(("old", OLD_KEY, "RS256")) as server:
        yield server


def _signed(key, kid: str) -> str:
    now = int(time.time())
    claims = {
        "sub": "idp|7",
        "roles": ["buyer"],
        "iss": ISSUER,
        "aud": "tandem-api",
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _verifier(url: str, **settings) -> TokenVerifier:
    auth = AuthSettings(jwks_url=url, algorithms=["RS256"], issuer=ISSUER, **settings)
    return TokenVerifier(auth)


def test_tokens_of_a_key_taken_out_of_the_jwks_are_refused_after_the_next_fetch(idp):
    verifier = _verifier(idp.url, jwks_cache_s=60, jwks_min_refresh_s=0)
    assert verifier.keys is not None
    verifier.keys._clock = clock = Clock()
    token = _signed(OLD_KEY, "old")
    assert verifier.verify(token).subject == "idp|7"
    assert verifier.remembered(token) is not None
    idp.keys = [("new", NEW_KEY, "RS256")]  # the identity provider rotates its key
    clock.now += 61  # the key set we hold is now older than jwks_cache_s
    assert verifier.remembered(token) is None
    with pytest.raises(HTTPException) as refused:
        verifier.verify(token)
    assert refused.value.status_code == 401
    assert verifier.verify(_signed(NEW_KEY, "new")).subject == "idp|7"


def test_a_token_naming_a_new_key_fetches_the_jwks_at_once(idp):
    verifier = _verifier(idp.url, jwks_cache_s=3600, jwks_min_refresh_s=0)
    assert verifier.verify(_signed(OLD_KEY, "old")).subject == "idp|7"
    idp.keys = [("old", OLD_KEY, "RS256"), ("new", NEW_KEY, "RS256")]
    assert verifier.verify(_signed(NEW_KEY, "new")).subject == "idp|7"
    assert idp.fetches == 2


def test_unknown_key_ids_do_not_make_every_request_fetch_the_jwks(idp):
    verifier = _verifier(idp.url, jwks_cache_s=3600, jwks_min_refresh_s=60)
    assert verifier.verify(_signed(OLD_KEY, "old")).subject == "idp|7"
    for attempt in range(3):
        with pytest.raises(HTTPException):
            verifier.verify(_signed(NEW_KEY, f"made-up-{attempt}"))
    assert idp.fetches == 1


async def test_authenticate_answers_a_remembered_jwks_token_without_a_fetch(idp):
    verifier = _verifier(idp.url, jwks_cache_s=3600, jwks_min_refresh_s=0)
    token = _signed(OLD_KEY, "old")
    assert (await verifier.authenticate(token)).subject == "idp|7"
    assert (await verifier.authenticate(token)).roles == frozenset({"buyer"})
    assert idp.fetches == 1


def test_publishing_an_empty_key_set_revokes_every_key(idp):
    verifier = _verifier(idp.url, jwks_cache_s=60, jwks_min_refresh_s=0)
    verifier.keys._clock = clock = Clock()
    token = _signed(OLD_KEY, "old")
    assert verifier.verify(token).subject == "idp|7"
    idp.keys = []  # the identity provider withdraws every key
    clock.now += 61
    assert verifier.remembered(token) is None
    with pytest.raises(HTTPException) as refused:
        verifier.verify(token)
    assert refused.value.status_code == 401


def test_known_keys_outlive_an_unreachable_jwks_only_up_to_the_stale_limit(idp):
    verifier = _verifier(idp.url, jwks_cache_s=60, jwks_min_refresh_s=0, jwks_max_stale_s=600)
    verifier.keys._clock = clock = Clock()
    token = _signed(OLD_KEY, "old")
    assert verifier.verify(token).subject == "idp|7"
    idp.down = True
    clock.now += 61  # set out of date, endpoint down: the known key still verifies
    assert verifier.verify(_signed(OLD_KEY, "old")).subject == "idp|7"
    clock.now += 600  # down for longer than jwks_max_stale_s: fail closed
    with pytest.raises(HTTPException) as refused:
        verifier.verify(_signed(OLD_KEY, "old"))
    assert refused.value.status_code == 401
