"""The Faust demand join: sales-order lines x requisition coverage, co-partitioned by SKU.

Topics: ``sales.orders.v1`` (keyed by order id) and ``procurement.requisitions.v1`` (keyed by
requisition id) are re-keyed by SKU into ``<app id>-demand-by-sku``. The order side publishes
``OrderLineDemandChanged`` (procurement.order-demand.v1, keyed by order id) as it splits an
order; one agent owns the SKU side's fact tables and publishes ``NetDemandChanged``
(procurement.demand.v1, keyed by SKU). Outputs are state. Records are CloudEvents in binary
mode: raw bytes plus headers, decoded with the contracts.

The order split handles order events in batches (up to ``SPLIT_BATCH`` events, or what arrives
within ``SPLIT_WITHIN`` seconds of the batch's first, of any input partitions; kit
``take_batches``): one by-SKU record per by-SKU
partition (a pack of every fact of the batch, see ``join.pack``) and one per-line output per
order line, its latest version. Requisition events are split into packs the same way. Per
record, Faust's send path, commit bookkeeping and the consumer cost as much as the join itself:
packs cut the by-SKU records and their consumption by the size of a pack, and the SKU side
publishes one state per SKU and pack. Each by-SKU record is also a batch the embedded broker
keeps, and its reads slow down with every batch a partition holds (docs/performance.md,
finding 23).

Table writes go through ``TableWrites`` (kit): each agent's changelog records leave as record
batches, one per changelog partition, before it asks for its next batch of events, where Faust
sent one record per write through its buffer (docs/performance.md, finding 27).

Packs and per-line outputs leave at once (``KafkaApp.send_at_once``, and
``send_records_at_once`` for a batch's per-line outputs of one partition), not at the next commit:
the per-line outputs are on the way from a confirmed order to its requisition, which a busy
event loop can hold back by well over the commit interval (docs/performance.md, finding 18),
and a pack sums up events of several input partitions, which a send attached to one event's
offset cannot cover. At least once still holds: every commit after the send waits for its
delivery and fails if it failed, so the batch's events are handled again (a pack or output
sent twice changes nothing: each fact and output carries its version).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust
import faust.streams
from aiokafka.partitioner import DefaultPartitioner
from faust.serializers import codecs

from tandem_contracts import ContractViolation, Envelope, decode, sales
from tandem_contracts import procurement as own
from tandem_contracts.envelope import header_map
from tandem_kit.kafka import check_partitions
from tandem_kit.settings import KafkaSettings
from tandem_kit.streams import KafkaApp, TableWrites, run_app, take_batches
from tandem_procurement.streams.join import (
    DemandJoin,
    coverage_records,
    order_records,
    pack,
    unpack,
)

log = logging.getLogger(__name__)

APP_ID = "procurement-demand-join"
BY_SKU_SUFFIX = "demand-by-sku"  # the internal topic is "<app id>-demand-by-sku"
PARTITIONS = 6
# Topics whose partitions the join assumes as their contracts give them: its orders table's
# changelog takes each order event's partition, and it places per-line outputs itself.
PARTITIONED_BY_HAND = (sales.ORDERS, own.ORDER_DEMAND)
SPLIT_BATCH = 500  # order events split at once, at most
SPLIT_WITHIN = 0.01  # seconds a batch waits for more events (a quiet stream's added latency)
JOIN_BATCH = 200  # by-SKU records the SKU side applies before it publishes, at most
# Seconds the SKU side gathers by-SKU records before it publishes each SKU's state once: net
# demand is not on the way from an order to its requisition (the per-line outputs are), so it
# can wait for more changes to the same SKU and publish fewer, later states (half a second: a
# fifth of the states at 100 ms under order intake, for a view that lags by that much more;
# docs/performance.md, finding 29).
JOIN_WITHIN = 0.5


class _ByKeyPartition:
    """The by-SKU partition of a SKU: the producer's default partitioner on the SKU's bytes, so
    that a pack lands where each of its SKUs always lived (records were keyed by SKU)."""

    def __init__(self, partitions: int) -> None:
        self._all = list(range(partitions))
        self._partitioner = DefaultPartitioner()
        self._known: dict[str, int] = {}

    def __call__(self, sku: str) -> int:
        partition = self._known.get(sku)
        if partition is None:
            partition = self._partitioner(sku.encode(), self._all, self._all)
            self._known[sku] = partition
        return partition


@contextmanager
def _handling(event: faust.EventT) -> Iterator[None]:
    """Make ``event`` Faust's current event in this task while a batch handles it: a send is
    attached to its offset (the SKU side's net demand, published at the commit that covers it).

    Faust's own stream iterator sets the same context variable per event; only the task's
    context changes here (the stream's ``current_event`` attribute belongs to its iterator).
    """
    token = faust.streams._current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        faust.streams._current_event.reset(token)


def _by_partition(events: list[faust.EventT]) -> list[list[faust.EventT]]:
    """A batch's events grouped by their input partition, each group in offset order."""
    by_tp: dict[Any, list[faust.EventT]] = {}
    for event in events:
        by_tp.setdefault(event.message.tp, []).append(event)
    return list(by_tp.values())


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
    (datadir / app_id).mkdir(parents=True, exist_ok=True)
    app = KafkaApp(
        app_id,
        kafka=kafka,
        # At least once without transactions: every send made while handling an event is
        # attached to its source offset, published at commit, and the commit waits for the
        # broker's ack, so a send lost in a crash or rebalance is redone, never skipped.
        # Commit often: net demand leaves only at commit time (packs and per-line outputs
        # leave at once, and each commit waits for them).
        stream_publish_on_commit=True,
        broker_commit_interval=0.05,
        store="memory://",
        topic_partitions=PARTITIONS,
        web_enabled=False,
        datadir=str(datadir / app_id),
        table_cleanup_interval=3600,
    )
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
    # Each agent's table writes leave as record batches, one per changelog partition, before
    # it asks for its next batch of events (TableWrites): Faust's one send per write cost more
    # than the rest of the join's work per event.
    order_writes = TableWrites(app)
    fact_writes = TableWrites(app)
    facts_partition = [0]  # the by-SKU partition being applied: its facts' changelog partition
    demand = DemandJoin(
        fact_writes.view(lines_table, lambda: facts_partition[0]),
        fact_writes.view(covers_table, lambda: facts_partition[0]),
    )

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

    partition_of = _ByKeyPartition(PARTITIONS)
    line_partitions = list(range(own.ORDER_DEMAND.partitions))
    line_partitioner = DefaultPartitioner()  # the per-line outputs are keyed by order id

    @app.agent(orders_topic)
    async def split_orders(stream: faust.StreamT) -> None:
        async for events in take_batches(stream, SPLIT_BATCH, SPLIT_WITHIN):
            await _split_batch(events)

    async def _split_batch(events: list[faust.EventT]) -> None:
        """Split a batch of order events (of any input partitions): one pack per by-SKU
        partition and one output per order line, all sent at once."""
        records: list[tuple[str, dict]] = []
        lines: dict[tuple[str, str], tuple[str, dict]] = {}
        for event in events:
            envelope = _decode(sales.ORDERS, event)
            if envelope is None:
                continue
            order = envelope.data
            key = str(order.order_id)
            found, entry = order_records(order, orders_table.get(key))
            if entry is not None:
                order_writes.set(orders_table, key, entry, partition=event.message.partition)
            records.extend(found)
            for sku, record in found:
                if record["moved"]:
                    # The line lives on under its new SKU, in this same version: a second
                    # output of that version could reach readers first (outputs of one event
                    # leave in no set order) and hide the line's real quantity.
                    continue
                known = lines.get((record["order_id"], record["line_id"]))
                if known is None or record["v"] > known[1]["v"]:
                    lines[(record["order_id"], record["line_id"])] = (sku, record)
        await order_writes.send()
        if not records:
            return
        await _send_packs(records)
        outputs: dict[int, list[tuple[bytes, bytes, Any]]] = {}
        for sku, record in lines.values():
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
            envelope = Envelope.wrap(message, subject=record["order_id"])
            key = record["order_id"].encode()
            partition = line_partitioner(key, line_partitions, line_partitions)
            outputs.setdefault(partition, []).append((key, envelope.value(), envelope.headers()))
        for partition, batch in outputs.items():
            await app.send_records_at_once(line_topic.get_topic_name(), partition, batch)

    by_sku_name = by_sku.get_topic_name()

    async def _send_packs(records: list[tuple[str, dict]]) -> None:
        """One pack per by-SKU partition, sent at once: every later commit waits for it, so it
        is covered whichever input partition the commit moves (an attached send is published
        with one input partition's offset, which took one pack per input partition and
        by-SKU partition: six times the records, each a fetch and a stored batch more)."""
        for partition, facts in pack(records, partition_of).items():
            # Keyed by a SKU of the pack: every SKU in it hashes to this partition.
            await app.send_at_once(
                by_sku_name,
                key=facts[0]["sku"].encode(),
                value=codecs.dumps("json", {"records": facts}),
                partition=partition,
            )

    @app.agent(requisitions_topic)
    async def split_coverage(stream: faust.StreamT) -> None:
        # In batches as the orders: one pack per by-SKU partition for the requisition events
        # of a batch.
        async for events in take_batches(stream, SPLIT_BATCH, SPLIT_WITHIN):
            records: list[tuple[str, dict]] = []
            for event in events:
                envelope = _decode(own.REQUISITIONS, event)
                if envelope is not None:
                    records.extend(coverage_records(envelope.data))
            if records:
                await _send_packs(records)

    @app.agent(by_sku)
    async def join(stream: faust.StreamT) -> None:
        async for events in take_batches(stream, JOIN_BATCH, JOIN_WITHIN):
            for tp_events in _by_partition(events):
                await _join_batch(tp_events)

    async def _join_batch(events: list[faust.EventT]) -> None:
        """Apply the packs of one by-SKU partition; each SKU's state after all of them is
        attached to the last, so it leaves at the commit that covers every pack behind it."""
        # A SKU's version is the by-SKU offset of the last pack that moved it (+1): a SKU lives
        # in one partition, so it grows with every change, and a batch handled again after a
        # crash publishes each state under the version it had.
        versions: dict[str, int] = {}
        facts_partition[0] = events[0].message.partition  # the facts' changelog partition
        for event in events:
            for sku in demand.apply_records(unpack(event.value)):
                versions[sku] = event.message.offset + 1
        await fact_writes.send()
        with _handling(events[-1]):
            for sku, state in demand.to_publish(versions):
                message = own.NetDemandChanged(
                    sku=sku,
                    version=versions[sku],
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


async def run_demand_join(app: KafkaApp, stop: asyncio.Event) -> None:
    """Run ``app`` inside the worker's event loop until ``stop`` is set; raises if it crashes
    (the worker then stops, and its supervisor restarts it), or before it starts when a topic
    it partitions by hand has another partition count than its contract."""
    await check_partitions(app.kafka, PARTITIONED_BY_HAND)
    await run_app(app, stop, name="demand join")
