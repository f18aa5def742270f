"""500 customers created while the broker is down all reach sales' read model, exactly once."""

import asyncio
from decimal import Decimal

from sqlalchemy import func, select

from tandem_customer.application import handlers
from tandem_customer.application.commands import RegisterCustomer
from tandem_customer.bootstrap import unit_of_work_factory
from tandem_customer.settings import CustomerSettings
from tandem_customer.worker import create_worker as customer_worker
from tandem_kit.db import create_engine, inbox_table, outbox_table, session_factory
from tandem_kit.migrations import upgrade
from tandem_kit.settings import KafkaSettings
from tandem_kit.testing.plugin import eventually
from tandem_sales.db.tables import customer_accounts
from tandem_sales.settings import SalesSettings
from tandem_sales.worker import create_worker as sales_worker

COUNT = 500


async def _scalar(engine, stmt):
    async with engine.connect() as conn:
        return await conn.scalar(stmt)


async def test_customers_created_while_the_broker_is_down_reach_sales_exactly_once(
    embedded_broker, tmp_path
):
    customer_db = f"sqlite+aiosqlite:///{tmp_path / 'customer.db'}"
    sales_db = f"sqlite+aiosqlite:///{tmp_path / 'sales.db'}"
    await upgrade(customer_db, "tandem_customer.db:migrations")
    await upgrade(sales_db, "tandem_sales.db:migrations")
    kafka = KafkaSettings(
        bootstrap_servers=embedded_broker.bootstrap_servers, request_timeout_ms=2000
    )
    workers = [
        customer_worker(
            CustomerSettings(database_url=customer_db, kafka=kafka, outbox_max_backoff_ms=500)
        ),
        sales_worker(SalesSettings(database_url=sales_db, kafka=kafka)),
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    customer_engine, sales_engine = create_engine(customer_db), create_engine(sales_db)
    try:
        await eventually(lambda: workers[1].consumers[0].ready.is_set(), timeout=30)
        embedded_broker.kill()

        sessions = session_factory(customer_engine)
        for i in range(COUNT):
            async with unit_of_work_factory(sessions)() as uow:
                await handlers.register_customer(
                    RegisterCustomer(
                        name=f"Customer {i}",
                        email=f"c{i}@acme.com",
                        credit_limit=Decimal(1000 + i),
                        currency="EUR",
                    ),
                    uow,
                )
                await uow.commit()
        pending = (
            select(func.count())
            .select_from(outbox_table)
            .where(outbox_table.c.published_at.is_(None))
        )
        assert await _scalar(customer_engine, pending) == COUNT

        embedded_broker.start()
        count = select(func.count()).select_from(customer_accounts)

        async def all_arrived() -> bool:
            return await _scalar(sales_engine, count) == COUNT

        await eventually(all_arrived, timeout=90, interval=0.2)

        assert await _scalar(customer_engine, pending) == 0
        assert await _scalar(sales_engine, select(func.count()).select_from(inbox_table)) == COUNT
        assert (
            await _scalar(sales_engine, select(func.count(func.distinct(customer_accounts.c.id))))
            == COUNT
        )
        assert await _scalar(sales_engine, select(func.max(customer_accounts.c.version))) == 1
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await customer_engine.dispose()
        await sales_engine.dispose()
