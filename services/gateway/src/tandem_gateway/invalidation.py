"""What drops answers from the view cache: the events that change a 360, and writes made here.

``InvalidationListener`` reads, without a consumer group (every gateway reads every event),
from the end of each topic whose events change a part of a customer 360, and drops the
customers an event names (``customer_id``, and ``merged_into`` of a merge). An event it cannot
read drops every answer. It tells the cache it is following the events only while the broker
answers its fetches; otherwise the cache serves nothing (see ``tandem_gateway.viewcache``).

``invalidate_for_write`` drops, after a successful write through this gateway, the customers
the write names: the path (``customers/{id}/...``), the request's ``customer_id`` and the
answer's ``customer_id`` (or the customer's own id). A write to a resource of a 360 that names
no customer (an import, a merge) drops every answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

from tandem_contracts.consumers import reader
from tandem_contracts.topics import Topic
from tandem_gateway.viewcache import ViewCache
from tandem_kit.kafka import IdleFetchWait, caught_up, client_options
from tandem_kit.settings import KafkaSettings

log = logging.getLogger(__name__)

# Every topic whose events change a part of a customer 360 (declared with the contracts, so
# that deployment grants the gateway exactly these).
VIEW_TOPICS: tuple[Topic, ...] = reader("gateway.view-cache").topics
# Resources whose writes can change a customer 360 (first path segment under /api/v1).
VIEW_RESOURCES = frozenset(
    {"customers", "contacts", "activities", "tickets", "opportunities", "orders", "quotes"}
)
ID_FIELDS = ("customer_id", "merged_into")


def customers_named(document: object) -> list[str] | None:
    """The customer ids a JSON object names at its top level; None when it is no object."""
    if not isinstance(document, dict):
        return None
    return [str(v) for f in ID_FIELDS if isinstance(v := document.get(f), str) and _is_uuid(v)]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _json(body: bytes) -> object:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def invalidate_for_write(
    cache: ViewCache, path: str, request_body: bytes, response_body: bytes
) -> None:
    """After a successful write to ``/api/v1/{path}``: drop the answers it may have changed."""
    parts = path.split("/")
    if parts[0] not in VIEW_RESOURCES or not cache.enabled:
        return
    named: list[str] = []
    if parts[0] == "customers":
        if len(parts) == 1:
            return  # a new customer: no answer of it is kept yet
        if not _is_uuid(parts[1]) or (len(parts) > 2 and parts[2] == "merge"):
            cache.invalidate_all()  # imports and merges: every answer
            return
        named.append(parts[1])
    answer = _json(response_body)
    for document in (_json(request_body), answer):
        named += customers_named(document) or []
    if parts[0] == "customers" and isinstance(answer, dict) and isinstance(answer.get("id"), str):
        named.append(answer["id"])
    if named:
        cache.invalidate(dict.fromkeys(named))
    else:
        cache.invalidate_all()


class InvalidationListener:
    """Follows ``topics`` from their end and drops what their events name, until cancelled."""

    def __init__(
        self,
        kafka: KafkaSettings,
        cache: ViewCache,
        topics: Iterable[Topic] = VIEW_TOPICS,
        *,
        fetch_wait_ms: int | None = None,
        gather_ms: int = 0,
        client_id: str = "gateway-view-cache",
    ) -> None:
        # An event may drop a 360 a little later than the services' own hops take: a longer
        # fetch wait than theirs keeps this reader (of every order, in every replica) from
        # asking the broker a hundred times a second (the embedded broker holds every fetch
        # for the whole wait, so a wait is also what an event may be late by).
        self.kafka = kafka.with_fetch_wait(fetch_wait_ms)
        # After a read that found events and reached the end of their partitions, the next
        # read waits this long: while events flow (every order, in every replica), the events
        # of that time drop their 360s together, in one fetch instead of one each, up to about
        # twice this much later; the first event after a quiet spell is as prompt as before,
        # and a listener that is behind reads on at once. Measured under order intake on the
        # embedded broker, 250 ms saved 0.2-0.7 ms of the broker's CPU per order
        # (docs/performance.md, finding 30).
        self.gather_s = gather_ms / 1000
        self.cache = cache
        self.topics = [t.name for t in topics]
        self.client_id = client_id

    async def run(self) -> None:
        backoff = 0.5
        while True:
            consumer = AIOKafkaConsumer(
                **client_options(self.kafka, self.client_id),
                enable_auto_commit=False,
                auto_offset_reset="latest",
                fetch_max_wait_ms=self.kafka.fetch_max_wait_ms,
            )
            try:
                await consumer.start()
                partitions = await self._assign(consumer)
                backoff = 0.5  # following again: the next loss starts its wait afresh
                await self._follow(consumer, partitions)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker went away, a topic is missing...
                # A topic not there yet is the usual start (the services create them).
                log.log(
                    logging.INFO if isinstance(exc, LookupError) else logging.WARNING,
                    "view cache: not following events; every 360 is composed afresh",
                    extra={"error": repr(exc), "retry_in_s": backoff},
                )
            finally:
                self.cache.unfollowed()
                with contextlib.suppress(Exception):
                    await consumer.stop()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    async def _assign(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        await consumer._client.force_metadata_update()
        partitions: list[TopicPartition] = []
        for topic in self.topics:
            found = consumer.partitions_for_topic(topic)
            if not found:
                raise LookupError(f"topic {topic} is not there (yet)")
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)  # from here on: what happened before is not cached
        return partitions

    async def _follow(self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> None:
        idle = IdleFetchWait(consumer, self.kafka)
        grace_ms = self.cache.follow_grace_s * 1000
        while True:
            batches = await consumer.getmany(*partitions, timeout_ms=200)
            # Asked before the events are applied: those that arrive meanwhile do not count.
            at_end = bool(self.gather_s) and caught_up(consumer, batches)
            found = False
            for records in batches.values():
                for record in records:
                    found = True
                    self._apply(record.value)
            idle.polled(found)
            if found and at_end:
                await asyncio.sleep(self.gather_s)
            now_ms = time.time() * 1000
            heard = [consumer.last_poll_timestamp(tp) for tp in partitions]
            if all(ts is not None and now_ms - ts <= grace_ms for ts in heard):
                self.cache.followed()  # every event fetched so far is applied

    def _apply(self, value: bytes | None) -> None:
        named = customers_named(_json(value or b""))
        if named:
            self.cache.invalidate(named)
        else:
            self.cache.invalidate_all()  # unreadable or naming nobody: it may concern anyone
