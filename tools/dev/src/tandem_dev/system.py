"""Start, watch and stop every Tandem process; used by `make run` and the e2e tests."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tandem_kit.embedded import EmbeddedBroker
from tandem_kit.settings import DEV_SECRET, KafkaSettings

SERVICES = ("customer", "sales", "supplier", "procurement")


class DevSettings(BaseSettings):
    """Where `make run` puts things (env prefix ``TANDEM_``)."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    gateway_port: int = 8000
    customer_port: int = 8001
    sales_port: int = 8002
    supplier_port: int = 8003
    procurement_port: int = 8004
    worker_port_base: int = Field(
        default=8100,
        description="workers listen on base+1..base+4 (the stream processor, if apart, base+5)",
    )
    broker_port: int = 9092
    ready_timeout_s: float = 90.0
    # Apart: lower order -> requisition latency, more CPU per order (docs/performance.md, 15).
    streams_apart: bool = Field(
        default=False,
        description="procurement's demand join in a process of its own (default: in its worker)",
    )

    def api_port(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def worker_port(self, service: str) -> int:
        return self.worker_port_base + 1 + SERVICES.index(service)

    @property
    def streams_port(self) -> int:
        """Health and metrics of procurement's stream processor (the demand join)."""
        return self.worker_port_base + 1 + len(SERVICES)


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            self.argv,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log.close()

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.popen = None

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        self.popen = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the orchestrator dies, so nothing is left behind."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _create_topics(bootstrap: str) -> None:
    from tandem_kit.kafka import ensure_topics

    asyncio.run(ensure_topics(KafkaSettings(bootstrap_servers=bootstrap)))


class _Background:
    """Run ``work`` in a daemon thread (Ctrl-C never waits for it); ``result()`` re-raises."""

    def __init__(self, work: Callable[[], None]) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self) -> None:
        while self._thread.is_alive():
            self._thread.join(0.1)  # short joins: a Ctrl-C in the caller is not held up
        if self._error is not None:
            raise self._error


