"""The Faust demand join: sales-order lines x requisition coverage, co-partitioned by SKU.

Topics: ``sales.orders.v1`` (keyed by order id) and ``procurement.requisitions.v1`` (keyed by
requisition id) are re-keyed by SKU into ``<app id>-demand-by-sku``. The order side publishes
``OrderLineDemandChanged`` (procurement.order-demand.v1, keyed by order id) as it splits an
order; one agent owns the SKU side's fact tables and publishes ``NetDemandChanged``
(procurement.demand.v1, keyed by SKU). Outputs are state. Records are CloudEvents in binary
mode: raw bytes plus headers, decoded with the contracts.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import faust
from faust.transport.drivers import aiokafka as faust_kafka
from faust.transport.producer import ProducerBuffer

from tandem_contracts import ContractViolation, Envelope, decode, sales
from tandem_contracts import procurement as own
from tandem_contracts.envelope import header_map
from tandem_kit.settings import KafkaSettings
from tandem_procurement.streams.join import DemandJoin, coverage_records, order_records

log = logging.getLogger(__name__)

APP_ID = "procurement-demand-join"
BY_SKU_SUFFIX = "demand-by-sku"  # the internal topic is "<app id>-demand-by-sku"
PARTITIONS = 6


def _consumer_thread(fetch_max_wait_ms: int) -> type:
    class ConsumerThread(faust_kafka.AIOKafkaConsumerThread):
        """Faust fixes fetch_max_wait_ms at 1500; the broker's latency setting applies instead."""

        def _create_worker_consumer(self, transport):  # type: ignore[no-untyped-def]
            consumer = super()._create_worker_consumer(transport)
            consumer._fetch_max_wait_ms = fetch_max_wait_ms
            return consumer

    return ConsumerThread


def _transport(fetch_max_wait_ms: int) -> type:
    thread = _consumer_thread(fetch_max_wait_ms)

    class Consumer(faust_kafka.Consumer):
        def _new_consumer_thread(self):  # type: ignore[no-untyped-def]
            return thread(self, loop=self.loop, beacon=self.beacon)

    class Transport(faust_kafka.Transport):
        pass

    Transport.Consumer = Consumer
    Transport.Producer = _Producer
    return Transport


class _ChangelogBuffer(ProducerBuffer):
    """Faust's buffer of table changelog records, counting what it has handed to the client."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.queued = 0
        self.handed = 0
        self._handed = asyncio.Event()

    def put(self, fut: Any) -> None:
        self.queued += 1
        super().put(fut)

    async def _send_pending(self, fut: Any) -> None:
        try:
            await super()._send_pending(fut)
        finally:
            self.handed += 1
            self._handed.set()

    async def drain(self) -> None:
        """Wait until every record queued before this call is in the client's hands.

        Raises when the buffer stopped or crashed first: the commit waiting on it must fail
        (its events are handled again), never hang or pass with records unsent.
        """
        target = self.queued
        while self.handed < target:
            if self.should_stop or self.crashed:
                raise RuntimeError(
                    f"changelog buffer stopped with {target - self.handed} record(s) unsent"
                )
            self._handed.clear()
            try:
                await asyncio.wait_for(self._handed.wait(), timeout=0.1)
            except TimeoutError:
                continue


class _Producer(faust_kafka.Producer):
    """Faust's producer with a flush that a commit can rely on.

    Faust flushes the producer before it commits offsets, so that a table change is in the
    changelog before its event counts as done. Its buffer flush gives up after 0.1 s without a
    send, and otherwise waits until the buffer is empty, which never happens while a backlog
    keeps the agents writing. The first let a commit pass records still unsent (after a crash
    the recovered table missed changes whose events were committed); the second held every
    commit, and the outputs attached to it, until the backlog was gone. This flush waits for
    exactly what was queued before it, then for the client's in-flight batches.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.app.conf.producer_threaded:
            raise ValueError("the demand join's producer is not threaded")
        buffer = _ChangelogBuffer(loop=self.loop, beacon=self.beacon)
        buffer.app = self.app
        self.buffer = buffer

    async def flush(self) -> None:
        await cast(_ChangelogBuffer, self.buffer).drain()
        if self._producer is not None:
            await self._producer.flush()


