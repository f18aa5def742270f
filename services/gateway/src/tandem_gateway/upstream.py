"""Calling the services: the headers that carry the caller along, and what a call cost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from prometheus_client import Counter, Histogram
from starlette.requests import Request

from tandem_kit import context
from tandem_kit.auth import Principal
from tandem_kit.http import CORRELATION_HEADER

REQUEST_ID_HEADER = "X-Request-ID"

UPSTREAM_CALLS = Counter(
    "tandem_gateway_upstream_calls_total",
    "Calls from the gateway to a service, by outcome",
    ["service", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "tandem_gateway_upstream_duration_seconds",
    "Time a service took to answer the gateway",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)


def identity_headers(request: Request, principal: Principal) -> dict[str, str]:
    """The caller's token (services check it again), correlation and request ids."""
    headers = {
        "Authorization": f"Bearer {principal.token}",
        CORRELATION_HEADER: context.current_correlation_id(),
        "X-Forwarded-User": principal.subject,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return headers


def outcome_of(status: int) -> str:
    return f"{status // 100}xx"


class Upstreams:
    """One bounded connection pool per service; calls past the bound wait for a free slot.

    httpx's pool looks at every connection (a readability poll for each idle one) and every
    queued request whenever a request starts or ends, so one big shared pool costs O(n) per
    call at the fan-out of an aggregated read. A pool per service, never asked for more
    connections than it holds, keeps n small; the waiting happens on a semaphore instead.
    """

    def __init__(
        self,
        urls: dict[str, str],
        *,
        concurrency: int,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.urls = urls
        # Expire idle connections well before uvicorn's 5 s keep-alive closes them from the
        # other side, or a request may be written into a socket the service just closed.
        limits = httpx.Limits(
            max_connections=concurrency,
            max_keepalive_connections=concurrency,
            keepalive_expiry=2.0,
        )
        self._clients = {
            service: httpx.AsyncClient(timeout=timeout, limits=limits, transport=transport)
            for service in urls
        }
        self._slots = {service: asyncio.Semaphore(concurrency) for service in urls}

    @asynccontextmanager
    async def slot(self, service: str) -> AsyncIterator[httpx.AsyncClient]:
        """The service's client, once fewer than ``concurrency`` calls to it are in flight."""
        async with self._slots[service]:
            yield self._clients[service]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
