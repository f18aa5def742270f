"""Request and response models of the lead API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tandem_customer.api.common import MoneyIn, MoneyOut
from tandem_customer.domain.leads import Lead, LeadStatus

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class LeadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    email: EmailStr | None = None
    company: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    source: Short | None = None
    industry: Short | None = None
    estimated_amount: MoneyIn | None = None
    owner: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None

    def details(self) -> dict[str, Any]:
        money = self.estimated_amount
        return {
            "email": str(self.email) if self.email else None,
            "company": self.company,
            "phone": self.phone,
            "source": self.source,
            "industry": self.industry,
            "estimated_amount": money.amount if money else None,
            "currency": money.currency if money else None,
        }


class Disqualify(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class AssignLead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Convert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: uuid.UUID | None = Field(None, description="link this existing customer")
    opportunity_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    credit_limit: Decimal = Field(Decimal(0), ge=0, max_digits=16, decimal_places=4)
    allow_duplicates: bool = False


class ScoreLine(BaseModel):
    rule: str
    points: int


class LeadPublic(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    company: str | None
    phone: str | None
    source: str | None
    industry: str | None
    estimated_amount: MoneyOut | None
    status: LeadStatus
    owner: str | None
    score: int
    score_explanation: list[ScoreLine]
    reason: str | None
    customer_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    converted_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, lead: Lead) -> LeadPublic:
        amount = lead.estimated_amount
        return cls(
            **{
                k: getattr(lead, k)
                for k in cls.model_fields
                if hasattr(lead, k) and k not in ("estimated_amount", "score_explanation")
            },
            estimated_amount=MoneyOut.of(amount, lead.currency or "")
            if amount is not None
            else None,
            score_explanation=[ScoreLine(**line) for line in lead.score_lines],
        )


class LeadPage(BaseModel):
    items: list[LeadPublic]
    next: str | None = None


class Conversion(BaseModel):
    lead: LeadPublic
    customer_id: uuid.UUID
    contact_id: uuid.UUID | None
