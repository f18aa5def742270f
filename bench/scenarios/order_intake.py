"""Order intake: concurrent clients create and confirm sales orders through the gateway.

Baseline: a bare FastAPI + SQLAlchemy app (bench.baselines.orders_app) storing the same
rows in an SQLite file, under the same client load. System and baseline runs alternate, so
that a change in background load hits both. Peak RSS of every process is read per run.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import time
import uuid
from pathlib import Path

from bench import api, profiling
from bench.context import Context
from bench.kafka_util import wait_caught_up
from bench.load import Errors, bounded, closed_loop
from bench.loadclient import LoadClient, load_client
from bench.procs import Child, cpu_seconds, peak_rss_mib, reset_peak_rss
from bench.profiling import Recorder
from bench.report import Figure, MemoryRow, Target
from bench.scenarios.pipeline import order_readers
from bench.stats import LatencyRun, Spread
from tandem_dev.system import SERVICES
from tandem_kit.db import outbox_table
from tandem_kit.embedded import free_port
from tandem_kit.settings import KafkaSettings

CAUGHT_UP_SECONDS = 180.0  # at most, after a run, for the workers to handle its last order


def skus(ctx: Context) -> list[str]:
    """The catalog the intake orders spread over (the baseline gets the same SKUs)."""
    return [f"BENCH-INTAKE-{i:03d}" for i in range(ctx.profile.intake_skus)]


async def prepare_customers(ctx: Context, count: int) -> None:
    """``count`` active customers that sales already knows (one per client: no shared row)."""
    assert ctx.system is not None
    async with api.http_client(ctx.system.gateway_url, 8) as gw:
        if not ctx.headers:
            ctx.headers = api.bearer(await api.token(gw))
        await bounded([api.create_product(gw, ctx.headers, sku) for sku in skus(ctx)])
        ctx.customers.extend(await bounded([
            api.create_active_customer(gw, ctx.headers, f"Bench customer {i}")
            for i in range(count)
        ]))
        waits = await bounded([
            api.wait_sales_knows_active(gw, ctx.headers, c["id"]) for c in ctx.customers
        ])
    ctx.progress(
        f"{count} customers active and known to sales (waited {max(waits, default=0):.1f}s), "
        f"{ctx.profile.intake_skus} products"
    )


def start_baseline(ctx: Context) -> tuple[Child, str, float]:
    """The bare FastAPI app, started and ready: (process, base URL, seconds to ready)."""
    port = free_port()
    child = Child(
        "bench.baselines.orders_app",
        ["--db", str(ctx.workdir / "baseline-orders.db"), "--port", str(port)],
        ctx.workdir / "logs" / "baseline-orders.log",
    ).start()
    ctx.children.append(child)
    url = f"http://127.0.0.1:{port}"
    return child, url, child.wait_http(f"{url}/health")


async def _system_run(ctx: Context, gw: LoadClient, orders: int, errors: Errors):
    names = skus(ctx)

    async def place(index: int, client: int) -> None:
        customer = ctx.customers[client % len(ctx.customers)]
        headers = ctx.headers_of(client)
        body = api.order_body(customer["id"], names[index % len(names)])
        response = await gw.post("/api/v1/orders", headers, body)
        if response.status != 201:
            raise api.ApiError("create an order", response)
        order = response.json()
        confirm = {**headers, "If-Match": f'"{order["version"]}"'}
        response = await gw.post(f"/api/v1/orders/{order['id']}/confirm", confirm)
        if response.status != 200:
            raise api.ApiError("confirm an order", response)

    p = ctx.profile
    return await closed_loop(
        place, clients=p.intake_clients, max_ops=orders, max_seconds=p.intake_seconds,
        errors=errors,
    )


async def _baseline_run(ctx: Context, client: LoadClient, orders: int, errors: Errors):
    customer_ids = [str(uuid.uuid4()) for _ in range(ctx.profile.intake_clients)]
    names = skus(ctx)

    async def place(index: int, c: int) -> None:
        body = api.order_body(customer_ids[c % len(customer_ids)], names[index % len(names)])
        response = await client.post("/orders", None, body)
        if response.status != 201:
            raise api.ApiError("baseline create", response)
        order = response.json()
        response = await client.post(f"/orders/{order['id']}/confirm")
        if response.status != 200:
            raise api.ApiError("baseline confirm", response)

    p = ctx.profile
    return await closed_loop(
        place, clients=p.intake_clients, max_ops=orders, max_seconds=p.intake_seconds,
        errors=errors,
    )


def _unpublished(database: Path) -> int:
    """Outbox rows of a service's SQLite file not yet published (read only, short waits)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.5) as conn:
        query = f"SELECT count(*) FROM {outbox_table.name} WHERE published_at IS NULL"
        return int(conn.execute(query).fetchone()[0])