class DemandJoinApp(faust.App):
    fetch_max_wait_ms: int = 10

    def _new_transport(self):  # type: ignore[no-untyped-def]
        return _transport(self.fetch_max_wait_ms)(self.conf.broker_consumer, self)


def _credentials(kafka: KafkaSettings) -> Any:
    if kafka.security_protocol == "PLAINTEXT":
        return None
    context = None
    if kafka.security_protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(
            cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None
        )
        if kafka.ssl_certfile:
            context.load_cert_chain(
                str(kafka.ssl_certfile), str(kafka.ssl_keyfile) if kafka.ssl_keyfile else None
            )
    if kafka.security_protocol == "SSL":
        return faust.SSLCredentials(context)
    return faust.SASLCredentials(
        username=kafka.sasl_username,
        password=kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
        mechanism=kafka.sasl_mechanism,
        ssl_context=context,
    )


def build_demand_join(
    kafka: KafkaSettings,
    *,
    app_id: str = APP_ID,
    datadir: Path = Path(".data") / "faust",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> faust.App:
    """A Faust app running the demand join; broker and latency settings from ``kafka``."""
    if not app_id.startswith("procurement-"):
        raise ValueError("procurement Faust app ids start with 'procurement-'")
    session = kafka.session_timeout_ms / 1000
    (datadir / app_id).mkdir(parents=True, exist_ok=True)
    app = DemandJoinApp(
        app_id,
        broker=[f"kafka://{s.strip()}" for s in kafka.bootstrap_servers.split(",")],
        broker_credentials=_credentials(kafka),
        broker_client_id=f"{kafka.client_id_prefix}-{app_id}",
        broker_session_timeout=session,
        # As the kit's consumers (aiokafka's default): a dead member delays a rebalance by the
        # session timeout, not Faust's 60 s default.
        broker_rebalance_timeout=session,
        broker_heartbeat_interval=kafka.heartbeat_interval_ms / 1000,
        broker_request_timeout=max(kafka.request_timeout_ms / 1000, session + 1),
        # At least once without transactions: every send made while handling an event is
        # attached to its source offset, published at commit, and the commit waits for the
        # broker's ack, so a send lost in a crash or rebalance is redone, never skipped.
        # Commit often: outputs leave only at commit time.
        stream_publish_on_commit=True,
        broker_commit_interval=0.05,
        processing_guarantee="at_least_once",
        producer_acks=-1,
        store="memory://",
        topic_partitions=PARTITIONS,
        topic_replication_factor=kafka.replication_factor,
        topic_allow_declare=kafka.create_topics,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        datadir=str(datadir / app_id),
        table_cleanup_interval=3600,
    )
    app.fetch_max_wait_ms = kafka.fetch_max_wait_ms
    raw = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    orders_topic = app.topic(sales.ORDERS.name, partitions=sales.ORDERS.partitions, **raw)
    requisitions_topic = app.topic(
        own.REQUISITIONS.name, partitions=own.REQUISITIONS.partitions, **raw
    )
    demand_topic = app.topic(own.DEMAND.name, partitions=own.DEMAND.partitions, **raw)
    line_topic = app.topic(own.ORDER_DEMAND.name, partitions=own.ORDER_DEMAND.partitions, **raw)
    by_sku = app.topic(
        # Per app id, as Faust names its own internal topics: a replay under a new app id must
        # not read (and count) the live join's records, nor the live join the replay's.
        f"{app_id}-{BY_SKU_SUFFIX}",
        partitions=PARTITIONS,
        key_type=bytes,
        key_serializer="raw",
        value_serializer="json",
        internal=True,
    )
    json_schema = faust.Schema(key_type=str, key_serializer="json", value_serializer="json")

    def table(name: str, partitions: int) -> Any:
        return app.Table(name, default=None, partitions=partitions, schema=json_schema)

    orders_table = table("orders", sales.ORDERS.partitions)
    # The SKU side's facts: one entry per order line and one per requisition and SKU. Written
    # while handling a by-SKU record, so each entry's changelog partition is its SKU's partition.
    lines_table = table("demand-lines", PARTITIONS)
    covers_table = table("demand-covers", PARTITIONS)
    demand = DemandJoin(lines_table, covers_table)

    async def recovered() -> None:
        demand.invalidate()  # totals come back from the recovered facts at the next record

    lines_table.on_recover(recovered)  # recovery calls every table's callbacks: once is enough

    def _decode(topic: Any, event: faust.EventT) -> Envelope | None:
        headers = list(event.headers.items()) if isinstance(event.headers, dict) else event.headers
        attrs = header_map(headers or ())
        try:
            return decode(topic.event_class(attrs.get("ce_type", "")), headers, event.value)
        except ContractViolation as exc:
            log.warning("skipping a record that breaks its contract", extra={"error": str(exc)})
            return None

    @app.agent(orders_topic)
    async def split_orders(stream: faust.StreamT) -> None:
        async for event in stream.events():
            envelope = _decode(sales.ORDERS, event)
            if envelope is None:
                continue
            order = envelope.data
            key = str(order.order_id)
            records, entry = order_records(order, orders_table.get(key))
            for sku, record in records:
                await by_sku.send(key=sku.encode(), value=record)
                if record["moved"]:
                    # The line lives on under its new SKU, in this same version: a second
                    # output of that version could reach readers first (outputs of one event
                    # leave in no set order) and hide the line's real quantity.
                    continue
                # The per-line output needs nothing from the SKU side: it leaves from here, in
                # the order's own key and sequence, one hop earlier.
                message = own.OrderLineDemandChanged(
                    order_id=record["order_id"],
                    line_id=record["line_id"],
                    sku=sku,
                    order_version=record["v"],
                    order_status=record["status"],
                    ordered_quantity=record["ordered"],
                    open_quantity=record["open"],
                    requested_date=record["requested_date"],
                )
                await _publish(line_topic, message, key)
            if entry is not None:
                orders_table[key] = entry

    @app.agent(requisitions_topic)
    async def split_coverage(stream: faust.StreamT) -> None:
        async for event in stream.events():
            envelope = _decode(own.REQUISITIONS, event)
            if envelope is None:
                continue
            for sku, record in coverage_records(envelope.data):
                await by_sku.send(key=sku.encode(), value=record)

    @app.agent(by_sku)
    async def join(stream: faust.StreamT) -> None:
        async for event in stream.events():
            record = event.value
            state = demand.apply(record)
            if state is None:
                continue
            sku = record["sku"]
            message = own.NetDemandChanged(
                sku=sku,
                # The by-SKU offset: a SKU lives in one partition, so it grows with every change,
                # and a record handled again after a crash publishes under its first version.
                version=event.message.offset + 1,
                ordered_quantity=state["ordered"],
                covered_quantity=state["covered"],
                net_quantity=state["net"],
                as_of=clock(),
            )
            await _publish(demand_topic, message, sku)

    async def _publish(topic: Any, message: Any, subject: str) -> None:
        envelope = Envelope.wrap(message, subject=subject)
        await topic.send(key=subject.encode(), value=envelope.value(), headers=envelope.headers())

    app.demand_agents = (split_orders, split_coverage, join)  # type: ignore[attr-defined]
    return app


async def run_demand_join(app: faust.App, stop: asyncio.Event) -> None:
    """Run ``app`` inside the worker's event loop until ``stop`` is set."""
    await app.start()
    try:
        await stop.wait()
    finally:
        await app.stop()
