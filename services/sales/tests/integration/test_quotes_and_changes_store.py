"""Quote acceptance and order line changes persist alike on SQLite and PostgreSQL."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

from tandem_sales.application import catalog, orders, pipeline, quotes
from tandem_sales.application.commands import (
    ChangeOrderLines,
    CreateProduct,
    DraftOrder,
    DraftQuote,
    LineInput,
    OpenOpportunity,
    OrderAction,
    QuoteAction,
)
from tandem_sales.application.customers import customer_credit, when_customer_changed
from tandem_sales.domain.access import Actor
from tandem_sales.domain.opportunities import DEFAULT_PROBABILITIES as P
from tandem_sales.domain.opportunities import Stage
from tandem_sales.domain.orders import OrderStatus
from tandem_sales.domain.quotes import QuoteStatus

REP = Actor("rep-1", own_records_only=True)
TODAY = date(2026, 11, 27)


async def run(uow_factory, handler):
    async with uow_factory() as uow:
        result = await handler(uow)
        await uow.commit()
        return result


async def setup(uow_factory, limit="1000"):
    from datetime import UTC, datetime

    from tandem_sales.domain.customers import CustomerAccount

    customer = uuid.uuid4()
    await run(
        uow_factory,
        lambda u: when_customer_changed(
            CustomerAccount(
                customer, "Acme", "active", Decimal(limit), "EUR", 1, datetime.now(UTC)
            ),
            u,
        ),
    )
    await run(
        uow_factory,
        lambda u: catalog.create_product(
            CreateProduct("SKU-1", "Widget", "pcs", Decimal("20"), "EUR"), u
        ),
    )
    return customer


async def test_an_accepted_quote_becomes_an_order_and_wins_the_deal(uow_factory):
    customer = await setup(uow_factory)
    opp = await run(
        uow_factory,
        lambda u: pipeline.open_opportunity(
            OpenOpportunity(REP, customer, "Deal", Decimal("100"), "EUR"), u, P
        ),
    )
    quote = await run(
        uow_factory,
        lambda u: quotes.draft_quote(
            DraftQuote(
                REP,
                customer,
                None,
                TODAY + timedelta(days=14),
                (LineInput("SKU-1", Decimal(5), discount=Decimal(10)),),
                opportunity_id=opp.id,
            ),
            u,
            TODAY,
        ),
    )
    await run(
        uow_factory, lambda u: quotes.quote_action(QuoteAction(REP, quote.id, "send"), u, TODAY, P)
    )
    accepted = await run(
        uow_factory,
        lambda u: quotes.quote_action(
            QuoteAction(REP, quote.id, "accept", expected_version=2), u, TODAY, P
        ),
    )
    async with uow_factory() as uow:
        order = await uow.orders.get(accepted.order_id)
        won = await uow.opportunities.get(opp.id)
        stored = await uow.quotes.get(quote.id)
    assert stored.status == QuoteStatus.ACCEPTED and stored.total == Decimal("90")
    assert (order.status, order.quote_id, order.owner, order.total) == (
        OrderStatus.DRAFT,
        quote.id,
        "rep-1",
        Decimal("90"),
    )
    assert [(ln.sku, ln.quantity, ln.unit_price) for ln in order.lines] == [
        ("SKU-1", Decimal(5), Decimal(18))
    ]
    assert (won.stage, won.probability) == (Stage.WON, 100)


async def test_changing_a_confirmed_order_moves_its_reservation(uow_factory):
    customer = await setup(uow_factory, limit="100")
    order = await run(
        uow_factory,
        lambda u: orders.draft_order(
            DraftOrder(REP, customer, (LineInput("SKU-1", Decimal(2)),)), u
        ),
    )
    await run(uow_factory, lambda u: orders.order_action(OrderAction(REP, order.id, "confirm"), u))
    changed = await run(
        uow_factory,
        lambda u: orders.change_order_lines(
            ChangeOrderLines(
                REP,
                order.id,
                (
                    LineInput("SKU-1", Decimal(3), requested_date=TODAY),
                    LineInput("SKU-1", Decimal(1), Decimal(5), "EUR"),
                ),
            ),
            u,
        ),
    )
    async with uow_factory() as uow:
        stored = await uow.orders.get(order.id)
        _, _, open_total = await customer_credit(uow, customer)
    assert changed.version == stored.version == 3
    assert [(ln.quantity, ln.unit_price, ln.requested_date) for ln in stored.lines] == [
        (Decimal(3), Decimal(20), TODAY),
        (Decimal(1), Decimal(5), None),
    ]
    assert open_total == Decimal("65")
