"""SQLite writes: a transaction's statements run on the event loop's thread, the waits do not;
results are what SQLite gives; a transaction that only reads does not wait for the write lock."""

import asyncio
import sqlite3
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_kit import db
from tandem_kit.db import WritingSqliteConnection, create_engine, kit_metadata, session_factory
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


async def _loop_turns_while(waiting: asyncio.Task) -> None:
    """The event loop keeps turning (20 ticks of 10 ms within 5 s) while ``waiting`` waits."""
    ticks = 0
    async with asyncio.timeout(5):
        while ticks < 20:
            await asyncio.sleep(0.01)
            ticks += 1
    assert not waiting.done()


def _path(engine: AsyncEngine) -> str:
    assert engine.url.database
    return engine.url.database


async def test_a_transaction_in_wal_mode_runs_on_the_event_loop_thread_commit_included(engine):
    handed: list[str] = []
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert isinstance(raw, WritingSqliteConnection)
        queue = raw._tx

        class Recording:
            def put_nowait(self, item):
                call = item[1]  # functools.partial(method, *args)
                handed.append(" ".join([call.func.__name__, *map(str, call.args[:1])]))
                queue.put_nowait(item)

        raw._tx = Recording()
        await conn.commit()  # end the transaction the raw connection lookup began
        handed.clear()
        async with conn.begin():
            await conn.execute(insert(notes).values(id=1, body="one"))
            await conn.execute(insert(notes).values(id=2, body="two"))
            assert (
                await conn.execute(select(notes.c.body).order_by(notes.c.id))
            ).scalars().all() == [
                "one",
                "two",
            ]
        raw._tx = queue
    # BEGIN IMMEDIATE found the write lock free; COMMIT in WAL mode needs no other lock.
    assert handed == []
    other = sqlite3.connect(_path(engine))
    try:  # committed: another connection reads the rows
        assert other.execute("SELECT body FROM notes ORDER BY id").fetchall() == [("one",), ("two",)]
    finally:
        other.close()


async def test_a_commit_that_needs_a_lock_another_connection_holds_waits_on_the_thread(engine):
    """Outside WAL mode a COMMIT needs the exclusive lock: a reader of another connection holds
    it back, and the wait is on the connection's thread, never on the event loop."""
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await conn.commit()
        raw._connection.execute("PRAGMA journal_mode=DELETE")  # outside SQLAlchemy's autobegin
        raw._wal = None  # the connection looks at its journal mode again
        reader = sqlite3.connect(_path(engine), isolation_level=None)
        try:
            await conn.begin()
            await conn.execute(insert(notes).values(id=1, body="one"))
            reader.execute("BEGIN")
            assert reader.execute("SELECT count(*) FROM notes").fetchone() == (0,)  # a shared lock
            committing = asyncio.create_task(conn.commit())
            await _loop_turns_while(committing)
            reader.execute("COMMIT")
            async with asyncio.timeout(5):
                await committing
            assert reader.execute("SELECT body FROM notes").fetchall() == [("one",)]
        finally:
            reader.close()
            raw._connection.execute("PRAGMA journal_mode=WAL")
            raw._wal = None


async def test_waiting_for_another_writer_leaves_the_event_loop_free(engine):
    other = sqlite3.connect(_path(engine), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's writer holds the write lock
    other.execute("INSERT INTO notes (id, body) VALUES (1, 'theirs')")

    async def write() -> None:
        async with session_factory(engine)() as session:
            await session.execute(insert(notes).values(id=2, body="ours"))
            await session.commit()

    writing = asyncio.create_task(write())
    await _loop_turns_while(writing)
    other.execute("COMMIT")
    async with asyncio.timeout(5):
        await writing
    other.close()
    async with engine.connect() as conn:
        assert (await conn.execute(select(notes.c.body).order_by(notes.c.id))).scalars().all() == [
            "theirs",
            "ours",
        ]


async def test_a_failed_statement_rolls_back_and_the_connection_still_works(engine):
    sessions = session_factory(engine)
    async with sessions() as session:
        await session.execute(insert(notes).values(id=1, body="one"))
        await session.commit()
    with pytest.raises(IntegrityError):
        async with sessions() as session:
            await session.execute(insert(notes).values(id=5, body="kept?"))
            await session.execute(insert(notes).values(id=1, body="duplicate"))
    async with sessions() as session:
        assert (await session.execute(select(notes.c.id))).scalars().all() == [1]
        await session.execute(text("INSERT INTO notes (id, body) VALUES (2, 'two')"))
        await session.commit()
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 2


async def test_concurrent_writers_of_one_process_all_commit(engine):
    sessions = session_factory(engine)

    async def write(i: int) -> None:
        async with sessions() as session:
            await session.execute(insert(notes).values(id=i, body=str(i)))
            await asyncio.sleep(0)  # let the others interleave mid-transaction
            await session.commit()

    async with asyncio.timeout(20):
        await asyncio.gather(*(write(i) for i in range(40)))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 40
    assert threading.current_thread() is threading.main_thread()


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


async def test_writers_of_one_process_queue_for_the_write_lock_instead_of_polling(engine):
    """Concurrent writers of one process each begin at once when their turn comes: none hands
    its BEGIN to the connection thread (where SQLite's busy handler would poll)."""
    sessions = session_factory(engine)
    handed: list[str] = []
    recorded: set[int] = set()

    def watch(raw: WritingSqliteConnection) -> None:
        if id(raw) in recorded:
            return
        recorded.add(id(raw))
        queue = raw._tx

        class Recording:
            def put_nowait(self, item):
                handed.append(item[1].func.__name__ + " " + " ".join(map(str, item[1].args[:1])))
                queue.put_nowait(item)

        raw._tx = Recording()

    async def write(i: int) -> None:
        async with sessions() as session:
            conn = await session.connection()
            watch((await conn.get_raw_connection()).driver_connection)
            await session.execute(insert(notes).values(id=i, body=str(i)))
            await asyncio.sleep(0.001)  # hold the lock while the others arrive
            await session.commit()

    async with asyncio.timeout(20):
        await asyncio.gather(*(write(i) for i in range(30)))
    assert not [h for h in handed if "BEGIN" in h]
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 30


async def test_a_writer_of_this_process_holding_the_lock_too_long_fails_the_next_as_sqlite_would(
    sqlite_url, monkeypatch
):
    short = tuple(p for p in db.SQLITE_PRAGMAS if not p.startswith("busy_timeout"))
    monkeypatch.setattr(db, "SQLITE_PRAGMAS", (*short, "busy_timeout=200"))
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        async with engine.connect() as holder:
            await holder.execute(insert(notes).values(id=1, body="held"))  # lock held
            started = asyncio.get_running_loop().time()
            with pytest.raises(OperationalError, match="database is locked"):
                async with engine.connect() as other:
                    await other.execute(insert(notes).values(id=2, body="waits"))
            assert asyncio.get_running_loop().time() - started < 5
            await holder.rollback()  # leaves the gate: the next writer goes on
        async with asyncio.timeout(5), engine.begin() as conn:
            await conn.execute(insert(notes).values(id=3, body="after"))
        async with engine.connect() as conn:
            assert (await conn.execute(select(notes.c.id))).scalars().all() == [3]
    finally:
        await engine.dispose()
