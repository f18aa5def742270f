"""Raw baseline for the event pipeline: aiokafka produce -> consume on the same broker.

The producer comes from tandem_kit.kafka (acks=all, as the services' relays); the consumer
has the services' fetch_max_wait_ms and reads its partitions without a consumer group (a group
join costs seconds on the embedded broker and is no part of a record's latency). Records carry
an OrderConfirmed envelope, so that size and headers match what sales publishes.
"""

from __future__ import annotations

import asyncio
import struct
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.kafka_util import create_topic
from bench.stats import LatencyRun
from tandem_contracts import Envelope
from tandem_contracts.events import Money
from tandem_contracts.sales import OrderConfirmed, OrderLine
from tandem_kit.kafka import client_options, make_producer
from tandem_kit.settings import KafkaSettings

SENT_HEADER = "bench_sent"


def order_confirmed(sku: str, quantity: int = 10) -> tuple[bytes, list[tuple[str, bytes]], bytes]:
    """Key, headers and value of one OrderConfirmed record, as sales would publish it."""
    order_id = uuid.uuid4()
    price = Money(amount=Decimal("12.50"), currency="EUR")
    event = OrderConfirmed(
        order_id=order_id,
        customer_id=uuid.uuid4(),
        version=2,
        status="confirmed",
        lines=[
            OrderLine(
                line_id=uuid.uuid4(), sku=sku, quantity=Decimal(quantity), unit_price=price,
                requested_date=date.today() + timedelta(days=30),
            )
        ],
        total=Money(amount=Decimal("12.50") * quantity, currency="EUR"),
    )
    envelope = Envelope.wrap(event, subject=str(order_id))
    return str(order_id).encode(), envelope.headers(), envelope.value()


async def _reader(kafka: KafkaSettings, topic: str, timeout: float = 30.0) -> AIOKafkaConsumer:
    """A started consumer assigned every partition of ``topic``, positioned at its end."""
    options = client_options(kafka, "bench-raw")
    options.pop("request_timeout_ms")
    consumer = AIOKafkaConsumer(
        **options, enable_auto_commit=False, fetch_max_wait_ms=kafka.fetch_max_wait_ms
    )
    await consumer.start()
    deadline = time.monotonic() + timeout
    while not (partitions := consumer.partitions_for_topic(topic)):
        if time.monotonic() > deadline:
            await consumer.stop()
            raise TimeoutError(f"topic {topic} has no partitions")
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.05)
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    return consumer


async def latency_at_rate(kafka: KafkaSettings, rate: float, seconds: float) -> LatencyRun:
    """Produce at ``rate``/s for ``seconds``; latency = consumed - sent, per record."""
    topic = f"bench.raw-latency-{uuid.uuid4().hex[:8]}.v1"
    await create_topic(kafka, topic)
    consumer = await _reader(kafka, topic)
    producer = make_producer(kafka, "bench-raw")
    await producer.start()
    latencies: list[float] = []
    count = int(rate * seconds)
    try:
        received = 0

        async def consume() -> None:
            nonlocal received
            deadline = time.monotonic() + seconds + 15
            while received < count and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=200)
                now = time.perf_counter()
                for records in batches.values():
                    for record in records:
                        sent = dict(record.headers).get(SENT_HEADER)
                        if sent is not None:
                            latencies.append(now - struct.unpack("!d", sent)[0])
                            received += 1

        reader = asyncio.create_task(consume())
        key, headers, value = order_confirmed("BENCH-RAW")
        start = time.perf_counter()
        sends = []
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            stamp = struct.pack("!d", time.perf_counter())
            sends.append(
                await producer.send(topic, value, key=key, headers=[*headers, (SENT_HEADER, stamp)])
            )
        await asyncio.gather(*sends)
        await reader
        elapsed = time.perf_counter() - start
    finally:
        await producer.stop()
        await consumer.stop()
    return LatencyRun(len(latencies), count - len(latencies), elapsed, tuple(latencies))


async def throughput(kafka: KafkaSettings, messages: int) -> float:
    """Records/s from the first send to the last record consumed, producing flat out."""
    topic = f"bench.raw-throughput-{uuid.uuid4().hex[:8]}.v1"
    await create_topic(kafka, topic)
    consumer = await _reader(kafka, topic)
    producer = make_producer(kafka, "bench-raw")
    await producer.start()
    try:
        received = 0
        last = 0.0

        async def consume() -> None:
            nonlocal received, last
            deadline = time.monotonic() + 120
            while received < messages and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=200, max_records=5000)
                for records in batches.values():
                    received += len(records)
                if batches:
                    last = time.perf_counter()

        reader = asyncio.create_task(consume())
        records = [order_confirmed(f"BENCH-RAW-{i % 100}") for i in range(min(messages, 1000))]
        start = time.perf_counter()
        sends = []
        for i in range(messages):
            key, headers, value = records[i % len(records)]
            sends.append(await producer.send(topic, value, key=key, headers=headers))
            if len(sends) >= 2000:
                await asyncio.gather(*sends)
                sends.clear()
        await asyncio.gather(*sends)
        await reader
    finally:
        await producer.stop()
        await consumer.stop()
    if received < messages:
        raise RuntimeError(f"raw consumer got {received} of {messages} records")
    return messages / (last - start)
