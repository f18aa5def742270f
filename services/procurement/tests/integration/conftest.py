from datetime import UTC, datetime

import pytest

from tandem_kit.db import create_engine, session_factory
from tandem_kit.migrations import upgrade
from tandem_procurement.bootstrap import unit_of_work_factory


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(datetime(2027, 3, 1, 9, tzinfo=UTC))


@pytest.fixture
async def sessions(database_url):
    await upgrade(database_url, "tandem_procurement.db:migrations")
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def uow(sessions, clock):
    return unit_of_work_factory(sessions, clock)
