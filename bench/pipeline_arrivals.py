"""The pipeline's arrival side: the catalog and supplier it needs, the orders, the watcher.

Orders reach ``sales.orders.v1`` either as sales publishes them (``kafka``: the same contract
classes, CloudEvents envelope, topic, key and versions: a draft as OrderChanged v1, its
confirmation as OrderConfirmed v2) or through the sales API via the gateway (``http``: create,
then confirm). The watcher reads the topics each hop writes (bench.pipeline_trace).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench import api
from bench.load import bounded
from bench.pipeline_trace import WATCHED, Traces
from tandem_contracts import Envelope
from tandem_contracts import sales as contract
from tandem_contracts.events import Money
from tandem_kit.kafka import client_options
from tandem_kit.settings import KafkaSettings

PRICE = Decimal("12.50")
QUANTITY = Decimal(10)


@dataclass(frozen=True)
class Catalog:
    """Products orders may name, and the approved supplier offering each of them."""

    skus: tuple[str, ...]
    supplier_id: str


async def _post(gw: httpx.AsyncClient, headers: dict[str, str], path: str, body=None) -> dict:
    response = await gw.post(path, headers=headers, json=body)
    if response.status_code not in (200, 201):
        raise api.ApiError(f"POST {path}", response)
    return response.json()


async def prepare_catalog(gw: httpx.AsyncClient, headers: dict[str, str], skus: int) -> Catalog:
    """``skus`` products and one approved supplier with an offer for each, via the gateway."""
    run_id = uuid.uuid4().hex[:6].upper()
    names = tuple(f"BP-{run_id}-{i:03d}" for i in range(skus))
    supplier = await _post(gw, headers, "/api/v1/suppliers", {
        "name": f"Bench parts {run_id}", "legal_id": f"BENCH-{run_id}", "categories": ["parts"],
    })
    sid = supplier["id"]
    await _post(gw, headers, f"/api/v1/suppliers/{sid}/submit")
    await _post(gw, headers, f"/api/v1/suppliers/{sid}/approve")
    await bounded([api.create_product(gw, headers, sku) for sku in names])
    await bounded([
        _post(gw, headers, f"/api/v1/suppliers/{sid}/offers", {
            "sku": sku, "unit_price": {"amount": "9.00", "currency": "EUR"},
            "lead_time_days": 5, "minimum_order_quantity": "1",
        })
        for sku in names
    ])
    return Catalog(names, sid)


@dataclass
class Order:
    """One order of one line, as the arrival process knows it."""

    order_id: uuid.UUID
    customer_id: uuid.UUID
    line_id: uuid.UUID
    sku: str
    http: dict[str, Any] | None = None  # the draft as the API answered (http arrivals)


def new_orders(catalog: Catalog, customers: list[dict[str, Any]], count: int) -> list[Order]:
    return [
        Order(uuid.uuid4(), uuid.UUID(customers[i % len(customers)]["id"]), uuid.uuid4(),
              catalog.skus[i % len(catalog.skus)])
        for i in range(count)
    ]


def order_event(order: Order, *, confirmed: bool) -> Envelope[contract.OrderSnapshot]:
    """The event sales publishes for the draft (v1) or its confirmation (v2)."""
    requested = date.today() + timedelta(days=30)
    state = {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "version": 2 if confirmed else 1,
        "status": "confirmed" if confirmed else "draft",
        "lines": [contract.OrderLine(
            line_id=order.line_id, sku=order.sku, quantity=QUANTITY,
            unit_price=Money(amount=PRICE, currency="EUR"), requested_date=requested,
        )],
        "total": Money(amount=PRICE * QUANTITY, currency="EUR"),
        "owner": "bench",
        "confirmed_at": datetime.now(UTC) if confirmed else None,
    }
    event = contract.OrderConfirmed(**state) if confirmed else contract.OrderChanged(**state)
    return Envelope.wrap(event, subject=str(order.order_id), correlation_id=str(uuid.uuid4()))


async def publish(producer: Any, order: Order, *, confirmed: bool) -> Any:
    """Queue the order's event on sales.orders.v1 (keyed by order id); returns the ack future."""
    envelope = order_event(order, confirmed=confirmed)
    return await producer.send(
        contract.ORDERS.name, envelope.value(), key=str(order.order_id).encode(),
        headers=envelope.headers(),
    )


async def http_drafts(
    gw: httpx.AsyncClient, headers: dict[str, str], orders: list[Order]
) -> None:
    """Create the drafts through the gateway; the sales service assigns ids and line ids."""

    async def one(order: Order) -> None:
        draft = await api.create_order(gw, headers, str(order.customer_id), order.sku)
        order.http = draft
        order.order_id = uuid.UUID(draft["id"])
        order.line_id = uuid.UUID(draft["lines"][0]["line_id"])

    await bounded([one(o) for o in orders])


class Watcher:
    """Reads the watched topics from their current end (no group) into ``traces``."""

    def __init__(self, kafka: KafkaSettings, traces: Traces) -> None:
        options = client_options(kafka, "bench-pipeline-watch")
        options.pop("request_timeout_ms")
        self._consumer = AIOKafkaConsumer(
            **options, enable_auto_commit=False, fetch_max_wait_ms=kafka.fetch_max_wait_ms
        )
        self.traces = traces
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 30.0) -> None:
        consumer = self._consumer
        await consumer.start()
        deadline = time.monotonic() + timeout
        tps: list[TopicPartition] = []
        for topic in WATCHED:
            while not (parts := consumer.partitions_for_topic(topic)):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"topic {topic} has no partitions")
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
            tps += [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the end offsets now, before anything is sent
            await consumer.position(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200, max_records=2000)
            received = time.time()
            for records in batches.values():
                for r in records:
                    self.traces.observe(r.topic, r.value, list(r.headers or ()), r.timestamp,
                                        received)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self._consumer.stop()
