"""The load generator stays within its bounds and counts failures (no timing asserted)."""

from bench.load import Errors, closed_loop, fixed_rate


async def test_closed_loop_runs_exactly_max_ops_and_counts_failures():
    seen = []

    async def op(index, client):
        seen.append((index, client))
        if index % 5 == 0:
            raise RuntimeError(f"failed {index}")

    errors = Errors()
    run = await closed_loop(op, clients=4, max_ops=20, max_seconds=30, errors=errors)
    assert sorted(i for i, _ in seen) == list(range(20))
    assert {c for _, c in seen} <= {0, 1, 2, 3}
    assert run.completed == 16 and run.errors == 4 and errors.count == 4
    assert len(run.latencies_s) == 16
    assert errors.samples[0].startswith("RuntimeError: failed")


async def test_fixed_rate_starts_each_operation_once_within_the_in_flight_bound():
    in_flight = 0
    peak = 0

    async def op(index, client):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            if index == 3:
                raise ValueError("boom")
        finally:
            in_flight -= 1

    arrivals = await fixed_rate(op, rate=10_000, count=30, max_in_flight=3, max_seconds=30)
    assert [a.index for a in arrivals] == list(range(30))
    assert [a.index for a in arrivals if not a.ok] == [3]
    assert peak <= 3
