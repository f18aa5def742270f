"""Transactional outbox: stage rows inside the command's transaction; a relay publishes them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from tandem_contracts import Envelope, Topic
from tandem_kit import context, metrics
from tandem_kit.db import READS_ONLY, is_sqlite, outbox_table, utcnow
from tandem_kit.kafka import ensure_topics, make_producer
from tandem_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

IDLE_FACTOR = 8  # an idle relay polls every poll interval x 2, x 4 ... up to x IDLE_FACTOR


class OutboxSignal:
    """Wakes the outbox relay of this process as soon as a transaction here committed rows.

    Without it the relay finds new rows at its next poll, which an idle relay backs off to
    several poll intervals. Rows committed by other processes are still found by polling.
    """

    def __init__(self) -> None:
        self._committed = asyncio.Event()

    def rows_committed(self) -> None:
        self._committed.set()

    def clear(self) -> None:
        """Called before the relay reads the outbox: what commits after that wakes it again."""
        self._committed.clear()

    async def wait(self, stop: asyncio.Event, seconds: float) -> None:
        """Until rows were committed since the last ``clear``, ``stop`` is set, or ``seconds``."""
        if self._committed.is_set() or stop.is_set():
            return
        waits = [asyncio.ensure_future(self._committed.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()


def outbox_row(topic: Topic, envelope: Envelope) -> dict[str, Any]:
    if not topic.carries(envelope.data):
        raise TypeError(f"{type(envelope.data).__name__} is not an event of topic {topic.name}")
    correlation = envelope.correlation_id or context.current_correlation_id()
    causation = envelope.causation_id or context.causation_id.get()
    if correlation != envelope.correlation_id or causation != envelope.causation_id:
        envelope = Envelope(
            **{**envelope.__dict__, "correlation_id": correlation, "causation_id": causation}
        )
    return {
        "event_id": envelope.id,
        "topic": topic.name,
        "message_key": topic.encode_key(topic.key(envelope.subject)).decode(),
        "event_type": envelope.type,
        "headers": [[k, v.decode()] for k, v in envelope.headers()],
        "payload": envelope.value(),
        "created_at": utcnow(),
        "attempts": 0,
    }


async def stage(session: AsyncSession, messages: Iterable[tuple[Topic, Envelope]]) -> None:
    """Write outbox rows in the caller's transaction (they commit or roll back with it)."""
    await stage_rows(session, [outbox_row(topic, envelope) for topic, envelope in messages])


async def stage_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Write rows made by ``outbox_row`` in the caller's transaction."""
    if rows:
        await session.execute(_STAGE, rows)


_STAGE = insert(outbox_table)  # built once: it runs in every transaction that publishes


