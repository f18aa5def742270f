"""Event pipeline: a confirmed order until its requisition is visible to procurement's readers.

Set-up through the gateway first: products, one approved supplier with an offer for each.
Arrivals (profile ``pipeline_arrivals``): ``kafka`` publishes each order's draft (OrderChanged
v1, untimed, digested by the join first) and then, at the fixed rate, its OrderConfirmed v2
straight onto sales.orders.v1 exactly as the sales service's relay does (contract classes,
CloudEvents envelope, key = order id); ``http`` creates drafts and confirms them through the
gateway (2 cores cannot confirm 100/s over HTTP: that path is what order intake measures).

Visible = the first RequisitionChanged on procurement.requisitions.v1 naming the order line,
read by a group-less consumer with the services' fetch settings. Latency = seen - published
(kafka) or seen - confirm answered (http); it includes the demand join's two agents, the
procurement consumer's transaction, procurement's outbox relay and the subscriber's fetch, and
(kafka) excludes sales' own API and relay. The same watcher timestamps each hop (see
bench.pipeline_trace). Baseline: raw aiokafka produce -> consume latency at the same rate,
and its flat-out throughput, on the same broker with the same fetch settings.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

import httpx

from bench import api, profiling
from bench.baselines import kafka_raw
from bench.context import Context
from bench.kafka_util import groups_reading, wait_caught_up
from bench.load import Errors, fixed_rate
from bench.pipeline_arrivals import (
    Catalog,
    Order,
    Watcher,
    http_drafts,
    new_orders,
    prepare_catalog,
    publish,
)
from bench.pipeline_trace import Traces, handling_totals
from bench.procs import CpuMeter
from bench.report import Figure, Target
from bench.stats import LatencyRun, Spread, percentile
from tandem_contracts import procurement as own
from tandem_contracts import sales
from tandem_kit.kafka import make_producer
from tandem_kit.settings import KafkaSettings

DEMAND_GROUP = "procurement.demand"
NET_DEMAND_GROUP = "procurement.net-demand"
JOIN_GROUP = "procurement-demand-join"  # the demand join's Faust app id (its consumer group)
DRAFT_SECONDS = 30.0


@dataclass
class PipelineRun:
    rate: int
    offered: int
    confirmed: int
    confirm_seconds: float
    latencies_s: list[float]
    missing: int
    hops_ms: dict[str, float] = field(default_factory=dict)
    unsourced: int = 0
    handled: tuple[float, float] = (0.0, 0.0)  # procurement.demand: handling seconds, events
    errors: Errors = field(default_factory=Errors)
    # CPU ms per order by process, from the first confirmation until the last is seen.
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @property
    def achieved_rate(self) -> float:
        return self.confirmed / self.confirm_seconds if self.confirm_seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies_s, q) * 1000

    def sustained(self) -> bool:
        return (
            self.confirmed == self.offered
            and self.achieved_rate >= 0.95 * self.rate
            and self.missing == 0
            and bool(self.latencies_s)
            and self.p(99) <= 1000
        )

    def describe(self) -> str:
        seen = len(self.latencies_s)
        lat = f"p50 {self.p(50):.0f} ms, p99 {self.p(99):.0f} ms" if seen else "none seen"
        return (
            f"{self.rate}/s offered: {self.confirmed}/{self.offered} confirmed at "
            f"{self.achieved_rate:.0f}/s; {seen} requisitions seen ({lat}); "
            f"{self.missing} missing, {self.unsourced} unsourced; {self.handling()}"
        )

    def cpu(self) -> str:
        busiest = sorted(self.cpu_ms.items(), key=lambda kv: -kv[1])
        return ", ".join(f"{name} {ms:.2f}" for name, ms in busiest if ms >= 0.01)

    def handling(self) -> str:
        seconds, events = self.handled
        if not events:
            return "procurement demand consumer: no handling measured"
        return (
            f"procurement demand consumer handled {events:.0f} events "
            f"({events / max(1, self.offered):.1f} per order), {seconds / events * 1000:.1f} ms "
            f"each inside its transaction"
        )


@dataclass
class Pipeline:
    """What every run shares: clients, the catalog, the producer and the watcher."""

    ctx: Context
    gw: httpx.AsyncClient
    catalog: Catalog
    producer: object
    traces: Traces
    arrivals: str
    kafka: KafkaSettings

    async def drafts(self, orders: list[Order]) -> None:
        """Drafts first, untimed; wait (bounded) until the join has passed each one on."""
        if self.arrivals == "http":
            await http_drafts(self.gw, self.ctx.headers, orders)
        else:
            acks = [await publish(self.producer, o, confirmed=False) for o in orders]
            await asyncio.gather(*acks)
        for order in orders:
            self.traces.expect(str(order.line_id))
        # Each run starts from an idle pipeline: the join has read the drafts (a draft states
        # no demand: it passes the join without an output), procurement everything before
        # (whatever an earlier run left queued), and so has every other reader of the orders
        # (the customer worker's value: order intake, run before, leaves it a backlog that
        # would otherwise take the CPU the measured orders need).
        for topic, groups in [*order_readers(), (own.DEMAND.name, [NET_DEMAND_GROUP])]:
            if not await wait_caught_up(self.kafka, topic, groups, DRAFT_SECONDS):
                self.ctx.progress(f"pipeline: {', '.join(groups)} still behind on {topic}")

    async def confirm(self, order: Order) -> None:
        trace = self.traces.lines[str(order.line_id)]
        if self.arrivals == "http":
            assert order.http is not None
            await api.confirm_order(self.gw, self.ctx.headers, order.http)
            trace.sent = time.time()
        else:
            trace.sent = time.time()
            await publish(self.producer, order, confirmed=True)

    async def run(self, rate: int, seconds: float, profile: bool = False) -> PipelineRun:
        count = max(1, min(int(rate * seconds), self.ctx.profile.pipeline_max_orders))
        orders = new_orders(self.catalog, self.ctx.customers, count)
        t0 = time.perf_counter()
        await self.drafts(orders)
        self.ctx.progress(f"pipeline {rate}/s: {count} draft orders through the join and "
                          f"procurement in {time.perf_counter() - t0:.1f}s")
        errors = Errors()

        async def arrive(index: int, _client: int) -> None:
            await self.confirm(orders[index])

        handled_before = await self.handled()
        assert self.ctx.system is not None
        pids = self.ctx.system.pids()
        recorder = None
        if profile and self.ctx.profile_processes:
            folder = self.ctx.results or self.ctx.workdir
            stamp = f"{profiling.stamp(self.ctx.report.started_at)}-pipeline"
            recorder = profiling.Recorder(self.ctx.profile_processes, folder, stamp)
            for problem in recorder.start(pids, seconds + 2):
                self.ctx.progress(f"py-spy: {problem}")
        meter = CpuMeter(pids)
        started = time.perf_counter()
        arrivals = await fixed_rate(
            arrive, rate=rate, count=count, max_in_flight=64, max_seconds=seconds * 3 + 10,
            errors=errors,
        )
        if self.arrivals == "kafka":
            await self.producer.flush()  # type: ignore[attr-defined]
        confirm_seconds = time.perf_counter() - started
        lines = [str(o.line_id) for o in orders if self.traces.lines[str(o.line_id)].sent]
        await _until(
            lambda: all(self.traces.lines[i].seen for i in lines),
            self.ctx.profile.pipeline_drain_seconds,
        )
        cpu_ms = meter.per_operation(count)
        if recorder is not None:
            profiling.show(
                self.ctx.progress, self.ctx.report.notes, recorder.finish(), " (pipeline)"
            )
        latencies = self.traces.latencies(lines)
        handled_after = await self.handled()
        return PipelineRun(
            rate, count, sum(1 for a in arrivals if a.ok), confirm_seconds, latencies,
            missing=len(lines) - len(latencies), hops_ms=self.traces.hop_medians_ms(lines),
            unsourced=sum(
                1 for i in lines if self.traces.lines[i].seen and not self.traces.lines[i].supplier
            ),
            handled=(
                handled_after[0] - handled_before[0], handled_after[1] - handled_before[1]
            ),
            errors=errors,
            cpu_ms=cpu_ms,
        )

    async def handled(self) -> tuple[float, float]:
        """Handling seconds and events of procurement's demand consumer so far (its metrics)."""
        system = self.ctx.system
        assert system is not None
        settings = system.system.settings
        url = f"http://{settings.host}:{settings.worker_port('procurement')}/metrics"
        try:
            response = await self.gw.get(url)
        except httpx.HTTPError:
            return 0.0, 0.0
        return handling_totals(response.text, DEMAND_GROUP) if response.status_code == 200 else (
            0.0, 0.0
        )


