"""The FastAPI shell every service shares: errors, correlation ids, health, metrics, auth."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem_kit import context, metrics
from tandem_kit.auth import TokenVerifier
from tandem_kit.db import (
    concurrent_conflict,
    create_engine,
    create_read_engine,
    session_factory,
)
from tandem_kit.errors import DomainError
from tandem_kit.health import BrokerProbe, database_ok
from tandem_kit.settings import ServiceSettings

log = logging.getLogger("tandem.http")
CORRELATION_HEADER = "X-Correlation-ID"
# Requests with these methods change nothing, so they get read-only database sessions.
READ_METHODS = frozenset({"GET", "HEAD"})


def reads_only(request: Request) -> bool:
    """True when the request may only read (GET, HEAD): serve it from the read sessions."""
    return request.method in READ_METHODS


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic errors with a dotted ``field`` (location prefix dropped) beside loc/msg/type."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        field = ".".join(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
        out.append(
            {
                "loc": err.get("loc", []),
                "msg": err.get("msg", ""),
                "type": err.get("type", ""),
                "field": field or (loc[0] if loc else ""),
            }
        )
    return out


def unique_field(exc: IntegrityError) -> str | None:
    """The column a unique-constraint violation names, from SQLite's or PostgreSQL's message."""
    orig = getattr(exc, "orig", None)
    # asyncpg keeps "Key (col)=(...) already exists." in the driver error's ``detail``.
    detail = getattr(getattr(orig, "__cause__", None), "detail", None) or ""
    message = f"{orig or exc} {detail}"
    if match := re.search(r"UNIQUE constraint failed: [\w.]+\.(\w+)", message):
        return match.group(1)
    if match := re.search(r"Key \(([\w, ]+)\)=", message):
        return match.group(1).split(",")[-1].strip()
    return None


def transient_database_error(exc: DBAPIError) -> bool:
    """Whether the database refused a transaction only because a concurrent one held what it
    needed (PostgreSQL's deadlock or serialization failure, SQLite's lock past its timeout)."""
    return concurrent_conflict(exc) or "database is locked" in str(exc.orig)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422, content=jsonable_encoder({"detail": field_errors(list(exc.errors()))})
        )

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content=jsonable_encoder(exc.body()))

    @app.exception_handler(IntegrityError)
    async def _conflict(_: Request, exc: IntegrityError) -> JSONResponse:
        # A race past the service's own checks (two creates with one unique value): the
        # database refused the second write, nothing was written; say so instead of a 500.
        field = unique_field(exc)
        body: dict[str, Any] = {
            "detail": "conflicts with an existing record: "
            + (f"{field} must be unique" if field else "a unique value is already taken"),
            "code": "Conflict",
        }
        if field:
            body["field"] = field
        return JSONResponse(status_code=409, content=body)

    @app.exception_handler(DBAPIError)
    async def _busy(request: Request, exc: DBAPIError) -> JSONResponse:
        # A concurrent change held what this one needed (a deadlock, SQLite's write lock past
        # its timeout): the transaction rolled back, nothing was written; the client may retry.
        if not transient_database_error(exc):
            return await _unexpected(request, exc)
        log.warning(
            "database busy; request refused", extra={"path": request.url.path, "error": str(exc)}
        )
        return JSONResponse(
            status_code=503,
            content={
                "detail": "a concurrent change held the records this request needed; nothing "
                "was written, try again",
                "code": "Busy",
            },
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return internal_error()


def internal_error() -> JSONResponse:
    """A 500 that tells nothing of the failure, only the id to find it by in the logs."""
    return JSONResponse(
        status_code=500,
        content={"detail": "internal error", "correlation_id": context.correlation_id.get()},
    )


class Observability:
    """Correlation id in and out, request metrics and one access log line per request; an
    error no handler answered becomes a 500 that names the correlation id (body and header).

    Pure ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware runs
    every request through an extra task and memory streams, which cost more CPU than the
    routes it wraps.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = (Headers(scope=scope).get(CORRELATION_HEADER) or context.new_correlation_id())[:128]
        token = context.correlation_id.set(cid)
        started = time.perf_counter()
        status = 500
        answered = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                answered = True
                headers = MutableHeaders(scope=message)
                headers[CORRELATION_HEADER] = cid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Answered here rather than by Starlette's outermost handler, which runs after this
            # request's correlation id is gone: the 500 names it, in its body and its header.
            if answered:
                raise
            log.exception("unhandled error", extra={"path": scope["path"]})
            await internal_error()(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            context.correlation_id.reset(token)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        metrics.HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
        metrics.HTTP_LATENCY.labels(self.service, method, route).observe(elapsed)
        if not route.startswith("/health") and route != "/metrics":
            log.info(
                "request",
                extra={
                    "method": method,
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )


def install_observability(app: FastAPI, service: str) -> None:
    app.add_middleware(Observability, service=service)


def health_router(
    ready_checks: Callable[[], Awaitable[dict[str, str | None]]],
    informational: frozenset[str] = frozenset(),
) -> APIRouter:
    """Health and metrics routes; a failing ``informational`` check reports "degraded" but
    leaves the process ready (the HTTP process keeps taking writes while the broker is away:
    the outbox holds the events)."""
    router = APIRouter(tags=["health"])

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/health/ready")
    async def ready() -> JSONResponse:
        checks = await ready_checks()
        ok = all(v is None for k, v in checks.items() if k not in informational)
        degraded = ok and any(v is not None for v in checks.values())
        return JSONResponse(
            status_code=200 if ok else 503,
            content={
                "status": ("degraded" if degraded else "ok") if ok else "unavailable",
                "checks": {k: "ok" if v is None else v for k, v in checks.items()},
            },
        )

    @router.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    version: str = "0.1.0",
    check_broker: bool = True,
) -> FastAPI:
    """A service's HTTP app; its engine and sessions live on ``app.state`` for the app's life."""
    engine = create_engine(settings.resolved_database_url(), pool_size=settings.database_pool_size)
    read_engine = create_read_engine(
        engine, pool_size=settings.database_pool_size, inline=settings.database_inline_reads
    )
    probe = BrokerProbe(settings.kafka)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await probe.close()
            await engine.dispose()
            if read_engine.pool is not engine.pool:  # SQLite: its own connections
                await read_engine.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    # GET and HEAD requests read through these: no write lock, and a write fails loudly.
    app.state.read_engine = read_engine
    app.state.read_sessions = session_factory(read_engine)
    app.state.token_verifier = TokenVerifier(settings.auth)

    async def checks() -> dict[str, str | None]:
        result = {"database": await database_ok(read_engine)}
        if check_broker:
            result["broker"] = await probe.check()
        return result

    install_error_handlers(app)
    install_observability(app, settings.service_name)
    app.include_router(health_router(checks, informational=frozenset({"broker"})))
    for router in routers:
        app.include_router(router)
    return app
