"""Supplier service contracts: suppliers, certifications, offers, scorecards."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tandem_contracts.events import DecimalStr, Event, Money
from tandem_contracts.topics import Topic

SupplierStatus = Literal["applied", "under_review", "approved", "rejected", "suspended", "blocked"]
Standing = Literal["excellent", "good", "watch", "probation"]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SupplierContact(_Value):
    name: str
    email: str | None = None
    phone: str | None = None
    role: str | None = None


class SupplierSnapshot(Event):
    supplier_id: uuid.UUID
    version: int = Field(ge=1)
    name: str
    legal_id: str
    status: SupplierStatus
    categories: list[str]
    risk_level: Literal["low", "medium", "high"] = "medium"
    contacts: list[SupplierContact] = []
    status_reason: str | None = Field(
        default=None, description="why the supplier is in its status (rejected, suspended...)"
    )


class SupplierRegistered(SupplierSnapshot):
    event_type = "tandem.supplier.supplier.registered.v1"


class SupplierChanged(SupplierSnapshot):
    event_type = "tandem.supplier.supplier.changed.v1"
    changed_fields: list[str] = []


class SupplierStatusChanged(SupplierSnapshot):
    event_type = "tandem.supplier.supplier.status-changed.v1"
    previous_status: SupplierStatus
    reason: str | None = None


class OfferPublished(Event):
    event_type = "tandem.supplier.offer.published.v1"
    offer_id: uuid.UUID
    supplier_id: uuid.UUID
    version: int = Field(ge=1)
    sku: str
    unit_price: Money
    lead_time_days: int = Field(ge=0)
    minimum_order_quantity: DecimalStr
    valid_from: date | None = None
    valid_until: date | None = None


class OfferWithdrawn(Event):
    event_type = "tandem.supplier.offer.withdrawn.v1"
    offer_id: uuid.UUID
    supplier_id: uuid.UUID
    version: int = Field(ge=1)
    sku: str


class CertificationRecorded(Event):
    """A certificate was recorded for a supplier (full state)."""

    event_type = "tandem.supplier.certification.recorded.v1"
    certification_id: uuid.UUID
    supplier_id: uuid.UUID
    version: int = Field(ge=1)
    kind: str
    issuer: str
    number: str
    valid_from: date
    valid_until: date
    mandatory: bool


class CertificationExpiring(Event):
    event_type = "tandem.supplier.certification.expiring.v1"
    certification_id: uuid.UUID
    supplier_id: uuid.UUID
    kind: str
    valid_until: date
    days_left: int | None = None
    mandatory: bool | None = None


class CertificationExpired(Event):
    event_type = "tandem.supplier.certification.expired.v1"
    certification_id: uuid.UUID
    supplier_id: uuid.UUID
    kind: str
    valid_until: date
    mandatory: bool


class ScorecardCriterion(_Value):
    """One weighted criterion of a score and what it contributed (points out of 100)."""

    criterion: str
    weight: int
    effective_weight: DecimalStr
    score: DecimalStr | None = None
    contribution: DecimalStr | None = None
    observations: int = 0


StandingEffect = Literal["warn", "no_new_purchase_orders"]


class ScorecardUpdated(Event):
    event_type = "tandem.supplier.scorecard.updated.v1"
    supplier_id: uuid.UUID
    version: int = Field(ge=1)
    score: DecimalStr | None
    standing: Standing | None
    period_start: date
    period_end: date
    computed_at: datetime
    criteria: list[ScorecardCriterion] = []
    effect: StandingEffect | None = Field(
        default=None, description="watch: warn; probation: no new purchase orders"
    )


class StandingChanged(Event):
    event_type = "tandem.supplier.scorecard.standing-changed.v1"
    supplier_id: uuid.UUID
    version: int = Field(ge=1)
    previous_standing: Standing | None
    standing: Standing
    score: DecimalStr
    effect: StandingEffect | None = Field(
        default=None, description="watch: warn; probation: no new purchase orders"
    )


SUPPLIERS = Topic(
    "supplier.suppliers.v1",
    key=uuid.UUID,
    events=(SupplierRegistered, SupplierChanged, SupplierStatusChanged),
    description="Supplier lifecycle; every change carries the full supplier state.",
)
OFFERS = Topic(
    "supplier.offers.v1",
    key=uuid.UUID,
    events=(OfferPublished, OfferWithdrawn),
    description="What suppliers sell us (keyed by offer id).",
)
CERTIFICATIONS = Topic(
    "supplier.certifications.v1",
    key=uuid.UUID,
    events=(CertificationRecorded, CertificationExpiring, CertificationExpired),
    description="Certificates recorded, expiry warnings and expiries (keyed by supplier id).",
)
SCORECARDS = Topic(
    "supplier.scorecards.v1",
    key=uuid.UUID,
    events=(ScorecardUpdated, StandingChanged),
    description="Supplier scorecards and standing changes (keyed by supplier id).",
)
TOPICS = (SUPPLIERS, OFFERS, CERTIFICATIONS, SCORECARDS)
