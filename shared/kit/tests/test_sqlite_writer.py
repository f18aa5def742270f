"""The SQLite writing engine: one trip to the connection's thread per statement, same results."""

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tandem_kit.db import OneTripSqliteConnection, create_engine

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


@pytest.fixture
def trips(monkeypatch):
    """Counts the calls handed to a connection's thread."""
    counted: list[str] = []
    original = OneTripSqliteConnection._execute

    async def counting(self, fn, *args, **kwargs):
        counted.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(OneTripSqliteConnection, "_execute", counting)
    return counted


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


async def test_a_statement_is_one_trip_to_the_thread(engine, trips):
    async with engine.connect() as conn:
        await conn.execute(select(notes.c.id))  # the first use connects and begins
        trips.clear()
        await conn.execute(select(notes.c.id, notes.c.body).where(notes.c.id == 1))
        await conn.execute(insert(notes).values(body="x"))
        assert trips == ["_run", "_run"]
        await conn.rollback()
