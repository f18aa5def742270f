"""Optional sampling profiles of system processes during a measured run (py-spy).

``python -m bench --only intake --py-spy sales-api gateway`` records each named process
during the first measured Tandem run and writes collapsed stacks next to the JSON results,
plus the functions that take the most samples. py-spy comes from PATH, else through `uvx`.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path


def py_spy_command() -> list[str] | None:
    if path := shutil.which("py-spy"):
        return [path]
    if uvx := shutil.which("uvx"):
        return [uvx, "py-spy"]
    return None


class Recorder:
    """py-spy record of some processes for a fixed duration, started and collected by us."""

    def __init__(self, names: list[str], folder: Path, stamp: str) -> None:
        self.names = names
        self.folder = folder
        self.stamp = stamp
        self.running: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}

    def start(self, pids: dict[str, int], seconds: float) -> list[str]:
        command = py_spy_command()
        problems = []
        if command is None:
            return ["py-spy is not installed (uv add --dev py-spy) and uvx is not on PATH"]
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            if name not in pids:
                problems.append(f"no process named {name}; known: {sorted(pids)}")
                continue
            out = self.folder / f"{self.stamp}-{name}.collapsed.txt"
            self.running[name] = (
                subprocess.Popen(
                    [*command, "record", "--pid", str(pids[name]), "--duration",
                     str(max(1, int(seconds))), "--format", "raw", "--output", str(out),
                     "--nonblocking"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                ),
                out,
            )
        return problems

    def finish(self, timeout: float = 60.0) -> dict[str, list[tuple[float, str]]]:
        """Wait for each recording; the top functions by inclusive share of samples."""
        tops = {}
        for name, (process, out) in self.running.items():
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if out.exists():
                tops[name] = top_functions(out)
        self.running.clear()
        return tops


def stamp(started_at: datetime) -> str:
    """The run's start as it names profile files."""
    return started_at.strftime("%Y%m%dT%H%M%SZ")


def show(
    progress: Callable[[str], None], notes: list[str], tops: dict[str, list[tuple[float, str]]],
    label: str = "",
) -> None:
    """Print each recording's top functions and keep the first few in the report's notes."""
    for name, frames in tops.items():
        progress(f"py-spy {name}{label}: most sampled functions (inclusive share):")
        for share, frame in frames:
            progress(f"   {share:5.1f}%  {frame[:140]}")
        notes.append(
            f"py-spy {name}{label}: " + "; ".join(f"{s:.0f}% {f[:80]}" for s, f in frames[:6])
        )


def top_functions(collapsed: Path, count: int = 15) -> list[tuple[float, str]]:
    """Functions of Tandem, the web stack and the database stack with the most samples."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        n = int(samples)
        total += n
        for frame in set(stack.split(";")):
            inclusive[frame] += n
    if not total:
        return []
    interesting = [
        (n * 100 / total, frame)
        for frame, n in inclusive.most_common()
        if not any(part in frame for part in PLUMBING)
    ]
    return interesting[:count]


# Entry points and event-loop frames: in every stack, they say nothing about the cost.
PLUMBING = (
    "asyncio/", "runpy", "threading.py", "selectors.py", "/cli.py", "uvicorn/main.py",
    "uvicorn/server.py", "uvicorn/_compat.py", "tandem_kit/runtime.py", "mode/threads.py",
    "<module>",
)
