"""The gateway app: auth, aggregated reads, proxying, merged OpenAPI, health and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, StringConstraints

from tandem_gateway import proxy, views
from tandem_gateway.breaker import Breakers
from tandem_gateway.edge import Edge
from tandem_gateway.invalidation import InvalidationListener
from tandem_gateway.openapi import MergedOpenAPI
from tandem_gateway.settings import GatewaySettings
from tandem_gateway.upstream import Upstreams
from tandem_gateway.viewcache import ViewCache
from tandem_kit.auth import ROLES, TokenVerifier
from tandem_kit.http import health_router, install_error_handlers


class TokenRequest(BaseModel):
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    roles: list[str] = Field(min_length=1, max_length=len(ROLES))


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


def create_app(
    settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The gateway; ``transport`` replaces the network to the services (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limits = httpx.Limits(keepalive_expiry=2.0)  # see Upstreams
        upstreams = Upstreams(
            settings.service_urls(),
            concurrency=settings.upstream_concurrency,
            transport=transport,
        )
        async with httpx.AsyncClient(
            timeout=settings.upstream_timeout_s, limits=limits, transport=transport
        ) as http:
            app.state.http = http  # health probes and OpenAPI documents
            app.state.upstreams = upstreams  # proxied calls and aggregated reads
            app.state.openapi = MergedOpenAPI(
                app.openapi,
                settings.service_urls(),
                http,
                ttl_s=settings.openapi_cache_s,
                fetch_timeout_s=settings.openapi_fetch_timeout_s,
            )
            # Build the merged document in the background so the first reader need not wait.
            warm = (
                asyncio.create_task(app.state.openapi.document())
                if settings.openapi_warm_up
                else None
            )
            cache: ViewCache = app.state.view_cache
            listener = InvalidationListener(
                settings.kafka,
                cache,
                fetch_wait_ms=settings.view_cache_fetch_wait_ms,
                gather_ms=settings.view_cache_gather_ms,
            )
            listening = asyncio.create_task(listener.run()) if cache.enabled else None
            try:
                yield
            finally:
                for task in (warm, listening):
                    if task is not None:
                        task.cancel()
                        await asyncio.gather(task, return_exceptions=True)
                await upstreams.aclose()

    app = FastAPI(
        title="Tandem API",
        version="0.1.0",
        lifespan=lifespan,
        description="One base URL for Tandem's CRM and SRM services.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(settings.auth)
    app.state.breakers = Breakers(settings.circuit_failure_threshold, settings.circuit_open_s)
    app.state.view_cache = ViewCache(
        settings.view_cache_entries,
        settings.view_cache_ttl_s,
        max_bytes=settings.view_cache_max_mb * 1024 * 1024,
        follow_grace_s=settings.view_cache_grace_s,
    )
    install_error_handlers(app)
    app.add_middleware(Edge, settings=settings, verifier=app.state.token_verifier)

    async def no_checks() -> dict[str, str | None]:
        return {}

    app.include_router(health_router(no_checks))

    @app.get("/health/upstreams", tags=["health"], summary="Readiness of each service")
    async def upstreams(request: Request) -> dict[str, Any]:
        http: httpx.AsyncClient = request.app.state.http

        async def probe(url: str) -> str:
            try:
                response = await http.get(f"{url}/health/ready", timeout=2.0)
            except httpx.HTTPError as exc:
                return f"unavailable: {type(exc).__name__}"
            return "ok" if response.status_code == 200 else f"not ready ({response.status_code})"

        urls = settings.service_urls()
        answers = await asyncio.gather(*(probe(u) for u in urls.values()))
        return {"services": dict(zip(urls, answers, strict=True))}

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(await request.app.state.openapi.document())

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Tandem API")

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

    # Aggregated reads first: the proxy's catch-all would otherwise take their paths.
    app.include_router(views.router)
    app.include_router(proxy.router)
    return app
