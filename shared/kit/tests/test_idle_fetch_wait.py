"""Idle consumers lengthen their fetch wait; the first record brings it back."""

import asyncio
from types import SimpleNamespace

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tandem_kit.kafka import IdleFetchWait
from tandem_kit.settings import KafkaSettings
from tandem_kit.testing.plugin import unique


def started(wait_ms: int) -> SimpleNamespace:
    return SimpleNamespace(_fetcher=SimpleNamespace(_fetch_max_wait_ms=wait_ms))


def test_the_wait_doubles_per_empty_poll_up_to_the_ceiling_and_drops_with_a_record():
    consumer = started(10)
    idle = IdleFetchWait(consumer, KafkaSettings(fetch_max_wait_ms=10, fetch_idle_max_wait_ms=100))
    waits = []
    for found in (False, False, False, False, False, True, False):
        idle.polled(found)
        waits.append(consumer._fetcher._fetch_max_wait_ms)
    assert waits == [20, 40, 80, 100, 100, 10, 20]


def test_no_backoff_when_the_ceiling_is_not_above_the_wait():
    consumer = started(500)  # e.g. Kafka, KAFKA_FETCH_MAX_WAIT_MS=500
    idle = IdleFetchWait(consumer, KafkaSettings(fetch_max_wait_ms=500, fetch_idle_max_wait_ms=100))
    for _ in range(3):
        idle.polled(False)
    assert consumer._fetcher._fetch_max_wait_ms == 500


def test_a_consumer_not_started_yet_is_left_alone():
    consumer = SimpleNamespace()
    idle = IdleFetchWait(consumer, KafkaSettings(fetch_max_wait_ms=10, fetch_idle_max_wait_ms=100))
    idle.polled(False)
    assert idle.current == 10 and not hasattr(consumer, "_fetcher")


async def test_an_idle_consumer_backs_off_and_still_gets_the_next_record(kafka_settings):
    settings = kafka_settings.model_copy(
        update={"fetch_max_wait_ms": 10, "fetch_idle_max_wait_ms": 80}
    )
    topic = unique("kit-idle")
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, replication_factor=1)])
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    await consumer.start()
    await producer.start()
    try:
        idle = IdleFetchWait(consumer, settings)
        for _ in range(4):
            idle.polled(bool(await consumer.getmany(timeout_ms=100)))
        assert consumer._fetcher._fetch_max_wait_ms == 80

        await producer.send_and_wait(topic, b"after a quiet spell")
        got = {}
        deadline = asyncio.get_running_loop().time() + 10
        while not got and asyncio.get_running_loop().time() < deadline:
            got = await consumer.getmany(timeout_ms=100)
            idle.polled(bool(got))
        assert [r.value for records in got.values() for r in records] == [b"after a quiet spell"]
        assert consumer._fetcher._fetch_max_wait_ms == 10
    finally:
        await producer.stop()
        await consumer.stop()
