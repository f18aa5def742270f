"""The Faust demand join against a real Kafka-protocol broker: replay and restarts are exact."""

import json
import os
import signal
import subprocess
import sys
import uuid
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from tandem_contracts import decode, sales
from tandem_contracts import procurement as own
from tandem_kit.kafka import ensure_topics
from tandem_kit.settings import KafkaSettings
from tandem_kit.testing.plugin import eventually
from tandem_procurement.streams.app import BY_SKU_SUFFIX
from tandem_procurement.streams.app import PARTITIONS as BY_SKU_PARTITIONS
from tandem_procurement.testing import expected_open, order_history, record


@pytest.fixture
async def kafka(embedded_broker):
    settings = KafkaSettings(bootstrap_servers=embedded_broker.bootstrap_servers)
    await ensure_topics(settings)
    return settings


async def produce(kafka, events):
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for ev in events:
            key, value, headers = record(ev)
            await producer.send_and_wait(sales.ORDERS.name, key=key, value=value, headers=headers)
    finally:
        await producer.stop()


class Outputs:
    """The latest NetDemandChanged per SKU, read from a starting offset onwards."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka.bootstrap_servers,
            fetch_max_wait_ms=10,
            enable_auto_commit=False,
        )
        self.latest: dict[str, own.NetDemandChanged] = {}

    async def start_at_end(self) -> None:
        await self.consumer.start()
        parts = [TopicPartition(own.DEMAND.name, p) for p in range(own.DEMAND.partitions)]
        self.consumer.assign(parts)
        await self.consumer.seek_to_end(*parts)
        for tp in parts:
            await self.consumer.position(tp)

    async def poll(self) -> dict[str, own.NetDemandChanged]:
        batches = await self.consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for r in records:
                event = decode(own.NetDemandChanged, r.headers, r.value).data
                self.latest[event.sku] = event
        return self.latest

    def ordered(self) -> dict[str, Decimal]:
        return {sku: e.ordered_quantity for sku, e in self.latest.items() if e.ordered_quantity}

    async def stop(self) -> None:
        await self.consumer.stop()


def start_join(kafka, app_id, datadir) -> subprocess.Popen:
    """The join alone in its own process, as deployed: stopping it ends every client it had.

    (Faust apps started and stopped one after another inside one interpreter were seen to leave
    a consumer behind, a second member of the group that kept some partitions.)
    """
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers}
    return subprocess.Popen(
        [sys.executable, "-m", "tandem_procurement.streams", "--app-id", app_id,
         "--datadir", str(datadir)],
        env=env,
        stdout=open(datadir / "join.log", "ab"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip


async def run_process_until(kafka, app_id, outputs, expected, datadir, timeout=60.0):
    join = start_join(kafka, app_id, datadir)

    async def settled():
        await outputs.poll()
        assert join.poll() is None, (datadir / "join.log").read_text()[-2000:]
        return outputs.ordered() == expected

    try:
        await eventually(settled, timeout=timeout)
    except AssertionError:
        raise AssertionError(f"expected {expected}, published {outputs.ordered()}") from None
    finally:
        join.send_signal(signal.SIGTERM)  # a graceful stop: the last commit is made
        try:
            join.wait(30)
        except subprocess.TimeoutExpired:
            join.kill()


def nonzero(totals):
    return {k: v for k, v in totals.items() if v}


async def packs_of(kafka, app_id) -> list[dict]:
    """Every pack the join with ``app_id`` wrote to its by-SKU topic."""
    topic = f"{app_id}-{BY_SKU_SUFFIX}"
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(BY_SKU_PARTITIONS)]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        packs: list[dict] = []
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                packs.extend(json.loads(r.value) for r in records)
        return packs
    finally:
        await consumer.stop()


def input_partition(order_id: str) -> int:
    """The sales.orders.v1 partition of an order (keyed by its id, default partitioner)."""
    every = list(range(sales.ORDERS.partitions))
    return DefaultPartitioner()(order_id.encode(), every, every)


async def test_replaying_the_order_topic_from_the_beginning_gives_the_same_net_demand(
    kafka, tmp_path
):
    history = order_history()
    expected = nonzero(expected_open(history))
    await produce(kafka, history)
    first = Outputs(kafka)
    await first.start_at_end()
    first_app = f"procurement-test-{uuid.uuid4().hex[:8]}"
    await run_process_until(kafka, first_app, first, expected, tmp_path)
    # The backlog spans every input partition, and the split takes it in batches of any
    # partitions: a pack sums up the batch's facts for its by-SKU partition, whichever input
    # partition their orders came from (one pack per input partition and by-SKU partition
    # made six times the records).
    packs = await packs_of(kafka, first_app)
    spans = [{input_partition(fact["order_id"]) for fact in p["records"]} for p in packs]
    assert max(len(s) for s in spans) > 1, spans
    # A new application instance (empty tables) replays the whole topic from the beginning.
    again = Outputs(kafka)
    await again.start_at_end()
    await run_process_until(
        kafka, f"procurement-test-{uuid.uuid4().hex[:8]}", again, expected, tmp_path
    )
    assert {s: e.net_quantity for s, e in again.latest.items()} == {
        s: e.net_quantity for s, e in first.latest.items()
    }
    await first.stop()
    await again.stop()


async def test_a_restarted_join_recovers_its_tables_and_stays_exact(kafka, tmp_path):
    history = order_history(orders=30, seed=5)
    half = len(history) // 2
    app_id = f"procurement-test-{uuid.uuid4().hex[:8]}"
    outputs = Outputs(kafka)
    await outputs.start_at_end()
    await produce(kafka, history[:half])
    await run_process_until(
        kafka, app_id, outputs, nonzero(expected_open(history[:half])), tmp_path
    )
    # The same application starts again: tables come back from their changelogs, the rest of
    # the stream (and a redelivered stretch of the first half) is applied exactly once.
    await produce(kafka, history[half:] + history[half - 5 : half])
    await run_process_until(kafka, app_id, outputs, nonzero(expected_open(history)), tmp_path)
    await outputs.stop()
