"""The outbox relay against a real database (SQLite and PostgreSQL) and a real broker."""

import asyncio

from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select

from tandem_kit.db import outbox_table
from tandem_kit.kafka import ensure_topics
from tandem_kit.outbox import OutboxRelay, pending_count, stage
from tandem_kit.settings import ServiceSettings
from tandem_kit.testing.plugin import eventually
from tandem_kit.testing.samples import customer_created, make_topic


async def _read_all(bootstrap: str, topic: str, count: int, timeout: float = 20.0):
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
        enable_auto_commit=False,
    )
    await consumer.start()
    records = []
    try:
        async with asyncio.timeout(timeout):
            while len(records) < count:
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def test_the_relay_publishes_committed_rows_with_cloudevents_headers_and_marks_them_sent(
    engine, sessions, kafka_settings
):
    topic = make_topic()
    await ensure_topics(kafka_settings, [topic])
    envelopes = [customer_created(f"c{i}") for i in range(20)]
    async with sessions() as session:
        await stage(session, [(topic, e) for e in envelopes])
        await session.commit()
    assert await pending_count(engine) == 20

    relay = OutboxRelay(ServiceSettings(kafka=kafka_settings), engine)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await eventually(lambda: _none_pending(engine))
    stop.set()
    await task

    records = await _read_all(kafka_settings.bootstrap_servers, topic.name, 20)
    assert sorted(dict(r.headers)["ce_id"].decode() for r in records) == sorted(
        str(e.id) for e in envelopes
    )
    for record in records:
        headers = dict(record.headers)
        assert headers["ce_type"] == b"tandem.customer.customer.created.v1"
        assert record.key == headers["ce_subject"]


async def _none_pending(engine) -> bool:
    return await pending_count(engine) == 0


async def test_a_rolled_back_transaction_leaves_nothing_to_publish(engine, sessions):
    topic = make_topic()
    async with sessions() as session:
        await stage(session, [(topic, customer_created())])
        await session.rollback()
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(outbox_table)) == 0


async def test_rows_wait_in_the_outbox_while_the_broker_is_unreachable(
    engine, sessions, kafka_settings
):
    from tandem_kit.embedded import free_port

    topic = make_topic()
    async with sessions() as session:
        await stage(session, [(topic, customer_created())])
        await session.commit()
    dead = kafka_settings.model_copy(
        update={"bootstrap_servers": f"127.0.0.1:{free_port()}", "request_timeout_ms": 1000}
    )
    relay = OutboxRelay(ServiceSettings(kafka=dead, outbox_max_backoff_ms=50), engine)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await eventually(lambda: relay._failures >= 2, timeout=20)
    stop.set()
    await task
    assert await pending_count(engine) == 1


async def test_published_rows_older_than_the_retention_are_purged(engine, sessions):
    from datetime import timedelta

    from sqlalchemy import update

    from tandem_kit.db import utcnow
    from tandem_kit.outbox import purge_published

    topic = make_topic()
    async with sessions() as session:
        await stage(session, [(topic, customer_created()) for _ in range(3)])
        await session.commit()
    async with engine.begin() as conn:
        ids = (
            (await conn.execute(select(outbox_table.c.id).order_by(outbox_table.c.id)))
            .scalars()
            .all()
        )
        await conn.execute(
            update(outbox_table)
            .where(outbox_table.c.id == ids[0])
            .values(published_at=utcnow() - timedelta(days=3))
        )
        await conn.execute(
            update(outbox_table).where(outbox_table.c.id == ids[1]).values(published_at=utcnow())
        )
    assert await purge_published(engine, timedelta(days=1)) == 1
    async with engine.connect() as conn:
        left = (
            (await conn.execute(select(outbox_table.c.id).order_by(outbox_table.c.id)))
            .scalars()
            .all()
        )
    assert left == ids[1:]  # the recent one and the pending one stay
