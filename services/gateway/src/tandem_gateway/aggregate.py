"""Composing a read from several services: in parallel, each call bounded, the whole on a deadline.

A part that cannot be had (service down or slow, caller not allowed, upstream error) is left
out and named with the reason; the answer still comes, within the deadline. Only the primary
part (the thing the view is about) may turn the whole answer into a 403 or 404.

Several parts owned by one service may come from one call (a ``Bundle``): the service answers
each part under its name, exactly as its own endpoint would, and names the parts it left out
in ``missing``. Whatever fails the call leaves out each of its parts, with the call's reason.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from fastapi import HTTPException
from prometheus_client import Counter
from pydantic import BaseModel

from tandem_gateway.breaker import Breakers
from tandem_gateway.upstream import (
    UPSTREAM_CALLS,
    UPSTREAM_LATENCY,
    UpstreamResponse,
    Upstreams,
    UpstreamTimeout,
    UpstreamUnavailable,
    outcome_of,
)
from tandem_kit.auth import Principal
from tandem_kit.permissions import allowed

Reason = Literal[
    "unavailable",  # the service refused or dropped the connection
    "timeout",  # the call took longer than its own timeout
    "deadline",  # the answer's deadline came first
    "upstream_error",  # the service answered 5xx
    "forbidden",  # the caller's roles do not cover this part
    "not_found",  # the service answered 404
    "rejected",  # the service answered another 4xx
    "invalid_response",  # the service answered something that is not JSON
]

PARTS_MISSING = Counter(
    "tandem_gateway_aggregate_parts_missing_total",
    "Parts left out of an aggregated read, by reason",
    ["view", "part", "reason"],
)


class MissingPart(BaseModel):
    """A part the answer lacks, the service that owns it, and why."""

    part: str
    service: str
    reason: Reason
    detail: str


@dataclass(frozen=True)
class Part:
    """One upstream read: which service, which path and query, under which permission."""

    name: str
    service: str
    resource: str
    path: str = ""  # unused for a part read through a Bundle
    params: dict[str, str] = field(default_factory=dict)
    primary: bool = False


@dataclass(frozen=True)
class Bundle:
    """One upstream read answering several parts: ``{"<part>": ..., "missing": [...]}``.

    The parts the caller may read are asked for by name in the ``select`` query parameter
    (repeated); the primary part, if one, is the bundle's subject and is always answered.
    """

    service: str
    path: str
    parts: tuple[Part, ...]
    params: dict[str, str] = field(default_factory=dict)
    select: str = "parts"

    def __post_init__(self) -> None:
        for part in self.parts:
            if part.service != self.service:
                raise ValueError(f"{part.name} is owned by {part.service}, not {self.service}")


Read = Part | Bundle
Params = dict[str, str | list[str]]
REASONS = frozenset(get_args(Reason))


@dataclass
class Gathered:
    parts: dict[str, Any]  # every part by name; None where missing
    missing: list[MissingPart]
    elapsed_ms: float

    def get(self, name: str) -> Any:
        return self.parts.get(name)


@dataclass(frozen=True)
class Budget:
    part_timeout_s: float
    deadline_s: float


class _Failed(Exception):
    def __init__(self, reason: Reason, detail: str, status: int | None = None, body: Any = None):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.status = status
        self.body = body


async def _fetch(
    upstreams: Upstreams,
    part: Read,
    params: Params,
    headers: dict[str, str],
    timeout: float,
    breakers: Breakers,
) -> Any:
    paused = breakers.refusal(part.service)
    if paused is not None:
        UPSTREAM_CALLS.labels(part.service, "circuit_open").inc()
        raise _Failed("unavailable", paused)
    try:
        response = await _call(upstreams, part, params, headers, timeout)
    except BaseException:
        # Refused, timed out, or cut off by the deadline (cancelled): each counts against it.
        breakers.failed(part.service)
        raise
    if response.status >= 500:
        breakers.failed(part.service)
    else:
        breakers.succeeded(part.service)
    return _read(part, response)


async def _call(
    upstreams: Upstreams, part: Read, params: Params, headers: dict[str, str], timeout: float
) -> UpstreamResponse:
    started: float | None = None
    outcome = "error"
    try:
        # The wait for a free slot counts against the part's timeout too.
        async with asyncio.timeout(timeout), upstreams.slot(part.service) as sender:
            started = time.perf_counter()
            response = await sender.send(
                "GET",
                f"{upstreams.urls[part.service]}{part.path}",
                query=_query(params),
                headers=headers,
                body=None,
                timeout=timeout,
            )
    except (TimeoutError, UpstreamTimeout):
        outcome = "timeout"
        raise _Failed(
            "timeout", f"the {part.service} service did not answer within {timeout}s"
        ) from None
    except UpstreamUnavailable as exc:
        outcome = "unavailable"
        raise _Failed(
            "unavailable", f"the {part.service} service is unavailable ({exc.kind})"
        ) from None
    finally:
        if started is not None:
            UPSTREAM_LATENCY.labels(part.service).observe(time.perf_counter() - started)
        if outcome != "error":
            UPSTREAM_CALLS.labels(part.service, outcome).inc()
    UPSTREAM_CALLS.labels(part.service, outcome_of(response.status)).inc()
    return response


def _query(params: Params) -> list[tuple[str, str]]:
    """Query pairs, a list value repeating its name."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if isinstance(value, list):
            pairs.extend((name, v) for v in value)
        else:
            pairs.append((name, value))
    return pairs


