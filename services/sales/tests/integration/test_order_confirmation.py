"""Confirming orders against the customer read model, on SQLite and PostgreSQL."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tandem_kit.db import outbox_table
from tandem_sales.application import catalog, orders
from tandem_sales.application.commands import CreateProduct, DraftOrder, LineInput, OrderAction
from tandem_sales.application.customers import customer_credit, when_customer_changed
from tandem_sales.db.tables import orders as orders_table
from tandem_sales.domain.access import SYSTEM
from tandem_sales.domain.customers import CustomerAccount
from tandem_sales.domain.errors import ConfirmationRefused
from tandem_sales.domain.orders import OrderStatus

CONCURRENT = 1000


def snapshot(
    customer_id, version=1, status="active", limit="1000", currency="EUR", merged_into=None
):
    return CustomerAccount(
        id=customer_id,
        name="Acme",
        status=status,
        credit_limit=Decimal(limit),
        currency=currency,
        version=version,
        updated_at=datetime.now(UTC),
        merged_into=merged_into,
    )


async def seed_customer(uow_factory, account):
    async with uow_factory() as uow:
        await when_customer_changed(account, uow)
        await uow.commit()


async def seed_product(uow_factory, sku="SKU-1"):
    async with uow_factory() as uow:
        await catalog.create_product(
            CreateProduct(
                sku=sku, name="Widget", unit="pcs", list_price=Decimal("3"), currency="EUR"
            ),
            uow,
        )
        await uow.commit()


async def draft(uow_factory, customer_id, count=1, price="3") -> list[uuid.UUID]:
    async with uow_factory() as uow:
        ids = []
        for _ in range(count):
            order = await orders.draft_order(
                DraftOrder(
                    SYSTEM, customer_id, (LineInput("SKU-1", Decimal(1), Decimal(price), "EUR"),)
                ),
                uow,
            )
            ids.append(order.id)
        await uow.commit()
    return ids


async def act(uow_factory, order_id, action, reason=None):
    async with uow_factory() as uow:
        order = await orders.order_action(OrderAction(SYSTEM, order_id, action, reason=reason), uow)
        await uow.commit()
        return order


async def test_a_thousand_concurrent_confirmations_never_exceed_the_credit_limit(uow_factory):
    customer = uuid.uuid4()
    await seed_customer(uow_factory, snapshot(customer, limit="1000"))
    await seed_product(uow_factory)
    order_ids = await draft(uow_factory, customer, CONCURRENT, price="3")

    # All 1000 start at once; the semaphore only keeps those waiting for a database
    # connection from timing out in the pool (20 connections contend for the customer's row).
    pool = asyncio.Semaphore(20)

    async def confirm(order_id):
        async with pool:
            try:
                await act(uow_factory, order_id, "confirm")
                return "confirmed"
            except ConfirmationRefused as refused:
                return refused.reason

    outcomes = await asyncio.gather(*(confirm(i) for i in order_ids))

    # 333 x 3 = 999 fits; a 334th would make 1002. No lost update lets more through, and no
    # spurious refusal lets fewer through.
    assert outcomes.count("confirmed") == 333
    assert set(outcomes) == {"confirmed", "credit_limit_exceeded"}
    async with uow_factory() as uow:
        confirmed = await uow.orders.list(limit=CONCURRENT + 1, after=None, status="confirmed")
        account, _, open_total = await customer_credit(uow, customer)
        published = await uow.session.scalar(
            select(func.count())
            .select_from(outbox_table)
            .where(outbox_table.c.event_type == "tandem.sales.order.confirmed.v1")
        )
    assert sum(o.total for o in confirmed) == Decimal("999") <= account.credit_limit
    assert open_total == account.open_total == Decimal("999")
    assert published == 333


async def test_a_cancelled_order_frees_credit_for_the_next_one(uow_factory):
    customer = uuid.uuid4()
    await seed_customer(uow_factory, snapshot(customer, limit="10"))
    await seed_product(uow_factory)
    first, second = await draft(uow_factory, customer, 2, price="6")
    await act(uow_factory, first, "confirm")
    with pytest.raises(ConfirmationRefused) as info:
        await act(uow_factory, second, "confirm")
    assert info.value.reason == "credit_limit_exceeded"
    await act(uow_factory, first, "cancel", reason="wrong quantity")
    assert (await act(uow_factory, second, "confirm")).status == OrderStatus.CONFIRMED
    async with uow_factory() as uow:
        _, _, open_total = await customer_credit(uow, customer)
    assert open_total == Decimal("6")


async def test_a_customer_unknown_or_blocked_in_the_read_model_gets_no_confirmation(uow_factory):
    customer = uuid.uuid4()
    await seed_product(uow_factory)
    [order_id] = await draft(uow_factory, customer)
    with pytest.raises(ConfirmationRefused) as info:
        await act(uow_factory, order_id, "confirm")
    assert (info.value.reason, info.value.status_code) == ("customer_unknown", 422)
    await seed_customer(uow_factory, snapshot(customer, version=1))
    await seed_customer(uow_factory, snapshot(customer, version=2, status="blocked"))
    await seed_customer(uow_factory, snapshot(customer, version=1))  # stale: ignored
    with pytest.raises(ConfirmationRefused) as info:
        await act(uow_factory, order_id, "confirm")
    assert info.value.reason == "customer_blocked"
    async with uow_factory() as uow:
        assert (await uow.orders.get(order_id)).status == OrderStatus.DRAFT
        assert (
            await uow.session.scalar(
                select(func.count())
                .select_from(outbox_table)
                .where(outbox_table.c.event_type == "tandem.sales.order.confirmed.v1")
            )
            == 0
        )


async def test_orders_of_a_merged_customer_confirm_against_the_survivor(uow_factory):
    survivor, tombstone = uuid.uuid4(), uuid.uuid4()
    await seed_product(uow_factory)
    await seed_customer(uow_factory, snapshot(survivor, limit="10"))
    await seed_customer(uow_factory, snapshot(tombstone, limit="100"))
    before_merge, after_merge, too_much = await draft(uow_factory, tombstone, 3, price="4")
    await act(uow_factory, before_merge, "confirm")  # reserved on the tombstone-to-be
    await seed_customer(
        uow_factory,
        snapshot(tombstone, version=2, status="merged", limit="100", merged_into=survivor),
    )

    confirmed = await act(uow_factory, after_merge, "confirm")
    assert confirmed.customer_id == survivor
    with pytest.raises(ConfirmationRefused) as info:  # 4 (merged) + 4 + 4 > 10
        await act(uow_factory, too_much, "confirm")
    assert info.value.reason == "credit_limit_exceeded"

    async with uow_factory() as uow:
        _, shown_survivor, open_total = await customer_credit(uow, tombstone)
        row = (
            await uow.session.execute(
                select(outbox_table.c.payload)
                .where(outbox_table.c.message_key == str(after_merge))
                .order_by(outbox_table.c.id.desc())
                .limit(1)
            )
        ).scalar_one()
    assert shown_survivor.id == survivor and open_total == Decimal("8")
    event = json.loads(row)
    assert event["customer_id"] == str(survivor)
    assert event["status"] == "confirmed"
    assert event["lines"][0]["sku"] == "SKU-1"


async def test_a_confirmed_order_publishes_its_full_state_with_lines(uow_factory):
    customer = uuid.uuid4()
    await seed_customer(uow_factory, snapshot(customer))
    await seed_product(uow_factory)
    [order_id] = await draft(uow_factory, customer, price="12.5")
    await act(uow_factory, order_id, "confirm")
    await act(uow_factory, order_id, "fulfil")
    async with uow_factory() as uow:
        rows = (
            await uow.session.execute(
                select(outbox_table.c.topic, outbox_table.c.event_type, outbox_table.c.payload)
                .where(outbox_table.c.message_key == str(order_id))
                .order_by(outbox_table.c.id)
            )
        ).all()
        stored = await uow.session.scalar(
            select(orders_table.c.version).where(orders_table.c.id == order_id)
        )
    assert [r.event_type.split(".")[3] for r in rows] == ["changed", "confirmed", "fulfilled"]
    assert {r.topic for r in rows} == {"sales.orders.v1"}
    confirmed = json.loads(rows[1].payload)
    assert confirmed["version"] == 2 and stored == 3
    assert confirmed["total"] == {"amount": "12.50", "currency": "EUR"}
    assert confirmed["lines"][0]["quantity"] == "1.00"
    assert confirmed["lines"][0]["unit_price"] == {"amount": "12.50", "currency": "EUR"}
