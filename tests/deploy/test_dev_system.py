"""`make run`'s process table: the demand join in procurement's worker, or apart on request."""

from pathlib import Path

from tandem_dev.system import DevSettings, System


def _defined(tmp_path: Path, apart: bool) -> System:
    system = System(settings=DevSettings(data_dir=tmp_path, streams_apart=apart))
    system._define(system._env("127.0.0.1:9092"))
    return system


def test_by_default_the_demand_join_runs_in_procurement_s_worker(tmp_path: Path) -> None:
    system = _defined(tmp_path, apart=False)
    assert "procurement-streams" not in system.processes
    assert "PROCUREMENT_DEMAND_JOIN_ENABLED" not in system.processes["procurement-worker"].env


def test_apart_the_join_has_its_own_process_port_and_the_worker_runs_without_it(
    tmp_path: Path,
) -> None:
    system = _defined(tmp_path, apart=True)
    streams, worker = system.processes["procurement-streams"], system.processes["procurement-worker"]
    assert streams.argv[-1] == "streams"
    assert worker.env["PROCUREMENT_DEMAND_JOIN_ENABLED"] == "false"
    assert "PROCUREMENT_DEMAND_JOIN_ENABLED" not in streams.env
    port = system.settings.streams_port
    assert streams.env["PROCUREMENT_WORKER_PORT"] == str(port) != worker.env[
        "PROCUREMENT_WORKER_PORT"
    ]
    assert port not in {system.settings.worker_port(s) for s in ("customer", "sales",
                                                                 "supplier", "procurement")}
    assert streams.ready_url.endswith(f":{port}/health/ready")
