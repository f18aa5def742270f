"""Bearer JWT: HS256 with a secret in development, RS256/ES256 from a JWKS URL in production."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio.to_thread
import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tandem_kit.settings import AuthSettings

log = logging.getLogger("tandem.auth")

ROLES = frozenset(
    {
        "admin",
        "sales_rep",
        "sales_manager",
        "service_agent",
        "buyer",
        "procurement_manager",
        "supplier_manager",
        "auditor",
    }
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject and roles."""

    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    token: str = ""

    def has_any(self, *roles: str) -> bool:
        return "admin" in self.roles or bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    expires_at: float  # the token's own ``exp``
    kid: str | None  # the JWKS key that signed it


class SigningKeys:
    """The signing keys a JWKS URL publishes, by key id.

    The set is fetched again once it is ``lifespan_s`` old, and at once when a token names a
    key id it lacks (a rotation), but not more often than every ``min_refresh_s``. If a fetch
    fails the keys already known stay in use until the next try. Thread-safe: a lookup that
    may fetch runs off the event loop.
    """

    def __init__(
        self,
        url: str,
        lifespan_s: float,
        min_refresh_s: float,
        max_stale_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = jwt.PyJWKClient(url, cache_jwk_set=False)
        self.lifespan_s = lifespan_s
        self.min_refresh_s = min_refresh_s
        self.max_stale_s = max_stale_s
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._tried_at = float("-inf")
        self._lock = threading.Lock()

    @property
    def fresh(self) -> bool:
        """True when a lookup needs no fetch (the set is younger than its lifespan)."""
        return self._fetched_at is not None and self._clock() - self._fetched_at < self.lifespan_s

    def get(self, kid: str) -> Any | None:
        """The key with this id, fetching the set when it is old or lacks the id."""
        if not self.fresh:
            self._refresh()
        if kid not in self._keys:
            self._refresh()
        return self._keys.get(kid)

    def published(self, kid: str | None) -> bool:
        """Whether the key is still in the (fresh) set: tokens it signed stay trusted."""
        if not self.fresh:
            self._refresh()
        return kid is not None and kid in self._keys

    def _refresh(self) -> None:
        with self._lock:
            now = self._clock()
            if now - self._tried_at < self.min_refresh_s:
                return  # another lookup has just fetched (or failed to)
            self._tried_at = now
            try:
                published = self._client.get_jwk_set(refresh=True).keys
            except jwt.PyJWKSetError:
                published = []  # a set without usable keys: every key is revoked
            except jwt.PyJWKClientError:
                if self._fetched_at is None:
                    raise
                if now - self._fetched_at > self.max_stale_s:
                    log.error("the JWKS has been unreachable too long; no key is trusted now")
                    self._keys = {}
                else:
                    log.warning("could not fetch the JWKS; keeping the keys known", exc_info=True)
                return
            self._keys = {
                k.key_id: k.key for k in published if k.key_id and k.public_key_use in ("sig", None)
            }
            self._fetched_at = now


class TokenVerifier:
    """Validates signature, expiry, issuer and audience; the one place tokens are read.

    A token that passed is remembered (at most ``token_cache_size`` of them, least recently
    used dropped first) until its own ``exp``, so that the gateway and each service do not
    redo the signature check on every request of a session. A remembered token whose JWKS key
    is no longer published is checked again, and fails.
    """

    def __init__(self, settings: AuthSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock = clock
        self.keys = (
            SigningKeys(
                settings.jwks_url,
                settings.jwks_cache_s,
                settings.jwks_min_refresh_s,
                settings.jwks_max_stale_s,
            )
            if settings.jwks_url
            else None
        )
        self._verified: OrderedDict[str, _Verified] = OrderedDict()

    def verify(self, token: str) -> Principal:
        """The caller behind the token, or a 401; may fetch the JWKS (blocking)."""
        if (principal := self.remembered(token)) is not None:
            return principal
        verified = self._decode(token)
        if self.settings.token_cache_size:
            self._verified[token] = verified
            while len(self._verified) > self.settings.token_cache_size:
                self._verified.popitem(last=False)
        return verified.principal

    async def authenticate(self, token: str) -> Principal:
        """``verify`` for the event loop: a check that may fetch keys runs in a thread."""
        if (principal := self.remembered(token)) is not None:
            return principal
        if self.keys is not None:
            return await anyio.to_thread.run_sync(self.verify, token)
        return self.verify(token)

    def remembered(self, token: str) -> Principal | None:
        """The principal of a token that passed before and still would, without I/O; else None."""
        hit = self._verified.get(token)
        if hit is None:
            return None
        if self._clock() >= hit.expires_at:
            self._verified.pop(token, None)
            return None
        if self.keys is not None and not (self.keys.fresh and self.keys.published(hit.kid)):
            return None  # check again against the keys fetched now
        try:
            self._verified.move_to_end(token)
        except KeyError:  # evicted meanwhile by a check running in a thread: still valid
            pass
        return hit.principal

    def _decode(self, token: str) -> _Verified:
        kid = None
        try:
            if self.keys is not None:
                kid = jwt.get_unverified_header(token).get("kid")
                key: Any = self.keys.get(kid) if isinstance(kid, str) else None
                if key is None:
                    raise jwt.PyJWKClientError(f"no signing key with the id {kid!r}")
            else:
                key = self.settings.secret.get_secret_value()
            claims = jwt.decode(
                token,
                key,
                algorithms=self.settings.algorithms,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                f"invalid token: {exc}",
                headers={"WWW-Authenticate": "Bearer"},
            ) from exc
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "invalid token: roles must be a list of strings",
                headers={"WWW-Authenticate": "Bearer"},
            )
        principal = Principal(subject=str(claims["sub"]), roles=frozenset(roles), token=token)
        return _Verified(principal, float(claims["exp"]), kid)

    def issue(self, subject: str, roles: list[str], ttl_seconds: int | None = None) -> str:
        """Sign a development token (HS256); refused unless development mode is on."""
        if not self.settings.development:
            raise RuntimeError("tokens are issued only in development mode")
        now = int(time.time())
        claims = {
            "sub": subject,
            "roles": roles,
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "exp": now + (ttl_seconds or self.settings.token_ttl_seconds),
        }
        return jwt.encode(claims, self.settings.secret.get_secret_value(), algorithm="HS256")


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.authenticate(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str):
    """A dependency that admits admins and the given roles, else 403 naming what is needed."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"needs one of the roles: {', '.join(sorted(roles))}"
            )
        return principal

    return Depends(check)
