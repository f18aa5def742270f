"""Process entry points shared by every service: `api`, `worker`, `migrate` and the extra
worker roles a service defines (procurement's `streams`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_kit.consumer import EventConsumer
from tandem_kit.db import create_engine
from tandem_kit.health import BrokerProbe, database_ok
from tandem_kit.http import health_router
from tandem_kit.logs import configure_logging
from tandem_kit.migrations import upgrade
from tandem_kit.outbox import OutboxRelay, OutboxSignal
from tandem_kit.settings import ServiceSettings

log = logging.getLogger("tandem.runtime")

Task = Callable[[asyncio.Event], Awaitable[None]]


@dataclass
class Worker:
    """What a service's worker process runs: the outbox relay, consumers and other loops.

    Without an ``engine`` (a process that keeps no state in the service's database, such as a
    stream processor), there is no relay and readiness checks only the broker."""

    settings: ServiceSettings
    engine: AsyncEngine | None
    consumers: list[EventConsumer] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    relay: bool = True
    # Shared with the sessions of this process's units of work (``session_factory``).
    outbox_signal: OutboxSignal | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; if one part fails, stop the rest and re-raise."""
        parts: list[Task] = [c.run for c in self.consumers] + list(self.tasks)
        if self.relay and self.engine is not None:
            parts.insert(0, OutboxRelay(self.settings, self.engine, signal=self.outbox_signal).run)
        inner = asyncio.Event()

        async def guard(part: Task) -> None:
            try:
                await part(inner)
            except Exception:
                log.exception("worker part failed; stopping the worker")
                inner.set()
                raise

        async def relay_stop() -> None:
            await stop.wait()
            inner.set()

        watcher = asyncio.create_task(relay_stop())
        try:
            await asyncio.gather(*(guard(p) for p in parts))
        finally:
            watcher.cancel()
            if self.engine is not None:
                await self.engine.dispose()

    async def ready_checks(self, probe: BrokerProbe) -> dict[str, str | None]:
        checks: dict[str, str | None] = {"broker": await probe.check()}
        if self.engine is not None:
            checks["database"] = await database_ok(self.engine)
        for consumer in self.consumers:
            checks[f"consumer:{consumer.group_id}"] = (
                None if consumer.ready.is_set() else "not yet assigned partitions"
            )
        return checks


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass(frozen=True)
class ServiceDefinition:
    """How to build one service's settings, HTTP app and worker; drives its CLI.

    ``app`` and ``worker`` are "module:function" strings, imported only by the command that
    needs them, so that `migrate` and `worker` start without loading the HTTP stack. ``roles``
    names more worker kinds, each a command of its own (e.g. ``{"streams": "...:create"}``):
    parts of the worker that can run as a separate process.
    """

    name: str
    settings: Callable[[], ServiceSettings]
    app: str
    worker: str
    migrations: str | None = None  # "package.module:folder"
    roles: Mapping[str, str] = field(default_factory=dict)

    def build_app(self, settings: ServiceSettings) -> FastAPI:
        return _load(self.app)(settings)

    def build_worker(self, settings: ServiceSettings, role: str = "worker") -> Worker:
        return _load(self.worker if role == "worker" else self.roles[role])(settings)


