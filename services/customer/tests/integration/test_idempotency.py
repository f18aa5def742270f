"""Two concurrent requests with one Idempotency-Key create once (SQLite and PostgreSQL)."""

import asyncio
from decimal import Decimal

from sqlalchemy import func, select

from tandem_customer.application import handlers
from tandem_customer.application.commands import RegisterCustomer
from tandem_customer.bootstrap import unit_of_work_factory
from tandem_customer.db.tables import customers
from tandem_kit.db import create_engine, session_factory
from tandem_kit.idempotency import IdempotencyRequest, execute
from tandem_kit.migrations import upgrade


async def test_concurrent_twins_get_one_customer_and_the_same_answer(database_url):
    await upgrade(database_url, "tandem_customer.db:migrations")
    engine = create_engine(database_url)
    try:
        sessions = session_factory(engine)
        factory = unit_of_work_factory(sessions)
        cmd = RegisterCustomer(
            name="Twin", email="t@twin.com", credit_limit=Decimal(1), currency="EUR"
        )
        keyed = IdempotencyRequest.of("rep", "k-1", "POST", "/api/v1/customers", {"name": "Twin"})

        async def once():
            return await execute(
                factory(),
                lambda uow: handlers.register_customer(cmd, uow),
                lambda c: (201, {"id": str(c.id)}),
                keyed,
            )

        first, second = await asyncio.gather(once(), once())
        assert first == second
        async with sessions() as s:
            assert await s.scalar(select(func.count()).select_from(customers)) == 1
    finally:
        await engine.dispose()
