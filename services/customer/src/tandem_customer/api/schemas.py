"""Request and response models of the customer API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tandem_customer.api.common import MoneyIn, MoneyOut
from tandem_customer.application.config import Rules
from tandem_customer.domain.model import Customer, CustomerStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


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
    segment: Annotated[str, StringConstraints(max_length=100)] | None = None


class CustomerUpdate(BaseModel):
    """Only the fields sent change; send null to clear an optional one."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: EmailStr | None = None
    credit_limit: MoneyIn | None = None
    legal_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    owner: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    industry: Annotated[str, StringConstraints(max_length=100)] | None = None
    segment: Annotated[str, StringConstraints(max_length=100)] | None = None

    def changes(self) -> dict[str, object]:
        sent = self.model_dump(exclude_unset=True)
        if "name" in sent and sent["name"] is None:
            sent["name"] = ""
        if "credit_limit" in sent:
            money = sent.pop("credit_limit")
            if money is None:
                sent["credit_limit"] = Decimal(-1)  # refused by the domain, naming the field
            else:
                sent["credit_limit"], sent["currency"] = money["amount"], money["currency"]
        if "email" in sent and sent["email"] is not None:
            sent["email"] = str(sent["email"])
        return sent


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: uuid.UUID = Field(description="the surviving customer")


class Duplicate(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    legal_id: str | None
    status: str
    owner: str | None
    matched_on: list[str]


class DuplicateList(BaseModel):
    items: list[Duplicate]


class CustomerValue(BaseModel):
    customer_id: uuid.UUID
    lifetime_revenue: MoneyOut
    order_count: int
    last_order_at: datetime | None
    tier: str

    @classmethod
    def of(cls, customer_id: uuid.UUID, row: dict[str, Any] | None, rules: Rules) -> CustomerValue:
        """From the customer's value row; no row yet: nothing ordered, the lowest tier."""
        if row is None:
            return cls(
                customer_id=customer_id,
                lifetime_revenue=MoneyOut.of(0, rules.currency),
                order_count=0,
                last_order_at=None,
                tier=rules.tiers.tier_for(0, 0),
            )
        return cls(
            customer_id=customer_id,
            lifetime_revenue=MoneyOut.of(row["lifetime_revenue"], row["currency"]),
            order_count=row["order_count"],
            last_order_at=row["last_order_at"],
            tier=row["tier"],
        )


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
    status_reason: str | None = None
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
            status_reason=c.status_reason,
            version=c.version,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class CustomerPage(BaseModel):
    items: list[CustomerPublic]
    next: str | None = None
