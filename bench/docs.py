"""Put the latest table and the machine into docs/performance.md (between two markers)."""

from __future__ import annotations

from pathlib import Path

from bench.report import Report

START = "<!-- bench:latest:start -->"
END = "<!-- bench:latest:end -->"
DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def machine_text(report: Report) -> str:
    m = report.machine
    load = m.get("load_average_at_start")
    load_text = ", ".join(f"{x:.1f}" for x in load) if load else "unknown"
    probe = m.get("speed_probe_ms_at_start")
    probe_text = (
        f"; speed probe (a fixed Python loop on one core, higher is slower) {probe} ms at the "
        f"start, {m.get('speed_probe_ms_at_end', 'unknown')} ms at the end"
        if probe is not None else ""
    )
    return (
        f"Machine: {m.get('nproc')} cores ({m.get('cpu_model')}), {m.get('memory_gib')} GiB, "
        f"Python {m.get('python')}, {m.get('platform')}; load average at start {load_text}"
        f"{probe_text}; commit {m.get('git_commit')}."
    )


def update(report: Report, doc: Path = DOC) -> bool:
    """Replace the marked section of ``doc``; False when the markers are missing."""
    text = doc.read_text() if doc.exists() else ""
    if START not in text or END not in text:
        return False
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    body = f"{START}\n{machine_text(report)}\n\n{report.markdown()}{END}"
    doc.write_text(head + body + tail)
    return True
