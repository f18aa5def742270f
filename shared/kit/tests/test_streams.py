"""The kit's Faust wiring: a producer flush that commits can rely on, true changelog end offsets."""

import asyncio
import json
import os
import sys
from types import SimpleNamespace

import faust
import mode
import pytest
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch
from faust.types import TP
from pydantic import SecretStr

from tandem_kit.settings import KafkaSettings
from tandem_kit.streams import (
    STALL_CHECK_EVERY_S,
    KafkaApp,
    TableWrites,
    _ActivePartitions,
    _ChangelogBuffer,
    _loop_like,
    run_app,
    seek_to_committed,
    take_batches,
    true_end_offsets,
)
from tandem_kit.testing.plugin import eventually, unique

# Records as bytes, as the services' apps read them.
RAW = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}


class Channel:
    """Publishes only when the test releases a record, as a slow or busy client would."""

    def __init__(self) -> None:
        self.release = asyncio.Semaphore(0)
        self.published: list[int] = []

    async def publish_message(self, fut, wait=False):
        await self.release.acquire()
        self.published.append(fut.n)


def record(channel: Channel, n: int):
    return SimpleNamespace(n=n, message=SimpleNamespace(channel=channel))


async def test_drain_waits_for_what_was_queued_before_it_and_not_for_later_records():
    buffer = _ChangelogBuffer()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    channel = Channel()
    for n in range(3):
        buffer.put(record(channel, n))

    async def pump():  # what the buffer's own task does
        while True:
            await buffer._send_pending(await buffer.pending.get())

    pumping = asyncio.create_task(pump())
    try:
        drained = asyncio.create_task(buffer.drain())
        channel.release.release()
        await asyncio.sleep(0.3)  # Faust's own flush gives up after 0.1 s without a send
        assert not drained.done() and channel.published == [0]
        for n in range(3, 6):  # the agents keep writing while the commit waits
            buffer.put(record(channel, n))
        channel.release.release()
        channel.release.release()
        await asyncio.wait_for(drained, timeout=5)
        assert channel.published == [0, 1, 2]  # done without waiting for 3..5
    finally:
        pumping.cancel()


async def test_drain_fails_instead_of_waiting_when_the_buffer_has_stopped():
    buffer = _ChangelogBuffer()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    buffer.put(record(Channel(), 0))  # nobody will ever send it
    buffer._stopped.set()  # what stopping the service sets first
    with pytest.raises(RuntimeError, match="1 record"):
        await asyncio.wait_for(buffer.drain(), timeout=5)


async def _new_topic(settings: KafkaSettings, prefix: str, partitions: int) -> str:
    return await _new_topic_named(settings, unique(prefix), partitions)


async def _new_topic_named(settings: KafkaSettings, topic: str, partitions: int) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, replication_factor=1)])
    finally:
        await admin.close()
    return topic


def _batching_producer(settings: KafkaSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=50)


async def _send_a_batch_of_five(producer: AIOKafkaProducer, topic: str) -> None:
    """Five records on partition 0 of an empty topic, in one batch."""
    sent = [await producer.send(topic, b"%d" % n, partition=0) for n in range(5)]
    await producer.flush()
    assert [(await f).offset for f in sent] == [0, 1, 2, 3, 4]


async def _write_each(
    settings: KafkaSettings, tps: list[TopicPartition], values: list[bytes]
) -> None:
    """``values``, in order, on each of ``tps`` (acknowledged by the broker one by one)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for tp in tps:
            for value in values:
                await producer.send_and_wait(tp.topic, value, partition=tp.partition)
    finally:
        await producer.stop()


async def _reported_ends(settings: KafkaSettings, tps: list[TopicPartition]) -> dict:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers)
    await consumer.start()
    try:
        return await consumer.end_offsets(tps)
    finally:
        await consumer.stop()


async def test_end_offsets_are_checked_against_the_records_themselves(kafka_settings):
    """The embedded broker reports a multi-record last batch's base offset + 1 as the end."""
    topic = await _new_topic(kafka_settings, "kit-ends", partitions=3)
    producer = _batching_producer(kafka_settings)
    await producer.start()
    try:
        await (await producer.send(topic, b"a", partition=1))
        await _send_a_batch_of_five(producer, topic)
    finally:
        await producer.stop()
    parts = [TopicPartition(topic, p) for p in range(3)]
    reported = await _reported_ends(kafka_settings, parts)
    assert reported[parts[0]] <= 5  # 1 on the embedded broker, 5 on Kafka

    ends = await true_end_offsets(kafka_settings, reported, client_id="kit-test")

    assert ends == {parts[0]: 5, parts[1]: 1, parts[2]: 0}


async def test_end_offsets_of_empty_partitions_are_taken_as_reported_without_reading():
    unreachable = KafkaSettings(bootstrap_servers="127.0.0.1:1")  # no client may be started
    tp = TopicPartition("t", 0)
    assert await true_end_offsets(unreachable, {tp: 0}, client_id="kit-test") == {tp: 0}