def _read(part: Read, response: UpstreamResponse) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status
    if status >= 500:
        raise _Failed("upstream_error", f"the {part.service} service answered {status}", status)
    if status in (401, 403):
        detail = body.get("detail") if isinstance(body, dict) else None
        reason = str(detail or f"{part.service} refused ({status})")
        raise _Failed("forbidden", reason, status, body)
    if status == 404:
        raise _Failed("not_found", f"GET {part.path} answered 404", status, body)
    if status >= 400:
        raise _Failed("rejected", f"GET {part.path} answered {status}", status, body)
    if body is None:
        raise _Failed("invalid_response", f"GET {part.path} did not answer JSON", status)
    return body


async def gather(
    view: str,
    reads: list[Read],
    *,
    upstreams: Upstreams,
    principal: Principal,
    headers: dict[str, str],
    budget: Budget,
    breakers: Breakers,
) -> Gathered:
    """Fetch every part the caller may read, at once; raise only for the primary's 403/404."""
    started = time.perf_counter()
    parts = [part for read in reads for part in parts_of(read)]
    missing: list[MissingPart] = []
    results: dict[str, Any] = {part.name: None for part in parts}
    tasks: dict[asyncio.Task[Any], tuple[Read, tuple[Part, ...]]] = {}
    timeout = min(budget.part_timeout_s, budget.deadline_s)
    for read in reads:
        wanted = []
        for part in parts_of(read):
            if allowed(principal, part.resource, "read"):
                wanted.append(part)
            else:
                detail = f"the caller's roles may not read {part.resource}"
                missing.append(_missing(part, "forbidden", detail))
        if not wanted:
            continue
        params: Params = dict(read.params)
        if isinstance(read, Bundle):
            # Only the subject wanted: an empty selection means "all" to the services; the
            # extra parts are then read (each under the service's own role check) and dropped.
            params[read.select] = [p.name for p in wanted if not p.primary]
        coro = _fetch(upstreams, read, params, headers, timeout, breakers)
        tasks[asyncio.create_task(coro)] = (read, tuple(wanted))
    pending: set[asyncio.Task[Any]] = set()
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=budget.deadline_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
    for task, (read, wanted) in tasks.items():
        if task in pending:
            detail = (
                f"no answer from the {read.service} service within the "
                f"{budget.deadline_s}s deadline"
            )
            missing.extend(_missing(p, "deadline", detail) for p in wanted)
            continue
        exc = task.exception()
        if exc is None:
            if isinstance(read, Bundle):
                missing.extend(_unbundle(read, wanted, task.result(), results))
            else:
                results[read.name] = task.result()
            continue
        if not isinstance(exc, _Failed):
            detail = f"calling the {read.service} service failed: {type(exc).__name__}"
            missing.extend(_missing(p, "unavailable", detail) for p in wanted)
            continue
        if any(p.primary for p in wanted) and exc.status in (403, 404):
            body = exc.body if isinstance(exc.body, dict) else {"detail": exc.detail}
            raise HTTPException(exc.status, detail=body.get("detail", exc.detail))
        missing.extend(_missing(p, exc.reason, exc.detail) for p in wanted)
    order = {p.name: i for i, p in enumerate(parts)}
    missing.sort(key=lambda m: order[m.part])
    for m in missing:
        PARTS_MISSING.labels(view, m.part, m.reason).inc()
    return Gathered(results, missing, round((time.perf_counter() - started) * 1000, 1))


def parts_of(read: Read) -> tuple[Part, ...]:
    """The parts one read answers: itself, or each part of a bundle."""
    return read.parts if isinstance(read, Bundle) else (read,)


def _missing(part: Part, reason: Reason, detail: str) -> MissingPart:
    return MissingPart(part=part.name, service=part.service, reason=reason, detail=detail)


def _unbundle(
    bundle: Bundle, wanted: tuple[Part, ...], body: Any, results: dict[str, Any]
) -> list[MissingPart]:
    """Each part the bundle answered into ``results``; what it left out, with its reason."""
    if not isinstance(body, dict):
        detail = f"GET {bundle.path} did not answer an object"
        return [_missing(p, "invalid_response", detail) for p in wanted]
    named: dict[str, tuple[Reason, str]] = {}
    for entry in body.get("missing") or ():
        if isinstance(entry, dict) and isinstance(entry.get("part"), str):
            reason = entry.get("reason")
            named[entry["part"]] = (
                reason if reason in REASONS else "rejected",
                str(entry.get("detail") or f"the {bundle.service} service left it out"),
            )
    missing = []
    for part in wanted:
        if part.name in named:
            missing.append(_missing(part, *named[part.name]))
        elif body.get(part.name) is None:
            detail = f"GET {bundle.path} did not answer {part.name}"
            missing.append(_missing(part, "invalid_response", detail))
        else:
            results[part.name] = body[part.name]
    return missing
