"""The view cache's listener reads a flowing stream of events in batches, losing none."""

import asyncio
import json
import time
import uuid
from types import SimpleNamespace

import pytest
from aiokafka import TopicPartition
from pydantic import ValidationError

from tandem_gateway.invalidation import InvalidationListener
from tandem_gateway.settings import GatewaySettings
from tandem_gateway.viewcache import ViewCache
from tandem_kit.settings import KafkaSettings

TP = TopicPartition("customer.contacts.v1", 0)


class Stream:
    """A consumer of one partition on which an event arrives every ``every_s``; each fetch
    takes ``fetch_s`` and brings what arrived since the last one."""

    def __init__(
        self, every_s: float = 0.01, fetch_s: float = 0.005, backlog: int = 0, per_fetch=None
    ) -> None:
        self.every_s, self.fetch_s = every_s, fetch_s
        self.backlog, self.per_fetch = backlog, per_fetch
        self.started = time.monotonic()
        self.sent = 0  # events handed out so far
        self.end = 0  # events on the partition at the last fetch
        self.fetches = 0

    async def getmany(self, *partitions, timeout_ms=0):
        await asyncio.sleep(self.fetch_s)
        self.fetches += 1
        self.end = self.backlog + int((time.monotonic() - self.started) / self.every_s)
        upto = self.end if self.per_fetch is None else min(self.end, self.sent + self.per_fetch)
        records = [
            SimpleNamespace(
                offset=n, value=json.dumps({"customer_id": str(uuid.UUID(int=n + 1))}).encode()
            )
            for n in range(self.sent, upto)
        ]
        self.sent = upto
        return {TP: records} if records else {}

    def highwater(self, tp):
        return self.end

    def last_poll_timestamp(self, tp):
        return time.time() * 1000


class Dropped(ViewCache):
    def __init__(self) -> None:
        super().__init__(100, 30.0)
        self.named: list[str] = []

    def invalidate(self, customer_ids) -> None:
        self.named += list(customer_ids)
        super().invalidate(customer_ids)


async def follow_for(seconds: float, gather_ms: int, **stream) -> tuple[Stream, Dropped]:
    stream, cache = Stream(**stream), Dropped()
    listener = InvalidationListener(KafkaSettings(), cache, gather_ms=gather_ms)
    following = asyncio.create_task(listener._follow(stream, [TP]))
    await asyncio.sleep(seconds)
    following.cancel()
    await asyncio.gather(following, return_exceptions=True)
    return stream, cache


async def test_while_events_flow_the_listener_reads_them_in_batches_and_drops_each():
    stream, cache = await follow_for(1.0, gather_ms=200)
    # An event every 10 ms for a second: a read, then at most one read per 200 ms after it.
    assert stream.sent >= 50
    assert stream.fetches <= 7, stream.fetches
    # Every event handed out dropped its customer, in order, none twice.
    assert cache.named == [str(uuid.UUID(int=n + 1)) for n in range(stream.sent)]
    assert cache.usable  # the broker was heard throughout


async def test_a_listener_that_is_behind_reads_on_without_pausing():
    # 20,000 events already there, 500 a fetch: 40 fetches to the end, not 40 pauses.
    stream, cache = await follow_for(1.0, gather_ms=200, backlog=20_000, per_fetch=500)
    assert stream.sent >= 20_000, stream.sent
    assert cache.named[:20_000] == [str(uuid.UUID(int=n + 1)) for n in range(20_000)]


async def test_without_a_gather_window_every_fetch_is_read_at_once():
    stream, cache = await follow_for(0.5, gather_ms=0)
    assert stream.fetches >= 40  # a fetch as soon as the last one is applied
    assert cache.named == [str(uuid.UUID(int=n + 1)) for n in range(stream.sent)]


def test_a_gather_window_must_leave_the_listener_heard_within_the_grace():
    with pytest.raises(ValidationError, match="GATEWAY_VIEW_CACHE_GATHER_MS"):
        GatewaySettings(view_cache_gather_ms=1500, view_cache_grace_s=2.0)
    assert (
        GatewaySettings(view_cache_gather_ms=900, view_cache_grace_s=2.0).view_cache_gather_ms
        == 900
    )
