"""Fixtures shared by the customer service's integration tests (SQLite and PostgreSQL)."""

import pytest

from tandem_customer.bootstrap import unit_of_work_factory
from tandem_kit.db import create_engine, session_factory
from tandem_kit.migrations import upgrade


@pytest.fixture
async def uow_factory(database_url):
    """Units of work on a freshly migrated database (a module may define its own)."""
    await upgrade(database_url, "tandem_customer.db:migrations")
    engine = create_engine(database_url)
    yield unit_of_work_factory(session_factory(engine))
    await engine.dispose()