def test_the_app_takes_broker_credentials_and_timeouts_from_the_settings():
    settings = KafkaSettings(
        bootstrap_servers="k1:9092, k2:9092",
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="join",
        sasl_password=SecretStr("secret"),
        session_timeout_ms=6000,
        fetch_max_wait_ms=25,
    )
    app = KafkaApp("kit-test-app", kafka=settings, broker_commit_interval=0.05)
    assert [str(url) for url in app.conf.broker] == ["kafka://k1:9092", "kafka://k2:9092"]
    assert app.conf.broker_credentials.username == "join"
    assert app.conf.broker_credentials.mechanism.value == "SCRAM-SHA-512"
    assert app.conf.broker_session_timeout == 6.0
    assert app.conf.broker_rebalance_timeout == 6.0
    assert app.conf.broker_commit_interval == 0.05
    assert app.conf.processing_guarantee.value == "at_least_once"
    assert app.kafka.fetch_max_wait_ms == 25


async def test_end_offsets_of_a_partition_written_meanwhile_are_checked_without_chasing_it(
    kafka_settings,
):
    """A standby's changelog keeps growing: the check reads one batch and returns."""
    topic = await _new_topic(kafka_settings, "kit-ends-live", partitions=1)
    tp = TopicPartition(topic, 0)
    producer = _batching_producer(kafka_settings)
    await producer.start()
    stop = asyncio.Event()

    async def keep_writing():
        while not stop.is_set():
            await producer.send_and_wait(topic, b"more", partition=0)

    try:
        await _send_a_batch_of_five(producer, topic)
        reported = await _reported_ends(kafka_settings, [tp])
        writing = asyncio.create_task(keep_writing())
        try:
            ends = await asyncio.wait_for(
                true_end_offsets(kafka_settings, reported, client_id="kit-test"), timeout=10
            )
        finally:
            stop.set()
            await writing
    finally:
        await producer.stop()
    assert ends[tp] >= 5


async def test_partitions_go_back_to_their_committed_offsets_or_to_the_beginning(kafka_settings):
    """Records fetched and then discarded are read again, committed or not (0 included)."""
    topic = await _new_topic(kafka_settings, "kit-seek", partitions=3)
    tps = [TopicPartition(topic, p) for p in range(3)]
    await _write_each(kafka_settings, tps, [b"%d" % n for n in range(4)])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_settings.bootstrap_servers,
        group_id=unique("kit-seek-group"),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=kafka_settings.fetch_max_wait_ms,
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.commit({tps[1]: 2, tps[2]: 0})
        read: dict[TopicPartition, int] = {}
        while len(read) < 3 or min(read.values()) < 4:  # fetched, as if then discarded
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                read[tp] = records[-1].offset + 1
        assert [await consumer.position(tp) for tp in tps] == [4, 4, 4]

        committed = await seek_to_committed(consumer, tps, reset="earliest")

        assert committed == {tps[0]: None, tps[1]: 2, tps[2]: 0}
        assert [await consumer.position(tp) for tp in tps] == [0, 2, 0]
        await seek_to_committed(consumer, [tps[0]], reset="latest")
        assert await consumer.position(tps[0]) == 4
    finally:
        await consumer.stop()


async def test_records_of_partitions_not_active_stay_unread_even_when_none_is_active(
    kafka_settings,
):
    """aiokafka hands out every partition's records when asked for an empty set; Faust then
    dropped them (none of them active) with their partitions already past them."""
    topic = await _new_topic(kafka_settings, "kit-active", partitions=2)
    tps = [TopicPartition(topic, p) for p in range(2)]
    await _write_each(kafka_settings, tps, [b"r"])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_settings.bootstrap_servers,
        enable_auto_commit=False,
        fetch_max_wait_ms=kafka_settings.fetch_max_wait_ms,
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        fetcher = consumer._fetcher  # what Faust's consumer thread reads through
        live: set[TopicPartition] = set()  # Faust's active partitions: none, for now
        deadline = asyncio.get_running_loop().time() + 10
        while not all(tp in fetcher._records for tp in tps):  # both fetched, not handed out
            assert asyncio.get_running_loop().time() < deadline, "nothing fetched in 10 s"
            await asyncio.sleep(0.02)

        assert await fetcher.fetched_records(_ActivePartitions(live), timeout=0.2) == {}
        assert [await consumer.position(tp) for tp in tps] == [0, 0]

        live.add(tps[1])  # resumed: its records come, the other partition's still wait
        got = await fetcher.fetched_records(_ActivePartitions(live), timeout=5)
        assert list(got) == [tps[1]]
        assert [await consumer.position(tp) for tp in tps] == [0, 1]

        # What the view guards against: the bare empty set reads as "every partition".
        got = await fetcher.fetched_records(set(), timeout=5)
        assert list(got) == [tps[0]]
        assert [await consumer.position(tp) for tp in tps] == [1, 1]
    finally:
        await consumer.stop()


class _Stream(mode.Service):
    """Stands in for a Faust app: a mode service that can crash like one."""


async def test_a_crashed_app_stops_its_worker_task_and_a_stopped_one_does_not_raise():
    crashing, stop = _Stream(), asyncio.Event()
    task = asyncio.create_task(run_app(crashing, stop, name="test stream"))
    await asyncio.sleep(0.05)
    assert not task.done()  # running until told otherwise
    await crashing.crash(ValueError("its consumer failed"))
    with pytest.raises(RuntimeError, match="the test stream crashed") as raised:
        await asyncio.wait_for(task, 5)
    assert isinstance(raised.value.__cause__, ValueError)
    assert crashing.should_stop  # stopped on the way out

    quiet, stop = _Stream(), asyncio.Event()
    task = asyncio.create_task(run_app(quiet, stop, name="test stream"))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)  # returns without raising
    assert quiet.should_stop


