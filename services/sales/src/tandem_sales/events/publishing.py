"""Sales domain events -> contract events on their topics (full state on every change)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tandem_contracts import Envelope, Money
from tandem_contracts import sales as contract
from tandem_contracts.topics import Topic
from tandem_sales.domain import events
from tandem_sales.domain.base import normal
from tandem_sales.domain.opportunities import Opportunity, OpportunityChanged
from tandem_sales.domain.orders import SalesOrder
from tandem_sales.domain.products import Product, ProductChanged
from tandem_sales.domain.quotes import Quote, QuoteChanged


def order_state(order: SalesOrder) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "customer_id": order.customer_id,
        "version": order.version,
        "status": order.status.value,
        "lines": [
            contract.OrderLine(
                line_id=line.line_id,
                sku=line.sku,
                quantity=normal(line.quantity),
                unit_price=Money(amount=normal(line.unit_price), currency=order.currency),
                requested_date=line.requested_date,
            )
            for line in order.lines
        ],
        "total": Money(amount=normal(order.total), currency=order.currency),
        "owner": order.owner,
        "quote_id": order.quote_id,
        "confirmed_at": order.confirmed_at,
    }


def _order(order: SalesOrder, event: events.OrderEvent) -> contract.OrderSnapshot:
    state = order_state(order)
    if isinstance(event, events.OrderCancelled):
        return contract.OrderCancelled(**state, reason=event.reason)
    kinds: dict[type, type[contract.OrderSnapshot]] = {
        events.OrderConfirmed: contract.OrderConfirmed,
        events.OrderChanged: contract.OrderChanged,
        events.OrderFulfilled: contract.OrderFulfilled,
        events.OrderClosed: contract.OrderClosed,
    }
    return kinds[type(event)](**state)


def _quote(quote: Quote) -> contract.QuoteChanged:
    def m(amount: Any) -> Money:
        return Money(amount=normal(amount), currency=quote.currency)

    return contract.QuoteChanged(
        quote_id=quote.id,
        customer_id=quote.customer_id,
        version=quote.version,
        status=quote.status.value,
        lines=[
            contract.QuoteLine(
                line_id=line.line_id,
                sku=line.sku,
                quantity=normal(line.quantity),
                unit_price=m(line.unit_price),
                discount_percent=normal(line.discount),
                net_unit_price=m(line.net_unit_price),
                total=m(line.total),
            )
            for line in quote.lines
        ],
        total=m(quote.total),
        valid_until=quote.valid_until,
        opportunity_id=quote.opportunity_id,
        order_id=quote.order_id,
        owner=quote.owner,
    )


def _opportunity(opp: Opportunity) -> contract.OpportunityChanged:
    return contract.OpportunityChanged(
        opportunity_id=opp.id,
        customer_id=opp.customer_id,
        version=opp.version,
        name=opp.name,
        stage=opp.stage.value,
        amount=Money(amount=normal(opp.amount), currency=opp.currency),
        probability=opp.probability,
        owner=opp.owner,
        lead_id=opp.lead_id,
        expected_close=opp.expected_close,
        lost_reason=opp.lost_reason,
    )


def _product(product: Product) -> contract.ProductChanged:
    return contract.ProductChanged(
        product_id=product.id,
        version=product.version,
        sku=product.sku,
        name=product.name,
        unit=product.unit,
        list_price=Money(amount=normal(product.list_price), currency=product.currency),
        active=product.active,
    )


def translate(aggregate: Any, event: Any) -> Iterator[tuple[Topic, Envelope]]:
    subject = str(aggregate.id)
    if isinstance(aggregate, SalesOrder) and isinstance(event, events.OrderEvent):
        yield contract.ORDERS, Envelope.wrap(_order(aggregate, event), subject=subject)
    elif isinstance(aggregate, Quote) and isinstance(event, QuoteChanged):
        yield contract.QUOTES, Envelope.wrap(_quote(aggregate), subject=subject)
    elif isinstance(aggregate, Opportunity) and isinstance(event, OpportunityChanged):
        yield contract.OPPORTUNITIES, Envelope.wrap(_opportunity(aggregate), subject=subject)
    elif isinstance(aggregate, Product) and isinstance(event, ProductChanged):
        yield contract.PRODUCTS, Envelope.wrap(_product(aggregate), subject=subject)
    else:
        raise TypeError(f"no contract for {type(event).__name__} of {type(aggregate).__name__}")
