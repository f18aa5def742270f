import pytest

from tandem_kit.db import create_engine, session_factory
from tandem_kit.migrations import upgrade
from tandem_sales.bootstrap import unit_of_work_factory
from tandem_sales.db.tables import start_mappers


@pytest.fixture
async def uow_factory(database_url):
    """A unit-of-work factory over a freshly migrated database (SQLite, then PostgreSQL)."""
    start_mappers()
    await upgrade(database_url, "tandem_sales.db:migrations")
    engine = create_engine(database_url)
    yield unit_of_work_factory(session_factory(engine))
    await engine.dispose()
