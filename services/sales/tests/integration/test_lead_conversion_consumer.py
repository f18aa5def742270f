"""A lead conversion delivered twice through a real broker opens exactly one opportunity."""

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from tandem_contracts import Envelope, Money
from tandem_contracts import customer as contract
from tandem_kit.db import create_engine, inbox_table
from tandem_kit.kafka import make_producer
from tandem_kit.migrations import upgrade
from tandem_kit.testing.plugin import eventually
from tandem_sales.db.tables import opportunities
from tandem_sales.settings import SalesSettings
from tandem_sales.worker import create_worker


async def _scalar(engine, stmt):
    async with engine.connect() as conn:
        return await conn.scalar(stmt)


async def test_the_same_conversion_delivered_twice_opens_one_opportunity(
    kafka_settings, sqlite_url
):
    await upgrade(sqlite_url, "tandem_sales.db:migrations")
    worker = create_worker(SalesSettings(database_url=sqlite_url, kafka=kafka_settings))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    engine = create_engine(sqlite_url)
    producer = make_producer(kafka_settings, "test-lead-producer")
    lead_id, customer_id = uuid.uuid4(), uuid.uuid4()
    converted = contract.LeadConverted(
        lead_id=lead_id,
        customer_id=customer_id,
        opportunity_name="Acme: 40 forklifts",
        estimated_amount=Money(amount="48000", currency="EUR"),
        owner="rep-7",
        converted_at=datetime.now(UTC),
    )
    envelope = Envelope.wrap(converted, subject=str(lead_id))
    # The customer service re-published the conversion (a new event id, same lead).
    republished = Envelope.wrap(converted, subject=str(lead_id))
    mine = select(func.count()).select_from(opportunities).where(opportunities.c.lead_id == lead_id)
    try:
        leads = next(c for c in worker.consumers if "customer.leads.v1" in c.subscriptions)
        await eventually(leads.ready.is_set, timeout=30)
        await producer.start()
        for e in (envelope, envelope, republished, envelope):
            await producer.send_and_wait(
                contract.LEADS.name, key=str(lead_id).encode(), value=e.value(), headers=e.headers()
            )

        handled = (
            select(func.count())
            .select_from(inbox_table)
            .where(inbox_table.c.event_id.in_([envelope.id, republished.id]))
        )
        await eventually(lambda: _both(engine, handled), timeout=30)
        assert await _scalar(engine, mine) == 1
        async with engine.connect() as conn:
            row = (
                await conn.execute(select(opportunities).where(opportunities.c.lead_id == lead_id))
            ).one()
        assert (row.customer_id, row.owner, row.stage, row.name) == (
            customer_id,
            "rep-7",
            "qualification",
            "Acme: 40 forklifts",
        )
    finally:
        stop.set()
        await producer.stop()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()


async def _both(engine, stmt) -> bool:
    return await _scalar(engine, stmt) == 2