def _offline_producer():
    """A KafkaApp's producer that never connects: ``send`` answers futures the test settles."""
    app = KafkaApp("kit-test-at-once", kafka=KafkaSettings(bootstrap_servers="nowhere:9092"))
    producer = app.producer
    sends: list[asyncio.Future] = []

    async def send(topic, key, value, partition, timestamp, headers):
        sends.append(asyncio.get_running_loop().create_future())
        return sends[-1]

    producer.send = send
    return app, producer, sends


async def test_a_flush_waits_for_the_records_sent_at_once_and_fails_when_one_failed():
    app, producer, sends = _offline_producer()
    await app.send_at_once("out", key=b"k", value=b"1")
    await app.send_at_once("out", key=b"k", value=b"2")
    flushed = asyncio.create_task(producer.flush())
    await asyncio.sleep(0.05)
    assert not flushed.done()  # the commit behind this flush waits for both deliveries
    sends[0].set_result("delivered")
    await asyncio.sleep(0.05)
    assert not flushed.done()
    sends[1].set_result("delivered")
    await asyncio.wait_for(flushed, 5)
    assert not producer._unconfirmed  # nothing kept once delivered

    await app.send_at_once("out", key=b"k", value=b"3")
    sends[2].set_exception(OSError("broker gone"))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="not delivered") as raised:
        await asyncio.wait_for(producer.flush(), 5)  # so the commit fails: handled again
    assert isinstance(raised.value.__cause__, OSError)
    with pytest.raises(RuntimeError, match="not delivered"):  # and every later one, until the
        await asyncio.wait_for(producer.flush(), 5)  # app restarts: it would cover the loss


async def test_a_record_sent_at_once_goes_to_the_partition_asked_or_to_the_partitioner():
    app, producer, _ = _offline_producer()
    asked: list[int | None] = []

    async def send(topic, key, value, partition, timestamp, headers):
        asked.append(partition)
        done = asyncio.get_running_loop().create_future()
        done.set_result("delivered")
        return done

    producer.send = send
    await app.send_at_once("out", key=b"k", value=b"1", partition=4)
    await app.send_at_once("out", key=b"k", value=b"2")
    assert asked == [4, None]  # None: the producer's partitioner places it by key
    await asyncio.wait_for(producer.flush(), 5)


async def test_a_send_refused_by_the_client_fails_the_commit_instead_of_the_agent():
    app, producer, _ = _offline_producer()

    async def refuse(topic, key, value, partition, timestamp, headers):
        raise TimeoutError("the batch stayed full")  # aiokafka's KafkaTimeoutError, say

    producer.send = refuse
    await app.send_at_once("out", key=b"k", value=b"1")  # the agent's body goes on: no raise
    with pytest.raises(RuntimeError, match="not delivered") as raised:
        await asyncio.wait_for(producer.flush(), 5)
    assert isinstance(raised.value.__cause__, TimeoutError)


async def test_a_record_sent_at_once_leaves_before_the_commit_of_its_event(
    kafka_settings, tmp_path
):
    source = await _new_topic(kafka_settings, "kit-at-once-in", 1)
    sink = await _new_topic(kafka_settings, "kit-at-once-out", 1)
    app_id = unique("kit-at-once")
    app = KafkaApp(
        app_id,
        kafka=kafka_settings,
        stream_publish_on_commit=True,
        broker_commit_interval=60.0,  # no commit by the timer during the test
        store="memory://",
        web_enabled=False,
        datadir=str(tmp_path),
    )
    inbound = app.topic(source, **RAW)

    @app.agent(inbound)
    async def forward(stream):
        async for event in stream.events():
            await app.send_at_once(sink, key=event.key, value=event.value)

    stop = asyncio.Event()
    running = asyncio.create_task(run_app(app, stop, name="at-once test"))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers)
    group = AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers, group_id=app_id)
    await producer.start()
    await reader.start()
    await group.start()
    try:
        await producer.send_and_wait(source, b"order-1", key=b"k")
        out = TopicPartition(sink, 0)
        reader.assign([out])
        await reader.seek_to_beginning(out)
        found = await reader.getmany(out, timeout_ms=30_000)
        assert [r.value for r in found.get(out, [])] == [b"order-1"]
        # Out while the event that made it is not committed yet (the commit waits for it).
        assert await group.committed(TopicPartition(source, 0)) is None
        assert not running.done()
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await producer.stop()
        await reader.stop()
        await group.stop()


async def _write_one(kafka_settings, topic: str) -> None:
    writer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await writer.start()
    try:
        await writer.send_and_wait(topic, b"order-1", key=b"k")
    finally:
        await writer.stop()


