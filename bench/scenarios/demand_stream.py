"""Demand stream: events/s through the procurement demand join replaying a prepared backlog.

Each run gets a private embedded broker (memory-only, so every run starts clean), a backlog
of OrderConfirmed events (one line each, SKUs drawn from a pool) on sales.orders.v1, and then
one Faust app in its own process: the demand join (tandem_procurement.streams) or the
passthrough baseline. The rate is measured on the output: the join's last step writes one
NetDemandChanged per event here (every confirmed line moves its SKU's demand; both stages, the
order split and the SKU side, are behind it), the passthrough one copy per event. events/s =
events / (last output's timestamp - the group's first offset commit): start-up and group join
are excluded, a slow first publication is not.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.baselines import kafka_raw
from bench.baselines.passthrough import OUTPUT_TOPIC
from bench.context import Context
from bench.kafka_util import create_topic
from bench.procs import Child
from bench.report import Figure, Target
from bench.stats import Spread
from tandem_contracts import sales
from tandem_kit.embedded import EmbeddedBroker
from tandem_kit.kafka import client_options, ensure_topics, make_producer
from tandem_kit.settings import KafkaSettings

GROUPS = {"passthrough": "bench-passthrough", "demand": "procurement-demand-join"}
JOIN_OUTPUT = "procurement.demand.v1"  # NetDemandChanged: the SKU side, the last step
SKU_POOL = 1000
MIN_OUTPUTS = 200  # fewer outputs than this within the cap give no rate worth reporting


async def _backlog(kafka: KafkaSettings, events: int) -> None:
    producer = make_producer(kafka, "bench-backlog")
    await producer.start()
    try:
        pending = []
        for i in range(events):
            key, headers, value = kafka_raw.order_confirmed(f"BENCH-DEMAND-{i % SKU_POOL:04d}")
            pending.append(await producer.send(sales.ORDERS.name, value, key=key, headers=headers))
            if len(pending) >= 2000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def _measure_output(
    kafka: KafkaSettings, topic: str, expected: int, timeout: float, alive
) -> list[float]:
    """Read ``topic`` from the start until ``expected`` records or ``timeout``.

    Returns each output record's timestamp (seconds, set by the app's producer, sorted).
    """
    options = client_options(kafka, "bench-probe")
    options.pop("request_timeout_ms")
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, fetch_max_wait_ms=50)
    await consumer.start()
    stamps: list[float] = []
    try:
        partitions = None
        deadline = time.monotonic() + timeout
        while not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
            if time.monotonic() > deadline:
                return stamps
            if not partitions:
                await asyncio.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while len(stamps) < expected and time.monotonic() < deadline and alive():
            batches = await consumer.getmany(timeout_ms=200, max_records=10_000)
            for records in batches.values():
                stamps.extend(record.timestamp / 1000 for record in records)
        return sorted(stamps)
    finally:
        await consumer.stop()


async def _first_commit(kafka: KafkaSettings, group: str, stop: asyncio.Event) -> float | None:
    """Wall-clock time at which ``group`` first commits an offset of the backlog's topic.

    Processing has started by then (apps commit every 50 ms). Both apps publish at commit, in
    bursts, so the first output's timestamp can trail the start of processing by many seconds
    (the commits grow while a backlog is read); timing from the first commit counts that wait.
    """
    # A consumer that never subscribes reads the group's committed offsets without joining it.
    options = client_options(kafka, "bench-commit-probe")
    probe = AIOKafkaConsumer(**options, group_id=group, enable_auto_commit=False)
    await probe.start()
    tps = [TopicPartition(sales.ORDERS.name, p) for p in range(sales.ORDERS.partitions)]
    try:
        while not stop.is_set():
            for tp in tps:
                try:
                    if (await probe.committed(tp) or 0) > 0:
                        return time.time()
                except Exception:
                    break
            await asyncio.sleep(0.02)
        return None
    finally:
        await probe.stop()


def rate_of(stamps: list[float]) -> float | None:
    """Records per second between the first and the last timestamp."""
    if len(stamps) < 2 or stamps[-1] <= stamps[0]:
        return None
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


async def _one(ctx: Context, kind: str, events: int) -> tuple[float | None, str]:
    """One run on a fresh broker; (events/s or None, description)."""
    broker = EmbeddedBroker(log_file=ctx.workdir / "logs" / f"demand-broker-{kind}.log").start()
    child = None
    try:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        await ensure_topics(kafka)
        if kind == "passthrough":
            await create_topic(kafka, OUTPUT_TOPIC, sales.ORDERS.partitions)
        t0 = time.perf_counter()
        await _backlog(kafka, events)
        prepared = time.perf_counter() - t0
        started = time.perf_counter()
        child = Child(
            "bench.stream_runner",
            [
                kind,
                "--bootstrap",
                broker.bootstrap_servers,
                "--datadir",
                str(ctx.workdir / f"faust-{uuid.uuid4().hex[:6]}"),
            ],
            ctx.workdir / "logs" / f"stream-{kind}-{uuid.uuid4().hex[:6]}.log",
        ).start()
        stop = asyncio.Event()
        probe = asyncio.create_task(_first_commit(kafka, GROUPS[kind], stop))
        try:
            stamps = await _measure_output(
                kafka,
                OUTPUT_TOPIC if kind == "passthrough" else JOIN_OUTPUT,
                events,
                ctx.profile.demand_seconds,
                alive=lambda: child.popen is not None and child.popen.poll() is None,
            )
        finally:
            stop.set()
            first_commit = await probe
        wall = time.perf_counter() - started
        rate = None
        if first_commit is not None and len(stamps) >= 2 and stamps[-1] > first_commit:
            rate = len(stamps) / (stamps[-1] - first_commit)
        if rate is None or len(stamps) < min(events, MIN_OUTPUTS):
            tail = child.log_tail(8).replace("\n", " | ")
            return None, f"{len(stamps)}/{events} outputs after {wall:.0f}s; log: {tail[-400:]}"
        third = len(stamps) // 3
        early, late = rate_of(stamps[:third]), rate_of(stamps[-third:])
        done = (
            f"all {events} events"
            if len(stamps) >= events
            else f"PARTIAL: {len(stamps)} of {events} events within the "
            f"{ctx.profile.demand_seconds:.0f}s cap (rate over those)"
        )
        trend = f"; first third {early:,.0f}/s, last third {late:,.0f}/s" if early and late else ""
        return rate, (
            f"{done} (backlog written in {prepared:.1f}s), {stamps[-1] - first_commit:.1f}s from "
            f"the first commit to the last output, outputs span {stamps[-1] - stamps[0]:.1f}s"
            f"{trend}; {wall:.0f}s from process start"
        )
    finally:
        if child is not None:
            child.stop()
        broker.stop()


async def run(ctx: Context) -> None:
    p = ctx.profile
    join_rates: list[float] = []
    base_rates: list[float] = []
    join_why = base_why = None
    notes: list[str] = []
    try:
        import tandem_procurement.streams.app  # noqa: F401
    except ImportError as exc:
        join_why = f"the procurement demand join is not importable ({exc})"
    for r in range(p.demand_runs):
        rate, text = await _one(ctx, "passthrough", p.demand_events)
        ctx.progress(
            f"demand stream run {r + 1}/{p.demand_runs} passthrough: "
            f"{f'{rate:,.0f} events/s' if rate else 'failed'}; {text}"
        )
        notes.append(f"passthrough: {text}")
        if rate:
            base_rates.append(rate)
        else:
            base_why = text
        if join_why and "importable" in join_why:
            continue
        rate, text = await _one(ctx, "demand", p.demand_events)
        ctx.progress(
            f"demand stream run {r + 1}/{p.demand_runs} demand join: "
            f"{f'{rate:,.0f} events/s' if rate else 'failed'}; {text}"
        )
        notes.append(f"join: {text}")
        if rate:
            join_rates.append(rate)
        else:
            join_why = text
    ctx.report.add(
        Figure(
            "demand.rate",
            f"Demand join replaying {p.demand_events:,} order events",
            "events/s",
            "higher",
            Spread.of(join_rates) if join_rates else None,
            Spread.of(base_rates) if base_rates else None,
            "Faust passthrough agent",
            Target("ratio_at_least", 0.5, ">= 50% of passthrough"),
            not_measured=None if join_rates else join_why,
            baseline_not_measured=base_why,
            note=f"one line per order, {SKU_POOL} SKUs; private embedded broker per run; "
            + "; ".join(notes),
        )
    )
