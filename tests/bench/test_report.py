"""The harness's report: verdicts against targets, JSON and the markdown table."""

import json

from bench.report import Figure, MemoryRow, Report, Target
from bench.stats import Spread


def _figure(system, baseline, target):
    return Figure(
        "x", "X", "ops/s", "higher",
        Spread.of(system) if system else None,
        Spread.of(baseline) if baseline else None,
        "raw", target, not_measured=None if system else "service missing",
    )


def test_a_ratio_target_is_judged_on_the_medians():
    target = Target("ratio_at_least", 0.5, ">= 50%")
    assert _figure([40, 50, 90], [100, 100, 100], target).verdict == "met"
    assert _figure([40, 49, 90], [100, 100, 100], target).verdict == "NOT met"


def test_a_ceiling_target_needs_no_baseline():
    target = Target("below", 250, "p99 < 250 ms")
    assert _figure([100, 240, 900], None, target).verdict == "met"
    assert _figure([250], None, target).verdict == "NOT met"


def test_a_figure_without_system_runs_is_not_measured_and_says_why():
    figure = _figure(None, [100], Target("ratio_at_least", 0.5, ">= 50%"))
    assert figure.verdict == "not measured"
    assert figure.ratio is None
    assert figure.to_json()["not_measured"] == "service missing"


def test_a_ratio_target_without_baseline_is_not_judged():
    figure = _figure([10], None, Target("ratio_at_least", 0.5, ">= 50%"))
    assert figure.verdict.startswith("not judged")


def test_the_report_writes_json_with_figures_memory_and_the_table(tmp_path):
    report = Report(profile="quick", machine={"nproc": 2})
    report.add(_figure([40, 50, 60], [80, 100, 120], Target("ratio_at_least", 0.5, ">= 50%")))
    report.add(_figure(None, None, None))
    report.memory = [MemoryRow("gateway", Spread.of([80.0, 82.0])), MemoryRow("broker", None, "gone")]
    path = report.write(tmp_path)
    assert path.parent == tmp_path and path.suffix == ".json"
    document = json.loads(path.read_text())
    assert document["profile"] == "quick"
    first = document["figures"][0]
    assert first["system"]["median"] == 50 and first["baseline"]["median"] == 100
    assert first["ratio"] == 0.5 and first["verdict"] == "met"
    assert document["memory"][0] == {
        "process": "gateway",
        "peak_rss_mib": {"runs": [80.0, 82.0], "min": 80.0, "median": 81.0, "max": 82.0},
        "not_measured": None,
    }
    assert document["markdown"] == report.markdown()


def test_the_markdown_table_shows_spreads_ratio_verdict_and_reasons():
    report = Report(profile="full", machine={})
    report.add(_figure([40, 50, 60], [80, 100, 120], Target("ratio_at_least", 0.5, ">= 50%")))
    report.add(_figure(None, [5], None))
    table = report.markdown()
    assert "| X | 40.0 / **50.0** / 60.0 ops/s | 80.0 / **100** / 120 ops/s (raw) | 0.50 | >= 50% | met |" in table
    assert "not measured: service missing" in table


def test_profile_fields_can_be_overridden_from_the_command_line():
    import pytest

    from bench.cli import override
    from bench.profiles import QUICK

    changed = override(QUICK, ["demand_runs=3", "sustain_rates=10,20", "intake_seconds=1.5"])
    assert (changed.demand_runs, changed.sustain_rates, changed.intake_seconds) == (3, (10, 20), 1.5)
    assert changed.intake_clients == QUICK.intake_clients
    for bad in (["demand_runs=x"], ["nope=1"], ["name=full"], ["demand_runs"]):
        with pytest.raises(SystemExit):
            override(QUICK, bad)
