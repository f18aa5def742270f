"""Request and response models of quotes and orders (priced lines)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from tandem_sales.api.schemas import (
    Currency,
    MoneyIn,
    MoneyOut,
    Owner,
    Quantity,
    Sku,
    Strict,
    money_out,
)
from tandem_sales.application.commands import LineInput
from tandem_sales.domain.base import show
from tandem_sales.domain.orders import SalesOrder, allowed_actions
from tandem_sales.domain.quotes import Quote
from tandem_sales.domain.quotes import allowed_actions as quote_actions


class LineIn(Strict):
    sku: Sku
    quantity: Quantity
    unit_price: MoneyIn | None = Field(default=None, description="default: the list price")

    def price(self) -> dict:
        if self.unit_price is None:
            return {"unit_price": None, "currency": None}
        return {"unit_price": self.unit_price.amount, "currency": self.unit_price.currency}


class QuoteLineIn(LineIn):
    discount: Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)] = Field(
        default=Decimal(0), description="percent off the unit price"
    )

    def command(self) -> LineInput:
        return LineInput(
            sku=self.sku, quantity=self.quantity, discount=self.discount, **self.price()
        )


class OrderLineIn(LineIn):
    requested_date: date | None = None

    def command(self) -> LineInput:
        return LineInput(
            sku=self.sku, quantity=self.quantity, requested_date=self.requested_date, **self.price()
        )


class QuoteCreate(Strict):
    customer_id: uuid.UUID
    valid_until: date
    lines: Annotated[list[QuoteLineIn], Field(min_length=1, max_length=500)]
    opportunity_id: uuid.UUID | None = None
    currency: Currency | None = None
    owner: Owner | None = None


class QuoteLinePublic(BaseModel):
    line_id: uuid.UUID
    sku: str
    quantity: str
    unit_price: MoneyOut
    discount: str
    net_unit_price: MoneyOut
    total: MoneyOut


class QuotePublic(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    opportunity_id: uuid.UUID | None
    status: str
    valid_until: date
    lines: list[QuoteLinePublic]
    total: MoneyOut
    owner: str | None
    order_id: uuid.UUID | None
    reason: str | None
    allowed_actions: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, q: Quote) -> QuotePublic:
        c = q.currency
        return cls(
            id=q.id,
            customer_id=q.customer_id,
            opportunity_id=q.opportunity_id,
            status=q.status.value,
            valid_until=q.valid_until,
            lines=[
                QuoteLinePublic(
                    line_id=ln.line_id,
                    sku=ln.sku,
                    quantity=show(ln.quantity),
                    unit_price=money_out(ln.unit_price, c),
                    discount=show(ln.discount),
                    net_unit_price=money_out(ln.net_unit_price, c),
                    total=money_out(ln.total, c),
                )
                for ln in q.lines
            ],
            total=money_out(q.total, c),
            owner=q.owner,
            order_id=q.order_id,
            reason=q.reason,
            allowed_actions=quote_actions(q.status),
            version=q.version,
            created_at=q.created_at,
            updated_at=q.updated_at,
        )


class OrderCreate(Strict):
    customer_id: uuid.UUID
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]
    currency: Currency | None = None
    owner: Owner | None = None


class OrderLinesChange(Strict):
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]


class OrderLinePublic(BaseModel):
    line_id: uuid.UUID
    sku: str
    quantity: str
    unit_price: MoneyOut
    requested_date: date | None
    total: MoneyOut


class OrderPublic(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    status: str
    lines: list[OrderLinePublic]
    total: MoneyOut
    owner: str | None
    quote_id: uuid.UUID | None
    cancel_reason: str | None
    confirmed_at: datetime | None
    allowed_actions: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, o: SalesOrder) -> OrderPublic:
        c = o.currency
        return cls(
            id=o.id,
            customer_id=o.customer_id,
            status=o.status.value,
            lines=[
                OrderLinePublic(
                    line_id=ln.line_id,
                    sku=ln.sku,
                    quantity=show(ln.quantity),
                    unit_price=money_out(ln.unit_price, c),
                    requested_date=ln.requested_date,
                    total=money_out(ln.total, c),
                )
                for ln in o.lines
            ],
            total=money_out(o.total, c),
            owner=o.owner,
            quote_id=o.quote_id,
            cancel_reason=o.cancel_reason,
            confirmed_at=o.confirmed_at,
            allowed_actions=allowed_actions(o.status),
            version=o.version,
            created_at=o.created_at,
            updated_at=o.updated_at,
        )
