"""The harness's statistics: percentiles and min / median / max over runs."""

import pytest

from bench.stats import LatencyRun, Spread, percentile, ratio


def test_percentile_interpolates_between_closest_ranks():
    samples = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert percentile(samples, 0) == 1.0
    assert percentile(samples, 50) == 3.0
    assert percentile(samples, 100) == 5.0
    assert percentile(samples, 25) == 2.0
    assert percentile([10.0, 20.0], 50) == 15.0


def test_percentile_does_not_depend_on_sample_order():
    assert percentile([5.0, 1.0, 4.0, 2.0, 3.0], 99) == pytest.approx(4.96)


def test_percentile_of_a_single_sample_is_that_sample():
    assert percentile([7.5], 99) == 7.5


@pytest.mark.parametrize("q", [-1, 101])
def test_percentile_outside_0_to_100_is_refused(q):
    with pytest.raises(ValueError):
        percentile([1.0], q)


def test_percentile_of_nothing_is_refused():
    with pytest.raises(ValueError):
        percentile([], 50)


def test_spread_gives_min_median_max_of_the_runs():
    spread = Spread.of([30, 10, 20, 40])
    assert (spread.min, spread.median, spread.max) == (10, 25, 40)
    assert spread.to_json() == {"runs": [30, 10, 20, 40], "min": 10, "median": 25, "max": 40}


def test_a_spread_needs_a_run():
    with pytest.raises(ValueError):
        Spread.of([])


def test_latency_run_rate_and_percentiles_in_milliseconds():
    run = LatencyRun(completed=4, errors=1, elapsed_s=2.0, latencies_s=(0.01, 0.02, 0.03, 0.04))
    assert run.rate == 2.0
    assert run.p50_ms == pytest.approx(25.0)
    assert run.p99_ms == pytest.approx(39.7)


def test_ratio_of_a_zero_baseline_is_none():
    assert ratio(5.0, 0.0) is None
    assert ratio(5.0, 10.0) == 0.5


def test_stream_rate_counts_intervals_between_the_first_and_last_output():
    from bench.scenarios.demand_stream import rate_of

    assert rate_of([10.0, 10.5, 11.0, 12.0]) == 1.5
    assert rate_of([5.0]) is None
    assert rate_of([5.0, 5.0]) is None


def test_demand_progress_counts_the_events_each_sku_state_stands_for():
    import json

    from bench.scenarios.demand_stream import LINE_QUANTITY, DemandProgress

    def out(sku: str, events: int) -> bytes:
        return json.dumps({"sku": sku, "ordered_quantity": str(LINE_QUANTITY * events)}).encode()

    progress = DemandProgress(events=5)
    progress.add(10.0, out("A", 1))
    progress.add(10.2, out("B", 2))  # two events of B summed in one output (one superseded)
    assert (progress.processed, progress.done_at, progress.complete) == (3, 10.2, False)
    progress.add(10.4, out("A", 1))  # republished after a restart: nothing new
    progress.add(10.1, out("A", 3))  # another partition's output, stamped earlier
    assert (progress.processed, progress.done_at, progress.complete) == (5, 10.2, True)
    assert progress.stamps == [10.0, 10.2, 10.4, 10.1]


def test_passthrough_progress_counts_one_event_per_output():
    from bench.scenarios.demand_stream import Progress

    progress = Progress(events=2)
    progress.add(3.0, b"x")
    progress.add(2.5, b"y")
    assert (progress.processed, progress.done_at, progress.complete) == (2, 3.0, True)
