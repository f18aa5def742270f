"""Forwarding of /api/v1/* to the owning service, with identity and correlation headers."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from tandem_gateway.breaker import Breakers
from tandem_gateway.invalidation import invalidate_for_write
from tandem_gateway.routing import owner_of
from tandem_gateway.upstream import (
    UPSTREAM_CALLS,
    UPSTREAM_LATENCY,
    Upstreams,
    UpstreamTimeout,
    UpstreamUnavailable,
    identity_headers,
    outcome_of,
)
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.permissions import POLICY, access_for_method, allowed

FORWARDED_REQUEST_HEADERS = (
    "content-type",
    "accept",
    "idempotency-key",
    "if-match",
    "if-none-match",
)
FORWARDED_RESPONSE_HEADERS = ("content-type", "etag", "location", "retry-after", "link")

router = APIRouter()


def _busy(status: int, headers: tuple[tuple[str, str], ...]) -> bool:
    """A 503 with Retry-After: the service answered, at once, that the client should come back
    (the kit's Busy: a concurrent change held what the request needed). The circuit counts it
    as an answer, as any response below 500, since the breaker is there for services that
    fail or hang, not for ones that answer."""
    return status == 503 and any(name == "retry-after" for name, _ in headers)


async def _read_body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


@router.api_route(
    "/api/v1/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def forward(path: str, request: Request, principal: CurrentPrincipal) -> Response:
    path = path.strip("/")
    service = owner_of(path)
    if service is None:
        return JSONResponse(
            status_code=404,
            content={"detail": f"no resource /api/v1/{path.split('/', 1)[0]}", "field": "path"},
        )
    resource = path.split("/", 1)[0]
    access = access_for_method(request.method)
    if not allowed(principal, resource, access):
        needed = sorted(POLICY.get(resource, {}).get(access, frozenset()) | {"admin"})
        return JSONResponse(
            status_code=403,
            content={
                "detail": f"{access} on {resource} needs one of the roles: {', '.join(needed)}"
            },
        )
    settings = request.app.state.settings
    body = await _read_body(request, settings.max_body_bytes)
    if body is None:
        return JSONResponse(
            status_code=413,
            content={
                "detail": f"request body over {settings.max_body_bytes} bytes",
                "field": "body",
            },
        )
    headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_REQUEST_HEADERS}
    headers.update(identity_headers(request, principal))
    request.state.upstream = service
    breakers: Breakers = request.app.state.breakers
    paused = breakers.refusal(service)
    if paused is not None:
        UPSTREAM_CALLS.labels(service, "circuit_open").inc()
        return JSONResponse(
            status_code=503,
            content={"detail": paused, "service": service},
            headers={"Retry-After": str(max(1, round(settings.circuit_open_s)))},
        )
    upstreams: Upstreams = request.app.state.upstreams
    url = f"{upstreams.urls[service]}/api/v1/{path}"
    started = time.perf_counter()
    try:
        # Waiting for a free slot and the call itself share the one timeout.
        async with asyncio.timeout(settings.upstream_timeout_s), upstreams.slot(service) as sender:
            started = time.perf_counter()
            upstream = await sender.send(
                request.method,
                url,
                query=request.query_params.multi_items(),
                body=body,
                headers=headers,
                timeout=settings.upstream_timeout_s,
            )
    except (TimeoutError, UpstreamTimeout):
        breakers.failed(service)
        UPSTREAM_CALLS.labels(service, "timeout").inc()
        return JSONResponse(
            status_code=504,
            content={
                "detail": f"the {service} service did not answer within "
                f"{settings.upstream_timeout_s}s",
                "service": service,
            },
        )
    except UpstreamUnavailable as exc:
        breakers.failed(service)
        UPSTREAM_CALLS.labels(service, "unavailable").inc()
        return JSONResponse(
            status_code=503,
            content={
                "detail": f"the {service} service is unavailable: {exc.kind}",
                "service": service,
            },
        )
    finally:
        UPSTREAM_LATENCY.labels(service).observe(time.perf_counter() - started)
    UPSTREAM_CALLS.labels(service, outcome_of(upstream.status)).inc()
    if upstream.status >= 500 and not _busy(upstream.status, upstream.headers):
        breakers.failed(service)
    else:
        breakers.succeeded(service)
    if request.method != "GET" and upstream.status < 400:
        # Before the answer leaves: the writer's next 360 through this gateway shows the write.
        invalidate_for_write(request.app.state.view_cache, path, body, upstream.body)
    out_headers = {k: v for k, v in upstream.headers if k in FORWARDED_RESPONSE_HEADERS}
    return Response(content=upstream.body, status_code=upstream.status, headers=out_headers)
