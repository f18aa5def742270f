"""CustomerValueChanged: published with the next version when a customer's value changes, and
only then (SQLite and PostgreSQL)."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tandem_contracts import Money
from tandem_contracts.customer import VALUES, CustomerValueChanged
from tandem_customer.application import handlers
from tandem_customer.application.commands import MergeCustomers, RegisterCustomer
from tandem_customer.application.value import recompute_value, when_order_changed
from tandem_customer.domain.events import ValueFacts
from tandem_kit.db import outbox_table

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def register(uow_factory, name: str) -> uuid.UUID:
    async with uow_factory() as uow:
        customer = await handlers.register_customer(
            RegisterCustomer(name=name, email=None, credit_limit=Decimal(0), currency="EUR"), uow
        )
        await uow.commit()
    return customer.id


@pytest.fixture
async def customer_id(uow_factory) -> uuid.UUID:
    return await register(uow_factory, "Acme")


async def apply(uow_factory, order_id, customer_id, version, status, total="100", at=AT) -> bool:
    async with uow_factory() as uow:
        changed = await when_order_changed(
            uow,
            order_id=order_id,
            customer_id=customer_id,
            version=version,
            status=status,
            total=Decimal(total),
            currency="EUR",
            at=at,
        )
        await uow.commit()
    return changed


async def published(uow_factory, customer_id) -> list[CustomerValueChanged]:
    """The value events staged for one customer, oldest first."""
    async with uow_factory() as uow:
        rows = (
            await uow.session.execute(
                select(outbox_table.c.event_type, outbox_table.c.payload)
                .where(
                    outbox_table.c.topic == VALUES.name,
                    outbox_table.c.message_key == str(customer_id),
                )
                .order_by(outbox_table.c.id)
            )
        ).all()
    assert {row.event_type for row in rows} <= {CustomerValueChanged.event_type}
    return [CustomerValueChanged.model_validate_json(row.payload) for row in rows]


def summary(event: CustomerValueChanged) -> tuple:
    return (
        event.version,
        event.lifetime_revenue,
        event.order_count,
        event.last_order_at,
        event.tier,
    )


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


async def test_every_change_of_a_value_is_published_once_with_the_next_version(
    uow_factory, customer_id
):
    first, second = uuid.uuid4(), uuid.uuid4()
    await apply(uow_factory, first, customer_id, 1, "confirmed", "100")
    await apply(uow_factory, second, customer_id, 1, "confirmed", "50.5", at=LATER)
    await apply(uow_factory, second, customer_id, 2, "cancelled", "50.5", at=LATER)

    events = await published(uow_factory, customer_id)
    assert [summary(e) for e in events] == [
        (1, eur("100"), 1, AT, "bronze"),
        (2, eur("150.5"), 2, LATER, "bronze"),
        (3, eur("100"), 1, AT, "bronze"),
    ]
    assert {e.customer_id for e in events} == {customer_id}
    async with uow_factory() as uow:
        assert (await uow.values.get(customer_id))["version"] == 3


async def test_an_order_event_that_leaves_the_value_as_it_is_publishes_nothing(
    uow_factory, customer_id
):
    order = uuid.uuid4()
    await apply(uow_factory, order, customer_id, 1, "confirmed", "100")
    assert not await apply(uow_factory, order, customer_id, 1, "confirmed", "100")  # redelivery
    await apply(uow_factory, uuid.uuid4(), customer_id, 1, "draft", "70")
    await apply(uow_factory, order, customer_id, 2, "fulfilled", "100")  # same revenue
    async with uow_factory() as uow:  # recalculated for nothing: the stored row compares
        before = await uow.values.get(customer_id)
        await recompute_value(uow, customer_id)
        await uow.commit()

    assert [e.version for e in await published(uow_factory, customer_id)] == [1]
    async with uow_factory() as uow:
        assert await uow.values.get(customer_id) == before  # not even re-stored


async def test_a_first_value_is_published_even_with_nothing_counted(uow_factory, customer_id):
    await apply(uow_factory, uuid.uuid4(), customer_id, 1, "draft")
    events = await published(uow_factory, customer_id)
    assert [summary(e) for e in events] == [(1, eur("0"), 0, None, "bronze")]


async def test_an_order_moved_to_another_customer_publishes_both_values(uow_factory, customer_id):
    other = await register(uow_factory, "Other")
    order = uuid.uuid4()
    await apply(uow_factory, order, customer_id, 1, "confirmed", "80")
    await apply(uow_factory, order, other, 2, "confirmed", "80")

    assert [summary(e) for e in await published(uow_factory, customer_id)] == [
        (1, eur("80"), 1, AT, "bronze"),
        (2, eur("0"), 0, None, "bronze"),
    ]
    assert [summary(e) for e in await published(uow_factory, other)] == [
        (1, eur("80"), 1, AT, "bronze")
    ]


async def test_a_merge_publishes_the_value_of_both_customers(uow_factory, customer_id):
    survivor = await register(uow_factory, "Acme Group")
    never_ordered = await register(uow_factory, "Acme Trading")
    await apply(uow_factory, uuid.uuid4(), customer_id, 1, "confirmed", "100")
    await apply(uow_factory, uuid.uuid4(), survivor, 1, "confirmed", "50", at=LATER)

    async with uow_factory() as uow:
        await handlers.merge_customers(MergeCustomers(customer_id, survivor), uow)
        await uow.commit()
    assert [summary(e) for e in await published(uow_factory, survivor)] == [
        (1, eur("50"), 1, LATER, "bronze"),
        (2, eur("150"), 2, LATER, "bronze"),
    ]
    assert [summary(e) for e in await published(uow_factory, customer_id)] == [
        (1, eur("100"), 1, AT, "bronze"),
        (2, eur("0"), 0, None, "bronze"),
    ]

    # A merge that moves no orders changes no value: nothing is published for either side.
    async with uow_factory() as uow:
        await handlers.merge_customers(MergeCustomers(never_ordered, survivor), uow)
        await uow.commit()
    assert len(await published(uow_factory, survivor)) == 2
    assert await published(uow_factory, never_ordered) == []
    async with uow_factory() as uow:
        assert await uow.values.get(never_ordered) is None


async def test_the_same_amount_at_another_scale_is_no_change(uow_factory, customer_id):
    def facts(amount: str) -> ValueFacts:
        return ValueFacts(Decimal(amount), "EUR", 2, AT)

    async with uow_factory() as uow:
        assert await uow.values.store(customer_id, facts("1.000"), "bronze") == 1
        assert await uow.values.store(customer_id, facts("1.00"), "bronze") is None
        assert await uow.values.store(customer_id, facts("1"), "bronze") is None
        assert await uow.values.store(customer_id, facts("1.0001"), "bronze") == 2
        assert await uow.values.store(customer_id, facts("1.0001"), "silver") == 3
        await uow.commit()
