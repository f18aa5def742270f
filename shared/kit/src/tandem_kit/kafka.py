"""Kafka clients configured from settings, and topic creation from the registry."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from tandem_contracts import REGISTRY, Topic
from tandem_kit.settings import KafkaSettings

log = logging.getLogger(__name__)


def client_options(settings: KafkaSettings, client_id: str) -> dict[str, object]:
    """Connection and security options common to producers, consumers and admin clients."""
    options: dict[str, object] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": f"{settings.client_id_prefix}-{client_id}",
        "security_protocol": settings.security_protocol,
        "request_timeout_ms": settings.request_timeout_ms,
    }
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(
            cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None
        )
        if settings.ssl_certfile:
            context.load_cert_chain(
                str(settings.ssl_certfile),
                str(settings.ssl_keyfile) if settings.ssl_keyfile else None,
            )
        options["ssl_context"] = context
    if settings.security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = (
            settings.sasl_password.get_secret_value() if settings.sasl_password else None
        )
    return options


def make_producer(settings: KafkaSettings, client_id: str) -> AIOKafkaProducer:
    """acks=all always; idempotence only where the broker supports it (a setting)."""
    return AIOKafkaProducer(
        **client_options(settings, client_id),
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        linger_ms=1,
    )


def make_consumer(
    settings: KafkaSettings, group_id: str, topics: Iterable[str], **overrides: object
) -> AIOKafkaConsumer:
    options = client_options(settings, group_id)
    options.pop("request_timeout_ms")
    return AIOKafkaConsumer(
        *topics,
        **options,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        isolation_level="read_uncommitted",
        **overrides,
    )


class IdleFetchWait:
    """A consumer's fetch wait that grows while its polls find nothing.

    The embedded broker holds every fetch for the whole wait even when records arrive, so a
    short wait is what keeps each hop fast, and every idle consumer then sends a fetch each
    ``fetch_max_wait_ms`` (with ten of them, an idle system's broker used half a core). After a
    poll that brought nothing, the wait doubles up to ``fetch_idle_max_wait_ms``; the first poll
    with records brings it back. Kafka answers a fetch as soon as records arrive, so there a
    longer wait costs no latency at all.
    """

    def __init__(self, consumer: AIOKafkaConsumer, settings: KafkaSettings) -> None:
        self._consumer = consumer
        self.base = settings.fetch_max_wait_ms
        self.ceiling = max(settings.fetch_idle_max_wait_ms, self.base)
        self.current = self.base

    def polled(self, found: bool) -> None:
        """Record what a poll brought; the consumer's next fetches use the resulting wait."""
        wait = self.base if found else min(self.current * 2, self.ceiling)
        fetcher = getattr(self._consumer, "_fetcher", None)  # aiokafka's, once started
        if wait != self.current and fetcher is not None:
            fetcher._fetch_max_wait_ms = self.current = wait


def caught_up(
    consumer: AIOKafkaConsumer, batches: Mapping[Any, Sequence[Any]], *, behind: int = 500
) -> bool:
    """Whether a poll found a reader at the end of its partitions: fewer than ``behind`` records
    in all, and none of their partitions known to hold a record past the last one handed out.

    Ask right after the poll, before its records are handled: what the client knows then is
    what the fetch that brought them saw, so records that arrive while they are handled do not
    count (a reader that keeps up with a flowing topic is at the end). A fetch the broker cut
    short by size (the embedded broker sent 355 of a backlog's last 700 records) leaves the
    reader behind, however few records are left: it reads on at once. A reader that gathers
    (pauses between polls) does so only when caught up; behind (after an outage, a redeploy, a
    burst) it reads on at once. ``behind`` is at least the poll's ``max_records``: a poll that
    limit cut short counts as behind (the embedded broker may report a partition's end as the
    start of its last record batch, inside which such a poll can stop)."""
    if sum(len(records) for records in batches.values()) >= behind:
        return False
    for tp, records in batches.items():
        end = consumer.highwater(tp)
        if records and end is not None and end > records[-1].offset + 1:
            return False
    return True


def dlq_topic(group_id: str) -> str:
    return f"{group_id}.dlq"


class PartitionMismatch(RuntimeError):
    """A topic exists with another partition count than its contract gives it."""


async def check_partitions(
    settings: KafkaSettings, topics: Iterable[Topic], *, timeout: float = 30.0
) -> None:
    """Raise ``PartitionMismatch`` naming every topic that exists with another partition
    count than its contract's; topics not there yet pass (they are created as the contract says).

    For readers that place records by partition themselves (a join's tables and outputs are
    partitioned like its inputs): with another count they would write where no reader looks.
    """
    wanted = {t.name: t.partitions for t in topics}
    admin = AIOKafkaAdminClient(**client_options(settings, "admin"))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        present = [name for name in await admin.list_topics() if name in wanted]
        described = await admin.describe_topics(present) if present else []
    finally:
        await admin.close()
    for unknown in (d for d in described if d["error_code"]):
        log.warning(
            "could not read a topic's partition count; not checked",
            extra={"topic": unknown["topic"], "error_code": unknown["error_code"]},
        )
    wrong = [
        f"{d['topic']} has {len(d['partitions'])} partitions, its contract {wanted[d['topic']]}"
        for d in described
        if not d["error_code"] and len(d["partitions"]) != wanted[d["topic"]]
    ]
    if wrong:
        raise PartitionMismatch(
            "; ".join(sorted(wrong))
            + ": give these topics their contracts' partition counts (tandem_contracts.topics)"
        )


async def ensure_topics(
    settings: KafkaSettings,
    topics: Iterable[Topic] | None = None,
    extra: Iterable[str] = (),
    *,
    timeout: float = 30.0,
) -> None:
    """Create the registry's topics (and extra names, e.g. DLQs) where they are missing."""
    wanted = [
        NewTopic(
            t.name,
            t.partitions,
            settings.replication_factor,
            topic_configs={"retention.ms": str(t.retention_ms)},
        )
        for t in (REGISTRY if topics is None else topics)
    ] + [NewTopic(name, 1, settings.replication_factor) for name in extra]
    admin = AIOKafkaAdminClient(**client_options(settings, "admin"))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        for topic in missing:  # one at a time: a racing creator must not fail the rest
            try:
                await admin.create_topics([topic])
            except TopicAlreadyExistsError:
                pass
        if missing:
            log.info("created topics", extra={"topics": [t.name for t in missing]})
    finally:
        await admin.close()
