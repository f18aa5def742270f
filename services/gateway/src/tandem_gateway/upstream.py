"""Calling the services: the headers that carry the caller along, and what a call cost."""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from starlette.requests import Request

from tandem_kit import context
from tandem_kit.auth import Principal
from tandem_kit.http import CORRELATION_HEADER

REQUEST_ID_HEADER = "X-Request-ID"

UPSTREAM_CALLS = Counter(
    "tandem_gateway_upstream_calls_total",
    "Calls from the gateway to a service, by outcome",
    ["service", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "tandem_gateway_upstream_duration_seconds",
    "Time a service took to answer the gateway",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)


def identity_headers(request: Request, principal: Principal) -> dict[str, str]:
    """The caller's token (services check it again), correlation and request ids."""
    headers = {
        "Authorization": f"Bearer {principal.token}",
        CORRELATION_HEADER: context.current_correlation_id(),
        "X-Forwarded-User": principal.subject,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return headers


def outcome_of(status: int) -> str:
    return f"{status // 100}xx"
