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


async def committed(
    kafka: KafkaSettings, group_id: str, partitions: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """Offsets ``group_id`` committed on ``partitions`` (absent where it never committed).

    Asked through a consumer of that group that never subscribes (so it never joins the group):
    the embedded broker cannot answer the admin client's all-partitions OffsetFetch.
    """
    options = client_options(kafka, "bench-offsets")
    options.pop("request_timeout_ms")
    consumer = AIOKafkaConsumer(**options, group_id=group_id, enable_auto_commit=False)
    await consumer.start()
    try:
        out = {}
        for tp in partitions:
            offset = await consumer.committed(tp)
            if offset is not None and offset >= 0:
                out[tp] = offset
        return out
    finally:
        await consumer.stop()


def groups_reading(topic: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Declared consumer groups (and Faust app ids) that read ``topic``.

    The embedded broker lists no groups (ListGroups answers empty), so the registry of
    declared groups is the source, plus app ids the caller knows of.
    """
    from tandem_contracts.consumers import GROUPS

    declared = [g.group_id for g in GROUPS if any(t.name == topic for t in g.topics)]
    return sorted(set(declared) | set(extra))


async def wait_caught_up(
    kafka: KafkaSettings, topic: str, groups: list[str], timeout: float
) -> bool:
    """Wait until each group committed the end of every partition of ``topic``."""
    deadline = time.monotonic() + timeout
    while True:
        ends = await end_offsets(kafka, topic)
        behind = 0
        for group in groups:
            try:
                done = await committed(kafka, group, list(ends))
            except Exception:  # a group the broker cannot answer for: not waited on
                continue
            if not done:  # never committed: not (yet) a reader of this topic
                continue
            behind += sum(max(0, end - done.get(tp, 0)) for tp, end in ends.items() if end)
        if behind == 0:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.25)
