"""What every scenario gets: the profile, the report, progress output and the running parts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.profiles import Profile
from bench.report import Report
from bench.tandem import RunningSystem


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Context:
    profile: Profile
    report: Report
    workdir: Path
    system: RunningSystem | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # One token per concurrent client (its own subject), as that many users would send: the
    # gateway limits the rate per subject, and one token shared by every client would measure
    # that limit (100 requests/s) instead of the system.
    client_headers: list[dict[str, str]] = field(default_factory=list)

    def headers_of(self, client: int) -> dict[str, str]:
        return self.client_headers[client % len(self.client_headers)] if self.client_headers \
            else self.headers
    customers: list[dict[str, Any]] = field(default_factory=list)
    children: list[Any] = field(default_factory=list)  # baseline processes to stop at the end
    profile_processes: list[str] = field(default_factory=list)  # py-spy these during intake
    results: Path | None = None
    intake_baseline: Any = None  # (Child, base URL) of the bare app, started before the system
    catalog: Any = None  # the pipeline's products and supplier, prepared beside the customers
    stopping: Any = None  # the thread stopping the system while the demand scenario starts
    phases: list[tuple[str, float]] = field(default_factory=list)  # (phase, wall seconds)

    def progress(self, message: str) -> None:
        say(message)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time one phase of the run (wall clock); the timings close the report."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases.append((name, time.perf_counter() - started))

    def phase_summary(self) -> str:
        return ", ".join(f"{name} {seconds:.1f}s" for name, seconds in self.phases)