def order_readers() -> list[tuple[str, list[str]]]:
    """(topic, consumer groups) on the way of an order: every reader of the orders (the demand
    join and the customer value among them) and procurement's demand consumer."""
    return [
        (sales.ORDERS.name, groups_reading(sales.ORDERS.name, (JOIN_GROUP,))),
        (own.ORDER_DEMAND.name, [DEMAND_GROUP]),
    ]


async def _until(condition, timeout: float, every: float = 0.02) -> bool:
    """Wait until ``condition()`` holds or ``timeout`` passes; whether it held."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(every)
    return True


async def _sourced_probe(pipe: Pipeline, timeout: float = 30.0) -> str | None:
    """Warm the pipeline up until one requisition comes out sourced; the problem if not."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        (order,) = new_orders(pipe.catalog, pipe.ctx.customers, 1)
        trace = pipe.traces.expect(str(order.line_id))
        await publish(pipe.producer, order, confirmed=False)
        trace.sent = time.time()
        await publish(pipe.producer, order, confirmed=True)
        left = max(0.1, deadline - time.perf_counter())
        if await _until(lambda t=trace: t.seen is not None, left):
            if trace.supplier:
                return None
            await asyncio.sleep(0.5)  # procurement has not read the offers yet
    return "no sourced requisition came out of a probe order within 30s"