async def _workers_caught_up(ctx: Context) -> float | None:
    """Seconds until the run's orders are through every worker, None past the deadline: the
    sales relay has published them, every reader of the orders (the demand join, the customer
    value) and procurement's demand consumer have committed the end of their topics, and no
    outbox holds a row. Under intake the workers trail the requests; their CPU per order is
    counted until here, and the next (baseline) run starts on a machine they left idle."""
    assert ctx.system is not None
    started = time.perf_counter()
    deadline = started + CAUGHT_UP_SECONDS
    data = ctx.system.data_dir
    kafka = KafkaSettings(bootstrap_servers=ctx.system.kafka_bootstrap)

    async def outboxes_empty(services: tuple[str, ...]) -> bool:
        while any(_unpublished(data / f"{service}.db") for service in services):
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    if not await outboxes_empty(("sales",)):
        return None
    for topic, groups in order_readers():
        left = deadline - time.perf_counter()
        if left <= 0 or not await wait_caught_up(kafka, topic, groups, left):
            return None
    if not await outboxes_empty(SERVICES):
        return None
    return time.perf_counter() - started


def _describe(run: LatencyRun) -> str:
    if not run.completed:
        return f"no order completed in {run.elapsed_s:.1f}s, errors {run.errors}"
    return (
        f"{run.completed} orders in {run.elapsed_s:.1f}s = {run.rate:.0f}/s, "
        f"p50 {run.p50_ms:.0f} ms, p99 {run.p99_ms:.0f} ms, errors {run.errors}"
    )


