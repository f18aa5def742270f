"""Faust on Kafka, wired to KafkaSettings, with the repairs the services' stream processors need.

Install with the ``streams`` extra (``tandem-kit[streams]``). ``KafkaApp`` is a ``faust.App``
whose broker, credentials, timeouts and at-least-once defaults come from ``KafkaSettings``, and
whose transport changes seven things of Faust's aiokafka driver, and adds sends that leave at
once yet hold back the commit: ``KafkaApp.send_at_once`` (one output), ``send_records_at_once``
(many records of one partition as record batches) and ``TableWrites`` (a batch of events' table
changelog records, as record batches per partition). ``take_batches`` hands an agent its
events in batches that begin with their first event, without Faust's timer while nothing comes:

1. **Fetch wait.** Faust fixes the consumer's ``fetch_max_wait_ms`` at 1,500 ms; the embedded
   broker holds every fetch for the whole wait, so ``KAFKA_FETCH_MAX_WAIT_MS`` applies instead,
   lengthened while the app is idle as for the kit's consumers (``kafka.IdleFetchWait``).
2. **A flush a commit can rely on.** Faust flushes the producer before it commits offsets, so
   that a table change is in its changelog before the event that made it counts as done. Its
   buffer flush gives up after 0.1 s without a send (a commit could pass changelog records still
   unsent: after a crash the recovered table missed changes whose events were committed), and
   otherwise waits for an empty buffer, which never comes while a backlog keeps the agents
   writing (every commit, and the outputs attached to it, waited for the whole backlog). The
   flush here waits for exactly what was queued before it, then for the client's batches.
3. **True end offsets for table recovery.** Faust restores a table by reading its changelog up
   to the end offsets it asks for when recovery starts (``ListOffsets``). The embedded broker
   answers the base offset of the partition's last record batch plus one, not the offset after
   its last record: when the last batch holds several records (a producer batches whatever is
   queued while a request is in flight), recovery stopped before them and the table came back
   without its latest changes (measured: 8 of 31 entries missing after a restart). The end
   offsets here are checked by reading from the last offset reported onwards until nothing more
   comes; against Kafka that read finds the one record expected and changes nothing.
4. **A seek to committed offsets that also covers partitions never committed.** Faust discards
   records it has fetched but may not hand on (a rebalance stopped the flow, a partition not
   yet active during recovery) and then "seeks back to the committed offsets"; aiokafka's
   ``seek_to_committed`` leaves a partition without a committed offset (or committed at 0)
   where the fetch left it, past the discarded records, which were then never processed (seen
   after a worker was killed before its first commit of a partition: the restarted join lost
   the requisitions written meanwhile). Here such a partition goes back to where the reset
   policy says (the beginning, by default), and a committed 0 is sought like any offset.
5. **Streams that start where they were committed, each record once and in order.** As a
   rebalance ends, Faust resumes the stream partitions, then seeks them to their committed
   offsets (a broker round trip each), then resumes the flow, which empties the stream queues.
   Records fetched before the seek reached the agents and came again after it (twice, out of
   order; one still on its way as the seek came moved the read offset past the records fetched
   again, which Faust then dropped as already read), and records fetched after the seek but
   before the flow resumed were emptied from the queues with the partition already past them:
   lost, and Faust's commit, which lets a gap of one offset through, passed them (seen after a
   worker restart: a requisition that never reached the demand join). Here stream partitions
   resumed during a rebalance stay paused until that seek, and resuming a flow that was not
   suspended empties nothing. A record fetched before the latest rebalance and skipped by a
   stream counts for no commit.
6. **No partition active is not every partition.** Faust's fetcher asks aiokafka for the
   records of its active partitions, a set it changes in place; aiokafka reads an empty set as
   "every partition", hands their records out and moves each position past them, and Faust
   drops them, none being active. That happened whenever a fetch waited while the changelogs
   were paused and the streams not yet resumed (seen after a graceful restart: records fetched
   right after the seek to the committed offsets were lost, and the join never saw the rest of
   its input). Here aiokafka reads Faust's set as it is at each hand-out, empty included.
7. **The stalled-partition check, every few seconds in one step.** Faust's consumer checks
   every two and a half commit intervals whether a partition's stream or commit has stalled
   (it logs warnings whose thresholds are minutes), yielding to the event loop through a task
   and a timer for every partition assigned; here it checks at most every
   ``STALL_CHECK_EVERY_S`` seconds, every partition in one step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, MutableMapping
from collections.abc import Set as AbstractSet
from time import monotonic
from typing import Any, cast

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.transport.drivers import aiokafka as faust_kafka
from faust.transport.producer import ProducerBuffer
from faust.types import TP
from faust.types.tuples import ack_lock
from mode.utils.futures import notify
from mode.utils.objects import cached_property
from mode.utils.queues import FlowControlEvent

from tandem_kit.kafka import IdleFetchWait, client_options
from tandem_kit.settings import KafkaSettings

log = logging.getLogger(__name__)


def credentials(settings: KafkaSettings) -> Any:
    """Faust credentials for ``settings.security_protocol`` (None for PLAINTEXT)."""
    options = client_options(settings, "faust")
    context = options.get("ssl_context")
    if settings.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password.get_secret_value() if settings.sasl_password else None,
            mechanism=settings.sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def faust_options(settings: KafkaSettings, app_id: str) -> dict[str, Any]:
    """Faust settings from KafkaSettings: at least once (no transactions, no idempotence)."""
    session = settings.session_timeout_ms / 1000
    return {
        "broker": [
            f"kafka://{host.strip()}"
            for host in settings.bootstrap_servers.split(",")
            if host.strip()
        ],
        "broker_credentials": credentials(settings),
        "broker_client_id": f"{settings.client_id_prefix}-{app_id}",
        "broker_session_timeout": session,
        # As the kit's consumers (aiokafka's default): a dead member delays a rebalance by the
        # session timeout, not Faust's 60 s default.
        "broker_rebalance_timeout": session,
        "broker_heartbeat_interval": settings.heartbeat_interval_ms / 1000,
        "broker_request_timeout": max(settings.request_timeout_ms / 1000, session + 1),
        "processing_guarantee": "at_least_once",
        "producer_acks": -1,
        "consumer_auto_offset_reset": "earliest",
        "topic_replication_factor": settings.replication_factor,
        "topic_allow_declare": settings.create_topics,
    }


async def true_end_offsets(
    settings: KafkaSettings, reported: Mapping[TP, int | None], *, client_id: str
) -> dict[TP, int | None]:
    """``reported`` end offsets, each moved past the record batch that holds its last offset.

    Reads each partition once from its reported end minus one: the first fetch brings that
    record's whole batch (what the embedded broker left out of its end offset). A partition
    that others keep writing (a standby's changelog) is read no further than that batch.
    """
    ends = dict(reported)
    pending = {tp: end for tp, end in ends.items() if end}  # an empty partition has no tail
    if not pending:
        return ends
    options = client_options(settings, client_id)
    options.pop("request_timeout_ms")
    consumer = AIOKafkaConsumer(
        **options,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        isolation_level="read_uncommitted",
    )
    await consumer.start()
    try:
        consumer.assign(list(pending))
        for tp, end in pending.items():
            consumer.seek(tp, end - 1)
        # A fetch that finds nothing returns after the fetch wait; give it a few of those.
        quiet_ms = max(4 * settings.fetch_max_wait_ms, 100)
        deadline = asyncio.get_running_loop().time() + settings.request_timeout_ms / 1000
        unread = set(pending)
        while unread and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(*unread, timeout_ms=quiet_ms)
            if not any(batches.values()):
                break  # what is left ends in no record (a transaction marker): as reported
            for tp, records in batches.items():
                if records:
                    ends[tp] = max(ends[tp] or 0, records[-1].offset + 1)
                    unread.discard(tp)
                    consumer.pause(tp)
        if unread and asyncio.get_running_loop().time() >= deadline:
            raise TimeoutError("the changelog end offsets could not be checked in time")
    finally:
        await consumer.stop()
    moved = {tp: (reported[tp], ends[tp]) for tp in pending if ends[tp] != reported[tp]}
    if moved:
        log.warning(
            "the broker reported end offsets short of the last records; corrected",
            extra={"corrected": {f"{tp.topic}[{tp.partition}]": v for tp, v in moved.items()}},
        )
    return ends


class _ChangelogBuffer(ProducerBuffer):
    """Faust's buffer of table changelog records, counting what it has handed to the client."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.queued = 0
        self.handed = 0
        self._handed = asyncio.Event()

    def put(self, fut: Any) -> None:
        self.queued += 1
        super().put(fut)

    async def _send_pending(self, fut: Any) -> None:
        try:
            await super()._send_pending(fut)
        finally:
            self.handed += 1
            self._handed.set()

    async def drain(self) -> None:
        """Wait until every record queued before this call is in the client's hands.

        Raises when the buffer stopped or crashed first: the commit waiting on it must fail
        (its events are handled again), never hang or pass with records unsent.
        """
        target = self.queued
        while self.handed < target:
            if self.should_stop or self.crashed:
                raise RuntimeError(
                    f"changelog buffer stopped with {target - self.handed} record(s) unsent"
                )
            self._handed.clear()
            try:
                await asyncio.wait_for(self._handed.wait(), timeout=0.1)
            except TimeoutError:
                continue


class _Producer(faust_kafka.Producer):
    """Faust's producer with a flush that waits for exactly what was queued before it, and
    sends that leave at once yet still hold back the commit (``send_at_once``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.app.conf.producer_threaded:
            raise ValueError("KafkaApp's producer is not threaded")
        buffer = _ChangelogBuffer(loop=self.loop, beacon=self.beacon)
        buffer.app = self.app
        self.buffer = buffer
        # Sends made with send_at_once that are not known to be delivered: pending ones, and
        # failed ones (kept: see flush).
        self._unconfirmed: set[asyncio.Future[Any]] = set()
        self._undelivered: BaseException | None = None

    async def send_at_once(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        headers: Any = None,
        partition: int | None = None,
    ) -> None:
        """Hand a record to the client now, not at the commit of the event being handled.

        Never raises: an agent whose body raised would have its event acked and committed as
        if handled. A send the client refuses (a full buffer past its timeout, a closed or
        failed producer) is recorded as failed instead, and the next flush fails the commit."""
        try:
            sent = await self.send(
                topic, key, value, partition=partition, timestamp=None, headers=headers
            )
        except Exception as exc:
            self._track_failure(exc)
        else:
            self._track(asyncio.ensure_future(sent))

    async def send_records_at_once(
        self, topic: str, partition: int, records: Iterable[tuple[bytes | None, bytes | None, Any]]
    ) -> None:
        """Hand ``records`` (key, value, headers) to the client now as whole record batches of
        one partition, in order: one delivery to wait for per batch, where ``send_at_once``
        pays the client's send path (partitioner, future, accumulator) per record.

        Never raises, as ``send_at_once``, but for a cancellation, which is raised again once
        recorded as a failed send (so that no commit passes the records it left unsent).
        Awaiting it keeps a partition's batches in order: the client takes a batch once the
        partition's previous one has left."""
        producer = self._producer
        try:
            if producer is None:
                raise RuntimeError("the producer is not started")
            batch = producer.create_batch()
            for key, value, headers in records:
                if batch.append(timestamp=None, key=key, value=value, headers=headers) is None:
                    # Full: it leaves, and the record opens the next one (an empty batch takes
                    # any record, however large).
                    self._track(await producer.send_batch(batch, topic, partition=partition))
                    batch = producer.create_batch()
                    if batch.append(timestamp=None, key=key, value=value, headers=headers) is None:
                        raise ValueError(f"a record for {topic} fits no record batch")
            if batch.record_count():
                self._track(await producer.send_batch(batch, topic, partition=partition))
        except Exception as exc:
            self._track_failure(exc)
        except BaseException:
            self._track_failure(RuntimeError(f"sending to {topic} was cancelled"))
            raise

    def _track(self, future: asyncio.Future[Any]) -> None:
        self._unconfirmed.add(future)
        future.add_done_callback(self._confirmed)

    def _track_failure(self, exc: BaseException) -> None:
        """A send that never reached the client, kept as failed: the next flush raises."""
        failed = asyncio.get_running_loop().create_future()
        failed.set_exception(exc)
        self._track(failed)

    def _confirmed(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._unconfirmed.discard(future)

    async def flush(self) -> None:
        """Everything queued before this call is delivered, or this raises (and the commit
        that called it fails: its events are handled again).

        Once a record sent at once was not delivered every later flush fails too, until the
        app restarts: a later commit would cover the events whose records were lost."""
        for writes in cast(KafkaApp, self.app).table_writes:
            # Writes whose batch failed before it sent them: their events may be acked.
            await writes.send()
        await cast(_ChangelogBuffer, self.buffer).drain()
        if self._producer is not None:
            await self._producer.flush()
        if self._unconfirmed:
            sends = list(self._unconfirmed)
            results = await asyncio.gather(*sends, return_exceptions=True)
            self._unconfirmed.difference_update(sends)
            failed = next((r for r in results if isinstance(r, BaseException)), None)
            if failed is not None and self._undelivered is None:
                self._undelivered = failed
        if self._undelivered is not None:
            raise RuntimeError("a record sent at once was not delivered") from self._undelivered


async def seek_to_committed(
    consumer: AIOKafkaConsumer, partitions: Iterable[TopicPartition], *, reset: str
) -> dict[TopicPartition, int | None]:
    """Move each partition to its committed offset, or where ``reset`` says when it has none.

    Returns the committed offsets (None where nothing was committed), as aiokafka's
    ``seek_to_committed`` does; unlike it, no partition keeps the position a fetch left it at.
    """
    committed: dict[TopicPartition, int | None] = {}
    uncommitted = []
    for tp in partitions:
        offset = committed[tp] = await consumer.committed(tp)
        if offset is None:
            uncommitted.append(tp)
        else:
            consumer.seek(tp, offset)
    if uncommitted:
        if reset == "latest":
            await consumer.seek_to_end(*uncommitted)
        else:
            await consumer.seek_to_beginning(*uncommitted)
    return committed


class _ActivePartitions(AbstractSet[TP]):
    """Faust's live set of active partitions as aiokafka's fetcher reads it: never empty.

    aiokafka hands out the records of ``partitions`` only, unless ``partitions`` is empty: then
    it hands out every partition's, and moves each one's position past them. Faust asks for
    its active partitions (one set, changed in place) and drops what it gets for any other,
    so records fetched while none was active (the changelogs paused, the streams not yet
    resumed) were dropped with their partitions already past them: lost (seen after a
    restart: the second half of the join's input never reached it). Read live, so that a
    partition paused while a fetch waits is not handed out either.
    """

    def __init__(self, live: AbstractSet[TP]) -> None:
        self._live = live

    def __bool__(self) -> bool:
        return True  # "no partition" must not read as "every partition"

    def __contains__(self, tp: object) -> bool:
        return tp in self._live

    def __iter__(self) -> Iterator[TP]:
        return iter(self._live)

    def __len__(self) -> int:
        return len(self._live)


class _ConsumerThread(faust_kafka.AIOKafkaConsumerThread):
    _idle: IdleFetchWait | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # mode closes the thread's loop when the thread ends only if it made the loop itself;
        # the kit makes it (``_loop_like``), so the thread closes it as mode's own.
        self._close_thread_loop_on_stop = True

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        kafka = cast(KafkaApp, self.app).kafka
        consumer._fetch_max_wait_ms = kafka.fetch_max_wait_ms
        self._idle = IdleFetchWait(consumer, kafka)
        return consumer

    async def getmany(self, active_partitions: Any, timeout: float) -> Any:
        if active_partitions is not None:
            active_partitions = _ActivePartitions(active_partitions)
        records = await super().getmany(active_partitions, timeout)
        if self._idle is not None:
            self._idle.polled(any(records.values()))
        return records

    async def seek_to_committed(self) -> Mapping[TP, int | None]:
        return await self.call_thread(self._seek_to_committed)

    async def _seek_to_committed(self) -> Mapping[TP, int | None]:
        """Stream partitions to their committed offsets; changelogs stay with the recovery."""
        consumer = self._ensure_consumer()
        changelogs = self.app.tables.changelog_topics
        assigned = consumer.assignment()
        offsets: dict[Any, int | None] = {tp: None for tp in assigned if tp.topic in changelogs}
        streams = [tp for tp in assigned if tp.topic not in changelogs]
        reset = self.app.conf.consumer_auto_offset_reset
        offsets.update(await seek_to_committed(consumer, streams, reset=reset))
        return offsets


# How often the stalled-partition check runs at most; what it warns about takes minutes
# (Faust's stream_processing_timeout and broker_commit_livelock_soft_timeout).
STALL_CHECK_EVERY_S = 5.0


def _loop_like(parent: asyncio.AbstractEventLoop) -> asyncio.AbstractEventLoop:
    """A new event loop of the parent's kind, for Faust's consumer thread.

    Faust reads Kafka in a thread of its own, on a loop that mode makes with
    ``asyncio.new_event_loop()``: the standard loop even in a worker that runs on uvloop
    (``tandem_kit.runtime``). That thread fetches, decodes and commits for every stream, so
    its loop's own overhead is paid per fetch (docs/performance.md, finding 32).
    """
    if type(parent).__module__.partition(".")[0] == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


class _Consumer(faust_kafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_for_seek: set[TP] = set()
        self._holds_taken_over = 0  # pauses of held partitions: a new rebalance took them
        self._stalls_checked_at = float("-inf")

    async def verify_all_partitions_active(self) -> None:
        """Faust's check for partitions whose stream or commit stalled (it logs them), at most
        every ``STALL_CHECK_EVERY_S``, in one step.

        Faust runs it every two and a half commit intervals (125 ms here) and, for every
        partition assigned (36 in the demand join), first yields to the event loop through
        ``Service.sleep(0)``: a task and a timer each. That was about 290 of the idle
        procurement worker's 1,200 event loop rounds a second (docs/performance.md, finding 31),
        for warnings whose thresholds are minutes.
        """
        now = monotonic()
        if now - self._stalls_checked_at < STALL_CHECK_EVERY_S:
            return
        self._stalls_checked_at = now
        for tp in self.assignment():
            if self.should_stop:
                return
            self.verify_event_path(now, tp)

    def _new_consumer_thread(self) -> faust_kafka.AIOKafkaConsumerThread:
        return _ConsumerThread(
            self, loop=self.loop, beacon=self.beacon, thread_loop=_loop_like(self.loop)
        )

    def resume_partitions(self, tps: Iterable[TP]) -> None:
        """As Faust's, except that stream partitions resumed during a rebalance are held back
        until the next seek to the committed offsets (``perform_seek``) has moved them.

        Faust's recovery resumes the stream partitions and only then seeks them to their
        committed offsets, one broker round trip after another: records fetched meanwhile
        reached the agents and came again after the seek, handled twice and out of order.
        """
        resumed = set(tps)
        if self.app.rebalancing:
            held = {tp for tp in resumed if not self._is_changelog_tp(tp)}
            self._held_for_seek |= held
            resumed -= held
        super().resume_partitions(resumed)

    def pause_partitions(self, tps: Iterable[TP]) -> None:
        paused = set(tps)
        if paused & self._held_for_seek:
            self._holds_taken_over += 1  # a new rebalance's pause: its recovery releases them
        self._held_for_seek -= paused  # a pause (a new rebalance's) outlasts an earlier resume
        super().pause_partitions(paused)

    def on_buffer_drop(self, tp: TP) -> None:
        if tp in self._held_for_seek or tp in self._paused_partitions:
            # Faust would make it active again, paused or not, once its agent's full buffer
            # drains (a buffer left full from before the rebalance): it waits for its resume.
            self._buffered_partitions.discard(tp)
            return
        super().on_buffer_drop(tp)

    async def perform_seek(self) -> None:
        held = set(self._held_for_seek)  # what was held before this seek began
        taken_over = self._holds_taken_over
        try:
            await super().perform_seek()
        finally:
            # Sought, failed or cancelled (a recovery that timed out stops waiting for it):
            # fetching again, as Faust would have them, unless a new rebalance paused them
            # meanwhile; that one's own recovery seeks and releases them.
            if self._holds_taken_over == taken_over:
                self._release(held)

    def _release(self, held: set[TP]) -> None:
        released = held & self._held_for_seek
        self._held_for_seek -= released
        if released:
            super().resume_partitions(released & self.assignment())

    def ack(self, message: Any) -> bool:
        """As Faust's, for records of the current generation only.

        Faust's streams skip a record fetched before the latest rebalance and ack it: the ack
        counted towards the next commit although the record had not been handled, and after
        the seek back to the committed offset it came again, handled or not (a commit could
        pass it while its new delivery was still queued). Such a record is marked done here,
        so that nothing waits for it (a stop waits for every record in flight), and counts
        for no commit."""
        if message.generation_id != self.app.consumer_generation_id:
            with ack_lock:
                message.acked = True
                self._unacked_messages.discard(message)
                notify(self._waiting_for_ack)  # a stop waiting for the streams to empty
            return False
        return super().ack(message)

    async def highwaters(self, *partitions: TP) -> Mapping[TP, int | None]:
        """End offsets as recovery reads them: checked against the records themselves."""
        app = cast(KafkaApp, self.app)
        reported = await super().highwaters(*partitions)
        return await true_end_offsets(
            app.kafka, reported, client_id=f"{app.conf.id}-recovery-check"
        )


class _Transport(faust_kafka.Transport):
    Consumer = _Consumer
    Producer = _Producer


class _FlowControl(FlowControlEvent):
    """Faust's flow control of its queues (the streams' and the tables' changelog queue),
    whose resume empties them only after a suspension.

    Faust suspends the flow (and empties the queues) as a rebalance begins, and resumes it
    several times while the tables recover and once more as the streams start, by then with
    the stream partitions fetching: that last resume emptied records already fetched, whose
    partitions had moved past them, and they were never handled (seen after a worker restart:
    one requisition of a partition never reached the join, and the commit passed it).
    """

    def resume(self) -> None:
        if self.is_active():
            return  # nothing was held back: what the queues hold is still to be handled
        super().resume()


class KafkaApp(faust.App):
    """A Faust app on Kafka as configured by ``kafka``; ``options`` override Faust settings."""

    @cached_property
    def flow_control(self) -> FlowControlEvent:
        return _FlowControl(loop=self.loop)

    def __init__(self, app_id: str, *, kafka: KafkaSettings, **options: Any) -> None:
        super().__init__(app_id, **{**faust_options(kafka, app_id), **options})
        self.kafka = kafka
        self.table_writes: list[TableWrites] = []  # each flush sends what they still hold

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)

    async def send_at_once(
        self,
        topic: str,
        *,
        key: bytes | None,
        value: bytes,
        headers: Any = None,
        partition: int | None = None,
    ) -> None:
        """Send a record now instead of at the next commit (``stream_publish_on_commit``),
        keeping at least once: every later commit waits for its delivery and fails if it
        failed, so the events not yet committed are handled again. Sent from an agent's body
        while it handles events (before they are acked: ``take_events`` acks a batch when the
        body asks for the next one), such a record is therefore covered by whichever of their
        offsets is committed first, of any input partition: one record can sum up events of
        several partitions, which an attached send (published with its own event's offset)
        cannot. A send from another task, or after the events were acked, has no such
        guarantee. For outputs on the way to a reader that waits for them, and for records
        that sum up a batch. ``partition`` None: the producer's partitioner. The topic must
        exist (the app's own declared topics do once it runs)."""
        await cast(_Producer, self.producer).send_at_once(
            topic, key, value, headers, partition=partition
        )

    async def send_records_at_once(
        self, topic: str, partition: int, records: Iterable[tuple[bytes | None, bytes | None, Any]]
    ) -> None:
        """``send_at_once`` for many records (key, value, headers) of one partition, in order,
        as whole record batches: the same guarantee, without the client's per-record send path
        (for outputs that a batch of events makes many of at once)."""
        await cast(_Producer, self.producer).send_records_at_once(topic, partition, records)


_Record = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]  # key, value, headers


class TableWrites:
    """Writes to Faust tables whose changelog records leave as record batches, one batch per
    changelog partition, when ``send`` is called.

    Faust sends a changelog record for every ``table[key] = value`` on its own, through its
    producer buffer and the client's send path; for a stream that writes a table entry or two
    per event that cost more than everything else it does per event (docs/performance.md,
    finding 27). Here a write changes the table at once (its store, as Faust's own write does)
    and its record, serialized exactly as Faust serializes it (recovery reads it as its own),
    waits in memory until ``send`` hands every partition's records to the client in one go
    (``KafkaApp.send_records_at_once``).

    Use it from an agent that takes events in batches, and ``send`` before asking for the next
    batch (before the events that made the writes are acked): every later offset commit then
    waits for the records' delivery and fails if it failed, as for ``send_at_once``. A batch
    whose body raised after writing and before ``send`` has its events acked all the same (the
    agent restarts): every flush, so every commit, first sends what is still held. A send
    cancelled half-way fails every later commit, until the app restarts and recovers. A write's
    changelog partition is the partition of the event that made it, as Faust's own writes
    take it (a table is co-partitioned with the topic it is built from). Tables in the memory
    store only: a RocksDB store would not learn the offsets it has persisted.
    """

    def __init__(self, app: KafkaApp) -> None:
        self._app = app
        self._pending: dict[tuple[str, int], list[_Record]] = {}
        self._sending = asyncio.Lock()  # sends in the order of their writes, whoever calls
        app.table_writes.append(self)

    def set(self, table: Any, key: Any, value: Any, *, partition: int) -> None:
        topic = table.changelog_topic
        headers = topic.prepare_headers(None)
        key_bytes, headers = topic.prepare_key(key, table.key_serializer, None, headers)
        value_bytes, headers = topic.prepare_value(value, table.value_serializer, None, headers)
        table.data[key] = value
        self._pending.setdefault((topic.get_topic_name(), partition), []).append(
            (key_bytes, value_bytes, list(headers.items()) if headers else [])
        )

    def view(self, table: Any, partition: Callable[[], int]) -> MutableMapping[Any, Any]:
        """``table`` as a mapping whose writes go through ``set`` with ``partition()``."""
        return _WrittenThrough(self, table, partition)

    async def send(self) -> None:
        """Hand every pending changelog record to the client (at once; see the class)."""
        async with self._sending:
            pending, self._pending = self._pending, {}
            for (topic, partition), records in pending.items():
                await self._app.send_records_at_once(topic, partition, records)


class _WrittenThrough(MutableMapping[Any, Any]):
    def __init__(self, writes: TableWrites, table: Any, partition: Callable[[], int]) -> None:
        self._writes, self._table, self._partition = writes, table, partition

    def __getitem__(self, key: Any) -> Any:
        return self._table.data[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._writes.set(self._table, key, value, partition=self._partition())

    def __delitem__(self, key: Any) -> None:
        raise NotImplementedError("entries are never removed through a TableWrites view")

    def __iter__(self) -> Iterator[Any]:
        return iter(self._table.data)

    def __len__(self) -> int:
        return len(self._table.data)


def take_batches(
    stream: faust.StreamT, max_: int, within: float
) -> AsyncIterator[list[faust.EventT]]:
    """A stream's events in batches: a batch begins with the first event to arrive and ends
    ``within`` seconds later, or as soon as it holds ``max_`` events.

    Faust's ``take_events`` ends a batch on a fixed clock instead: it wakes every ``within``
    seconds whether events came or not, and each wake-up starts and cancels three tasks. With
    the demand join's 10 ms that was a hundred wake-ups a second per agent, most of the idle
    procurement worker's CPU (docs/performance.md, finding 31). Here a stream with nothing to
    hand on waits without a timer. As with ``take_events``, the body gets each batch once, the
    stream takes no further event until the body asks for the next batch, and the batch's
    events are acked then (not before): what the body sent at once
    (``KafkaApp.send_at_once``) is covered by their commit. A body that raises has its batch
    acked all the same, as with ``take_events``; Faust then restarts the agent on the same
    stream, and the new ``take_batches`` takes over what was gathered meanwhile (one gatherer
    per stream: no event is left with a gatherer nobody reads). An app that stops while a batch
    gathers hands it on when its time is up (Faust waits for its streams' events to be acked
    before it stops).
    """
    gatherer = getattr(stream, "_tandem_gatherer", None)
    if gatherer is None:
        gatherer = _Gatherer(stream, max_, within)
        stream._tandem_gatherer = gatherer  # type: ignore[attr-defined]
        stream.enable_acks = False  # acked by the batches, once the body is done with them
        stream.add_processor(gatherer.gather)
        stream._enable_passive(cast(faust.ChannelT, aiter(stream.channel)))  # type: ignore[attr-defined]
    else:
        gatherer.max_, gatherer.within = max_, within
    batches = gatherer.batches()
    active = getattr(stream, "_active_agens", None)  # Faust closes these when the stream stops
    if active is not None:
        active.add(batches)
    return batches


class _Gatherer:
    """What ``take_batches`` keeps per stream: the events of the batch being gathered."""

    def __init__(self, stream: faust.StreamT, max_: int, within: float) -> None:
        self.stream, self.max_, self.within = stream, max_, within
        self.events: list[faust.EventT] = []
        self.ready = asyncio.Event()  # the batch is full, or its time is up
        self.taken = asyncio.Event()  # the body asked for the next batch
        self.deadline: asyncio.TimerHandle | None = None
        self.handing_over: asyncio.Future[None] | None = None  # while the body holds a batch

    async def gather(self, value: Any) -> Any:
        """The stream's processor: every event joins the batch being gathered."""
        if self.handing_over is not None:  # no event joins a batch the body holds
            await asyncio.shield(self.handing_over)
        event = self.stream.current_event
        if event is None:  # pragma: no cover - Faust sets it for every processor call
            raise RuntimeError("a stream processor ran without a current event")
        self.events.append(event)
        if len(self.events) == 1:
            self.deadline = asyncio.get_running_loop().call_later(self.within, self.ready.set)
        if len(self.events) >= self.max_:
            self.ready.set()
            self.taken.clear()
            await self.stream.wait(self.taken)  # never more than max_ events in a batch
        return value

    async def batches(self) -> AsyncIterator[list[faust.EventT]]:
        stream = self.stream
        while not stream.should_stop:
            if await stream.wait_for_stopped(self.ready):
                break
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None
            self.handing_over = asyncio.get_running_loop().create_future()
            batch = list(self.events)
            try:
                yield batch
            finally:
                self.events.clear()
                self.ready.clear()
                for event in batch:
                    await stream.ack(event)
                notify(self.handing_over)
                self.handing_over = None
                self.taken.set()


async def run_app(app: faust.App, stop: asyncio.Event, *, name: str) -> None:
    """Run a Faust app as a worker task until ``stop`` is set.

    A crashed app (a service of it failed, e.g. its consumer) processes nothing more and never
    recovers by itself: that raises, so the worker stops and its supervisor restarts it,
    instead of a live process whose stream has silently died.
    """
    await app.start()
    try:
        waiter = asyncio.ensure_future(stop.wait())
        ended = asyncio.ensure_future(app.wait_until_stopped())  # stopped or crashed
        try:
            await asyncio.wait({waiter, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (waiter, ended):
                pending.cancel()
        if app.crashed and not stop.is_set():
            raise RuntimeError(f"the {name} crashed") from app.crash_reason
    finally:
        await app.stop()
