"""The SQLite writing engine gives the results SQLite gives (its statements run on the event
loop, see test_sqlite_writes.py); a transaction that only reads does not wait for the write lock."""

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tandem_kit.db import create_engine, kit_metadata, session_factory
from tandem_kit.outbox import OutboxRelay, pending_count, stage
from tandem_kit.settings import KafkaSettings, ServiceSettings
from tandem_kit.testing.plugin import eventually
from tandem_kit.testing.samples import customer_created, make_topic

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("body", String, unique=True),
)


@pytest.fixture
async def engine(sqlite_url):
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def test_writes_and_reads_give_rows_counts_and_ids_as_sqlite_does(engine):
    async with engine.begin() as conn:
        first = await conn.execute(insert(notes).values(body="a"))
        assert first.inserted_primary_key == (1,)
        await conn.execute(insert(notes), [{"body": "b"}, {"body": "c"}, {"body": "d"}])
        changed = await conn.execute(
            update(notes).where(notes.c.id > 2).values(body=notes.c.body + "!")
        )
        assert changed.rowcount == 2
    async with engine.connect() as conn:
        rows = (await conn.execute(select(notes.c.id, notes.c.body).order_by(notes.c.id))).all()
        assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c!"), (4, "d!")]
        assert (await conn.execute(select(notes.c.id).where(notes.c.id > 9))).first() is None
        streamed = await conn.stream(select(notes.c.body).order_by(notes.c.id))
        assert [r async for r in streamed.scalars()] == ["a", "b", "c!", "d!"]


async def test_a_failed_statement_raises_and_the_connection_goes_on(engine):
    async with engine.connect() as conn:
        await conn.execute(insert(notes).values(body="same"))
        with pytest.raises(IntegrityError):
            await conn.execute(insert(notes).values(body="same"))
        await conn.rollback()
        await conn.execute(insert(notes).values(body="other"))
        await conn.commit()
        assert (await conn.execute(text("SELECT body FROM notes"))).scalars().all() == ["other"]


class _Producer:
    """Stands in for the relay's Kafka producer: every send is acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, topic, *, key, value, headers):
        self.sent.append(topic)
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_the_relay_reads_its_outbox_while_a_writer_holds_the_write_lock(sqlite_url):
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    topic = make_topic()
    async with session_factory(engine)() as session:
        await stage(session, [(topic, customer_created())])
        await session.commit()
    producer = _Producer()
    settings = ServiceSettings(kafka=KafkaSettings(create_topics=False))
    relay = OutboxRelay(settings, engine, producer_factory=lambda: producer)
    try:
        async with engine.connect() as writer:
            await writer.begin()  # BEGIN IMMEDIATE: the database's one write lock
            await writer.execute(text("SELECT 1"))
            publishing = asyncio.create_task(relay.publish_batch())
            # Published while the lock is held; marking it sent waits for the lock.
            await eventually(lambda: producer.sent == [topic.name], timeout=5)
            assert not publishing.done()
            await writer.rollback()
        assert await publishing == 1
        assert await pending_count(engine) == 0
    finally:
        await relay.close()
        await engine.dispose()
