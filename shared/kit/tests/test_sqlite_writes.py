"""SQLite writes: a transaction's statements run on the event loop's thread, the waits do not."""

import asyncio
import sqlite3
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_kit.db import WritingSqliteConnection, create_engine, session_factory

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", String))


@pytest.fixture
async def engine(sqlite_url):
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


def _path(engine: AsyncEngine) -> str:
    assert engine.url.database
    return engine.url.database


async def test_a_transaction_hands_only_its_commit_to_the_connection_thread(engine):
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
    assert handed == ["commit"]  # BEGIN IMMEDIATE found the write lock free


async def test_waiting_for_another_writer_leaves_the_event_loop_free(engine):
    other = sqlite3.connect(_path(engine), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's writer holds the write lock
    other.execute("INSERT INTO notes (id, body) VALUES (1, 'theirs')")

    async def write() -> None:
        async with session_factory(engine)() as session:
            await session.execute(insert(notes).values(id=2, body="ours"))
            await session.commit()

    writing = asyncio.create_task(write())
    ticks = 0
    async with asyncio.timeout(5):
        while ticks < 20:  # the loop keeps turning while the write waits for the lock
            await asyncio.sleep(0.01)
            ticks += 1
    assert not writing.done()
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
