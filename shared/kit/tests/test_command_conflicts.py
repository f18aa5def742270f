"""A command whose transaction PostgreSQL refused for a concurrent one runs again: two
commands that deadlock both succeed, and nothing of a refused attempt is left behind."""

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from tandem_kit import idempotency
from tandem_kit.db import create_engine, session_factory
from tandem_kit.idempotency import execute
from tandem_kit.uow import SqlUnitOfWork

metadata = MetaData()
counters = Table(
    "counters", metadata, Column("id", Integer, primary_key=True), Column("n", Integer)
)
writes = Table("writes", metadata, Column("id", Integer, primary_key=True, autoincrement=True))


def _nothing_to_publish(aggregate, event):
    raise AssertionError("nothing to publish")


@pytest.fixture
async def sessions(database_url):
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(counters), [{"id": 1, "n": 0}, {"id": 2, "n": 0}])
    yield session_factory(engine)
    await engine.dispose()


class Refused(Exception):
    def __init__(self, pgcode: str) -> None:
        super().__init__(f"refused ({pgcode})")
        self.pgcode = pgcode


def refusal(pgcode: str) -> DBAPIError:
    return DBAPIError("UPDATE counters ...", {}, Refused(pgcode))


async def _count(sessions, table) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)))


@pytest.mark.parametrize("pgcode", ["40P01", "40001", "55P03"])
async def test_a_refused_transaction_runs_again_and_leaves_nothing_of_the_refused_try(
    sessions, pgcode, monkeypatch
):
    monkeypatch.setattr(idempotency, "CONFLICT_PAUSE_S", 0.001)
    calls = []

    async def command(uow):
        calls.append(1)
        await uow.session.execute(insert(writes))  # rolled back with a refused attempt
        if len(calls) < 3:
            raise refusal(pgcode)
        return "done"

    answer = await execute(
        SqlUnitOfWork(sessions, _nothing_to_publish), command, lambda r: (200, r)
    )
    assert answer == (200, "done") and len(calls) == 3
    assert await _count(sessions, writes) == 1


async def test_a_conflict_that_outlasts_the_attempts_is_raised(sessions, monkeypatch):
    monkeypatch.setattr(idempotency, "CONFLICT_PAUSE_S", 0.001)
    calls = []

    async def command(uow):
        calls.append(1)
        await uow.session.execute(insert(writes))
        raise refusal("40P01")

    with pytest.raises(DBAPIError):
        await execute(SqlUnitOfWork(sessions, _nothing_to_publish), command, lambda r: (200, r))
    assert len(calls) == idempotency.CONFLICT_ATTEMPTS
    assert await _count(sessions, writes) == 0


async def test_any_other_database_error_is_raised_at_once(sessions):
    calls = []

    async def command(uow):
        calls.append(1)
        raise refusal("42P01")  # undefined table: running again cannot help

    with pytest.raises(DBAPIError):
        await execute(SqlUnitOfWork(sessions, _nothing_to_publish), command, lambda r: (200, r))
    assert len(calls) == 1


async def test_two_commands_that_deadlock_on_postgresql_both_succeed(postgres_url):
    engine = create_engine(postgres_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(counters), [{"id": 1, "n": 0}, {"id": 2, "n": 0}])
    sessions = session_factory(engine)
    both_hold_one = asyncio.Barrier(2)
    runs = {"a": 0, "b": 0}

    def crossing(name: str, first: int, second: int):
        async def command(uow):
            runs[name] += 1
            await uow.session.execute(
                update(counters).where(counters.c.id == first).values(n=counters.c.n + 1)
            )
            if runs[name] == 1:
                await both_hold_one.wait()  # each holds its first row; now each wants the other's
            await uow.session.execute(
                update(counters).where(counters.c.id == second).values(n=counters.c.n + 1)
            )
            return name

        return command

    try:
        answers = await asyncio.wait_for(
            asyncio.gather(
                execute(
                    SqlUnitOfWork(sessions, _nothing_to_publish),
                    crossing("a", 1, 2),
                    lambda r: (200, r),
                ),
                execute(
                    SqlUnitOfWork(sessions, _nothing_to_publish),
                    crossing("b", 2, 1),
                    lambda r: (200, r),
                ),
            ),
            30,
        )
        assert answers == [(200, "a"), (200, "b")]
        assert sorted(runs.values()) == [1, 2]  # PostgreSQL refused one; it ran again
        async with sessions() as session:
            assert (await session.execute(select(counters.c.n))).scalars().all() == [2, 2]
    finally:
        await engine.dispose()