async def _run_script(kafka_settings, script: str, *args: str) -> tuple[int, bytes, bytes]:
    """``script`` in a Python process of its own, as a worker runs: (exit code, out, err)."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), 90)
    except TimeoutError:
        process.kill()
        raise
    assert process.returncode is not None
    return process.returncode, out, err


REFUSING_APP = """
import asyncio, sys
from tandem_kit.runtime import _run
from tandem_kit.settings import KafkaSettings
from tandem_kit.streams import KafkaApp, run_app

source, sink, app_id, datadir = sys.argv[1:5]
app = KafkaApp(app_id, kafka=KafkaSettings(), stream_publish_on_commit=True,
               broker_commit_interval=0.2, store="memory://", web_enabled=False, datadir=datadir)
raw = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
inbound = app.topic(source, **raw)

async def refuse(*args, **kwargs):
    raise TimeoutError("the batch stayed full")  # aiokafka's KafkaTimeoutError, say

@app.agent(inbound)
async def forward(stream):
    async for events in stream.take_events(10, 0.05):
        for event in events:
            await app.send_at_once(sink, key=event.key, value=event.value)

async def main():
    app.producer.send = refuse
    await run_app(app, asyncio.Event(), name="refused-send test")

_run(main())  # as a worker process runs: it must end by itself once the app failed
"""


async def test_a_refused_send_at_once_stops_the_process_before_its_event_is_committed(
    kafka_settings, tmp_path
):
    """As a worker runs it: the app in a process of its own, which must end by itself (its
    supervisor restarts it) without committing the event whose output was refused."""
    source = await _new_topic(kafka_settings, "kit-refused-in", 1)
    sink = await _new_topic(kafka_settings, "kit-refused-out", 1)
    app_id = unique("kit-refused")
    await _write_one(kafka_settings, source)
    returncode, _, err = await _run_script(
        kafka_settings, REFUSING_APP, source, sink, app_id, str(tmp_path)
    )
    assert returncode != 0, err[-2000:]  # ended by itself, as failed
    group = AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers, group_id=app_id)
    await group.start()
    try:
        assert await group.committed(TopicPartition(source, 0)) is None
    finally:
        await group.stop()


async def test_a_restarted_app_hands_on_each_record_once_in_order_from_its_committed_offset(
    kafka_settings, tmp_path
):
    """A start with a table to recover: the stream partitions go to their committed offsets
    while records are being fetched. Each record reaches the agent once, in order, from its
    partition's committed offset, none lost, none twice (Faust alone: some twice and out of
    order, some dropped as already read, and the partition's commit stuck)."""
    partitions, per_partition = 12, 20
    source = await _new_topic(kafka_settings, "kit-restart-in", partitions)
    app_id = unique("kit-restart")
    changelog = f"{app_id}-handled-changelog"
    await _new_topic_named(kafka_settings, changelog, partitions)
    committed = {p: (p % 4) * 5 for p in range(partitions)}
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, linger_ms=5)
    group = AIOKafkaConsumer(
        bootstrap_servers=kafka_settings.bootstrap_servers,
        group_id=app_id,
        enable_auto_commit=False,
    )
    await producer.start()
    await group.start()
    try:
        for p in range(partitions):
            for n in range(per_partition):
                await producer.send(source, b"%d" % n, key=b"%d" % p, partition=p)
            for n in range(200):  # a table to recover, so that the streams start late
                await producer.send(changelog, b'"x"', key=b'"%d-%d"' % (p, n), partition=p)
        await producer.flush()
        group.assign([TopicPartition(source, p) for p in range(partitions)])
        await group.commit({TopicPartition(source, p): c for p, c in committed.items() if c})
        group.unsubscribe()  # it only reads the commits from here on
    finally:
        await producer.stop()

    app = KafkaApp(app_id, kafka=kafka_settings, store="memory://", web_enabled=False,
                   datadir=str(tmp_path), topic_partitions=partitions)  # fmt: skip
    app.Table("handled", default=str, partitions=partitions)
    handed: dict[int, list[int]] = {p: [] for p in range(partitions)}

    @app.agent(app.topic(source, **RAW))
    async def note(stream):
        async for event in stream.events():
            handed[event.message.partition].append(event.message.offset)

    stop = asyncio.Event()
    running = asyncio.create_task(run_app(app, stop, name="restart test"))
    expected = {p: list(range(c, per_partition)) for p, c in committed.items()}
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while any(len(handed[p]) < len(expected[p]) for p in handed):
            assert asyncio.get_running_loop().time() < deadline, handed
            assert not running.done()
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # time for a record handed on twice to come again
        assert handed == expected
        tps = [TopicPartition(source, p) for p in range(partitions)]
        while [await group.committed(tp) for tp in tps] != [per_partition] * partitions:
            assert asyncio.get_running_loop().time() < deadline + 30, "a commit stalled"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await group.stop()