@dataclass
class System:
    """The whole system: broker (unless one is given), four services + workers, gateway (and
    procurement's stream processor on its own with ``TANDEM_STREAMS_APART=true``)."""

    settings: DevSettings = field(default_factory=DevSettings)
    kafka_bootstrap: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda _msg: None
    broker: EmbeddedBroker | None = None
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.gateway_port}"

    def service_url(self, service: str) -> str:
        return f"http://{self.settings.host}:{self.settings.api_port(service)}"

    def _env(self, bootstrap: str) -> dict[str, str]:
        env = {**os.environ, **self.extra_env}
        env.setdefault("TANDEM_AUTH_DEVELOPMENT", "true")
        env.setdefault("TANDEM_AUTH_SECRET", DEV_SECRET)
        env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # start-up time matters more than .pyc files
        s = self.settings
        for service in SERVICES:
            prefix = service.upper()
            env.setdefault(f"{prefix}_DATA_DIR", str(s.data_dir.resolve()))
            env[f"{prefix}_HOST"] = s.host
            env[f"{prefix}_PORT"] = str(s.api_port(service))
            env[f"{prefix}_WORKER_PORT"] = str(s.worker_port(service))
            env[f"GATEWAY_{prefix}_URL"] = self.service_url(service)
        env["GATEWAY_HOST"] = s.host
        env["GATEWAY_PORT"] = str(s.gateway_port)
        return env

    def _define(self, env: dict[str, str]) -> None:
        logs = self.settings.data_dir / "logs"
        py = sys.executable
        for service in SERVICES:
            module = f"tandem_{service}.cli"
            self.processes[f"{service}-api"] = Process(
                f"{service}-api",
                [py, "-m", module, "api"],
                env,
                f"{self.service_url(service)}/health/ready",
                logs / f"{service}-api.log",
            )
            self.processes[f"{service}-worker"] = Process(
                f"{service}-worker",
                [py, "-m", module, "worker"],
                env,
                f"http://{self.settings.host}:{self.settings.worker_port(service)}/health/ready",
                logs / f"{service}-worker.log",
            )
        if self.settings.streams_apart:
            # The demand join in a process of its own, not in procurement's worker: apart, the
            # join and the demand consumer each have an event loop (docs/performance.md, 15).
            self.processes["procurement-worker"].env = {
                **env, "PROCUREMENT_DEMAND_JOIN_ENABLED": "false"
            }
            self.processes["procurement-streams"] = Process(
                "procurement-streams",
                [py, "-m", "tandem_procurement.cli", "streams"],
                {**env, "PROCUREMENT_WORKER_PORT": str(self.settings.streams_port)},
                f"http://{self.settings.host}:{self.settings.streams_port}/health/ready",
                logs / "procurement-streams.log",
            )
        self.processes["gateway"] = Process(
            "gateway",
            [py, "-m", "tandem_gateway.cli"],
            env,
            f"{self.gateway_url}/health/ready",
            logs / "gateway.log",
        )

    def start(self) -> None:
        """Broker, topics, migrations and every process, overlapped where nothing depends.

        The gateway starts first (it needs neither a database nor the broker); topics are
        created in a thread while the databases are migrated here; each service's API starts
        as soon as its database is migrated, the workers once the topics exist too. The
        processes' own start-up (imports, group joins) then overlaps the rest.
        """
        started = time.monotonic()
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        bootstrap = self.kafka_bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            self.progress(f"starting the embedded broker on port {self.settings.broker_port}")
            self.broker = EmbeddedBroker(
                port=self.settings.broker_port,
                host=self.settings.host,
                log_file=self.settings.data_dir / "logs" / "broker.log",
            )
            self.broker.start()
            bootstrap = self.broker.bootstrap_servers
        else:
            self.progress(f"using the broker at {bootstrap}")
        self.kafka_bootstrap = bootstrap
        env = self._env(bootstrap)
        self._define(env)
        self.processes["gateway"].start()
        self.progress("creating topics from the registry")
        topics = _Background(lambda: _create_topics(bootstrap))
        self._migrate(env, then=lambda service: self.processes[f"{service}-api"].start())
        topics.result()
        self.progress("topics created")
        for service in SERVICES:
            self.processes[f"{service}-worker"].start()
        if "procurement-streams" in self.processes:
            self.processes["procurement-streams"].start()
        self.progress(f"started {len(self.processes)} processes; waiting until each is ready")
        self.wait_ready(list(self.processes))
        self.progress(f"all ready in {time.monotonic() - started:.1f}s")

    def _migrate(self, env: dict[str, str], then: Callable[[str], None] = lambda _s: None) -> None:
        """Upgrade each service database in this process (no extra interpreter start-ups);
        ``then(service)`` runs as soon as that service's database is at the latest revision."""
        import importlib

        from tandem_kit.migrations import upgrade

        self.progress("migrating the four service databases")
        for service in SERVICES:
            definition = importlib.import_module(f"tandem_{service}.cli").DEFINITION
            url = (
                env.get(f"{service.upper()}_DATABASE_URL")
                or f"sqlite+aiosqlite:///{(self.settings.data_dir / f'{service}.db').resolve()}"
            )
            asyncio.run(upgrade(url, definition.migrations))
            self.progress(f"  {service} database is at the latest revision")
            then(service)

    def wait_ready(self, names: list[str]) -> None:
        deadline = time.monotonic() + self.settings.ready_timeout_s
        pending = set(names)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for name in sorted(pending):
                    process = self.processes[name]
                    if not process.alive:
                        raise RuntimeError(f"{name} exited while starting:\n{process.log_tail()}")
                    try:
                        if client.get(process.ready_url).status_code == 200:
                            pending.discard(name)
                            self.progress(
                                f"  {name} ready ({len(names) - len(pending)}/{len(names)})"
                            )
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    tails = "\n".join(
                        f"--- {n}\n{self.processes[n].log_tail(15)}" for n in sorted(pending)
                    )
                    raise TimeoutError(f"not ready in time: {sorted(pending)}\n{tails}")
                if pending:
                    time.sleep(0.2)

    def restart(self, name: str) -> None:
        self.processes[name].start()
        self.wait_ready([name])

    def dead(self) -> list[str]:
        return [n for n, p in self.processes.items() if p.popen is not None and not p.alive]

    def stop(self) -> None:
        order = (
            ["gateway"]
            + [f"{s}-api" for s in SERVICES]
            + [f"{s}-worker" for s in SERVICES]
            + ["procurement-streams"]
        )
        for name in order:
            if name in self.processes and self.processes[name].popen is not None:
                self.processes[name].popen.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        for name in order:
            if name in self.processes:
                self.processes[name].stop()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
