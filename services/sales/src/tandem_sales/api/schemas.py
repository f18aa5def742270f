"""Request and response models of the sales API: shared types, products, opportunities."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tandem_sales.domain.base import show
from tandem_sales.domain.opportunities import Opportunity, Stage
from tandem_sales.domain.products import Product

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
