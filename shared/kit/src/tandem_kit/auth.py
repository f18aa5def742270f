"""Bearer JWT: HS256 with a secret in development, RS256/ES256 from a JWKS URL in production."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tandem_kit.settings import AuthSettings

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


class TokenVerifier:
    """Validates signature, expiry, issuer and audience; the one place tokens are read."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._jwks = (
            jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        )

    def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
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
        return Principal(subject=str(claims["sub"]), roles=frozenset(roles), token=token)

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


def current_principal(
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
    return verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str):
    """A dependency that admits admins and the given roles, else 403 naming what is needed."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"needs one of the roles: {', '.join(sorted(roles))}"
            )
        return principal

    return Depends(check)