async def _sales_answers(gw: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Wait (bounded) until the gateway forwards to sales again after the previous load."""
    deadline = time.perf_counter() + 30
    while True:
        response = await gw.get("/api/v1/products", params={"limit": 1}, headers=headers)
        if response.status_code == 200 or time.perf_counter() > deadline:
            return
        await asyncio.sleep(0.2)


async def prepare(ctx: Context) -> Catalog:
    """The catalog and supplier the pipeline's orders need (run beside the other set-ups)."""
    assert ctx.system is not None
    async with api.http_client(ctx.system.gateway_url, 8) as gw:
        return await prepare_catalog(gw, ctx.headers, ctx.profile.pipeline_skus)


async def run(ctx: Context, catalog: Catalog | None = None) -> None:
    assert ctx.system is not None and ctx.customers
    p = ctx.profile
    kafka = KafkaSettings(bootstrap_servers=ctx.system.kafka_bootstrap)
    traces = Traces()
    producer = make_producer(kafka, "bench-arrivals")
    watcher = Watcher(kafka, traces)
    await producer.start()
    await watcher.start()
    try:
        async with api.http_client(ctx.system.gateway_url, 128) as gw:
            await _sales_answers(gw, ctx.headers)
            if catalog is None:
                catalog = await prepare_catalog(gw, ctx.headers, p.pipeline_skus)
            pipe = Pipeline(ctx, gw, catalog, producer, traces, p.pipeline_arrivals, kafka)
            unavailable = await _sourced_probe(pipe)
            ctx.progress(f"pipeline: arrivals via {p.pipeline_arrivals}; "
                         f"{len(catalog.skus)} SKUs; warm-up {unavailable or 'sourced'}")
            if unavailable:
                ctx.report.notes.append(f"pipeline: {unavailable}; requisitions may be unsourced")
            await _at_rates(ctx, pipe, kafka, None)
            await _sustained(ctx, pipe, kafka)
    finally:
        await watcher.stop()
        await producer.stop()


async def _at_rates(ctx: Context, pipe: Pipeline, kafka: KafkaSettings, why: str | None) -> None:
    p = ctx.profile
    for rate in p.pipeline_rates:
        system_runs: list[PipelineRun] = []
        base_runs: list[LatencyRun] = []
        for r in range(p.pipeline_runs):
            base = await kafka_raw.latency_at_rate(kafka, rate, p.pipeline_seconds)
            base_runs.append(base)
            ctx.progress(
                f"pipeline {rate}/s run {r + 1}/{p.pipeline_runs} raw kafka: "
                f"{base.completed} records, p50 {base.p50_ms:.1f} ms, p99 {base.p99_ms:.1f} ms"
            )
            result = await pipe.run(rate, p.pipeline_seconds, profile=r == 0)
            system_runs.append(result)
            ctx.progress(f"pipeline run {r + 1}/{p.pipeline_runs} tandem: {result.describe()}")
            ctx.progress("  hop medians: " + ", ".join(
                f"{name} {ms:.0f} ms" for name, ms in result.hops_ms.items()
            ))
            ctx.progress(f"  CPU ms per order: {result.cpu()}")
        _figures(ctx, rate, system_runs, base_runs, why, pipe.arrivals)


async def _sustained(ctx: Context, pipe: Pipeline, kafka: KafkaSettings) -> None:
    p = ctx.profile
    if not p.sustain_rates:
        why = "the quick profile skips the rate search (run `make bench`)"
        sustained_figure(ctx, None, why, [])
        return
    best: int | None = None
    why = None
    for rate in p.sustain_rates:
        result = await pipe.run(rate, p.sustain_seconds)
        ok = result.sustained()
        ctx.progress(f"sustainable rate search: {result.describe()} -> "
                     f"{'sustained' if ok else 'not sustained'}")
        if not ok:
            break
        best = rate
    if best is None:
        why = f"not even {p.sustain_rates[0]}/s was sustained"
    throughputs = []
    for r in range(p.pipeline_runs):
        value = await kafka_raw.throughput(kafka, p.kafka_throughput_messages)
        throughputs.append(value)
        ctx.progress(f"raw kafka throughput run {r + 1}: {value:,.0f} records/s")
    sustained_figure(ctx, best, why, throughputs)


def sustained_figure(ctx: Context, best: int | None, why: str | None, raw: list[float]) -> None:
    ctx.report.add(
        Figure(
            "pipeline.sustainable", "Order -> requisition, highest sustained rate", "orders/s",
            "higher", Spread.of([best]) if best is not None else None,
            Spread.of(raw) if raw else None, "raw aiokafka produce->consume throughput",
            not_measured=why, baseline_not_measured=None if raw else why,
            note=(
                "sustained = every confirmation accepted at >= 95% of the offered rate, every "
                "requisition visible, p99 <= 1 s; rates tried in order, stopping at the first miss"
            ),
        )
    )


def _figures(
    ctx: Context, rate: int, runs: list[PipelineRun], base: list[LatencyRun], why: str | None,
    arrivals: str,
) -> None:
    measured = [r for r in runs if r.latencies_s]
    if why is None and not measured:
        why = "no requisition became visible" + (
            f"; errors: {runs[0].errors.samples[:2]}" if runs and runs[0].errors.count else ""
        )
    notes = []
    if runs:
        notes.append(
            f"offered {rate}/s, confirmations achieved "
            f"{', '.join(f'{r.achieved_rate:.0f}' for r in runs)}/s; missing requisitions "
            f"{', '.join(str(r.missing) for r in runs)}; arrivals via {arrivals}"
        )
        hops: dict[str, list[float]] = {}
        for r in runs:
            for name, ms in r.hops_ms.items():
                hops.setdefault(name, []).append(ms)
        notes.append("; ".join(r.handling() for r in runs))
        cpu: dict[str, list[float]] = {}
        for r in runs:
            for name, ms in r.cpu_ms.items():
                cpu.setdefault(name, []).append(ms)
        if cpu:
            notes.append("CPU ms per order by process (median over runs): " + ", ".join(
                f"{name} {statistics.median(v):.2f}"
                for name, v in sorted(cpu.items(), key=lambda kv: -statistics.median(kv[1]))
                if statistics.median(v) >= 0.01
            ))
        if hops:
            notes.append("median per hop (ms, median over runs): " + ", ".join(
                f"{name} {statistics.median(v):.0f}" for name, v in hops.items()
            ))
    for q in (50, 99):
        target = Target("below", 250.0, "p99 < 250 ms") if (q == 99 and rate == 100) else None
        ctx.report.add(
            Figure(
                f"pipeline.p{q}@{rate}", f"Order -> requisition visible, p{q} at {rate}/s", "ms",
                "lower",
                Spread.of([r.p(q) for r in measured]) if measured else None,
                Spread.of([b.p50_ms if q == 50 else b.p99_ms for b in base if b.completed])
                if any(b.completed for b in base) else None,
                f"raw aiokafka p{q} at {rate}/s", target, not_measured=why,
                note="; ".join(notes) if q == 50 else "",
            )
        )
