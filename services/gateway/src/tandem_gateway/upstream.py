"""Calling the services: the headers that carry the caller along, the client, and what a call cost.

The upstream client is aiohttp's: its HTTP parser is compiled, and it costs the gateway about a
tenth of httpx's CPU per call (0.3-0.4 against 2.5-3.2 ms measured at 20 calls in flight on
loopback), which at two or more calls per request was half of the gateway's CPU. Tests may
hand in an httpx transport instead (``HttpxSender``) to put fake services behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import httpx
import pydantic_core
from prometheus_client import Counter, Histogram
from starlette.requests import Request
from yarl import URL

from tandem_kit import context
from tandem_kit.auth import Principal
from tandem_kit.http import CORRELATION_HEADER

REQUEST_ID_HEADER = "X-Request-ID"
# Expire idle connections well before uvicorn's 5 s keep-alive closes them from the other
# side, or a request may be written into a socket the service is closing.
KEEPALIVE_EXPIRY_S = 2.0

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

Query = Sequence[tuple[str, str]]


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


class UpstreamTimeout(Exception):
    """The service did not answer within the call's timeout."""


class UpstreamUnavailable(Exception):
    """The connection was refused, reset or closed before a whole answer came back."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # the underlying error's class name, for the caller's message


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: tuple[tuple[str, str], ...]  # names lower case, in the order received
    body: bytes

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON."""
        return pydantic_core.from_json(self.body)


class Sender(Protocol):
    async def send(
        self,
        method: str,
        url: str,
        *,
        query: Query,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> UpstreamResponse: ...

    async def aclose(self) -> None: ...


def _header_pairs(raw: Iterable[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
    """Response headers as they came, names lower-cased (HTTP/1.1 header bytes are latin-1)."""
    return tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw)


class AiohttpSender:
    """One aiohttp session (and connection pool) for one service."""

    def __init__(self, pool_size: int) -> None:
        connector = aiohttp.TCPConnector(
            limit=pool_size, keepalive_timeout=KEEPALIVE_EXPIRY_S, ttl_dns_cache=60
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            # No cookies kept between callers; no User-Agent or content coding invented; a
            # request without Content-Type goes without one (not application/octet-stream).
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            raise_for_status=False,
        )

    async def send(
        self,
        method: str,
        url: str,
        *,
        query: Query,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> UpstreamResponse:
        try:
            async with self._session.request(
                method,
                URL(url),
                params=query or None,
                headers=headers,
                data=body or None,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as response:
                content = await response.read()
                return UpstreamResponse(
                    response.status, _header_pairs(response.raw_headers), content
                )
        except TimeoutError:
            raise UpstreamTimeout() from None
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(type(exc).__name__) from None

    async def aclose(self) -> None:
        await self._session.close()


class HttpxSender:
    """The same calls through an httpx transport: fake services in tests."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._client = httpx.AsyncClient(transport=transport)

    async def send(
        self,
        method: str,
        url: str,
        *,
        query: Query,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> UpstreamResponse:
        try:
            response = await self._client.request(
                method, url, params=list(query), content=body, headers=headers, timeout=timeout
            )
        except httpx.TimeoutException:
            raise UpstreamTimeout() from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(type(exc).__name__) from None
        pairs = _header_pairs(response.headers.raw)
        return UpstreamResponse(response.status_code, pairs, response.content)

    async def aclose(self) -> None:
        await self._client.aclose()


class Upstreams:
    """One bounded connection pool per service; calls past the bound wait for a free slot.

    The pool is never asked for more connections than it holds: the waiting happens on a
    semaphore, so a call's own timeout (set by the caller) covers its wait for a slot too.
    """

    def __init__(
        self,
        urls: dict[str, str],
        *,
        concurrency: int,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.urls = urls
        self._senders: dict[str, Sender] = {
            service: AiohttpSender(concurrency) if transport is None else HttpxSender(transport)
            for service in urls
        }
        self._slots = {service: asyncio.Semaphore(concurrency) for service in urls}

    @asynccontextmanager
    async def slot(self, service: str) -> AsyncIterator[Sender]:
        """The service's sender, once fewer than ``concurrency`` calls to it are in flight."""
        async with self._slots[service]:
            yield self._senders[service]

    async def aclose(self) -> None:
        for sender in self._senders.values():
            await sender.aclose()
