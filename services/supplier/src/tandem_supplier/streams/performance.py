"""The performance stream: purchase orders, receipts and contract prices, joined per supplier.

Topology (app id ``supplier-performance``):

1. ``route`` reads ``procurement.purchase-orders.v1`` and ``procurement.contracts.v1`` (keyed by
   purchase order / contract id), decodes each CloudEvent into a performance fact and re-sends it
   keyed by supplier id to the internal topic ``supplier-performance-facts``.
2. ``score`` reads that topic; the table ``supplier-performance-state`` (changelogged, keyed by
   supplier id) holds each supplier's orders (latest snapshot by version), receipts (by receipt
   id) and contract prices. Applying a fact is idempotent, so at-least-once redelivery and replay
   give the same state and the same score.
3. After each fact the agent computes the score (a pure domain function) and hands the result to
   the application layer (``on_result``), which stores the scorecard through the unit of work;
   ScorecardUpdated and StandingChanged leave through the outbox, and only when they changed.

The hand-over is after the join and the formula on purpose: Faust tables cannot share a
transaction with the service database, so the stream keeps only what it can rebuild from its
changelog, and everything published goes through one database transaction (state + outbox).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
from prometheus_client import Counter

from tandem_contracts.consumers import group
from tandem_contracts.envelope import ContractViolation
from tandem_kit.kafka import ensure_topics
from tandem_kit.settings import KafkaSettings
from tandem_kit.streams import KafkaApp, run_app
from tandem_supplier.domain import performance
from tandem_supplier.domain.scoring import ScoreResult, ScoringPolicy, score
from tandem_supplier.streams.facts import TOPICS, decode_fact, encode_fact, to_fact

log = logging.getLogger("tandem.supplier.performance")

PERFORMANCE_GROUP = "supplier-performance"
FACTS_SCORED = Counter(
    "tandem_supplier_performance_facts_total",
    "Performance facts folded into supplier state and scored",
    ["kind"],
)
DEAD_LETTERS = Counter(
    "tandem_supplier_performance_dead_letters_total",
    "Procurement records the performance stream could not decode (sent to its DLQ)",
)
OnResult = Callable[[uuid.UUID, ScoreResult], Awaitable[None]]


@dataclass
class PerformanceStream:
    """The Faust app, its agents and table, built for one set of settings."""

    app: faust.App
    route: Any
    score: Any
    table: Any
    facts: Any
    dead_letters: Any
    kafka: KafkaSettings | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Run the Faust app as a worker task until ``stop`` is set."""
        if self.kafka is not None and self.kafka.create_topics:
            # Source topics must exist before Faust subscribes, or its consumer waits for the
            # next metadata refresh (minutes) before it reads anything on a fresh cluster.
            await ensure_topics(self.kafka, group(PERFORMANCE_GROUP).topics)
        await run_app(self.app, stop, name="performance stream")


def build_performance_stream(
    *,
    app_id: str,
    kafka: KafkaSettings,
    policy: ScoringPolicy,
    on_result: OnResult,
    partitions: int = 6,
    data_dir: Path | None = None,
) -> PerformanceStream:
    """Build (not start) the Faust app; ``on_result`` stores each computed scorecard."""
    # Topics and dead-letter topic come from the group declared in the contracts; the app id
    # itself may carry a suffix (one app per environment or test run) but keeps the prefix.
    declared = group(PERFORMANCE_GROUP)
    if not app_id.startswith(PERFORMANCE_GROUP):
        raise ValueError(f"the performance app id must start with {PERFORMANCE_GROUP!r}")
    app = KafkaApp(
        app_id,
        kafka=kafka,
        store="memory://",  # the changelog topic is the durable copy of the table
        web_enabled=False,
        datadir=str(data_dir) if data_dir else None,
        topic_partitions=partitions,
        autodiscover=False,
        table_cleanup_interval=3600.0,
        # Sends made while handling an event (the re-keying by supplier) are published at
        # commit and the commit waits for them: nothing is skipped after a crash or rebalance.
        stream_publish_on_commit=True,
        broker_commit_interval=0.1,
        # As before the kit took over the wiring: internal topics are always declared, and a
        # rebalance waits up to twice the session for the members.
        topic_allow_declare=True,
        broker_rebalance_timeout=max(kafka.session_timeout_ms / 1000 * 2, 10.0),
    )
    source = app.topic(
        *(t.name for t in declared.topics), key_type=bytes, value_type=bytes,
        key_serializer="raw", value_serializer="raw", acks=True,
    )  # fmt: skip
    assert set(source.topics) <= set(TOPICS)
    facts = app.topic(
        f"{app_id}-facts", key_type=bytes, value_type=bytes, key_serializer="raw",
        value_serializer="raw", partitions=partitions, internal=True,
    )  # fmt: skip
    dead_letters = app.topic(
        declared.dead_letter_topic, key_type=bytes, value_type=bytes, key_serializer="raw",
        value_serializer="raw", partitions=1, internal=True,
    )  # fmt: skip
    table = app.Table(
        "state", default=None, partitions=partitions,
        schema=faust.Schema(key_serializer="json", value_serializer="json"),
    )  # fmt: skip

    async def route(stream):
        """Decode, then re-key by supplier id (the join needs one supplier's facts together)."""
        async for event in stream.events():
            message = event.message
            try:
                fact = to_fact(message.headers or [], event.value)
            except ContractViolation as exc:
                log.warning(
                    "dead-lettering a record", extra={"topic": message.topic, "error": str(exc)}
                )
                await dead_letters.send(
                    key=event.key, value=event.value,
                    headers=[*(message.headers or []), ("dlq_error", str(exc).encode()[:1000])],
                )  # fmt: skip
                continue
            if fact is not None:
                await facts.send(key=fact.supplier_id.encode(), value=encode_fact(fact))

    async def score_facts(stream):
        """Fold each fact into the supplier's state, score it, hand the result over."""
        async for key, raw in stream.items():
            supplier_id = key.decode() if isinstance(key, bytes) else str(key)
            fact = decode_fact(raw)
            state = performance.apply(table.get(supplier_id), fact)
            table[supplier_id] = state
            as_of = performance.latest_evidence(state)
            if as_of is not None:  # contract terms alone are no evidence yet
                await on_result(uuid.UUID(supplier_id), score(state, policy, as_of))
            FACTS_SCORED.labels(kind=type(fact).__name__).inc()

    route_agent = app.agent(source, name=f"{app_id}.route")(route)
    score_agent = app.agent(facts, name=f"{app_id}.score")(score_facts)
    return PerformanceStream(app, route_agent, score_agent, table, facts, dead_letters, kafka)
