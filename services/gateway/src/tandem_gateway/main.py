"""The gateway app: development tokens, proxying, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field, StringConstraints

from tandem_gateway import proxy
from tandem_gateway.settings import GatewaySettings
from tandem_kit.auth import ROLES, TokenVerifier
from tandem_kit.http import health_router, install_error_handlers, install_observability


class TokenRequest(BaseModel):
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    roles: list[str] = Field(min_length=1, max_length=len(ROLES))


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        async with httpx.AsyncClient(timeout=settings.upstream_timeout_s, limits=limits) as http:
            app.state.http = http
            yield

    app = FastAPI(
        title="Tandem API",
        version="0.1.0",
        lifespan=lifespan,
        description="One base URL for Tandem's CRM and SRM services.",
    )
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(settings.auth)
    install_error_handlers(app)
    install_observability(app, settings.service_name)

    async def no_checks() -> dict[str, str | None]:
        return {}

    app.include_router(health_router(no_checks))

    if settings.auth.development:

        @app.post(
            "/auth/token",
            response_model=TokenResponse,
            tags=["auth"],
            summary="Issue a development token (development mode only)",
        )
        async def issue_token(body: TokenRequest, request: Request) -> TokenResponse:
            unknown = sorted(set(body.roles) - ROLES)
            if unknown:
                raise HTTPException(
                    422,
                    detail=[
                        {
                            "loc": ["body", "roles"],
                            "field": "roles",
                            "type": "value_error",
                            "msg": f"unknown roles {unknown}; known: {sorted(ROLES)}",
                        }
                    ],
                )
            verifier: TokenVerifier = request.app.state.token_verifier
            return TokenResponse(
                access_token=verifier.issue(body.subject, body.roles),
                expires_in=settings.auth.token_ttl_seconds,
            )

    app.include_router(proxy.router)
    return app
