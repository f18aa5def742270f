"""State and outbox rows commit together or not at all (SQLite and PostgreSQL)."""

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tandem_customer.application import handlers
from tandem_customer.application.commands import ChangeCustomerStatus, RegisterCustomer
from tandem_customer.bootstrap import unit_of_work_factory
from tandem_customer.db.tables import customers
from tandem_kit.db import create_engine, outbox_table, session_factory
from tandem_kit.errors import IllegalTransition
from tandem_kit.migrations import upgrade

REGISTER = RegisterCustomer(
    name="Acme", email="ops@acme.com", credit_limit=Decimal("100"), currency="EUR"
)


@pytest.fixture
async def sessions(database_url):
    await upgrade(database_url, "tandem_customer.db:migrations")
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def _counts(sessions) -> tuple[int, int]:
    async with sessions() as s:
        return (
            await s.scalar(select(func.count()).select_from(customers)),
            await s.scalar(select(func.count()).select_from(outbox_table)),
        )


async def test_a_committed_command_writes_the_customer_and_its_event_together(sessions):
    async with unit_of_work_factory(sessions)() as uow:
        customer = await handlers.register_customer(REGISTER, uow)
        await uow.commit()
    assert await _counts(sessions) == (1, 1)
    async with sessions() as s:
        row = (await s.execute(select(outbox_table))).one()
    assert row.topic == "customer.customers.v1"
    assert row.event_type == "tandem.customer.customer.created.v1"
    assert row.message_key == str(customer.id)


async def test_a_rolled_back_command_publishes_nothing(sessions):
    with pytest.raises(RuntimeError):
        async with unit_of_work_factory(sessions)() as uow:
            await handlers.register_customer(REGISTER, uow)
            raise RuntimeError("failure after the change, before commit")
    assert await _counts(sessions) == (0, 0)


async def test_a_refused_transition_writes_no_event(sessions):
    async with unit_of_work_factory(sessions)() as uow:
        customer = await handlers.register_customer(REGISTER, uow)
        await uow.commit()
    with pytest.raises(IllegalTransition):
        async with unit_of_work_factory(sessions)() as uow:
            await handlers.change_customer_status(
                ChangeCustomerStatus(customer_id=customer.id, action="hold"), uow
            )
            await uow.commit()
    assert await _counts(sessions) == (1, 1)


async def test_an_unknown_customer_is_not_found(sessions):
    from tandem_customer.domain.errors import CustomerNotFound

    with pytest.raises(CustomerNotFound):
        async with unit_of_work_factory(sessions)() as uow:
            await handlers.change_customer_status(
                ChangeCustomerStatus(customer_id=uuid.uuid4(), action="activate"), uow
            )
