"""How long and how often each figure is measured: the quick and the full profile."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    runs: int  # repetitions of each HTTP figure (system and baseline alternate)
    intake_clients: int
    intake_orders: int  # per run, cap
    intake_seconds: float  # per run, cap
    intake_warmup: int  # orders placed (system and baseline) before the measured runs
    intake_skus: int  # catalog products the intake orders spread over
    c360_clients: int
    c360_requests: int
    c360_seconds: float
    pipeline_rates: tuple[int, ...]  # fixed arrival rates, orders/s
    pipeline_seconds: float  # per run at each rate
    pipeline_runs: int
    pipeline_max_orders: int  # per run: high rates run shorter (drafts are prepared first)
    pipeline_drain_seconds: float  # after the last arrival, the wait for missing requisitions
    pipeline_skus: int  # products (each with an approved supplier's offer) the orders spread over
    pipeline_arrivals: str  # "kafka": OrderConfirmed published as sales does; "http": via the API
    sustain_rates: tuple[int, ...]  # tried in order until one is not sustained
    sustain_seconds: float
    kafka_throughput_messages: int
    demand_events: int
    demand_runs: int
    demand_seconds: float  # cap on each replay, from the app's start
    startup_runs: int

    def __post_init__(self) -> None:
        if self.pipeline_arrivals not in ("kafka", "http"):
            raise ValueError(f"pipeline_arrivals is kafka or http, not {self.pipeline_arrivals!r}")


QUICK = Profile(
    name="quick",
    runs=2,
    intake_clients=16,
    # 3 s, not 2: the bare baseline stalls for up to a second now and then (SQLite's busy
    # handler; its p99 is 0.8-1.0 s), and a 2 s run that had none read 268 orders/s against
    # 155-190 for the others, one of two runs. Three 3 s pairs: 177-190.
    intake_orders=900,
    intake_seconds=3.0,
    intake_warmup=16,
    intake_skus=16,
    c360_clients=20,
    c360_requests=600,
    c360_seconds=1.5,
    pipeline_rates=(100,),
    pipeline_seconds=1.0,
    pipeline_runs=2,
    pipeline_max_orders=100,
    pipeline_drain_seconds=6.0,
    pipeline_skus=20,
    pipeline_arrivals="kafka",
    sustain_rates=(),
    sustain_seconds=0.0,
    kafka_throughput_messages=5_000,
    # 4,000 events measured the join's warm-up more than its rate (0.49-0.63 of the
    # passthrough, against 0.82-0.84 at 10,000 and 0.82 at 100,000); 10,000 cost 3 s more.
    demand_events=10_000,
    demand_runs=1,
    demand_seconds=60.0,
    startup_runs=1,
)

FULL = Profile(
    name="full",
    runs=3,
    intake_clients=16,
    intake_orders=3_000,
    intake_seconds=8.0,
    intake_warmup=32,
    intake_skus=50,
    c360_clients=20,
    c360_requests=5_000,
    c360_seconds=6.0,
    pipeline_rates=(100, 500),
    pipeline_seconds=3.0,
    pipeline_runs=3,
    pipeline_max_orders=600,
    pipeline_drain_seconds=15.0,
    pipeline_skus=50,
    pipeline_arrivals="kafka",
    sustain_rates=(10, 20, 50, 100, 200, 400),
    sustain_seconds=3.0,
    kafka_throughput_messages=30_000,
    demand_events=100_000,
    demand_runs=1,
    demand_seconds=180.0,
    startup_runs=3,
)

PROFILES = {p.name: p for p in (QUICK, FULL)}