async def test_a_rebalance_mid_stream_loses_no_record_and_stalls_no_partition(
    kafka_settings, tmp_path
):
    """A second member joins while the first is behind what it fetched: the partitions it keeps
    go back to their committed offsets with records of the old positions still on their way.
    Every record is handled (at least once) and every partition's commit reaches its end."""
    partitions, per_partition = 8, 150
    source = await _new_topic(kafka_settings, "kit-rebalance-in", partitions)
    app_id = unique("kit-rebalance")
    handled: set[tuple[int, int]] = set()
    partitions_of: dict[int, set[int]] = {1: set(), 2: set()}  # handled by each member
    quarter = partitions * per_partition // 4
    second_works = asyncio.Event()  # the second member handled a record

    def member(n: int) -> KafkaApp:
        app = KafkaApp(app_id, kafka=kafka_settings, store="memory://", web_enabled=False,
                       datadir=str(tmp_path / f"member-{n}"), topic_partitions=partitions,
                       broker_commit_interval=0.2)  # fmt: skip
        app.Table("seen", default=int, partitions=partitions)

        @app.agent(app.topic(source, **RAW), name=f"note-{n}")
        async def note(stream):
            async for event in stream.events():
                handled.add((event.message.partition, event.message.offset))
                partitions_of[n].add(event.message.partition)
                if n == 2:
                    second_works.set()
                # Slower than the fetch, which runs ahead; slower still from a quarter on until
                # the second member works, so that the rebalance comes mid-stream.
                slow = len(handled) >= quarter and not second_works.is_set()
                await asyncio.sleep(0.05 if slow else 0.002)

        return app

    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, linger_ms=5)
    await producer.start()
    try:
        for n in range(per_partition):
            for p in range(partitions):
                await producer.send(source, b"%d" % n, key=b"%d" % p, partition=p)
        await producer.flush()
    finally:
        await producer.stop()
    stops = [asyncio.Event(), asyncio.Event()]
    first = asyncio.create_task(run_app(member(1), stops[0], name="first member"))
    second = None
    group = AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers, group_id=app_id)
    await group.start()
    tps = [TopicPartition(source, p) for p in range(partitions)]
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while len(handled) < quarter:
            assert loop.time() < deadline and not first.done()
            await asyncio.sleep(0.02)
        second = asyncio.create_task(run_app(member(2), stops[1], name="second member"))
        deadline = loop.time() + 90
        while True:
            committed = [await group.committed(tp) for tp in tps]
            if committed == [per_partition] * partitions:
                break
            assert loop.time() < deadline, (committed, partitions * per_partition - len(handled))
            assert not first.done() and not second.done()
            await asyncio.sleep(0.2)
        assert handled == {(p, n) for p in range(partitions) for n in range(per_partition)}
        assert partitions_of[2] and partitions_of[1] - partitions_of[2]  # they shared the work
    finally:
        for stop in stops:
            stop.set()
        await group.stop()
        await asyncio.wait_for(first, 30)
        if second is not None:
            await asyncio.wait_for(second, 30)


class _BatchingClient:
    """An aiokafka producer stand-in that takes record batches (small ones) and answers each
    with a future the test settles."""

    def __init__(self, batch_size: int = 200) -> None:
        self.batch_size = batch_size
        self.sent: list[tuple[str, int, list[bytes]]] = []
        self.deliveries: list[asyncio.Future] = []

    def create_batch(self):
        return BatchBuilder(self.batch_size, 0)

    async def send_batch(self, batch, topic, *, partition):
        values = [r.value for r in DefaultRecordBatch(bytearray(batch._build()))]
        self.sent.append((topic, partition, values))
        self.deliveries.append(asyncio.get_running_loop().create_future())
        return self.deliveries[-1]

    async def flush(self):
        return None


async def test_records_sent_at_once_leave_as_batches_in_order_and_hold_back_the_flush():
    app, producer, _ = _offline_producer()
    client = producer._producer = _BatchingClient()
    records = [(b"k", b"record-%02d" % n + b"." * 30, []) for n in range(10)]
    await app.send_records_at_once("out", 2, records)
    assert len(client.sent) > 1  # more than one batch's worth: split, none lost
    assert {(topic, partition) for topic, partition, _ in client.sent} == {("out", 2)}
    assert [v for _, _, values in client.sent for v in values] == [r[1] for r in records]
    flushed = asyncio.create_task(producer.flush())
    for delivery in client.deliveries[1:]:
        delivery.set_result("delivered")
    await asyncio.sleep(0.05)
    assert not flushed.done()  # a commit waits for every batch, the first one included
    client.deliveries[0].set_result("delivered")
    await asyncio.wait_for(flushed, 5)

    async def refuse(batch, topic, *, partition):
        raise TimeoutError("the partition's previous batch did not leave")  # aiokafka's, say

    client.send_batch = refuse
    await app.send_records_at_once("out", 0, records)  # the agent's body goes on: no raise
    with pytest.raises(RuntimeError, match="not delivered") as raised:
        await asyncio.wait_for(producer.flush(), 5)  # so the commit fails: handled again
    assert isinstance(raised.value.__cause__, TimeoutError)


