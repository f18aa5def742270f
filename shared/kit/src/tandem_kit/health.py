"""Readiness probes for the database and the broker, cached briefly so probes stay cheap."""

from __future__ import annotations

import asyncio
import time

from aiokafka.client import AIOKafkaClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_kit.kafka import client_options
from tandem_kit.settings import KafkaSettings


async def database_ok(engine: AsyncEngine, timeout: float = 2.0) -> str | None:
    """None when the database answers, else why not."""
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                await conn.rollback()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]


class BrokerProbe:
    """Asks the broker for cluster metadata; keeps one client and the last answer for a moment."""

    def __init__(self, settings: KafkaSettings, ttl: float = 2.0, timeout: float = 2.0) -> None:
        self.settings = settings
        self.ttl = ttl
        self.timeout = timeout
        self._client: AIOKafkaClient | None = None
        self._checked_at = 0.0
        self._last: str | None = "not checked"
        self._lock = asyncio.Lock()

    async def check(self) -> str | None:
        async with self._lock:
            if time.monotonic() - self._checked_at < self.ttl:
                return self._last
            self._last = await self._probe()
            self._checked_at = time.monotonic()
            return self._last

    async def _probe(self) -> str | None:
        try:
            async with asyncio.timeout(self.timeout):
                if self._client is None:
                    options = client_options(self.settings, "health")
                    self._client = AIOKafkaClient(**options)
                    await self._client.bootstrap()
                await self._client.fetch_all_metadata()
            return None
        except Exception as exc:
            await self.close()
            return f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.close()
            except Exception:
                pass
