"""Bounded load: closed-loop clients and fixed-rate arrivals, each capped in count and time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from bench.stats import LatencyRun

Operation = Callable[[int, int], Awaitable[None]]  # (operation index, client index)
T = TypeVar("T")
SET_UP_CLIENTS = 4  # set-up requests write SQLite: more clients only add lock waits


async def bounded(calls: Iterable[Awaitable[T]], clients: int = SET_UP_CLIENTS) -> list[T]:
    """Await ``calls`` with at most ``clients`` running at once; results in order."""
    slots = asyncio.Semaphore(clients)

    async def one(call: Awaitable[T]) -> T:
        async with slots:
            return await call

    return list(await asyncio.gather(*(one(c) for c in calls)))


@dataclass
class Errors:
    """Failed operations: a count and the first few messages (enough to diagnose)."""

    count: int = 0
    samples: list[str] = field(default_factory=list)

    def add(self, exc: BaseException) -> None:
        self.count += 1
        if len(self.samples) < 5:
            self.samples.append(f"{type(exc).__name__}: {exc}"[:300])


async def closed_loop(
    op: Operation, *, clients: int, max_ops: int, max_seconds: float, errors: Errors | None = None
) -> LatencyRun:
    """``clients`` concurrent loops run ``op`` until ``max_ops`` are started or time is up."""
    errors = errors if errors is not None else Errors()
    latencies: list[float] = []
    next_index = 0
    started = time.perf_counter()
    deadline = started + max_seconds

    async def client(client_index: int) -> None:
        nonlocal next_index
        while next_index < max_ops and time.perf_counter() < deadline:
            index = next_index
            next_index += 1
            t0 = time.perf_counter()
            try:
                await op(index, client_index)
            except Exception as exc:  # a failed operation is counted, never retried
                errors.add(exc)
                continue
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    return LatencyRun(len(latencies), errors.count, elapsed, tuple(latencies))


@dataclass(frozen=True)
class Arrival:
    index: int
    scheduled: float  # perf_counter time it was due
    started: float
    finished: float
    ok: bool


async def fixed_rate(
    op: Operation,
    *,
    rate: float,
    count: int,
    max_in_flight: int,
    max_seconds: float,
    errors: Errors | None = None,
) -> list[Arrival]:
    """Start ``op`` at ``rate`` per second (open loop) for ``count`` operations.

    At most ``max_in_flight`` run at once: when the system falls behind, arrivals queue here
    and start late, which the caller sees as ``started - scheduled``.
    """
    errors = errors if errors is not None else Errors()
    slots = asyncio.Semaphore(max_in_flight)
    arrivals: list[Arrival] = []
    start = time.perf_counter()
    deadline = start + max_seconds
    tasks: list[asyncio.Task[None]] = []

    async def one(index: int, scheduled: float) -> None:
        try:
            t0 = time.perf_counter()
            ok = True
            try:
                await op(index, index % max_in_flight)
            except Exception as exc:
                errors.add(exc)
                ok = False
            arrivals.append(Arrival(index, scheduled, t0, time.perf_counter(), ok))
        finally:
            slots.release()

    for index in range(count):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if time.perf_counter() > deadline:
            break
        await slots.acquire()
        tasks.append(asyncio.create_task(one(index, scheduled)))
    remaining = max(1.0, deadline - time.perf_counter() + 5.0)
    _done, pending = await asyncio.wait(tasks, timeout=remaining) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    return sorted(arrivals, key=lambda a: a.index)