async def run(ctx: Context) -> None:
    assert ctx.system is not None
    p = ctx.profile
    if not ctx.customers:
        await prepare_customers(ctx, p.intake_clients)
    if ctx.intake_baseline is None:
        baseline, base_url, ready = start_baseline(ctx)
        ctx.progress(f"order intake: baseline app ready in {ready:.1f}s")
    else:
        baseline, base_url = ctx.intake_baseline

    system_runs: list[LatencyRun] = []
    base_runs: list[LatencyRun] = []
    memory: dict[str, list[float]] = {}
    cpu_ms: dict[str, list[float]] = {}  # CPU milliseconds per order, per process
    sys_errors, base_errors = Errors(), Errors()
    caught_up: list[float] = []  # seconds after each Tandem run until the workers were done
    conns = p.intake_clients * 2
    harness = "harness (load generator)"
    async with (
        load_client(ctx.system.gateway_url, conns) as gw,
        load_client(base_url, conns) as bare,
    ):
        # Warm-up (connections, caches, first SQLite pages): not measured.
        await _system_run(ctx, gw, p.intake_warmup, Errors())
        await _baseline_run(ctx, bare, p.intake_warmup, Errors())
        for r in range(p.runs):
            reset_peak_rss(baseline.pid)
            base_cpu, own_cpu = cpu_seconds(baseline.pid), time.process_time()
            result = await _baseline_run(ctx, bare, p.intake_orders, base_errors)
            if base_cpu is not None and (now := cpu_seconds(baseline.pid)) and result.completed:
                cpu_ms.setdefault("baseline: bare FastAPI app", []).append(
                    (now - base_cpu) * 1000 / result.completed
                )
                cpu_ms.setdefault(f"baseline: {harness}", []).append(
                    (time.process_time() - own_cpu) * 1000 / result.completed
                )
            base_runs.append(result)
            if (rss := peak_rss_mib(baseline.pid)) is not None:
                memory.setdefault("baseline: bare FastAPI app", []).append(rss)
            ctx.progress(f"order intake run {r + 1}/{p.runs} baseline: {_describe(result)}")

            pids = ctx.system.pids()
            for pid in pids.values():
                reset_peak_rss(pid)
            recorder = None
            if r == 0 and ctx.profile_processes:
                recorder = Recorder(
                    ctx.profile_processes, ctx.results or ctx.workdir,
                    profiling.stamp(ctx.report.started_at),
                )
                for problem in recorder.start(pids, p.intake_seconds):
                    ctx.progress(f"py-spy: {problem}")
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            own_cpu = time.process_time()
            result = await _system_run(ctx, gw, p.intake_orders, sys_errors)
            if result.completed:
                cpu_ms.setdefault(harness, []).append(
                    (time.process_time() - own_cpu) * 1000 / result.completed
                )
            if recorder is not None:
                profiling.show(ctx.progress, ctx.report.notes, recorder.finish())
                recorder = None
            trailing = await _workers_caught_up(ctx)
            if trailing is None:
                ctx.progress(f"order intake: the workers were still behind after "
                             f"{CAUGHT_UP_SECONDS:.0f}s")
            else:
                caught_up.append(trailing)
            for name, pid in pids.items():
                before, after = cpu_before.get(name), cpu_seconds(pid)
                if before is not None and after is not None and result.completed:
                    cpu_ms.setdefault(name, []).append((after - before) * 1000 / result.completed)
            system_runs.append(result)
            for name, pid in pids.items():
                if (rss := peak_rss_mib(pid)) is not None:
                    memory.setdefault(name, []).append(rss)
            ctx.progress(
                f"order intake run {r + 1}/{p.runs} tandem:   {_describe(result)}; the workers "
                + ("were still behind" if trailing is None else f"caught up {trailing:.1f}s later")
            )
    baseline.stop()
    if caught_up:
        ctx.report.notes.append(
            "order intake: the workers had handled "
            f"every order {min(caught_up):.1f} / {statistics.median(caught_up):.1f} / "
            f"{max(caught_up):.1f} s after each run's last one "
            "(min / median / max); each process's CPU per order counts until then (the "
            "harness's until the run's last order)"
        )
    if cpu_ms:
        share = ", ".join(
            f"{name} {statistics.median(values):.1f}"
            for name, values in sorted(cpu_ms.items(), key=lambda kv: -statistics.median(kv[1]))
        )
        ctx.report.notes.append(f"order intake, CPU ms per order by process (median): {share}")
        ctx.progress(f"order intake CPU ms per order: {share}")

    def spread(runs: list[LatencyRun], attr: str) -> Spread | None:
        values = [getattr(r, attr) for r in runs if r.completed]
        return Spread.of(values) if values else None

    why = (
        f"no order completed; errors: {sys_errors.samples}" if not spread(system_runs, "rate")
        else None
    )
    base_title = "bare FastAPI + SQLAlchemy, SQLite file"
    note = f"{p.intake_clients} clients; an order = create + confirm (2 requests)"
    if sys_errors.count or base_errors.count:
        note += (
            f"; errors tandem {sys_errors.count} {sys_errors.samples[:2]}, "
            f"baseline {base_errors.count} {base_errors.samples[:2]}"
        )
    ctx.report.add(
        Figure(
            "order_intake.rate", f"Order intake, {p.intake_clients} clients", "orders/s",
            "higher", spread(system_runs, "rate"), spread(base_runs, "rate"), base_title,
            Target("ratio_at_least", 0.5, ">= 50% of baseline"), not_measured=why, note=note,
        )
    )
    for q in ("p50", "p99"):
        ctx.report.add(
            Figure(
                f"order_intake.{q}", f"Order intake latency {q} (create + confirm)", "ms",
                "lower", spread(system_runs, f"{q}_ms"), spread(base_runs, f"{q}_ms"),
                base_title, not_measured=why,
            )
        )
    ctx.report.memory = [
        MemoryRow(name, Spread.of(values)) for name, values in sorted(memory.items())
    ]
    per_process = [
        values for name, values in memory.items()
        if not name.startswith("baseline") and len(values) == len(system_runs)
    ]
    system_total = [sum(v[i] for v in per_process) for i in range(len(system_runs))]
    base_memory = memory.get("baseline: bare FastAPI app")
    ctx.report.add(
        Figure(
            "memory.total", "Peak RSS under order intake, all processes summed", "MiB",
            "lower", Spread.of(system_total) if system_total and per_process else None,
            Spread.of(base_memory) if base_memory else None, "the bare FastAPI app process",
            not_measured=None if per_process else "/proc/<pid>/status was not readable",
            note="per-process figures in the memory table",
        )
    )
