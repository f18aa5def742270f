"""Event pipeline: a confirmed order until its requisition is visible in procurement.

Drafts are prepared first (one unique SKU each); confirmations then arrive at a fixed rate
through the gateway; a poller asks procurement (GET /api/v1/requisitions?sku=...) for each
confirmed SKU until it answers with a requisition. Latency = first seen - confirm answered.
Baseline: raw aiokafka produce -> consume latency at the same rate, and its flat-out
throughput, on the same broker with the same fetch settings.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

import httpx

from bench import api
from bench.baselines import kafka_raw
from bench.context import Context
from bench.kafka_util import groups_reading, wait_caught_up
from bench.load import Errors, fixed_rate
from bench.report import Figure, Target
from bench.stats import LatencyRun, Spread, percentile
from tandem_kit.settings import KafkaSettings

ORDERS_TOPIC = "sales.orders.v1"
DRAIN_SECONDS = 15.0
PREP_CLIENTS = 4  # SQLite writers contend: more clients only add lock waits
POLL_CLIENTS = 8
POLL_PER_ROUND = 64


@dataclass
class PipelineRun:
    rate: int
    offered: int
    confirmed: int
    confirm_seconds: float
    latencies_s: list[float]
    missing: int
    poll_round_ms: float
    errors: Errors = field(default_factory=Errors)

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
            f"{self.missing} missing; poll round {self.poll_round_ms:.0f} ms"
        )


async def _drafts(ctx: Context, gw: httpx.AsyncClient, count: int) -> list[dict]:
    """``count`` draft orders, each for its own new product, spread over the bench customers."""
    run_id = uuid.uuid4().hex[:6].upper()
    drafts: list[dict] = [{}] * count
    queue = iter(range(count))

    async def worker(w: int) -> None:
        for i in queue:
            sku = f"BP-{run_id}-{i:05d}"
            customer = ctx.customers[i % len(ctx.customers)]
            await api.create_product(gw, ctx.headers, sku)
            order = await api.create_order(gw, ctx.headers, customer["id"], sku)
            order["_sku"] = sku
            drafts[i] = order

    await asyncio.gather(*(worker(w) for w in range(PREP_CLIENTS)))
    return drafts


async def _one_run(
    ctx: Context, gw: httpx.AsyncClient, procurement: httpx.AsyncClient, rate: int, seconds: float,
    kafka: KafkaSettings, readers: list[str],
) -> PipelineRun:
    count = max(1, min(int(rate * seconds), ctx.profile.pipeline_max_orders))
    t0 = time.perf_counter()
    drafts = await _drafts(ctx, gw, count)
    ctx.progress(f"pipeline {rate}/s: {count} products and draft orders prepared in "
                 f"{time.perf_counter() - t0:.1f}s")
    # Let the pipeline digest the draft events first: only confirmations are timed.
    if not await wait_caught_up(kafka, ORDERS_TOPIC, readers, timeout=30):
        ctx.progress("pipeline: the readers of the drafts did not catch up within 30s")
    confirmed_at: dict[str, float] = {}
    seen_at: dict[str, float] = {}
    errors = Errors()
    done_confirming = asyncio.Event()
    rounds: list[float] = []

    async def confirm(index: int, _client: int) -> None:
        order = drafts[index]
        await api.confirm_order(gw, ctx.headers, order)
        confirmed_at[order["_sku"]] = time.perf_counter()

    async def look(sku: str) -> None:
        response = await procurement.get(
            "/api/v1/requisitions", params={"sku": sku}, headers=ctx.headers
        )
        if response.status_code == 200 and response.json().get("items"):
            seen_at.setdefault(sku, time.perf_counter())
        elif response.status_code != 200:
            errors.add(api.ApiError("list requisitions", response))

    async def poll() -> None:
        slots = asyncio.Semaphore(POLL_CLIENTS)

        async def bounded(sku: str) -> None:
            async with slots:
                await look(sku)

        deadline = None
        while True:
            if done_confirming.is_set() and deadline is None:
                deadline = time.perf_counter() + DRAIN_SECONDS
            # Oldest first, a bounded number per round: polling must not become the load.
            pending = [s for s in confirmed_at if s not in seen_at][:POLL_PER_ROUND]
            if done_confirming.is_set() and not pending:
                return
            if deadline is not None and time.perf_counter() > deadline:
                return
            t0 = time.perf_counter()
            await asyncio.gather(*(bounded(s) for s in pending))
            if pending:
                rounds.append(time.perf_counter() - t0)
            await asyncio.sleep(max(0.0, 0.01 - (time.perf_counter() - t0)))

    poller = asyncio.create_task(poll())
    started = time.perf_counter()
    arrivals = await fixed_rate(
        confirm, rate=rate, count=count, max_in_flight=64, max_seconds=seconds * 3 + 10,
        errors=errors,
    )
    confirm_seconds = time.perf_counter() - started
    done_confirming.set()
    await poller
    latencies = [seen_at[s] - confirmed_at[s] for s in confirmed_at if s in seen_at]
    run = PipelineRun(
        rate, count, sum(1 for a in arrivals if a.ok), confirm_seconds, latencies,
        missing=len(confirmed_at) - len(latencies),
        poll_round_ms=(percentile(rounds, 50) * 1000) if rounds else 0.0,
        errors=errors,
    )
    return run


async def _sales_answers(gw: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Wait (bounded) until the gateway forwards to sales again after the previous load."""
    deadline = time.perf_counter() + 30
    while True:
        response = await gw.get("/api/v1/products", params={"limit": 1}, headers=headers)
        if response.status_code == 200 or time.perf_counter() > deadline:
            return
        await asyncio.sleep(0.5)


