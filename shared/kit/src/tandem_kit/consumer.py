"""The idempotent consumer: inbox row and effect in one transaction, retries, dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import KafkaError
from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError

from tandem_contracts import ContractViolation, Envelope, Event, Topic, decode
from tandem_contracts.envelope import header_map
from tandem_kit import context, metrics
from tandem_kit.db import inbox_table, utcnow
from tandem_kit.kafka import (
    IdleFetchWait,
    caught_up,
    dlq_topic,
    ensure_topics,
    make_consumer,
    make_producer,
)
from tandem_kit.settings import ServiceSettings
from tandem_kit.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Envelope[Any], Any], Awaitable[None]]


@dataclass(frozen=True)
class LatestState:
    """Events that carry the state of something (``key``) and whose handler keeps the newest.

    ``supersedes(later, earlier)`` must be true only when handling ``earlier`` and then
    ``later`` (whatever else comes between) leaves what handling ``later`` alone leaves, e.g.
    ``later`` is as new as ``earlier`` by the version the handler guards with.
    """

    key: Callable[[Envelope[Any]], Hashable]
    supersedes: Callable[[Envelope[Any], Envelope[Any]], bool]


@dataclass(frozen=True)
class Subscription:
    """Which events of one topic a consumer handles; other known types on it are skipped.

    With ``latest``, an event that a later one of the same fetch supersedes is not handled
    (outcome ``superseded``): a consumer behind its topic catches up on states, not on steps.
    """

    topic: Topic
    handlers: Mapping[type[Event], Handler]
    latest: LatestState | None = None


POLL_RECORDS = 500  # records a poll hands out at most


def _note_finished(finished_at: dict[TopicPartition, int], record: ConsumerRecord) -> None:
    finished_at[TopicPartition(record.topic, record.partition)] = record.offset + 1


class EventConsumer:
    """Consumes topics for one consumer group, at least once, applying each event once.

    For each record: decode against the topic's contract (a violation goes straight to the
    dead-letter topic); skip it if the inbox has its id; otherwise run the handler and record
    the id in the same transaction. A handler that keeps failing after ``consumer_max_attempts``
    sends the record to ``<group>.dlq`` with the error and its original coordinates. Offsets
    are committed only after every record before them is handled or dead-lettered.
    """

    def __init__(
        self,
        *,
        settings: ServiceSettings,
        group_id: str,
        subscriptions: list[Subscription],
        uow_factory: Callable[[], SqlUnitOfWork],
        fetch_wait_ms: int | None = None,
        gather_ms: int = 0,
    ) -> None:
        """``fetch_wait_ms`` replaces ``KAFKA_FETCH_MAX_WAIT_MS`` for this consumer: a reader
        that may trail its events (a view) waits longer per fetch, asks the broker less often
        and gets more events per fetch (one transaction for each group of them).

        ``gather_ms``: after a poll that brought events and reached the end of their
        partitions, the next poll waits this long, so that while events flow they come in a
        few fetches a second, each handled in one transaction per group and committed once,
        and a later event of a key supersedes an earlier one more often (``LatestState``).
        Events are then handled up to about twice this much later; the first event after a
        quiet spell is not delayed, nor is a consumer that is behind (it reads on at once).
        For readers that may trail (views), never for a hop that someone waits on."""
        self.settings = settings
        self.kafka = settings.kafka.with_fetch_wait(fetch_wait_ms)
        self.gather_s = gather_ms / 1000
        self.group_id = group_id
        self.service = settings.service_name
        self.subscriptions = {s.topic.name: s for s in subscriptions}
        self.uow_factory = uow_factory
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self.ready = asyncio.Event()

    @property
    def dlq(self) -> str:
        return dlq_topic(self.group_id)

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                await self._start()
                backoff = 0.2
                await self._loop(stop)
            except (TimeoutError, KafkaError, OSError) as exc:
                log.warning(
                    "consumer lost the broker; reconnecting",
                    extra={"group": self.group_id, "error": repr(exc)},
                )
                await self._close()
                try:
                    await asyncio.wait_for(stop.wait(), backoff)
                except TimeoutError:
                    backoff = min(backoff * 2, 5.0)
        await self._close()

    async def _start(self) -> None:
        kafka = self.kafka
        if kafka.create_topics:
            await ensure_topics(
                kafka,
                [s.topic for s in self.subscriptions.values()],
                extra=[self.dlq],
                timeout=kafka.request_timeout_ms / 1000,
            )
        self._producer = make_producer(kafka, f"{self.group_id}-dlq")
        await self._producer.start()
        self._consumer = make_consumer(kafka, self.group_id, [])
        self._consumer.subscribe(list(self.subscriptions), listener=_JoinListener(self.ready))
        await self._consumer.start()

    async def _close(self) -> None:
        self.ready.clear()
        for client in (self._consumer, self._producer):
            if client is not None:
                try:
                    await asyncio.wait_for(client.stop(), 10)
                except Exception:
                    log.debug("client stop failed", exc_info=True)
        self._consumer = self._producer = None

    async def _loop(self, stop: asyncio.Event) -> None:
        assert self._consumer is not None
        consumer = self._consumer
        idle = IdleFetchWait(consumer, self.kafka)
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=POLL_RECORDS)
            idle.polled(bool(batches))
            # Asked before the records are handled: those that arrive meanwhile do not count.
            at_end = (
                bool(batches)
                and bool(self.gather_s)
                and caught_up(consumer, batches, behind=POLL_RECORDS)
            )
            # One offset commit per fetch, naming every partition it finished: a request per
            # partition cost the client and the broker as much as the fetch itself (the
            # embedded broker hands out several partitions' records at once under load).
            finished_at: dict[TopicPartition, int] = {}
            try:
                # The whole fetch as one sequence, each partition's records together and in
                # order: consecutive events group into one transaction across partitions too.
                # Events spread over a topic's partitions, so a fetch under load holds one or
                # two per partition, which grouped per partition took a transaction each.
                if records := [record for fetched in batches.values() for record in fetched]:
                    await self._handle(records, stop, partial(_note_finished, finished_at))
            finally:
                # Also when a later record's handling raised: what was finished before it
                # stays finished (the inbox would skip it again, but at a cost). Partitions a
                # rebalance took meanwhile are left out: aiokafka refuses the whole commit for
                # one of them, and their new owner starts from their last commit anyway.
                assigned = consumer.assignment()
                if finished_at := {tp: o for tp, o in finished_at.items() if tp in assigned}:
                    await consumer.commit(finished_at)
            if at_end:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.gather_s)

    async def _handle(
        self,
        records: Sequence[ConsumerRecord],
        stop: asyncio.Event,
        finished: Callable[[ConsumerRecord], None] = lambda record: None,
    ) -> int:
        """Handle fetched records in order; how many are finished (all of them unless
        ``stop`` is set on the way). ``finished`` hears of each record once it is.

        Consecutive records with a handler go through ``_process_together`` in groups of up
        to ``consumer_batch_size``: one transaction for the group instead of one each.
        """
        decoded = [self._decode(record) for record in records]
        superseded = self._superseded(records, decoded)
        size = self.settings.consumer_batch_size
        i = 0
        while i < len(records) and not stop.is_set():
            group: list[tuple[ConsumerRecord, Envelope[Any], Handler]] = []
            j = i
            while j < len(records) and len(group) < size:
                if j in superseded:
                    self._count(records[j], "superseded")
                elif (handler := self._handler(records[j], decoded[j])) is not None:
                    group.append((records[j], decoded[j], handler))  # type: ignore[arg-type]
                elif not group:  # a violation or an event nobody handles: on its own
                    await self._process(records[j], decoded[j])
                    # Finished now, with what was skipped before it: a failure in the group
                    # after it must not send it to the dead-letter topic a second time.
                    for record in records[i : j + 1]:
                        finished(record)
                    i = j + 1
                else:
                    break
                j += 1
            if len(group) == 1:
                await self._process(group[0][0], group[0][1])
            elif group:
                await self._process_together(group)
            for record in records[i:j]:
                finished(record)
            i = j
        return i

    def _handler(
        self, record: ConsumerRecord, decoded: Envelope[Any] | ContractViolation
    ) -> Handler | None:
        if isinstance(decoded, ContractViolation):
            return None
        return self.subscriptions[record.topic].handlers.get(type(decoded.data))

    async def process(self, record: ConsumerRecord) -> str:
        """Handle one record; returns the outcome (handled, duplicate, skipped, dead-lettered)."""
        return await self._process(record, self._decode(record))

    def _decode(self, record: ConsumerRecord) -> Envelope[Any] | ContractViolation:
        attrs = _safe_headers(record)
        event_class = self.subscriptions[record.topic].topic.event_class(attrs.get("ce_type", ""))
        try:
            return decode(event_class, record.headers, record.value)
        except ContractViolation as exc:
            return exc

    def _superseded(
        self,
        records: Sequence[ConsumerRecord],
        decoded: Sequence[Envelope[Any] | ContractViolation],
    ) -> set[int]:
        """Positions of the events a later event of the same fetch supersedes."""
        out: set[int] = set()
        newest: dict[tuple[str, Hashable], Envelope[Any]] = {}
        for i in range(len(records) - 1, -1, -1):  # from the newest back
            envelope, subscription = decoded[i], self.subscriptions[records[i].topic]
            latest = subscription.latest
            if (
                latest is None
                or isinstance(envelope, ContractViolation)
                or type(envelope.data) not in subscription.handlers
            ):
                continue
            key = (records[i].topic, latest.key(envelope))
            later = newest.get(key)
            if later is not None and latest.supersedes(later, envelope):
                out.add(i)
            else:
                newest[key] = envelope
        return out

    async def _process(
        self, record: ConsumerRecord, decoded: Envelope[Any] | ContractViolation
    ) -> str:
        if isinstance(decoded, ContractViolation):
            await self._dead_letter(record, decoded, attempts=0)
            return self._count(record, "dead_lettered")
        envelope = decoded
        handler = self._handler(record, envelope)
        if handler is None:
            return self._count(record, "skipped")
        outcome = "handled"
        for attempt in range(1, self.settings.consumer_max_attempts + 1):
            try:
                outcome = await self._apply(record, envelope, handler)
                break
            except Exception as exc:
                if attempt == self.settings.consumer_max_attempts:
                    log.exception(
                        "event handling failed; dead-lettering",
                        extra={"group": self.group_id, "event_id": str(envelope.id)},
                    )
                    await self._dead_letter(record, exc, attempts=attempt)
                    return self._count(record, "dead_lettered")
                log.warning(
                    "event handling failed; retrying",
                    extra={
                        "group": self.group_id,
                        "event_id": str(envelope.id),
                        "attempt": attempt,
                        "error": repr(exc),
                    },
                )
                await asyncio.sleep(self.settings.consumer_retry_backoff_ms / 1000 * attempt)
        return self._count(record, outcome)

    async def _apply(
        self, record: ConsumerRecord, envelope: Envelope[Any], handler: Handler
    ) -> str:
        started = time.perf_counter()
        try:
            async with self.uow_factory() as uow:
                with _caused_by(envelope):
                    if not await self._claim(uow, record, envelope):
                        return "duplicate"
                    await handler(envelope, uow)
                    try:
                        await uow.commit()
                    except IntegrityError:
                        # Another member of the group applied it first (after a rebalance).
                        await uow.session.rollback()
                        exists = await uow.session.scalar(
                            _SEEN, {"group": self.group_id, "event_id": envelope.id}
                        )
                        if exists is not None:
                            return "duplicate"
                        raise
            return "handled"
        finally:
            self._timed(time.perf_counter() - started)

    async def _process_together(
        self, group: Sequence[tuple[ConsumerRecord, Envelope[Any], Handler]]
    ) -> None:
        """Handle several events in one transaction: each one's inbox row, effects and outbox
        rows (stamped with its own correlation and causation ids), then one commit.

        If anything fails (a handler, or the commit: e.g. another member of the group
        applied one of them first), all of it rolls back and each event is handled alone,
        with its own retries and dead letter, exactly as without grouping.
        """
        started = time.perf_counter()
        outcomes: list[str] = []
        try:
            async with self.uow_factory() as uow:
                for record, envelope, handler in group:
                    with _caused_by(envelope):
                        if await self._claim(uow, record, envelope):
                            await handler(envelope, uow)
                            uow.settle()
                            outcomes.append("handled")
                        else:
                            outcomes.append("duplicate")
                await uow.commit()
        except Exception as exc:
            log.info(
                "grouped handling failed; handling the events one by one",
                extra={"group": self.group_id, "events": len(group), "error": repr(exc)},
            )
            for record, envelope, _handler in group:
                await self._process(record, envelope)
            return
        each = (time.perf_counter() - started) / len(group)
        for (record, _envelope, _handler), outcome in zip(group, outcomes, strict=True):
            self._timed(each)
            self._count(record, outcome)

    def _timed(self, seconds: float) -> None:
        metrics.EVENT_HANDLING.labels(self.service, self.group_id).observe(seconds)

    async def _claim(
        self, uow: SqlUnitOfWork, record: ConsumerRecord, envelope: Envelope[Any]
    ) -> bool:
        """Write the event's inbox row first; False when the inbox already has it.

        One statement instead of a lookup and an insert. The row commits or rolls back with
        the handler's effect; on PostgreSQL a second member inserting the same row waits for
        the first one's transaction and then finds it.
        """
        row = dict(
            consumer_group=self.group_id,
            event_id=envelope.id,
            topic=record.topic,
            event_type=envelope.type,
            processed_at=utcnow(),
        )
        dialect = uow.session.bind.dialect.name if uow.session.bind is not None else ""
        if (claim := _claim_statement(dialect)) is not None:
            return bool((await uow.session.execute(claim, row)).rowcount)  # type: ignore[attr-defined]
        seen = await uow.session.scalar(_SEEN, {"group": self.group_id, "event_id": envelope.id})
        if seen is None:
            await uow.session.execute(insert(inbox_table), row)
        return seen is None

    async def _dead_letter(
        self, record: ConsumerRecord, error: BaseException, attempts: int
    ) -> None:
        headers = list(record.headers or ()) + [
            (k, str(v).encode())
            for k, v in {
                "dlq_error": f"{type(error).__name__}: {error}"[:4000],
                "dlq_original_topic": record.topic,
                "dlq_original_partition": record.partition,
                "dlq_original_offset": record.offset,
                "dlq_consumer_group": self.group_id,
                "dlq_attempts": attempts,
                "dlq_failed_at": utcnow().isoformat(),
            }.items()
        ]
        assert self._producer is not None, "dead-lettering needs a started consumer"
        # Keep trying: the offset must not move past a record that is neither handled nor parked.
        delay = 0.2
        while True:
            try:
                await self._producer.send_and_wait(
                    self.dlq, key=record.key, value=record.value, headers=headers
                )
                log.warning(
                    "event dead-lettered",
                    extra={
                        "group": self.group_id,
                        "dlq": self.dlq,
                        "topic": record.topic,
                        "partition": record.partition,
                        "offset": record.offset,
                        "error": str(error)[:500],
                    },
                )
                return
            except KafkaError as exc:
                log.warning("dead-letter publish failed; retrying", extra={"error": repr(exc)})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _count(self, record: ConsumerRecord, outcome: str) -> str:
        metrics.EVENTS_CONSUMED.labels(self.service, self.group_id, record.topic, outcome).inc()
        return outcome


# Dialects whose INSERT knows ON CONFLICT DO NOTHING.
_UPSERTS: dict[str, Callable[[Any], Any]] = {
    "sqlite": sqlite_dialect.insert,
    "postgresql": postgresql_dialect.insert,
}
# The inbox statements run for every event: built once (building and cache-keying a statement
# costs about as much CPU as executing it), their values bound per execution.
_SEEN = select(inbox_table.c.event_id).where(
    inbox_table.c.consumer_group == bindparam("group"),
    inbox_table.c.event_id == bindparam("event_id"),
)


@cache
def _claim_statement(dialect: str) -> Any:
    """INSERT INTO the inbox ... ON CONFLICT DO NOTHING, where the dialect has it."""
    upsert = _UPSERTS.get(dialect)
    return upsert(inbox_table).on_conflict_do_nothing() if upsert is not None else None


class _JoinListener(ConsumerRebalanceListener):
    """Marks the consumer ready once it has joined its group, even with no partitions
    (a standby member beyond the partition count is healthy, not stuck)."""

    def __init__(self, ready: asyncio.Event) -> None:
        self._ready = ready

    async def on_partitions_revoked(self, revoked: object) -> None:
        return None

    async def on_partitions_assigned(self, assigned: object) -> None:
        self._ready.set()


def _safe_headers(record: ConsumerRecord) -> dict[str, str]:
    try:
        return header_map(record.headers)
    except ContractViolation:
        return {}


@contextmanager
def _caused_by(envelope: Envelope[Any]) -> Iterator[None]:
    """What is published while handling ``envelope`` carries its correlation id and names it
    as the cause."""
    token_c = context.correlation_id.set(envelope.correlation_id or str(envelope.id))
    token_k = context.causation_id.set(str(envelope.id))
    try:
        yield
    finally:
        context.correlation_id.reset(token_c)
        context.causation_id.reset(token_k)
