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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust

from tandem_contracts import ContractViolation, Envelope, decode, sales
from tandem_contracts import procurement as own
from tandem_contracts.envelope import header_map
from tandem_kit.settings import KafkaSettings
from tandem_kit.streams import KafkaApp
from tandem_procurement.streams.join import DemandJoin, coverage_records, order_records

log = logging.getLogger(__name__)

APP_ID = "procurement-demand-join"
BY_SKU_SUFFIX = "demand-by-sku"  # the internal topic is "<app id>-demand-by-sku"
PARTITIONS = 6


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
        # Commit often: outputs leave only at commit time.
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