def _faust_apps() -> tuple[str, ...]:
    try:
        from tandem_procurement.streams.app import APP_ID
    except ImportError:
        return ()
    return (APP_ID,)


async def run(ctx: Context) -> None:
    assert ctx.system is not None and ctx.customers
    p = ctx.profile
    kafka = KafkaSettings(bootstrap_servers=ctx.system.kafka_bootstrap)
    readers = groups_reading(ORDERS_TOPIC, _faust_apps())
    ctx.progress(f"pipeline: groups reading {ORDERS_TOPIC}: {readers or 'none'}")
    async with (
        api.http_client(ctx.system.gateway_url, 128) as gw,
        api.http_client(ctx.system.service_url("procurement"), 32) as procurement,
    ):
        probe = await procurement.get(
            "/api/v1/requisitions", params={"sku": "NONE"}, headers=ctx.headers
        )
        unavailable = (
            None if probe.status_code == 200
            else f"procurement GET /requisitions?sku= answers HTTP {probe.status_code}"
        )
        await _sales_answers(gw, ctx.headers)
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
                if unavailable:
                    continue
                result = await _one_run(ctx, gw, procurement, rate, p.pipeline_seconds, kafka,
                                        readers)
                system_runs.append(result)
                ctx.progress(f"pipeline run {r + 1}/{p.pipeline_runs} tandem: {result.describe()}")
            _figures(ctx, rate, system_runs, base_runs, unavailable)

        if not p.sustain_rates:
            why = "the quick profile skips the rate search (run `make bench`)"
            sustained_figure(ctx, None, why, [])
            return
        best: int | None = None
        why = unavailable
        if not unavailable:
            for rate in p.sustain_rates:
                result = await _one_run(ctx, gw, procurement, rate, p.sustain_seconds, kafka,
                                        readers)
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
    ctx: Context, rate: int, runs: list[PipelineRun], base: list[LatencyRun], why: str | None
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
            f"{', '.join(str(r.missing) for r in runs)}; poll round "
            f"{', '.join(f'{r.poll_round_ms:.0f}' for r in runs)} ms"
        )
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
