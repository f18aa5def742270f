"""The customer worker against a real Kafka-protocol broker and SQLite/PostgreSQL:
sales order events become customer value (once each), and SLA breaches are published once,
even across a worker restart."""

import asyncio
import uuid
from contextlib import asynccontextmanager
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaConsumer

from tandem_contracts import Envelope, Money, sales
from tandem_contracts import customer as customer_contract
from tandem_contracts.envelope import header_map
from tandem_customer.application import handlers, records
from tandem_customer.application.commands import RegisterCustomer
from tandem_customer.bootstrap import unit_of_work_factory
from tandem_customer.domain.tickets import Priority
from tandem_customer.events.consumers import CUSTOMER_VALUE_FETCH_WAIT_MS
from tandem_customer.settings import CustomerSettings, rules_of
from tandem_customer.worker import create_worker
from tandem_kit.db import create_engine, session_factory
from tandem_kit.kafka import make_producer
from tandem_kit.migrations import upgrade
from tandem_kit.testing.plugin import eventually


@pytest.fixture
async def settings(database_url, kafka_settings):
    await upgrade(database_url, "tandem_customer.db:migrations")
    return CustomerSettings(
        database_url=database_url,
        kafka=kafka_settings,
        sla_check_interval_ms=50,
        sla={"first_response_minutes": {"urgent": 0}, "resolution_minutes": {"urgent": 0}},
    )


@pytest.fixture
async def uow_factory(settings):
    engine = create_engine(settings.database_url)
    yield unit_of_work_factory(session_factory(engine), rules_of(settings))
    await engine.dispose()


@asynccontextmanager
async def running(settings):
    worker = create_worker(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def events_for(bootstrap: str, topic: str, subject: str, settle: float = 1.0) -> list:
    """Every (ce_type, payload) on ``topic`` for ``subject``, read from the beginning."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=10
    )
    await consumer.start()
    found = []
    try:
        idle = 0.0
        while idle < settle:
            batch = await consumer.getmany(timeout_ms=200)
            idle = 0.0 if batch else idle + 0.2
            for recs in batch.values():
                for r in recs:
                    headers = header_map(r.headers)
                    if headers.get("ce_subject") == subject:
                        found.append((headers, r.value))
    finally:
        await consumer.stop()
    return found


async def new_customer(uow_factory) -> uuid.UUID:
    async with uow_factory() as uow:
        c = await handlers.register_customer(
            RegisterCustomer(
                name=f"C {uuid.uuid4()}", email=None, credit_limit=Decimal(0), currency="EUR"
            ),
            uow,
        )
        await uow.commit()
    return c.id


async def test_order_events_become_customer_value_and_a_published_tier_change(
    settings, uow_factory
):
    customer_id = await new_customer(uow_factory)
    order_id = uuid.uuid4()

    def order(cls, version, status, amount, **extra):
        return Envelope.wrap(
            cls(
                order_id=order_id,
                customer_id=customer_id,
                version=version,
                status=status,
                lines=[],
                total=Money(amount=Decimal(amount), currency="EUR"),
                **extra,
            ),
            subject=str(order_id),
        )

    confirmed = order(sales.OrderConfirmed, 1, "confirmed", "60000")
    producer = make_producer(settings.kafka, "test-sales")
    await producer.start()
    async with running(settings):
        try:
            for envelope in (
                confirmed,
                confirmed,
                order(sales.OrderFulfilled, 2, "fulfilled", "60000"),
            ):
                await producer.send_and_wait(
                    sales.ORDERS.name,
                    key=str(order_id).encode(),
                    value=envelope.value(),
                    headers=envelope.headers(),
                )
        finally:
            await producer.stop()

        async def valued():
            async with uow_factory() as uow:
                row = await uow.values.get(customer_id)
            return row if row and row["order_count"] == 1 and row["tier"] == "silver" else None

        row = await eventually(valued, timeout=30)
        assert row["lifetime_revenue"] == Decimal("60000")
        published = await eventually(
            lambda: events_for(
                settings.kafka.bootstrap_servers, customer_contract.CUSTOMERS.name, str(customer_id)
            ),
            timeout=20,
        )
    tier_events = [
        h for h, _ in published if h["ce_type"] == customer_contract.CustomerTierChanged.event_type
    ]
    assert len(tier_events) == 1
    assert (
        tier_events[0]["ce_source"] == "/tandem/customer"
        and tier_events[0]["ce_specversion"] == "1.0"
    )


async def test_an_sla_breach_is_published_once_even_across_a_worker_restart(settings, uow_factory):
    customer_id = await new_customer(uow_factory)

    async def urgent_ticket() -> uuid.UUID:
        async with uow_factory() as uow:
            t = await records.raise_ticket(
                uow, customer_id=customer_id, subject="down", priority=Priority.URGENT
            )
            await uow.commit()
        return t.id

    first = await urgent_ticket()
    bootstrap = settings.kafka.bootstrap_servers
    topic = customer_contract.TICKETS.name
    breached = customer_contract.TicketSlaBreached.event_type

    async def breaches(ticket_id, count):
        found = await events_for(bootstrap, topic, str(ticket_id), settle=0.6)
        hits = [h for h, _ in found if h["ce_type"] == breached]
        return hits if len(hits) >= count else None

    async with running(settings):
        await eventually(lambda: breaches(first, 2), timeout=30)
    # A restarted worker (new process state, same database) must not publish them again.
    async with running(settings):
        second = await urgent_ticket()
        await eventually(lambda: breaches(second, 2), timeout=30)
    found = await events_for(bootstrap, topic, str(first))
    slas = sorted(v for h, v in found if h["ce_type"] == breached)
    assert len(slas) == 2  # first_response and resolution, once each
    assert b"first_response" in slas[0] + slas[1] and b"resolution" in slas[0] + slas[1]
    async with uow_factory() as uow:
        ticket = await uow.tickets.get(first)
    assert ticket.escalated and ticket.first_response_breached_at and ticket.resolution_breached_at


async def test_customer_value_reads_orders_in_fetches_that_wait_for_several(settings):
    """Customer value trails the orders: its fetches wait longer than the services' default
    (the requisitions' way keeps the short one), so each brings several orders."""
    worker = create_worker(settings)
    try:
        [consumer] = worker.consumers
        assert consumer.kafka.fetch_max_wait_ms == CUSTOMER_VALUE_FETCH_WAIT_MS
        assert CUSTOMER_VALUE_FETCH_WAIT_MS > settings.kafka.fetch_max_wait_ms
    finally:
        await worker.engine.dispose()
