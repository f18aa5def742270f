"""The system under test: every Tandem process on embedded defaults, on free ports."""

from __future__ import annotations

import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tandem_dev.system import DevSettings, System
from tandem_kit.embedded import free_port


def _port_block_free(base: int, size: int, host: str) -> bool:
    for port in range(base, base + size):
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                return False
    return True


def worker_port_base(host: str = "127.0.0.1") -> int:
    """A base whose next five ports are free too (workers listen on base+1..base+4,
    procurement's stream processor on base+5)."""
    for _ in range(50):
        base = free_port(host)
        if base + 6 < 65535 and _port_block_free(base, 6, host):
            return base
    raise RuntimeError("found no block of six free ports")


@dataclass
class RunningSystem:
    """A started System plus where its data lives; stop() is safe to call twice."""

    system: System
    data_dir: Path
    start_seconds: float
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def gateway_url(self) -> str:
        return self.system.gateway_url

    def service_url(self, service: str) -> str:
        return self.system.service_url(service)

    @property
    def kafka_bootstrap(self) -> str:
        assert self.system.kafka_bootstrap
        return self.system.kafka_bootstrap

    def pids(self) -> dict[str, int]:
        """Process name -> pid for every live process of the system, the broker included."""
        out = {
            name: p.popen.pid
            for name, p in self.system.processes.items()
            if p.popen is not None and p.alive
        }
        broker_process = getattr(self.system.broker, "_process", None)
        if broker_process is not None and broker_process.poll() is None:
            out["broker"] = broker_process.pid
        return out

    def check_alive(self) -> None:
        """Raise if a process died (e.g. lost its port to another program after start)."""
        if dead := self.system.dead():
            tails = "\n".join(
                f"--- {n}\n{self.system.processes[n].log_tail(10)}" for n in dead
            )
            raise RuntimeError(f"processes died: {dead}\n{tails}")

    def stop(self) -> None:
        try:
            self.system.stop()
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None


def start_system(progress: Callable[[str], None], keep_data: Path | None = None) -> RunningSystem:
    """Start broker, migrations, four services + workers and the gateway; time it.

    Ports are picked free but another program may take one before our process binds it;
    such a start is tried once more on new ports.
    """
    try:
        return _start_system(progress, keep_data)
    except RuntimeError as exc:
        if "address already in use" not in str(exc):
            raise
        progress("a port was taken meanwhile; starting again on other ports")
        return _start_system(progress, keep_data)


def _start_system(progress: Callable[[str], None], keep_data: Path | None) -> RunningSystem:
    host = "127.0.0.1"
    tmp = None
    if keep_data is None:
        tmp = tempfile.TemporaryDirectory(prefix="tandem-bench-")
        data_dir = Path(tmp.name)
    else:
        data_dir = keep_data
    base = worker_port_base(host)
    taken = set(range(base, base + 6))
    ports: dict[str, int] = {}
    for name in ("gateway", "customer", "sales", "supplier", "procurement", "broker"):
        port = free_port(host)
        while port in taken:
            port = free_port(host)
        taken.add(port)
        ports[f"{name}_port"] = port
    settings = DevSettings(
        data_dir=data_dir, host=host, worker_port_base=base, ready_timeout_s=180, **ports
    )
    system = System(
        settings=settings,
        kafka_bootstrap=None,
        # Embedded defaults, as `make run` starts them (logging included).
        extra_env={"TANDEM_AUTH_DEVELOPMENT": "true"},
        progress=lambda m: progress(f"system: {m}"),
    )
    t0 = time.perf_counter()
    try:
        system.start()
    except BaseException:
        system.stop()
        if tmp is not None:
            tmp.cleanup()
        raise
    running = RunningSystem(system, data_dir, time.perf_counter() - t0, tmp)
    try:
        running.check_alive()
    except BaseException:
        running.stop()
        raise
    return running
