"""A customer blocked in the customer service makes sales' next confirmation fail within
seconds, carried only by events (no HTTP between the services)."""

import asyncio
import time
from decimal import Decimal

import httpx
import pytest

from tandem_customer.application import handlers as customer_handlers
from tandem_customer.application.commands import ChangeCustomerStatus, RegisterCustomer
from tandem_customer.bootstrap import unit_of_work_factory as customer_uow
from tandem_customer.settings import CustomerSettings
from tandem_customer.worker import create_worker as customer_worker
from tandem_kit.db import create_engine, session_factory
from tandem_kit.migrations import upgrade
from tandem_kit.testing.plugin import eventually
from tandem_sales.application import catalog, orders
from tandem_sales.application.commands import CreateProduct, DraftOrder, LineInput, OrderAction
from tandem_sales.bootstrap import unit_of_work_factory as sales_uow
from tandem_sales.domain.access import SYSTEM
from tandem_sales.domain.errors import ConfirmationRefused
from tandem_sales.settings import SalesSettings
from tandem_sales.worker import create_worker as sales_worker


@pytest.fixture
def no_http(monkeypatch):
    """Fail the test if anything speaks HTTP through httpx while it runs."""

    def refuse(*args, **kwargs):
        raise AssertionError("an HTTP call was made between the services")

    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)
    monkeypatch.setattr(httpx.Client, "send", refuse)


async def test_blocking_a_customer_refuses_the_next_confirmation_within_seconds(
    kafka_settings, tmp_path, no_http
):
    customer_db = f"sqlite+aiosqlite:///{tmp_path / 'customer.db'}"
    sales_db = f"sqlite+aiosqlite:///{tmp_path / 'sales.db'}"
    await upgrade(customer_db, "tandem_customer.db:migrations")
    await upgrade(sales_db, "tandem_sales.db:migrations")
    workers = [
        customer_worker(CustomerSettings(database_url=customer_db, kafka=kafka_settings)),
        sales_worker(SalesSettings(database_url=sales_db, kafka=kafka_settings)),
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    customer_engine, sales_engine = create_engine(customer_db), create_engine(sales_db)
    customers = customer_uow(session_factory(customer_engine))
    sales = sales_uow(session_factory(sales_engine))

    async def in_customer_service(command):
        async with customers() as uow:
            result = await command(uow)
            await uow.commit()
            return result

    async def sales_status(customer_id):
        async with sales() as uow:
            account = await uow.customers.get(customer_id)
            return account.status if account else None

    async def confirm(order_id):
        async with sales() as uow:
            order = await orders.order_action(OrderAction(SYSTEM, order_id, "confirm"), uow)
            await uow.commit()
            return order

    try:
        await eventually(lambda: all(c.ready.is_set() for c in workers[1].consumers), timeout=30)
        customer = await in_customer_service(
            lambda uow: customer_handlers.register_customer(
                RegisterCustomer(
                    name="Acme",
                    email="ops@acme.example",
                    credit_limit=Decimal("1000"),
                    currency="EUR",
                ),
                uow,
            )
        )
        await in_customer_service(
            lambda uow: customer_handlers.change_customer_status(
                ChangeCustomerStatus(customer.id, "activate"), uow
            )
        )
        await eventually(lambda: _is(sales_status(customer.id), "active"), timeout=30)

        async with sales() as uow:
            await catalog.create_product(
                CreateProduct(
                    sku="SKU-1", name="Widget", unit="pcs", list_price=Decimal("10"), currency="EUR"
                ),
                uow,
            )
            drafts = [
                await orders.draft_order(
                    DraftOrder(SYSTEM, customer.id, (LineInput("SKU-1", Decimal(1)),)), uow
                )
                for _ in range(2)
            ]
            await uow.commit()
        assert (await confirm(drafts[0].id)).status == "confirmed"

        blocked_at = time.monotonic()
        await in_customer_service(
            lambda uow: customer_handlers.change_customer_status(
                ChangeCustomerStatus(customer.id, "block", reason="unpaid invoices"), uow
            )
        )
        await eventually(
            lambda: _is(sales_status(customer.id), "blocked"), timeout=10, interval=0.02
        )
        arrived_after = time.monotonic() - blocked_at

        with pytest.raises(ConfirmationRefused) as refused:
            await confirm(drafts[1].id)
        assert refused.value.reason == "customer_blocked"
        assert arrived_after < 5, f"the block reached sales after {arrived_after:.1f}s"
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await customer_engine.dispose()
        await sales_engine.dispose()


async def _is(status, expected: str) -> bool:
    return await status == expected
