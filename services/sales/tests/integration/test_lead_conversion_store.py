"""One opportunity per lead even when two deliveries race (the unique lead_id backs the check)."""

import asyncio
import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tandem_sales.application.pipeline import when_lead_converted
from tandem_sales.db.tables import opportunities
from tandem_sales.domain.opportunities import DEFAULT_PROBABILITIES


async def test_two_racing_deliveries_of_one_conversion_open_one_opportunity(uow_factory):
    lead_id, customer_id = uuid.uuid4(), uuid.uuid4()

    async def deliver():
        async with uow_factory() as uow:
            await when_lead_converted(
                lead_id=lead_id,
                customer_id=customer_id,
                name="Deal",
                amount=Decimal("10"),
                currency="EUR",
                owner="rep-1",
                uow=uow,
                probabilities=DEFAULT_PROBABILITIES,
                default_currency="EUR",
            )
            await uow.commit()

    outcomes = await asyncio.gather(*(deliver() for _ in range(5)), return_exceptions=True)
    # A twin that lost the race fails on the unique lead_id (the consumer retries it and then
    # finds the opportunity); it never creates a second one.
    assert all(o is None or isinstance(o, IntegrityError) for o in outcomes), outcomes
    await deliver()  # a later redelivery is a no-op
    async with uow_factory() as uow:
        count = await uow.session.scalar(
            select(func.count())
            .select_from(opportunities)
            .where(opportunities.c.lead_id == lead_id)
        )
        opp = await uow.opportunities.by_lead(lead_id)
    assert count == 1
    assert (opp.amount, opp.currency, opp.probability) == (Decimal("10"), "EUR", 10)


async def test_a_conversion_without_an_amount_opens_at_zero_in_the_customers_currency(uow_factory):
    lead_id = uuid.uuid4()
    async with uow_factory() as uow:
        opp = await when_lead_converted(
            lead_id=lead_id,
            customer_id=uuid.uuid4(),
            name="Deal",
            amount=None,
            currency=None,
            owner=None,
            uow=uow,
            probabilities=DEFAULT_PROBABILITIES,
            default_currency="CHF",
        )
        await uow.commit()
    assert (opp.amount, opp.currency, opp.stage) == (Decimal(0), "CHF", "qualification")
