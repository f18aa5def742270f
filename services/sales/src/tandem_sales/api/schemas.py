"""Request and response models of the sales API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tandem_sales.application.commands import LineInput
from tandem_sales.domain.base import show
from tandem_sales.domain.opportunities import Opportunity, Stage
from tandem_sales.domain.orders import SalesOrder, allowed_actions
from tandem_sales.domain.products import Product
from tandem_sales.domain.quotes import Quote
from tandem_sales.domain.quotes import allowed_actions as quote_actions

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Sku = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
    ),
]
Owner = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Amount = Annotated[
    Decimal, Field(ge=0, max_digits=16, decimal_places=4, description='decimal string, "12.50"')
]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyIn(Strict):
    amount: Amount
    currency: Currency


class MoneyOut(BaseModel):
    amount: str
    currency: str


def money_out(amount: Decimal, currency: str) -> MoneyOut:
    return MoneyOut(amount=show(amount), currency=currency)


class ProductCreate(Strict):
    sku: Sku
    name: Name
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    list_price: MoneyIn
    active: bool = True


class ProductChange(Strict):
    name: Name | None = None
    unit: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] | None
    ) = None
    list_price: MoneyIn | None = None
    active: bool | None = None


class ProductPublic(BaseModel):
    id: uuid.UUID
    sku: str
    name: str
    unit: str
    list_price: MoneyOut
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, p: Product) -> ProductPublic:
        return cls(
            id=p.id,
            sku=p.sku,
            name=p.name,
            unit=p.unit,
            list_price=money_out(p.list_price, p.currency),
            active=p.active,
            version=p.version,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )


class OpportunityCreate(Strict):
    customer_id: uuid.UUID
    name: Name
    amount: MoneyIn
    expected_close: date | None = None
    owner: Owner | None = None


class OpportunityChange(Strict):
    name: Name | None = None
    amount: MoneyIn | None = None
    expected_close: date | None = Field(default=None, description="null clears it")
    owner: Owner | None = None

    def changes(self) -> dict[str, object]:
        """Only what the caller sent (``expected_close: null`` clears the date)."""
        sent = self.model_fields_set
        out: dict[str, object] = {}
        if "name" in sent and self.name is not None:
            out["name"] = self.name
        if "amount" in sent and self.amount is not None:
            out["amount"], out["currency"] = self.amount.amount, self.amount.currency
        if "expected_close" in sent:
            out["expected_close"] = self.expected_close
        if "owner" in sent and self.owner is not None:
            out["owner"] = self.owner
        return out


class StageChange(Strict):
    to: Stage


class ReasonIn(Strict):
    reason: Reason


class OptionalReason(Strict):
    reason: Reason | None = None


class OpportunityPublic(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    name: str
    amount: MoneyOut
    weighted_amount: MoneyOut
    stage: Stage
    probability: int
    expected_close: date | None
    owner: str | None
    lead_id: uuid.UUID | None
    lost_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, o: Opportunity) -> OpportunityPublic:
        return cls(
            id=o.id,
            customer_id=o.customer_id,
            name=o.name,
            amount=money_out(o.amount, o.currency),
            weighted_amount=money_out(o.weighted_amount(), o.currency),
            stage=o.stage,
            probability=o.probability,
            expected_close=o.expected_close,
            owner=o.owner,
            lead_id=o.lead_id,
            lost_reason=o.lost_reason,
            version=o.version,
            created_at=o.created_at,
            updated_at=o.updated_at,
        )


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
