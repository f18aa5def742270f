"""What happened in the customer service, in domain words (translated to contracts in events/)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class DomainEvent:
    pass


@dataclass(frozen=True)
class CustomerRegistered(DomainEvent):
    customer_id: uuid.UUID


@dataclass(frozen=True)
class CustomerStatusChanged(DomainEvent):
    customer_id: uuid.UUID
    previous_status: str
    reason: str | None


@dataclass(frozen=True)
class CustomerUpdated(DomainEvent):
    customer_id: uuid.UUID
    fields: tuple[str, ...]


@dataclass(frozen=True)
class CustomerMerged(DomainEvent):
    customer_id: uuid.UUID
    previous_status: str
    survivor_id: uuid.UUID


@dataclass(frozen=True)
class ValueFacts:
    """A customer's value from sales orders (lifetime revenue in one reporting currency)."""

    lifetime_revenue: Decimal
    currency: str
    order_count: int
    last_order_at: datetime | None


@dataclass(frozen=True)
class CustomerTierChanged(DomainEvent):
    customer_id: uuid.UUID
    previous_tier: str | None
    value: ValueFacts


@dataclass(frozen=True)
class CustomerValueChanged(DomainEvent):
    """The stored value differs from what was stored before (or is the first one)."""

    customer_id: uuid.UUID


@dataclass(frozen=True)
class ContactChanged(DomainEvent):
    contact_id: uuid.UUID


@dataclass(frozen=True)
class ActivityRecorded(DomainEvent):
    activity_id: uuid.UUID


@dataclass(frozen=True)
class LeadChanged(DomainEvent):
    lead_id: uuid.UUID


@dataclass(frozen=True)
class LeadConverted(DomainEvent):
    lead_id: uuid.UUID
    opportunity_name: str
    estimated_amount: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class TicketChanged(DomainEvent):
    ticket_id: uuid.UUID


@dataclass(frozen=True)
class TicketSlaBreached(DomainEvent):
    ticket_id: uuid.UUID
    sla: str
    due_at: datetime
    detected_at: datetime


@dataclass(frozen=True)
class SegmentChanged(DomainEvent):
    segment_id: uuid.UUID


@dataclass(frozen=True)
class CampaignChanged(DomainEvent):
    campaign_id: uuid.UUID
