"""Request and response models of the customer API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tandem_customer.domain.model import Customer, CustomerStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class MoneyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(
        ge=0, max_digits=16, decimal_places=4, description='decimal string, e.g. "5000.00"'
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")


class MoneyOut(BaseModel):
    amount: str
    currency: str


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailStr
    credit_limit: MoneyIn
    legal_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = None
    owner: Annotated[str, StringConstraints(max_length=200)] | None = None
    industry: Annotated[str, StringConstraints(max_length=100)] | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class CustomerPublic(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    legal_id: str | None
    credit_limit: MoneyOut
    status: CustomerStatus
    owner: str | None
    industry: str | None
    segment: str | None
    tier: str | None
    merged_into: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Customer) -> CustomerPublic:
        return cls(
            id=c.id,
            name=c.name,
            email=c.email,
            legal_id=c.legal_id,
            credit_limit=MoneyOut(amount=format(c.credit_limit, "f"), currency=c.currency),
            status=c.status,
            owner=c.owner,
            industry=c.industry,
            segment=c.segment,
            tier=c.tier,
            merged_into=c.merged_into,
            version=c.version,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class CustomerPage(BaseModel):
    items: list[CustomerPublic]
    next: str | None = None
