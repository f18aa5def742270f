"""Reads go through their own engine: no write lock taken, and no write let through."""

import asyncio
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from tandem_kit.db import create_engine, create_read_engine, session_factory

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", String))


@pytest.fixture
async def engines(database_url):
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(notes).values(id=1, body="first"))
    reader = create_read_engine(engine)
    yield engine, reader
    await engine.dispose()
    if reader.pool is not engine.pool:
        await reader.dispose()


async def test_a_read_completes_while_a_writer_holds_its_transaction_open(engines):
    engine, reader = engines
    async with engine.connect() as writer:
        await writer.begin()  # SQLite: BEGIN IMMEDIATE, the database's one write lock
        await writer.execute(insert(notes).values(id=2, body="uncommitted"))
        async with asyncio.timeout(5):  # the write lock would hold a locking read for 30 s
            async with session_factory(reader)() as session:
                rows = (await session.execute(select(notes.c.body))).scalars().all()
        assert rows == ["first"]  # the snapshot from before the writer's change
        await writer.rollback()


async def test_two_reads_and_a_write_proceed_side_by_side(engines):
    engine, reader = engines
    async with session_factory(reader)() as first, session_factory(reader)() as second:
        assert (await first.execute(select(notes.c.id))).scalar_one() == 1
        assert (await second.execute(select(notes.c.id))).scalar_one() == 1
        async with asyncio.timeout(5):
            async with session_factory(engine)() as writing:
                await writing.execute(insert(notes).values(id=3, body="third"))
                await writing.commit()


async def test_a_write_through_the_read_engine_fails_and_changes_nothing(engines):
    engine, reader = engines
    with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
        async with session_factory(reader)() as session:
            await session.execute(insert(notes).values(id=9, body="sneaky"))
            await session.commit()
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one()
    assert count == 1


async def test_the_writing_engine_still_writes(engines):
    engine, _ = engines
    async with session_factory(engine)() as session:
        await session.execute(insert(notes).values(id=4, body="fourth"))
        await session.commit()
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 2


async def test_inline_sqlite_reads_start_no_thread_and_report_errors(sqlite_url):
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    reader = create_read_engine(engine, inline=True)
    threads = threading.active_count()
    try:
        sessions = session_factory(reader)
        async with sessions() as first, sessions() as second:
            assert (await first.execute(select(notes.c.id))).all() == []
            assert (await second.execute(select(notes.c.id))).all() == []
        assert threading.active_count() == threads  # aiosqlite would start one per connection
        with pytest.raises(OperationalError, match="no such table"):
            async with sessions() as session:
                await session.execute(text("SELECT * FROM missing"))
        async with sessions() as session:  # the pool's connections still work
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await reader.dispose()
        await engine.dispose()
