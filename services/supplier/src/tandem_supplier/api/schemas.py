"""Request and response models of the supplier API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tandem_supplier.domain.certification import Certification, ExpiryState
from tandem_supplier.domain.offer import Offer, OfferStatus
from tandem_supplier.domain.scorecard import Scorecard
from tandem_supplier.domain.supplier import RiskLevel, Supplier, SupplierStatus


def _text(max_length: int) -> Any:
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)
    ]


Name = _text(200)
Category = _text(64)
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyIn(_In):
    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=4, description='e.g. "9.50"')
    currency: Currency


class MoneyOut(BaseModel):
    amount: str
    currency: str


class ContactIn(_In):
    name: Name
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    role: Annotated[str, StringConstraints(max_length=100)] | None = None


class SupplierCreate(_In):
    name: Name
    legal_id: _text(64)
    categories: list[Category] = Field(min_length=1, max_length=50)
    risk_level: RiskLevel = RiskLevel.MEDIUM
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class SupplierUpdate(_In):
    name: Name | None = None
    categories: list[Category] | None = Field(default=None, min_length=1, max_length=50)
    risk_level: RiskLevel | None = None
    contacts: list[ContactIn] | None = Field(default=None, max_length=50)


class StatusChange(_In):
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class SupplierPublic(BaseModel):
    id: uuid.UUID
    name: str
    legal_id: str
    categories: list[str]
    risk_level: RiskLevel
    contacts: list[dict[str, Any]]
    status: SupplierStatus
    status_reason: str | None
    allowed_actions: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: Supplier) -> SupplierPublic:
        from tandem_supplier.domain.supplier import allowed_actions

        return cls(
            id=s.id, name=s.name, legal_id=s.legal_id, categories=s.categories,
            risk_level=s.risk_level, contacts=s.contacts, status=s.status,
            status_reason=s.status_reason, allowed_actions=allowed_actions(s.status),
            version=s.version, created_at=s.created_at, updated_at=s.updated_at,
        )  # fmt: skip


class CertificationCreate(_In):
    kind: _text(64)
    issuer: Name
    number: _text(100)
    valid_from: date
    valid_until: date


class CertificationPublic(BaseModel):
    id: uuid.UUID
    supplier_id: uuid.UUID
    kind: str
    issuer: str
    number: str
    valid_from: date
    valid_until: date
    state: ExpiryState
    mandatory: bool
    expiring_notified_on: date | None
    expired_notified_on: date | None
    version: int
    created_at: datetime

    @classmethod
    def of(cls, c: Certification, *, today: date, horizon_days: int, mandatory: bool):
        return cls(
            id=c.id, supplier_id=c.supplier_id, kind=c.kind, issuer=c.issuer, number=c.number,
            valid_from=c.valid_from, valid_until=c.valid_until,
            state=c.state(today, horizon_days), mandatory=mandatory,
            expiring_notified_on=c.expiring_notified_on,
            expired_notified_on=c.expired_notified_on, version=c.version, created_at=c.created_at,
        )  # fmt: skip


class OfferTerms(_In):
    unit_price: MoneyIn
    lead_time_days: int = Field(ge=0, le=3650)
    minimum_order_quantity: Decimal = Field(gt=0, max_digits=18, decimal_places=4)
    valid_from: date | None = None
    valid_until: date | None = None


class OfferCreate(OfferTerms):
    sku: Sku


class OfferPublic(BaseModel):
    id: uuid.UUID
    supplier_id: uuid.UUID
    sku: str
    unit_price: MoneyOut
    lead_time_days: int
    minimum_order_quantity: str
    valid_from: date | None
    valid_until: date | None
    status: OfferStatus
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, o: Offer) -> OfferPublic:
        return cls(
            id=o.id, supplier_id=o.supplier_id, sku=o.sku,
            unit_price=MoneyOut(amount=format(o.unit_price, "f"), currency=o.currency),
            lead_time_days=o.lead_time_days,
            minimum_order_quantity=format(o.minimum_order_quantity, "f"),
            valid_from=o.valid_from, valid_until=o.valid_until, status=o.status,
            version=o.version, created_at=o.created_at, updated_at=o.updated_at,
        )  # fmt: skip


class CriterionPublic(BaseModel):
    criterion: str
    weight: int = Field(description="configured weight (all weights sum to 100)")
    effective_weight: str = Field(description="share of the score among criteria with evidence")
    score: str | None = Field(description="0..100; null when the period has no evidence for it")
    contribution: str | None = Field(description="points this criterion adds to the score")
    observations: int
    evidence: list[dict[str, Any]] = Field(description="the events behind the criterion")


class ScorecardPublic(BaseModel):
    supplier_id: uuid.UUID
    score: str | None
    standing: str | None
    effect: str | None = Field(description="watch: warn; probation: no new purchase orders")
    period: dict[str, date | int | None]
    criteria: list[CriterionPublic]
    evidence_as_of: datetime | None
    computed_at: datetime | None
    version: int

    @classmethod
    def of(
        cls,
        card: Scorecard | None,
        supplier_id: uuid.UUID,
        weights: dict[str, int],
        period_days: int,
    ):
        if card is None or card.version == 0:
            criteria = [
                CriterionPublic(criterion=c, weight=w, effective_weight="0.00", score=None,
                                contribution=None, observations=0, evidence=[])
                for c, w in weights.items()
            ]  # fmt: skip
            return cls(
                supplier_id=supplier_id, score=None, standing=None, effect=None,
                period={"start": None, "end": None, "days": period_days}, criteria=criteria,
                evidence_as_of=None, computed_at=None, version=0,
            )  # fmt: skip
        return cls(
            supplier_id=supplier_id,
            score=format(card.score, "f") if card.score is not None else None,
            standing=card.standing, effect=card.effect,
            period={"start": card.period_start, "end": card.period_end, "days": period_days},
            criteria=[CriterionPublic(**c) for c in card.criteria],
            evidence_as_of=card.evidence_as_of, computed_at=card.computed_at, version=card.version,
        )  # fmt: skip


class StandingSummary(BaseModel):
    by_standing: dict[str, int]
