"""Kafka helpers for the harness: fresh topics, end offsets, consumer-group progress."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tandem_kit.kafka import client_options
from tandem_kit.settings import KafkaSettings


async def create_topic(kafka: KafkaSettings, name: str, partitions: int = 6) -> None:
    admin = AIOKafkaAdminClient(**client_options(kafka, "bench-admin"))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, kafka.replication_factor)])
    finally:
        await admin.close()


async def end_offsets(kafka: KafkaSettings, topic: str) -> dict[TopicPartition, int]:
    options = client_options(kafka, "bench-offsets")
    options.pop("request_timeout_ms")
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        for _ in range(50):
            if partitions:
                break
            await consumer._client.force_metadata_update()  # new topics appear after a refresh
            partitions = consumer.partitions_for_topic(topic)
            await asyncio.sleep(0.1)
        if not partitions:
            raise RuntimeError(f"topic {topic} has no partitions")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def committed(kafka: KafkaSettings, group_id: str, topic: str) -> dict[TopicPartition, int]:
    """Offsets ``group_id`` committed on ``topic`` (partitions it never committed are absent)."""
    admin = AIOKafkaAdminClient(**client_options(kafka, "bench-admin"))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_id)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


async def groups_reading(kafka: KafkaSettings, topic: str) -> list[str]:
    admin = AIOKafkaAdminClient(**client_options(kafka, "bench-admin"))
    await admin.start()
    try:
        groups = [g[0] if isinstance(g, tuple) else g for g in await admin.list_consumer_groups()]
        readers = []
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            if any(tp.topic == topic for tp in offsets):
                readers.append(group)
        return readers
    finally:
        await admin.close()


async def wait_caught_up(
    kafka: KafkaSettings, topic: str, groups: list[str], timeout: float
) -> bool:
    """Wait until each group committed the end of every partition of ``topic``."""
    deadline = time.monotonic() + timeout
    while True:
        ends = await end_offsets(kafka, topic)
        behind = 0
        for group in groups:
            done = await committed(kafka, group, topic)
            behind += sum(max(0, end - done.get(tp, 0)) for tp, end in ends.items() if end)
        if behind == 0:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.25)
