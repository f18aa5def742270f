"""Demand stream: events/s through the procurement demand join replaying a prepared backlog.

Each run gets a private embedded broker (memory-only, so every run starts clean) and writes
the backlog of OrderConfirmed events (one line each, SKUs drawn from a pool) twice: on
sales.orders.v1 for the demand join (tandem_procurement.streams) and on bench.passthrough-in.v1
(same partitions, same records) for the passthrough baseline. Then each Faust app runs in its
own process, one after the other, on its complete backlog. The rate is measured on the output:
the join's last step publishes NetDemandChanged, state per SKU (both stages, the order split
and the SKU side, are behind it); an output that a later one supersedes may be left out, so the
events an output stands for are read from it: a SKU's ordered quantity over the quantity of one
event's line. The passthrough publishes one copy per event. events/s = events processed / (the
output that completed the last of them: its timestamp - the app's first offset commit on its
input): start-up and group join are excluded; a slow first publication is not (both apps
publish at commit, in bursts, so a first output can trail the start of processing by many
seconds). (An app already running while the backlog arrives is measured much slower, the
join most: it then commits many small batches.) Besides the rate: the app's process CPU per
event while it processed (from /proc, between its first commit and its last output), which a
loaded machine moves much less than the rate.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.baselines import kafka_raw
from bench.baselines.passthrough import INPUT_TOPIC, OUTPUT_TOPIC
from bench.context import Context
from bench.kafka_util import create_topic
from bench.procs import Child, cpu_seconds
from bench.report import Figure, Target
from bench.stats import Spread
from tandem_contracts import sales
from tandem_kit.embedded import EmbeddedBroker
from tandem_kit.kafka import client_options, ensure_topics, make_producer
from tandem_kit.settings import KafkaSettings

JOIN_OUTPUT = "procurement.demand.v1"  # NetDemandChanged: the SKU side, the last step
SKU_POOL = 1000
LINE_QUANTITY = 10  # each event's one line orders this much of its SKU
MIN_OUTPUTS = 200  # fewer outputs than this within the cap give no rate worth reporting
GROUPS = {"passthrough": "bench-passthrough", "demand": "procurement-demand-join"}
KINDS = {  # kind -> (input topic, output topic)
    "passthrough": (INPUT_TOPIC, OUTPUT_TOPIC),
    "demand": (sales.ORDERS.name, JOIN_OUTPUT),
}


async def _backlog(kafka: KafkaSettings, topic: str, events: int) -> None:
    producer = make_producer(kafka, "bench-backlog")
    await producer.start()
    try:
        pending = []
        for i in range(events):
            key, headers, value = kafka_raw.order_confirmed(
                f"BENCH-DEMAND-{i % SKU_POOL:04d}", LINE_QUANTITY
            )
            pending.append(await producer.send(topic, value, key=key, headers=headers))
            if len(pending) >= 2000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


class OutputReader:
    """Reads one output topic (no group) from where it ends when ``start`` is called."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        options = client_options(kafka, "bench-probe")
        options.pop("request_timeout_ms")
        self.topic = topic
        self.consumer = AIOKafkaConsumer(**options, enable_auto_commit=False,
                                         fetch_max_wait_ms=50)

    async def start(self, timeout: float = 30.0) -> None:
        await self.consumer.start()
        deadline = time.monotonic() + timeout
        while not (partitions := self.consumer.partitions_for_topic(self.topic)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {self.topic} has no partitions")
            await self.consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        for tp in tps:
            await self.consumer.position(tp)

    async def read(self, progress: Progress, timeout: float, alive: Callable[[], bool]) -> None:
        """Feed every new output record to ``progress`` until it is complete, ``timeout``
        passes or the app dies."""
        deadline = time.monotonic() + timeout
        while not progress.complete and time.monotonic() < deadline and alive():
            batches = await self.consumer.getmany(timeout_ms=200, max_records=10_000)
            for records in batches.values():
                for record in records:
                    progress.add(record.timestamp / 1000, record.value)

    async def stop(self) -> None:
        await self.consumer.stop()


class Progress:
    """How many input events the outputs read so far stand for, and when the last came."""

    def __init__(self, events: int) -> None:
        self.events = events
        self.stamps: list[float] = []  # every output's timestamp (s, set by the app's producer)
        self.processed = 0
        self.done_at: float | None = None  # the timestamp of the output that moved ``processed``

    @property
    def complete(self) -> bool:
        return self.processed >= self.events

    def add(self, stamp: float, value: bytes | None) -> None:
        self.stamps.append(stamp)
        if self._count(value):
            self.done_at = stamp if self.done_at is None else max(self.done_at, stamp)

    def _count(self, value: bytes | None) -> bool:
        """Move ``processed`` for one output; True if it moved."""
        self.processed += 1
        return True


class DemandProgress(Progress):
    """NetDemandChanged outputs: a SKU's ordered quantity says how many of its events are in."""

    def __init__(self, events: int) -> None:
        super().__init__(events)
        self.ordered: dict[str, Decimal] = {}

    def _count(self, value: bytes | None) -> bool:
        data = json.loads(value or b"{}")
        sku, ordered = data["sku"], Decimal(str(data["ordered_quantity"]))
        before = self.ordered.get(sku, Decimal(0))
        if ordered <= before:
            return False  # superseded or repeated: the backlog only ever adds demand
        self.ordered[sku] = ordered
        self.processed += int((ordered - before) / LINE_QUANTITY)
        return True


async def _first_commit(
    kafka: KafkaSettings,
    group: str,
    topic: str,
    stop: asyncio.Event,
    on_commit: Callable[[], None] = lambda: None,
) -> float | None:
    """Wall-clock time at which ``group`` first commits an offset of ``topic`` (its input);
    ``on_commit`` is called as soon as it is seen."""
    # A consumer that never subscribes reads the group's committed offsets without joining it.
    probe = AIOKafkaConsumer(
        **client_options(kafka, "bench-commit-probe"), group_id=group, enable_auto_commit=False
    )
    await probe.start()
    tps = [TopicPartition(topic, p) for p in range(sales.ORDERS.partitions)]
    try:
        while not stop.is_set():
            for tp in tps:
                try:
                    if (await probe.committed(tp) or 0) > 0:
                        seen = time.time()
                        on_commit()
                        return seen
                except Exception:  # no coordinator for the group yet: ask again
                    break
            await asyncio.sleep(0.02)
        return None
    finally:
        await probe.stop()


def _cpu_seconds(log_path: Path) -> float | None:
    """User + system CPU seconds the stream runner logged as it stopped."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return None
    found = re.findall(r"cpu seconds: ([0-9.]+) user, ([0-9.]+) system", text)
    return float(found[-1][0]) + float(found[-1][1]) if found else None


def rate_of(stamps: list[float]) -> float | None:
    """Records per second between the first and the last timestamp."""
    if len(stamps) < 2 or stamps[-1] <= stamps[0]:
        return None
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def _alive(child: Child) -> Callable[[], bool]:
    return lambda: child.popen is not None and child.popen.poll() is None


async def _measure(
    ctx: Context, kafka: KafkaSettings, kind: str, events: int, prepared: float
) -> tuple[float | None, str]:
    """Start the app on its written backlog, read its outputs: (events/s or None, description)."""
    reader = OutputReader(kafka, KINDS[kind][1])
    await reader.start()
    child = Child(
        "bench.stream_runner",
        [kind, "--bootstrap", kafka.bootstrap_servers,
         "--datadir", str(ctx.workdir / f"faust-{uuid.uuid4().hex[:6]}")],
        ctx.workdir / "logs" / f"stream-{kind}-{uuid.uuid4().hex[:6]}.log",
    ).start()
    stop = asyncio.Event()
    cpu_at_commit: list[float | None] = []

    def on_commit() -> None:
        cpu_at_commit.append(cpu_seconds(child.pid))

    probe = asyncio.create_task(
        _first_commit(kafka, GROUPS[kind], KINDS[kind][0], stop, on_commit)
    )
    progress = DemandProgress(events) if kind == "demand" else Progress(events)
    try:
        started = time.perf_counter()
        await reader.read(progress, ctx.profile.demand_seconds, _alive(child))
        cpu_at_end = cpu_seconds(child.pid) if _alive(child)() else None
        wall = time.perf_counter() - started
    finally:
        stop.set()
        first_commit = await probe
        await reader.stop()
        child.stop()
    stamps, done_at = sorted(progress.stamps), progress.done_at
    rate = None
    if first_commit is not None and done_at is not None and done_at > first_commit:
        rate = progress.processed / (done_at - first_commit)
    if rate is None or progress.processed < min(events, MIN_OUTPUTS):
        tail = child.log_tail(8).replace("\n", " | ")
        return None, (f"{progress.processed}/{events} events out after {wall:.0f}s; "
                      f"log: {tail[-400:]}")
    cpu = _cpu_seconds(child.log_path)
    per_event = f"; process CPU {cpu:.1f} s ({1000 * cpu / events:.2f} ms per event, start-up " \
        "included)" if cpu is not None else ""
    busy = cpu_at_commit[0] if cpu_at_commit else None
    if busy is not None and cpu_at_end is not None:
        per_event += (f", {1000 * (cpu_at_end - busy) / progress.processed:.2f} ms per event "
                      "from its first commit to its last output")
    third = len(stamps) // 3
    early, late = rate_of(stamps[:third]), rate_of(stamps[-third:])
    done = (
        f"all {events} events" if progress.complete
        else f"PARTIAL: {progress.processed} of {events} events within the "
        f"{ctx.profile.demand_seconds:.0f}s cap (rate over those)"
    )
    trend = (f"; outputs first third {early:,.0f}/s, last third {late:,.0f}/s"
             if early and late else "")
    return rate, (
        f"{done} in {len(stamps)} outputs (backlogs written in {prepared:.1f}s), "
        f"{done_at - first_commit:.1f}s from the first commit to the last output needed, "
        f"outputs span {stamps[-1] - stamps[0]:.1f}s{trend}; {wall:.0f}s from process start"
        f"{per_event}"
    )


async def _one_run(ctx: Context, kinds: list[str], events: int) -> dict[str, tuple]:
    """One broker, every app's backlog written first; the apps run one after the other."""
    broker = EmbeddedBroker(log_file=ctx.workdir / "logs" / "demand-broker.log").start()
    try:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        await ensure_topics(kafka)
        for topic in (INPUT_TOPIC, OUTPUT_TOPIC):
            await create_topic(kafka, topic, sales.ORDERS.partitions)
        t0 = time.perf_counter()
        for kind in kinds:
            await _backlog(kafka, KINDS[kind][0], events)
        prepared = time.perf_counter() - t0
        return {kind: await _measure(ctx, kafka, kind, events, prepared) for kind in kinds}
    finally:
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
    kinds = ["passthrough"] if join_why else ["passthrough", "demand"]
    for r in range(p.demand_runs):
        try:
            results = await _one_run(ctx, kinds, p.demand_events)
        except Exception as exc:
            base_why = join_why = join_why or f"{type(exc).__name__}: {exc}"[:300]
            ctx.progress(f"demand stream run {r + 1}/{p.demand_runs} failed: {join_why}")
            continue
        for kind, (rate, text) in results.items():
            name = "passthrough" if kind == "passthrough" else "demand join"
            ctx.progress(f"demand stream run {r + 1}/{p.demand_runs} {name}: "
                         f"{f'{rate:,.0f} events/s' if rate else 'failed'}; {text}")
            notes.append(f"{'passthrough' if kind == 'passthrough' else 'join'}: {text}")
            if kind == "passthrough":
                base_rates += [rate] if rate else []
                base_why = None if rate else text
            else:
                join_rates += [rate] if rate else []
                join_why = None if rate else text
    ctx.report.add(
        Figure(
            "demand.rate", f"Demand join replaying {p.demand_events:,} order events",
            "events/s", "higher",
            Spread.of(join_rates) if join_rates else None,
            Spread.of(base_rates) if base_rates else None, "Faust passthrough agent",
            Target("ratio_at_least", 0.5, ">= 50% of passthrough"),
            not_measured=None if join_rates else join_why,
            baseline_not_measured=base_why,
            note=f"one line per order, {SKU_POOL} SKUs; a private embedded broker per run, both "
            "backlogs written before the apps run one after the other; "
            + "; ".join(notes),
        )
    )
