"""Start-up: the whole system to ready (System.start(), what `make run` does), warm install.

Baseline: one bare FastAPI + SQLAlchemy process (the order-intake baseline app) to ready.
"""

from __future__ import annotations

from bench.context import Context
from bench.procs import Child
from bench.report import Figure
from bench.stats import Spread
from bench.tandem import start_system
from tandem_kit.embedded import free_port


def baseline_startups(ctx: Context, runs: int) -> list[float]:
    out = []
    for i in range(runs):
        port = free_port()
        child = Child(
            "bench.baselines.orders_app",
            ["--db", str(ctx.workdir / f"startup-{i}.db"), "--port", str(port)],
            ctx.workdir / "logs" / "baseline-startup.log",
        ).start()
        try:
            out.append(child.wait_http(f"http://127.0.0.1:{port}/health"))
        finally:
            child.stop()
    return out


def extra_system_startups(ctx: Context, runs: int) -> list[float]:
    """Further cold starts on fresh data directories (the system under test is stopped)."""
    out = []
    for i in range(runs):
        ctx.progress(f"start-up run {i + 2}: starting the whole system again")
        system = start_system(lambda m: None)
        try:
            out.append(system.start_seconds)
        finally:
            system.stop()
        ctx.progress(f"start-up run {i + 2}: ready in {system.start_seconds:.1f}s")
    return out


def record(ctx: Context, system_seconds: list[float], baseline_seconds: list[float]) -> None:
    ctx.report.add(
        Figure(
            "startup.seconds", "Start-up to ready (`make run`, warm install)", "s", "lower",
            Spread.of(system_seconds) if system_seconds else None,
            Spread.of(baseline_seconds) if baseline_seconds else None,
            "one bare FastAPI + SQLAlchemy process",
            not_measured=None if system_seconds else "the system did not start",
            note="broker, topics, migrations of four fresh databases, 9 processes ready",
        )
    )
