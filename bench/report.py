"""The benchmark report: figures beside their baselines, as JSON and as a markdown table."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from bench.stats import Spread, ratio

Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class Target:
    """What a figure must reach: a share of its baseline, or a ceiling on its own value."""

    kind: Literal["ratio_at_least", "below"]
    value: float
    text: str

    def met(self, system: Spread, baseline: Spread | None) -> bool | None:
        """Judged on the medians over runs; None when a needed part was not measured."""
        if self.kind == "below":
            return system.median < self.value
        if baseline is None:
            return None
        r = ratio(system.median, baseline.median)
        return None if r is None else r >= self.value


@dataclass
class Figure:
    key: str
    title: str
    unit: str
    better: Better
    system: Spread | None = None
    baseline: Spread | None = None
    baseline_title: str = ""
    target: Target | None = None
    not_measured: str | None = None
    baseline_not_measured: str | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.system is None or self.baseline is None:
            return None
        return ratio(self.system.median, self.baseline.median)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if self.system is None:
            return "not measured"
        met = self.target.met(self.system, self.baseline)
        if met is None:
            return "not judged (baseline not measured)"
        return "met" if met else "NOT met"

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "better": self.better,
            "system": self.system.to_json() if self.system else None,
            "not_measured": self.not_measured,
            "baseline_title": self.baseline_title,
            "baseline": self.baseline.to_json() if self.baseline else None,
            "baseline_not_measured": self.baseline_not_measured,
            "ratio": self.ratio,
            "target": (
                {"kind": self.target.kind, "value": self.target.value, "text": self.target.text}
                if self.target
                else None
            ),
            "verdict": self.verdict,
            "note": self.note,
        }


@dataclass
class MemoryRow:
    process: str
    peak_rss_mib: Spread | None
    not_measured: str | None = None


@dataclass
class Report:
    profile: str
    machine: dict[str, object]
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    figures: list[Figure] = field(default_factory=list)
    memory: list[MemoryRow] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def to_json(self) -> dict[str, object]:
        return {
            "profile": self.profile,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "machine": self.machine,
            "settings": self.settings,
            "figures": [f.to_json() for f in self.figures],
            "memory": [
                {
                    "process": m.process,
                    "peak_rss_mib": m.peak_rss_mib.to_json() if m.peak_rss_mib else None,
                    "not_measured": m.not_measured,
                }
                for m in self.memory
            ],
            "notes": self.notes,
        }

    def write(self, folder: Path) -> Path:
        """Write ``<UTC timestamp>.json`` (the markdown table included) into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
        document = {**self.to_json(), "markdown": self.markdown()}
        path.write_text(json.dumps(document, indent=2) + "\n")
        return path

    def markdown(self) -> str:
        lines = [
            f"Profile `{self.profile}`, started {self.started_at:%Y-%m-%d %H:%M:%S} UTC; "
            "each cell is min / median / max over runs; the ratio compares medians.",
            "",
            "| Figure | Tandem | Raw baseline | Ratio | Target | Verdict |",
            "|---|---|---|---|---|---|",
        ]
        for f in self.figures:
            system = (
                _cell(f.system, f.unit) if f.system else f"not measured: {f.not_measured}"
            )
            if f.baseline:
                base = f"{_cell(f.baseline, f.unit)} ({f.baseline_title})"
            elif f.baseline_title:
                base = f"not measured: {f.baseline_not_measured or 'see notes'}"
            else:
                base = "n/a"
            r = f"{f.ratio:.2f}" if f.ratio is not None else ""
            target = f.target.text if f.target else ""
            lines.append(f"| {f.title} | {system} | {base} | {r} | {target} | {f.verdict} |")
        if self.memory:
            lines += ["", "| Process | Peak RSS under order intake (MiB) |", "|---|---|"]
            for m in self.memory:
                cell = (
                    _cell(m.peak_rss_mib, "")
                    if m.peak_rss_mib
                    else f"not measured: {m.not_measured}"
                )
                lines.append(f"| {m.process} | {cell} |")
        if self.notes:
            lines += ["", *[f"- {n}" for n in self.notes]]
        return "\n".join(lines) + "\n"


def _num(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(spread: Spread, unit: str) -> str:
    suffix = f" {unit}" if unit else ""
    if len(spread.runs) == 1:
        return f"{_num(spread.median)}{suffix} (1 run)"
    return f"{_num(spread.min)} / **{_num(spread.median)}** / {_num(spread.max)}{suffix}"
