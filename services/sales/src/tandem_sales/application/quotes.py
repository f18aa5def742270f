"""Quote use cases: draft, send, accept (-> sales order, opportunity won), reject, expire."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

from tandem_kit.errors import Conflict
from tandem_sales.application.commands import DraftQuote, QuoteAction
from tandem_sales.application.common import check_version, owner_for, priced_lines, visible
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.errors import InvalidInput
from tandem_sales.domain.opportunities import Stage
from tandem_sales.domain.orders import OrderLine, SalesOrder
from tandem_sales.domain.quotes import Quote, QuoteLine


async def draft_quote(cmd: DraftQuote, uow: SalesUnitOfWork, today: date) -> Quote:
    owner = owner_for(cmd.actor, cmd.owner)
    if cmd.opportunity_id is not None:
        opp = visible(
            await uow.opportunities.get(cmd.opportunity_id),
            cmd.actor,
            "opportunity",
            cmd.opportunity_id,
        )
        if opp.customer_id != cmd.customer_id:
            raise InvalidInput(
                "the opportunity belongs to another customer", field="opportunity_id"
            )
    currency, priced = await priced_lines(uow, cmd.lines, cmd.currency)
    quote = Quote.draft(
        customer_id=cmd.customer_id,
        currency=currency,
        valid_until=cmd.valid_until,
        lines=[
            QuoteLine(uuid.uuid4(), line.sku, line.quantity, price, line.discount)
            for line, price in priced
        ],
        today=today,
        owner=owner,
        opportunity_id=cmd.opportunity_id,
    )
    uow.quotes.add(quote)
    return quote


async def quote_action(
    cmd: QuoteAction, uow: SalesUnitOfWork, today: date, probabilities: Mapping[str, int]
) -> Quote:
    quote = visible(
        await uow.quotes.get(cmd.quote_id, for_update=True), cmd.actor, "quote", cmd.quote_id
    )
    check_version(quote, cmd.expected_version)
    if cmd.action == "send":
        quote.send(today)
    elif cmd.action == "reject":
        quote.reject(cmd.reason)
    elif cmd.action == "accept":
        await _accept(quote, uow, today, probabilities)
    else:
        raise ValueError(cmd.action)
    return quote


async def _accept(
    quote: Quote, uow: SalesUnitOfWork, today: date, probabilities: Mapping[str, int]
) -> None:
    """The accepted quote becomes a draft sales order; its opportunity is won."""
    order = SalesOrder.draft(
        customer_id=quote.customer_id,
        currency=quote.currency,
        owner=quote.owner,
        quote_id=quote.id,
        lines=[
            OrderLine(uuid.uuid4(), line.sku, line.quantity, line.net_unit_price)
            for line in quote.lines
        ],
    )
    quote.accept(today, order.id)
    uow.orders.add(order)
    if quote.opportunity_id is not None:
        opp = await uow.opportunities.get(quote.opportunity_id, for_update=True)
        if opp is not None and opp.stage == Stage.LOST:
            raise Conflict(
                "the quote's opportunity was lost; reopen the deal before accepting",
                field="opportunity_id",
            )
        if opp is not None and opp.is_open:
            opp.win(probabilities)


async def expire_quotes(uow: SalesUnitOfWork, today: date, limit: int = 500) -> int:
    """Mark draft and sent quotes past their validity as expired; returns how many."""
    stale = await uow.quotes.past_validity(today, limit)
    for quote in stale:
        quote.expire()
    return len(stale)