async def test_table_writes_leave_in_batches_and_a_restarted_app_recovers_them(
    kafka_settings, tmp_path
):
    """Writes through TableWrites change the table at once; their changelog records, sent as
    batches before the next batch of events, are what Faust's own recovery reads back."""
    partitions = 3
    source = await _new_topic(kafka_settings, "kit-writes-in", partitions)
    app_id = unique("kit-writes")

    def build(datadir):
        app = KafkaApp(app_id, kafka=kafka_settings, store="memory://", web_enabled=False,
                       datadir=str(datadir), topic_partitions=partitions)  # fmt: skip
        table = app.Table(
            "latest", default=None, partitions=partitions,
            schema=faust.Schema(key_type=str, key_serializer="json", value_serializer="json"),
        )  # fmt: skip
        return app, table

    app, table = build(tmp_path / "first")
    writes = TableWrites(app)

    @app.agent(app.topic(source, **RAW))
    async def keep(stream):
        async for events in stream.take_events(50, 0.05):
            for event in events:
                key = event.key.decode()
                writes.set(table, key, {"n": int(event.value)}, partition=event.message.partition)
            await writes.send()

    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, linger_ms=5)
    await producer.start()
    expected: dict[str, dict] = {}
    try:
        for n in range(60):  # 12 keys, five versions each, on every partition
            key = f"key-{n % 12}"
            await producer.send(source, b"%d" % n, key=key.encode(), partition=n % partitions)
            expected[key] = {"n": n}
        await producer.flush()
    finally:
        await producer.stop()
    # The app stops with a last commit, its flush included.
    await _run_until_table_holds(app, table, expected, "table writes test")
    # Each entry's records are on its source partition: the worker that is given a source
    # partition recovers that changelog partition only (key-k was always on partition k % 3).
    changelog = f"{app_id}-latest-changelog"
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await reader.start()
    try:
        tps = [TopicPartition(changelog, p) for p in range(partitions)]
        reader.assign(tps)
        await reader.seek_to_beginning(*tps)
        placed: list[tuple[int, int]] = []
        while len(placed) < 60:
            for tp, batch in (await reader.getmany(timeout_ms=5_000)).items():
                placed += [(int(json.loads(r.key).split("-")[1]) % 3, tp.partition) for r in batch]
            assert placed, "no changelog record"
        assert all(expected_at == at for expected_at, at in placed), placed
    finally:
        await reader.stop()

    restarted, recovered = build(tmp_path / "second")

    @restarted.agent(restarted.topic(source, **RAW))
    async def idle(stream):
        async for _event in stream.events():
            pass

    await _run_until_table_holds(restarted, recovered, expected, "table writes restart")


async def _run_until_table_holds(app, table, expected, name: str, timeout: float = 60.0) -> None:
    """Run ``app`` until ``table`` holds exactly ``expected``, then stop it."""
    stop = asyncio.Event()
    running = asyncio.create_task(run_app(app, stop, name=name))
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while (found := dict(table.data.items())) != expected:
            assert asyncio.get_running_loop().time() < deadline, found
            assert not running.done()
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)


async def test_table_writes_a_failed_batch_left_unsent_leave_before_the_next_commit():
    """An agent's body that raised between its writes and ``send`` has its events acked all
    the same: the next flush (every commit's first step) sends the writes and waits for them."""
    app, producer, _ = _offline_producer()
    client = producer._producer = _BatchingClient(batch_size=16384)
    schema = faust.Schema(key_type=str, key_serializer="json", value_serializer="json")
    table = app.Table("latest", default=None, partitions=3, schema=schema)
    writes = TableWrites(app)
    writes.set(table, "a", {"n": 1}, partition=1)
    writes.set(table, "a", {"n": 2}, partition=1)
    assert table.data["a"] == {"n": 2}  # in the table at once; the body raises here
    flushed = asyncio.create_task(producer.flush())
    await asyncio.sleep(0.05)
    changelog = table.changelog_topic.get_topic_name()
    assert client.sent == [(changelog, 1, [b'{"n":1}', b'{"n":2}'])]  # in order, one batch
    assert not flushed.done()  # and the commit waits for their delivery
    client.deliveries[0].set_result("delivered")
    await asyncio.wait_for(flushed, 5)
    await asyncio.wait_for(producer.flush(), 5)
    assert len(client.sent) == 1  # sent once


async def test_records_whose_send_was_cancelled_half_way_fail_every_later_commit():
    app, producer, _ = _offline_producer()
    client = producer._producer = _BatchingClient()
    never = asyncio.Event()

    async def stuck(batch, topic, *, partition):
        await never.wait()  # the partition's previous batch never leaves

    client.send_batch = stuck
    sending = asyncio.create_task(app.send_records_at_once("out", 0, [(b"k", b"v", [])]))
    await asyncio.sleep(0.05)
    sending.cancel()  # the agent is stopped on its way
    with pytest.raises(asyncio.CancelledError):
        await sending
    with pytest.raises(RuntimeError, match="not delivered") as raised:
        await asyncio.wait_for(producer.flush(), 5)
    assert "cancelled" in str(raised.value.__cause__)


async def _write_together(settings: KafkaSettings, tp: TopicPartition, values: list[bytes]) -> None:
    """``values``, in order, on ``tp``, in one record batch: they reach a reader together."""
    producer = _batching_producer(settings)
    await producer.start()
    try:
        sent = [await producer.send(tp.topic, value, partition=tp.partition) for value in values]
        await producer.flush()
        for future in sent:
            await future
    finally:
        await producer.stop()


