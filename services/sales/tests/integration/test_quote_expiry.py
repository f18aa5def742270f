"""Quotes past their validity are expired by the worker's periodic task."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from tandem_kit.db import outbox_table
from tandem_sales.application.quotes import expire_quotes
from tandem_sales.domain.quotes import Quote, QuoteLine, QuoteStatus

TODAY = date(2026, 11, 27)


def quote(valid_until: date) -> Quote:
    return Quote.draft(
        customer_id=uuid.uuid4(),
        currency="EUR",
        valid_until=valid_until,
        lines=[QuoteLine(uuid.uuid4(), "SKU-1", Decimal(1), Decimal(5))],
        today=valid_until,
    )


async def test_draft_and_sent_quotes_past_validity_expire_and_are_published(uow_factory):
    stale_draft, stale_sent = quote(TODAY - timedelta(1)), quote(TODAY - timedelta(2))
    current, accepted = quote(TODAY), quote(TODAY - timedelta(5))
    stale_sent.send(TODAY - timedelta(2))
    accepted.send(TODAY - timedelta(5))
    accepted.accept(TODAY - timedelta(5), uuid.uuid4())
    async with uow_factory() as uow:
        for q in (stale_draft, stale_sent, current, accepted):
            uow.quotes.add(q)
        await uow.commit()

    async with uow_factory() as uow:
        assert await expire_quotes(uow, TODAY) == 2
        await uow.commit()
    async with uow_factory() as uow:
        assert await expire_quotes(uow, TODAY) == 0
        statuses = {
            q.id: (await uow.quotes.get(q.id)).status
            for q in (stale_draft, stale_sent, current, accepted)
        }
        published = (
            (
                await uow.session.execute(
                    select(outbox_table.c.message_key).where(
                        outbox_table.c.topic == "sales.quotes.v1"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert statuses == {
        stale_draft.id: QuoteStatus.EXPIRED,
        stale_sent.id: QuoteStatus.EXPIRED,
        current.id: QuoteStatus.DRAFT,
        accepted.id: QuoteStatus.ACCEPTED,
    }
    assert published.count(str(stale_sent.id)) == 3  # drafted, sent, expired
