"""The benchmark run: start the system, measure each figure beside its baseline, report."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import sys
import tempfile
import threading
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import api, docs, machine
from bench.context import Context, say
from bench.profiles import PROFILES, Profile
from bench.report import Figure, Report, Target
from bench.scenarios import customer360, demand_stream, order_intake, pipeline, startup
from bench.tandem import start_system

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("startup", "intake", "c360", "pipeline", "demand")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs (under a minute)")
    parser.add_argument(
        "--only", nargs="+", choices=SCENARIOS, help="run only these scenarios (default: all)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results are written")
    parser.add_argument(
        "--set", nargs="+", default=[], metavar="FIELD=VALUE",
        help="override profile fields, e.g. --set demand_runs=2 intake_seconds=5",
    )
    parser.add_argument(
        "--py-spy", nargs="+", default=[], metavar="PROCESS",
        help="profile these processes (e.g. sales-api gateway) in the first intake, c360 and "
        "pipeline run",
    )
    parser.add_argument(
        "--docs", action="store_true", help="also put the table into docs/performance.md"
    )
    return parser.parse_args(argv)


# The headline figure of each scenario, reported as not measured when the scenario fails.
HEADLINES = {
    "intake": ("order_intake.rate", "Order intake", "orders/s",
               Target("ratio_at_least", 0.5, ">= 50% of baseline")),
    "c360": ("customer360.p99", "Customer 360 latency p99", "ms",
             Target("below", 50.0, "p99 < 50 ms")),
    "pipeline": ("pipeline.p99@100", "Order -> requisition visible, p99 at 100/s", "ms",
                 Target("below", 250.0, "p99 < 250 ms")),
    "startup": ("startup.seconds", "Start-up to ready", "s", None),
    "demand": ("demand.rate", "Demand join replay", "events/s",
               Target("ratio_at_least", 0.5, ">= 50% of passthrough")),
}


def override(profile: Profile, assignments: list[str]) -> Profile:
    """The profile with FIELD=VALUE assignments applied (values parsed as the field's type)."""
    changes: dict[str, object] = {}
    for item in assignments:
        name, sep, raw = item.partition("=")
        if not sep or not hasattr(profile, name) or name == "name":
            raise SystemExit(f"--set {item}: not FIELD=VALUE with a profile field")
        current = getattr(profile, name)
        try:
            if isinstance(current, tuple):
                changes[name] = tuple(int(x) for x in raw.split(",") if x)
            else:
                changes[name] = type(current)(raw)
        except ValueError:
            raise SystemExit(f"--set {item}: {raw!r} is not a {type(current).__name__}") from None
    try:
        return dataclasses.replace(profile, **changes) if changes else profile
    except ValueError as exc:
        raise SystemExit(f"--set: {exc}") from None


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".replace("\n", " ").strip(": ")[:300]


def _failed(ctx: Context, scenario: str, exc: BaseException) -> None:
    """A scenario that crashed is reported as not measured, with the reason; the rest go on."""
    reason = f"{scenario} failed: {_reason(exc)}"
    say(reason)
    traceback.print_exc()
    ctx.report.notes.append(reason)
    if scenario in HEADLINES and not any(
        f.key == HEADLINES[scenario][0] for f in ctx.report.figures
    ):
        key, title, unit, target = HEADLINES[scenario]
        ctx.report.add(Figure(key, title, unit, "higher", target=target,
                              not_measured=f"{scenario} failed: {_reason(exc)}"))


async def _prepare(ctx: Context, wanted: set[str]) -> None:
    """Customers (and the pipeline's catalog) for every system scenario, made side by side."""
    assert ctx.system is not None
    async with api.http_client(ctx.system.gateway_url, 4) as gw:
        ctx.headers = api.bearer(await api.token(gw))
        clients = max(ctx.profile.intake_clients, ctx.profile.c360_clients)
        ctx.client_headers = await api.client_headers(gw, clients)
    parts = [order_intake.prepare_customers(ctx, ctx.profile.intake_clients)]
    if "pipeline" in wanted:
        parts.append(pipeline.prepare(ctx))
    done = await asyncio.gather(*parts)
    if "pipeline" in wanted:
        ctx.catalog = done[1]


async def _system_scenarios(ctx: Context, wanted: set[str]) -> None:
    steps = [
        ("intake", order_intake.run),
        ("c360", customer360.run),
        ("pipeline", lambda c: pipeline.run(c, c.catalog)),
    ]
    if wanted & {"intake", "c360", "pipeline"}:
        try:
            with ctx.phase("set-up (customers, products, supplier)"):
                await _prepare(ctx, wanted)
        except Exception as exc:
            for name, _ in steps:
                if name in wanted:
                    _failed(ctx, name, RuntimeError(f"set-up failed: {_reason(exc)}"))
            return
    for name, step in steps:
        if name not in wanted:
            continue
        ctx.progress(f"== {name}")
        try:
            assert ctx.system is not None
            ctx.system.check_alive()
            with ctx.phase(name):
                await step(ctx)
        except Exception as exc:
            _failed(ctx, name, exc)


def _start_intake_baseline(ctx: Context, wanted: set[str]) -> list[float]:
    """Start the bare app first, alone: its start-up is the start-up baseline, and it then
    serves as the order-intake baseline (no second start while the system runs)."""
    if not wanted & {"startup", "intake"}:
        return []
    with ctx.phase("baseline app start"):
        try:
            child, url, seconds = order_intake.start_baseline(ctx)
        except Exception as exc:
            say(f"the bare baseline app did not start: {_reason(exc)}")
            return []
    ctx.progress(f"baseline app ready in {seconds:.2f}s")
    if "intake" in wanted:
        ctx.intake_baseline = (child, url)
    else:
        child.stop()
    return [seconds]


def _run_system(ctx: Context, wanted: set[str], startup_seconds: list[float]) -> set[str]:
    """Start the system once, run every scenario that needs it, stop it; what is left wanted."""
    ctx.progress("== start-up: starting the whole system")
    try:
        with ctx.phase("system start"):
            ctx.system = start_system(ctx.progress)
    except Exception as exc:
        for name in ("startup", "intake", "c360", "pipeline"):
            if name in wanted:
                _failed(ctx, name, RuntimeError(f"the system did not start: {exc}"))
        return wanted - {"startup"}
    startup_seconds.append(ctx.system.start_seconds)
    ctx.progress(f"system ready in {ctx.system.start_seconds:.1f}s")
    asyncio.run(_system_scenarios(ctx, wanted))
    system, ctx.system = ctx.system, None
    if "demand" in wanted:
        # The demand scenario starts its own broker and apps while these processes exit; it
        # measures only after its warm-up, when they are long gone.
        ctx.stopping = threading.Thread(target=system.stop, name="system-stop")
        ctx.stopping.start()
    else:
        with ctx.phase("system stop"):
            system.stop()
    return wanted


def _startup(ctx: Context, startup_seconds: list[float], base: list[float]) -> None:
    runs = ctx.profile.startup_runs
    try:
        with ctx.phase("further start-ups"):
            startup_seconds += startup.extra_system_startups(ctx, runs - len(startup_seconds))
            base += startup.baseline_startups(ctx, runs - len(base))
    except Exception as exc:
        _failed(ctx, "startup", exc)
    startup.record(ctx, startup_seconds, base)


def run(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    profile = override(PROFILES["quick" if args.quick else "full"], args.set)
    wanted = set(args.only or SCENARIOS)
    report = Report(profile=profile.name, machine=machine.describe())
    report.settings = {k: v for k, v in vars(profile).items()}
    say(f"profile {profile.name}: {', '.join(s for s in SCENARIOS if s in wanted)}")
    say(f"machine: {report.machine['nproc']} cores, {report.machine['cpu_model']}, "
        f"{report.machine['memory_gib']} GiB, Python {report.machine['python']}, "
        f"load {report.machine['load_average_at_start']}, "
        f"speed probe {report.machine['speed_probe_ms_at_start']} ms")
    with tempfile.TemporaryDirectory(prefix="tandem-bench-work-") as work:
        ctx = Context(profile=profile, report=report, workdir=Path(work))
        ctx.profile_processes = list(args.py_spy)
        ctx.results = args.out
        startup_seconds: list[float] = []
        try:
            base_startups = _start_intake_baseline(ctx, wanted)
            if wanted & {"startup", "intake", "c360", "pipeline"}:
                wanted = _run_system(ctx, wanted, startup_seconds)
            if "startup" in wanted:
                _startup(ctx, startup_seconds, base_startups)
            if "demand" in wanted:
                ctx.progress("== demand stream")
                try:
                    with ctx.phase("demand"):
                        asyncio.run(demand_stream.run(ctx))
                except Exception as exc:
                    _failed(ctx, "demand", exc)
        except KeyboardInterrupt:
            say("interrupted: stopping everything; the partial report follows")
            report.notes.append("interrupted before the end: partial results")
        finally:
            for child in ctx.children:
                child.stop()
            if ctx.system is not None:
                ctx.system.stop()
            if ctx.stopping is not None:
                ctx.stopping.join()
    report.finished_at = datetime.now(UTC)
    load = machine.load_average()
    report.notes.append(f"load average at the end: {load}")
    report.machine["speed_probe_ms_at_end"] = machine.speed_probe_ms()
    took = (report.finished_at - report.started_at).total_seconds()
    report.notes.append(f"phases (wall clock): {ctx.phase_summary()}; whole run {took:.0f}s")
    json_path = report.write(args.out)
    print()
    print(report.markdown())
    say(f"wrote {json_path}")
    if args.docs:
        if docs.update(report):
            say(f"updated {docs.DOC}")
        else:
            say(f"{docs.DOC} has no bench markers; left unchanged")
    say(f"phases: {ctx.phase_summary()}")
    say(f"whole run took {took:.0f}s")
    return 0


def _terminate(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(run())
