"""Prometheus metrics shared by every service (names: tandem_<what>_<unit>)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "tandem_http_requests_total", "HTTP requests served", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "tandem_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter(
    "tandem_outbox_published_total", "Outbox rows published", ["service", "topic"]
)
OUTBOX_FAILURES = Counter(
    "tandem_outbox_publish_failures_total", "Outbox publish attempts that failed", ["service"]
)
OUTBOX_PENDING = Gauge("tandem_outbox_pending", "Outbox rows not yet published", ["service"])
EVENTS_CONSUMED = Counter(
    "tandem_events_consumed_total",
    "Events consumed by outcome",
    ["service", "group", "topic", "outcome"],
)
EVENT_HANDLING = Histogram(
    "tandem_event_handling_seconds", "Time to handle one event", ["service", "group"]
)
