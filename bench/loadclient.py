"""The measured loops' HTTP client: aiohttp, a fraction of httpx's CPU per request.

On 2 cores the load generator's own CPU is taken from the system it measures. httpx cost the
harness 1.4-1.7 ms of CPU per customer 360 read and as much per direct read as the customer
service spent answering it; aiohttp's client does the same request for well under half that.
Set-up calls keep httpx (bench.api): they are not measured.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    cache: str | None = None  # the gateway's X-Cache header (how its view cache answered)

    @property
    def status_code(self) -> int:  # as httpx names it (bench.api.ApiError reads it)
        return self.status

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class LoadClient:
    """GETs against one base URL over at most ``connections`` kept-alive connections."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def get(self, path: str, headers: dict[str, str]) -> Answer:
        async with self._session.get(path, headers=headers) as response:
            return Answer(
                response.status, await response.read(), response.headers.get("X-Cache")
            )

    async def post(
        self, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> Answer:
        """POST ``body`` as JSON (or nothing when None)."""
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers = {**(headers or {}), "Content-Type": "application/json"}
        skip = ("Content-Type",) if data is None else ()  # aiohttp would invent one
        async with self._session.post(
            path, headers=headers, data=data, skip_auto_headers=skip
        ) as response:
            return Answer(response.status, await response.read())


@asynccontextmanager
async def load_client(
    base_url: str, connections: int, timeout: float = 30.0
) -> AsyncIterator[LoadClient]:
    # uvicorn closes idle connections after 5 s: expire ours well before (as bench.api does).
    connector = aiohttp.TCPConnector(limit=connections, keepalive_timeout=2.0)
    async with aiohttp.ClientSession(
        base_url=base_url,
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout),
        auto_decompress=False,
    ) as session:
        yield LoadClient(session)