class OutboxRelay:
    """Publishes pending outbox rows in order with acks=all and marks them sent.

    While the broker is away it keeps the rows and retries with exponential backoff.
    On PostgreSQL one relay per database is active (a session advisory lock); others stand by.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        engine: AsyncEngine,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
        signal: OutboxSignal | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.signal = signal
        self.service = settings.service_name
        self._producer_factory = producer_factory or (
            lambda: make_producer(settings.kafka, f"{settings.service_name}-relay")
        )
        self._producer: AIOKafkaProducer | None = None
        self._lock_conn: AsyncConnection | None = None
        self._failures = 0

    async def run(self, stop: asyncio.Event) -> None:
        poll = self.settings.outbox_poll_interval_ms / 1000
        # An idle outbox is polled less and less often, up to this: each empty poll costs a
        # few milliseconds of CPU, and every worker has a relay (measured by `make bench`).
        idle_poll = max(poll, min(self.settings.outbox_max_backoff_ms / 1000, poll * IDLE_FACTOR))
        wait = poll
        retention = timedelta(hours=self.settings.outbox_retention_hours)
        next_purge = 0.0
        try:
            while not stop.is_set():
                try:
                    if not await self._hold_leadership():
                        await _sleep_or_stop(stop, 2.0)
                        continue
                    if (now := asyncio.get_running_loop().time()) >= next_purge:
                        await purge_published(self.engine, retention)
                        next_purge = now + 300
                    if self.signal is not None:
                        self.signal.clear()
                    sent = await self.publish_batch()
                    self._failures = 0
                    if sent < self.settings.outbox_batch_size:
                        wait = poll if sent else min(idle_poll, wait * 2)
                        await self._idle(stop, wait)
                except (TimeoutError, KafkaError, OSError) as exc:
                    await self._on_failure(exc, stop)
        finally:
            await self.close()

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        if self.signal is None:
            await _sleep_or_stop(stop, seconds)
        else:
            await self.signal.wait(stop, seconds)

    async def _on_failure(self, exc: BaseException, stop: asyncio.Event) -> None:
        self._failures += 1
        metrics.OUTBOX_FAILURES.labels(self.service).inc()
        delay = min(
            self.settings.outbox_max_backoff_ms / 1000,
            self.settings.outbox_poll_interval_ms / 1000 * 2**self._failures,
        )
        log.warning(
            "outbox relay cannot publish; retrying",
            extra={"error": repr(exc), "retry_in_s": round(delay, 3), "failures": self._failures},
        )
        await self._drop_producer()
        await _sleep_or_stop(stop, delay)

    async def _hold_leadership(self) -> bool:
        if is_sqlite(str(self.engine.url)):
            return True
        if self._lock_conn is not None and not self._lock_conn.closed:
            return True
        conn = await self.engine.connect()
        key = f"tandem-outbox-relay:{self.service}"
        got = await conn.scalar(select(func.pg_try_advisory_lock(func.hashtext(key))))
        await conn.commit()
        if got:
            self._lock_conn = conn
            log.info("outbox relay is the active publisher")
            return True
        await conn.close()
        return False

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            if self.settings.kafka.create_topics:
                await ensure_topics(
                    self.settings.kafka, timeout=self.settings.kafka.request_timeout_ms / 1000
                )
            producer = self._producer_factory()
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 5)
            except Exception:  # a dead broker may make stop() fail; the object is gone anyway
                log.debug("producer stop failed", exc_info=True)

    async def publish_batch(self) -> int:
        """Publish one batch of pending rows; returns how many were marked sent."""
        async with self.engine.connect() as conn:
            # A read: it need not wait for the write lock a transaction here may be holding.
            await conn.execution_options(**{READS_ONLY: True})
            rows = (
                await conn.execute(
                    select(
                        outbox_table.c.id,
                        outbox_table.c.topic,
                        outbox_table.c.message_key,
                        outbox_table.c.headers,
                        outbox_table.c.payload,
                    )
                    .where(outbox_table.c.published_at.is_(None))
                    .order_by(outbox_table.c.id)
                    .limit(self.settings.outbox_batch_size)
                )
            ).all()
            pending = len(rows)
            if pending >= self.settings.outbox_batch_size:  # else the batch is all there is
                pending = await conn.scalar(
                    select(func.count())
                    .select_from(outbox_table)
                    .where(outbox_table.c.published_at.is_(None))
                )
            await conn.rollback()
        metrics.OUTBOX_PENDING.labels(self.service).set(pending or 0)
        if not rows:
            return 0
        producer = await self._ensure_producer()
        futures = [
            await producer.send(
                row.topic,
                key=row.message_key.encode(),
                value=row.payload,
                headers=[(k, v.encode()) for k, v in row.headers],
            )
            for row in rows
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        sent = [
            row
            for row, result in zip(rows, results, strict=True)
            if not isinstance(result, BaseException)
        ]
        failed = [
            (row, result)
            for row, result in zip(rows, results, strict=True)
            if isinstance(result, BaseException)
        ]
        await self._mark(sent, failed)
        for row in sent:
            metrics.OUTBOX_PUBLISHED.labels(self.service, row.topic).inc()
        if failed:
            raise failed[0][1]
        return len(sent)

    async def _mark(self, sent: Sequence[Any], failed: Sequence[tuple[Any, BaseException]]) -> None:
        async with self.engine.begin() as conn:
            if sent:
                await conn.execute(
                    update(outbox_table)
                    .where(outbox_table.c.id.in_([row.id for row in sent]))
                    .values(published_at=utcnow(), attempts=outbox_table.c.attempts + 1)
                )
            for row, error in failed:
                await conn.execute(
                    update(outbox_table)
                    .where(outbox_table.c.id == row.id)
                    .values(attempts=outbox_table.c.attempts + 1, last_error=repr(error)[:2000])
                )

    async def close(self) -> None:
        await self._drop_producer()
        if self._lock_conn is not None:
            try:
                await self._lock_conn.close()
            finally:
                self._lock_conn = None


async def pending_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                select(func.count())
                .select_from(outbox_table)
                .where(outbox_table.c.published_at.is_(None))
            )
            or 0
        )


async def purge_published(engine: AsyncEngine, older_than: timedelta) -> int:
    """Delete rows published long ago (the outbox is a queue, not an archive)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            delete(outbox_table).where(outbox_table.c.published_at < utcnow() - older_than)
        )
        return result.rowcount or 0


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