def _load(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


async def run_worker(
    definition: ServiceDefinition, settings: ServiceSettings, role: str = "worker"
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = definition.build_worker(settings, role)
    server = None
    if settings.worker_port:
        probe = BrokerProbe(settings.kafka)
        app = FastAPI(title=f"{definition.name} {role}", docs_url=None, redoc_url=None)
        app.include_router(health_router(lambda: worker.ready_checks(probe)))
        server = _QuietServer(
            uvicorn.Config(
                app,
                host=settings.host,
                port=settings.worker_port,
                log_config=None,
                access_log=False,
            )
        )
    serving = asyncio.create_task(server.serve()) if server else None
    log.info(
        "worker started",
        extra={"role": role, "consumers": [c.group_id for c in worker.consumers]},
    )
    freezing = asyncio.create_task(freeze_once_started(worker))
    try:
        await worker.run(stop)
    finally:
        freezing.cancel()
        if server is not None and serving is not None:
            server.should_exit = True
            await serving
    log.info("worker stopped", extra={"role": role})


# How long a worker's consumers may take to be assigned before start-up counts as done anyway.
STARTED_WITHIN_S = 60.0


async def freeze_once_started(worker: Worker, within: float = STARTED_WITHIN_S) -> None:
    """Once the worker's consumers have their partitions, keep what start-up built out of the
    garbage collector's full collections (``gc.freeze``).

    A full collection walks every tracked object while the event loop waits. Most of a
    worker's objects are start-up's (modules, functions, types, its apps and compiled
    statements: about 180,000 in the procurement worker) and live as long as the process, yet
    every full collection walked them again: 86 ms after a short order-intake run, up to 259
    ms in a longer one, each a stall of every event in flight (docs/performance.md, finding
    21). Frozen objects are still freed when no longer referenced; only a reference cycle
    among them, if one ever became garbage, would stay (start-up's objects form none that do).
    """
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(c.ready.wait() for c in worker.consumers)), within
        )
    freeze_startup_objects()


def freeze_startup_objects() -> None:
    """Collect what start-up left as garbage, then freeze the rest (see ``freeze_once_started``)."""
    gc.collect()
    gc.freeze()


def main(definition: ServiceDefinition, argv: list[str] | None = None) -> None:
    """`tandem-<service> api|worker|migrate|<role>` (`--migrate`: upgrade before serving)."""
    parser = argparse.ArgumentParser(prog=f"tandem-{definition.name}")
    parser.add_argument("command", choices=["api", "worker", "migrate", *definition.roles])
    parser.add_argument(
        "--migrate", action="store_true", help="upgrade the database to head before starting"
    )
    args = parser.parse_args(argv)
    settings = definition.settings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    url = settings.resolved_database_url()
    if (args.command == "migrate" or args.migrate) and definition.migrations:
        log.info("migrating database")
        asyncio.run(upgrade(url, definition.migrations))
        if args.command == "migrate":
            return
    if args.command == "api":
        app = definition.build_app(settings)
        freeze_startup_objects()  # as workers do once started: see freeze_once_started
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
        uvicorn.Server(config).run()
    else:
        try:
            _run(run_worker(definition, settings, args.command))
        except Exception:
            log.exception("worker crashed", extra={"role": args.command})
            sys.exit(1)


# After a worker failed, the longest its loop may take to wind down before the process exits.
FAILED_SHUTDOWN_S = 10.0


def _run(main: Coroutine[Any, Any, None]) -> None:
    """Run a worker as uvicorn runs the HTTP process: on uvloop where it is installed.

    Measured (docs/performance.md, finding 17): the procurement worker's CPU per order at 100
    orders/s about 7% lower, and order -> requisition latency about 10% lower, than on the
    standard loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(_failing_fast(main))
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_failing_fast(main))


async def _failing_fast(main: Coroutine[Any, Any, None]) -> None:
    """A worker that failed must end, so that its supervisor starts it again. The loop's
    teardown cancels every task left and waits for them; a task that ignores cancellation (seen:
    the services of a crashed Faust app whose last commit was refused) would keep the process
    alive and idle forever. After ``FAILED_SHUTDOWN_S`` it exits regardless."""
    try:
        await main
    except BaseException as exc:
        if not isinstance(exc, KeyboardInterrupt | SystemExit):

            def give_up() -> None:
                log.error("the failed worker did not stop in time; exiting")
                logging.shutdown()
                os._exit(1)

            watchdog = threading.Timer(FAILED_SHUTDOWN_S, give_up)
            watchdog.daemon = True  # a teardown that ends in time exits as usual
            watchdog.start()
        raise


def engine_for(settings: ServiceSettings) -> AsyncEngine:
    return create_engine(settings.resolved_database_url(), pool_size=settings.database_pool_size)
