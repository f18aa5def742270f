"""Pure statistics: percentiles of latency samples and min / median / max over runs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation between closest ranks."""
    if not samples:
        raise ValueError("no samples")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(samples)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


@dataclass(frozen=True)
class Spread:
    """One figure over repeated runs: every run's value and their min / median / max."""

    runs: tuple[float, ...]

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        runs = tuple(float(v) for v in values)
        if not runs:
            raise ValueError("a spread needs at least one run")
        return cls(runs)

    @property
    def min(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return float(statistics.median(self.runs))

    @property
    def max(self) -> float:
        return max(self.runs)

    def to_json(self) -> dict[str, object]:
        return {"runs": list(self.runs), "min": self.min, "median": self.median, "max": self.max}


@dataclass(frozen=True)
class LatencyRun:
    """What one timed run yields: completed operations, elapsed time, latency samples (s)."""

    completed: int
    errors: int
    elapsed_s: float
    latencies_s: tuple[float, ...]

    @property
    def rate(self) -> float:
        return self.completed / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_s, 50) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_s, 99) * 1000


def ratio(system: float, baseline: float) -> float | None:
    """``system / baseline``, or None when the baseline is zero."""
    return system / baseline if baseline else None