async def _committed_is(group: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> bool:
    return await group.committed(tp) == offset


async def test_batches_begin_with_their_first_event_and_a_quiet_stream_sets_no_timer(
    kafka_settings, tmp_path
):
    """``take_batches``: nothing arrives, nothing wakes the agent (Faust's ``take_events`` woke
    it every ``within``: about ten times in this test's half second); seven records arrive
    together, they come in batches of at most ``max_``, each handed on once, in order."""
    source = await _new_topic(kafka_settings, "kit-batches", 1)
    app = KafkaApp(unique("kit-batches"), kafka=kafka_settings, store="memory://",
                   web_enabled=False, datadir=str(tmp_path), topic_partitions=1)  # fmt: skip
    batches: list[list[int]] = []
    waits = [0]

    @app.agent(app.topic(source, **RAW))
    async def gather(stream):
        original = stream.wait_for_stopped

        async def counted(*args, **kwargs):
            waits[0] += 1
            return await original(*args, **kwargs)

        stream.wait_for_stopped = counted
        async for events in take_batches(stream, 5, 0.05):
            batches.append([int(event.value) for event in events])

    stop = asyncio.Event()
    running = asyncio.create_task(run_app(app, stop, name="batches test"))
    try:
        await eventually(lambda: waits[0] >= 1, timeout=30)
        quiet_from = waits[0]
        await asyncio.sleep(0.5)
        assert waits[0] == quiet_from  # one wait for the first event, no timer meanwhile

        await _write_together(
            kafka_settings, TopicPartition(source, 0), [b"%d" % n for n in range(7)]
        )
        await eventually(lambda: sum(map(len, batches)) >= 7, timeout=30)
        assert batches == [[0, 1, 2, 3, 4], [5, 6]]  # together, yet never more than five
        assert not running.done()
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)


async def test_a_batch_is_acked_only_once_the_body_asks_for_the_next_and_no_event_joins_it(
    kafka_settings, tmp_path
):
    """While the body holds a batch, none of its events is committed and no later event is
    added to it; once the body asks for the next batch, the batch's offsets are committed."""
    source = await _new_topic(kafka_settings, "kit-batch-acks", 1)
    app_id = unique("kit-batch-acks")
    app = KafkaApp(app_id, kafka=kafka_settings, store="memory://", web_enabled=False,
                   datadir=str(tmp_path), topic_partitions=1,
                   broker_commit_interval=0.05)  # fmt: skip
    held = asyncio.Event()
    release = asyncio.Event()
    batches: list[list[int]] = []

    @app.agent(app.topic(source, **RAW))
    async def gather(stream):
        async for events in take_batches(stream, 100, 0.2):
            batches.append([int(event.value) for event in events])
            if len(batches) == 1:
                held.set()
                await release.wait()

    group = AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers, group_id=app_id,
                             enable_auto_commit=False)  # fmt: skip
    await group.start()
    tp = TopicPartition(source, 0)
    stop = asyncio.Event()
    running = asyncio.create_task(run_app(app, stop, name="batch acks test"))
    try:
        await _write_together(kafka_settings, tp, [b"0", b"1", b"2"])
        await asyncio.wait_for(held.wait(), 30)
        await _write_each(kafka_settings, [tp], [b"3", b"4"])
        await asyncio.sleep(0.5)  # ten commit intervals
        assert await group.committed(tp) in (None, 0)
        assert batches == [[0, 1, 2]]
        release.set()
        await eventually(lambda: len(batches) == 2, timeout=30)
        assert batches == [[0, 1, 2], [3, 4]]
        await eventually(lambda: _committed_is(group, tp, 5), timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await group.stop()


async def test_stalled_partitions_are_checked_every_few_seconds_in_one_step(tmp_path):
    """Faust's stalled-partition check ran every 125 ms and yielded to the event loop through
    a task and a timer per assigned partition; here it checks every partition in one step, at
    most every ``STALL_CHECK_EVERY_S``."""
    settings = KafkaSettings(bootstrap_servers="127.0.0.1:1")
    app = KafkaApp(unique("kit-stalls"), kafka=settings, store="memory://", web_enabled=False,
                   datadir=str(tmp_path))  # fmt: skip
    consumer = app.consumer
    tps = {TP(f"t{n}", p) for n in range(3) for p in range(6)}
    checked: list[TP] = []
    consumer.assignment = lambda: tps
    consumer.verify_event_path = lambda now, tp: checked.append(tp)
    sleeps = [0]
    original_sleep = consumer.sleep

    async def counted_sleep(n):
        sleeps[0] += 1
        await original_sleep(n)

    consumer.sleep = counted_sleep
    await consumer.verify_all_partitions_active()
    assert sorted(checked) == sorted(tps) and sleeps[0] == 0
    await consumer.verify_all_partitions_active()  # again at once: nothing checked
    assert len(checked) == len(tps)
    consumer._stalls_checked_at -= STALL_CHECK_EVERY_S
    await consumer.verify_all_partitions_active()
    assert len(checked) == 2 * len(tps)


async def test_a_batch_still_gathering_when_the_app_stops_is_handed_on_and_committed_once(
    kafka_settings, tmp_path
):
    """Stopped while a batch gathers, the app waits for its streams (Faust's wait_empty): the
    batch is handed on when its time is up, committed, and not handed on again at the next
    start."""
    source = await _new_topic(kafka_settings, "kit-batch-stop", 1)
    app_id = unique("kit-batch-stop")
    seen: list[list[int]] = []

    def new_app(within: float) -> KafkaApp:
        app = KafkaApp(app_id, kafka=kafka_settings, store="memory://", web_enabled=False,
                       datadir=str(tmp_path), topic_partitions=1)  # fmt: skip

        @app.agent(app.topic(source, **RAW))
        async def gather(stream):
            async for events in take_batches(stream, 100, within):
                seen.append([int(event.value) for event in events])

        return app

    first = new_app(within=1.0)
    stop = asyncio.Event()
    running = asyncio.create_task(run_app(first, stop, name="batch stop test"))
    try:
        await _write_together(kafka_settings, TopicPartition(source, 0), [b"0", b"1", b"2"])
        await eventually(lambda: len(first.consumer._unacked_messages) == 3, timeout=30)
        assert seen == []  # still gathering
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert seen == [[0, 1, 2]]

    second = new_app(within=0.01)
    stop = asyncio.Event()
    running = asyncio.create_task(run_app(second, stop, name="batch stop test, again"))
    try:
        await _write_each(kafka_settings, [TopicPartition(source, 0)], [b"3"])
        await eventually(lambda: len(seen) == 2, timeout=30)
        await asyncio.sleep(0.5)  # time for a record handed on twice to come again
        assert seen == [[0, 1, 2], [3]]
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)


