"""Sales service contracts: catalog, opportunities, quotes, orders."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tandem_contracts.events import DecimalStr, Event, Money
from tandem_contracts.topics import Topic


class ProductChanged(Event):
    event_type = "tandem.sales.product.changed.v1"
    product_id: uuid.UUID
    version: int = Field(ge=1)
    sku: str
    name: str
    unit: str
    list_price: Money
    active: bool


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    line_id: uuid.UUID
    sku: str
    quantity: DecimalStr
    unit_price: Money
    requested_date: date | None = None


class OrderSnapshot(Event):
    """The full state of a sales order; demand is computed from ``lines`` and ``status``.

    Only confirmed orders create demand: a draft is published as OrderChanged with status
    ``draft`` (drafts have no demand), a cancelled or closed order has none left.
    ``customer_id`` is the surviving customer once a merged customer's order is confirmed.
    """

    order_id: uuid.UUID
    customer_id: uuid.UUID
    version: int = Field(ge=1)
    status: Literal["draft", "confirmed", "fulfilled", "closed", "cancelled"]
    lines: list[OrderLine]
    total: Money
    owner: str | None = None
    quote_id: uuid.UUID | None = None
    confirmed_at: datetime | None = None


class OrderConfirmed(OrderSnapshot):
    event_type = "tandem.sales.order.confirmed.v1"


class OrderChanged(OrderSnapshot):
    event_type = "tandem.sales.order.changed.v1"


class OrderCancelled(OrderSnapshot):
    event_type = "tandem.sales.order.cancelled.v1"
    reason: str


class OrderFulfilled(OrderSnapshot):
    event_type = "tandem.sales.order.fulfilled.v1"


class OrderClosed(OrderSnapshot):
    event_type = "tandem.sales.order.closed.v1"


class OpportunityChanged(Event):
    event_type = "tandem.sales.opportunity.changed.v1"
    opportunity_id: uuid.UUID
    customer_id: uuid.UUID
    version: int = Field(ge=1)
    name: str
    stage: Literal["qualification", "proposal", "negotiation", "won", "lost"]
    amount: Money
    probability: int = Field(ge=0, le=100)
    owner: str | None = None
    lead_id: uuid.UUID | None = None
    expected_close: date | None = None
    lost_reason: str | None = None


class QuoteLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    line_id: uuid.UUID
    sku: str
    quantity: DecimalStr
    unit_price: Money
    discount_percent: DecimalStr
    net_unit_price: Money
    total: Money


class QuoteChanged(Event):
    """The full state of a quote after every change (draft, sent, accepted, rejected, expired)."""

    event_type = "tandem.sales.quote.changed.v1"
    quote_id: uuid.UUID
    customer_id: uuid.UUID
    version: int = Field(ge=1)
    status: Literal["draft", "sent", "accepted", "rejected", "expired"]
    lines: list[QuoteLine]
    total: Money
    valid_until: date
    opportunity_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    owner: str | None = None


PRODUCTS = Topic(
    "sales.products.v1",
    key=uuid.UUID,
    events=(ProductChanged,),
    description="Product catalog: full product state on every change.",
)
OPPORTUNITIES = Topic(
    "sales.opportunities.v1",
    key=uuid.UUID,
    events=(OpportunityChanged,),
    description="Opportunity pipeline changes.",
)
QUOTES = Topic(
    "sales.quotes.v1",
    key=uuid.UUID,
    events=(QuoteChanged,),
    description="Quotes: full quote state with lines on every change.",
)
ORDERS = Topic(
    "sales.orders.v1",
    key=uuid.UUID,
    events=(OrderConfirmed, OrderChanged, OrderCancelled, OrderFulfilled, OrderClosed),
    description=(
        "Sales orders, full state with lines on every change: the source of purchase demand "
        "(confirmed orders only; drafts carry status draft)."
    ),
)
TOPICS = (PRODUCTS, OPPORTUNITIES, QUOTES, ORDERS)