async def test_after_a_body_raised_the_restarted_agent_takes_over_every_event_gathered(
    kafka_settings, tmp_path
):
    """A body that raises has its batch acked (as with Faust's ``take_events``) and Faust
    restarts the agent on the same stream: the new ``take_batches`` takes over the stream's one
    gatherer, so every later event is handed on, also one that came during the restart and
    more than a batch's worth (a second gatherer left the first one holding events nobody
    read, and the stream stalled once it was full)."""
    source = await _new_topic(kafka_settings, "kit-batch-raise", 1)
    app_id = unique("kit-batch-raise")
    app = KafkaApp(app_id, kafka=kafka_settings, store="memory://", web_enabled=False,
                   datadir=str(tmp_path), topic_partitions=1)  # fmt: skip
    handed: list[int] = []
    raised = asyncio.Event()

    @app.agent(app.topic(source, **RAW))
    async def gather(stream):
        async for events in take_batches(stream, 3, 0.05):
            values = [int(event.value) for event in events]
            if not raised.is_set():
                raised.set()
                raise RuntimeError("the body failed once")
            handed.extend(values)

    tp = TopicPartition(source, 0)
    group = AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers, group_id=app_id,
                             enable_auto_commit=False)  # fmt: skip
    await group.start()
    stop = asyncio.Event()
    running = asyncio.create_task(run_app(app, stop, name="batch raise test"))
    try:
        await _write_each(kafka_settings, [tp], [b"0"])
        await asyncio.wait_for(raised.wait(), 30)
        await _write_each(kafka_settings, [tp], [b"%d" % n for n in range(1, 11)])
        await eventually(lambda: len(handed) >= 10, timeout=30)
        assert handed == list(range(1, 11))
        await eventually(lambda: _committed_is(group, tp, 11), timeout=30)
        assert not running.done()
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await group.stop()


THREAD_LOOP_APP = """
import asyncio, sys
from tandem_kit.runtime import _run
from tandem_kit.settings import KafkaSettings
from tandem_kit.streams import KafkaApp, run_app

source, app_id, datadir = sys.argv[1:4]
app = KafkaApp(app_id, kafka=KafkaSettings(), store="memory://", web_enabled=False,
               datadir=datadir)
raw = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
seen = []

@app.agent(app.topic(source, **raw))
async def note(stream):
    async for event in stream:
        seen.append(event)

async def main():
    stop = asyncio.Event()
    running = asyncio.create_task(run_app(app, stop, name="thread loop test"))
    async with asyncio.timeout(60):
        while not seen:
            await asyncio.sleep(0.05)
    loop = app.consumer._thread.thread_loop
    kind = type(loop).__module__.partition(".")[0]
    stop.set()
    await running
    async with asyncio.timeout(10):
        while not loop.is_closed():
            await asyncio.sleep(0.05)
    print(kind, "closed")

_run(main())  # on uvloop, as a worker runs
"""


async def test_faust_s_consumer_thread_in_a_worker_runs_uvloop_and_closes_it(
    kafka_settings, tmp_path
):
    """As a worker runs an app: its consumer thread's loop is a uvloop too, and the thread
    closes it when the app stops (mode closes only the loops it made itself)."""
    source = await _new_topic(kafka_settings, "kit-thread-loop-in", 1)
    await _write_one(kafka_settings, source)
    returncode, out, err = await _run_script(
        kafka_settings, THREAD_LOOP_APP, source, unique("kit-thread-loop"), str(tmp_path)
    )
    assert returncode == 0, err[-2000:]
    assert out.decode().split() == ["uvloop", "closed"], err[-2000:]


def test_faust_s_consumer_thread_runs_the_kind_of_loop_its_worker_runs():
    """mode makes the consumer thread's loop with ``asyncio.new_event_loop()``: the standard
    loop beside a worker on uvloop, unless the kit asks for the parent's kind."""

    for parent in (uvloop.new_event_loop(), asyncio.new_event_loop()):
        made = _loop_like(parent)
        try:
            assert type(made) is type(parent)
        finally:
            made.close()
            parent.close()
