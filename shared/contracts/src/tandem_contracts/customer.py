"""Customer service contracts (CRM core)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from tandem_contracts.events import Event, Money
from tandem_contracts.topics import Topic

CustomerStatus = Literal["prospect", "active", "on_hold", "blocked", "archived", "merged"]


class CustomerSnapshot(Event):
    """The full state of a customer after the change: readers keep the newest ``version``."""

    customer_id: uuid.UUID
    version: int = Field(ge=1, description="aggregate version; apply only if newer")
    name: str = Field(min_length=1)
    email: str | None = None
    legal_id: str | None = None
    status: CustomerStatus
    credit_limit: Money
    tier: str | None = None
    segment: str | None = None
    industry: str | None = None
    owner: str | None = None
    merged_into: uuid.UUID | None = None


class CustomerCreated(CustomerSnapshot):
    event_type = "tandem.customer.customer.created.v1"


class CustomerUpdated(CustomerSnapshot):
    event_type = "tandem.customer.customer.updated.v1"


class CustomerStatusChanged(CustomerSnapshot):
    event_type = "tandem.customer.customer.status-changed.v1"
    previous_status: CustomerStatus
    reason: str | None = None


class CustomerMerged(CustomerSnapshot):
    """The customer became a tombstone; readers re-point its references to ``merged_into``."""

    event_type = "tandem.customer.customer.merged.v1"


class CustomerTierChanged(CustomerSnapshot):
    event_type = "tandem.customer.customer.tier-changed.v1"
    previous_tier: str | None = None
    lifetime_revenue: Money
    order_count: int = Field(ge=0)


class LeadConverted(Event):
    """A qualified lead became a customer (+contact); sales opens an opportunity from it."""

    event_type = "tandem.customer.lead.converted.v1"
    lead_id: uuid.UUID
    customer_id: uuid.UUID
    contact_id: uuid.UUID | None = None
    opportunity_name: str
    estimated_amount: Money | None = None
    owner: str | None = None
    converted_at: datetime


class LeadChanged(Event):
    event_type = "tandem.customer.lead.changed.v1"
    lead_id: uuid.UUID
    version: int = Field(ge=1)
    status: Literal["captured", "qualified", "converted", "disqualified"]
    name: str
    email: str | None = None
    company: str | None = None
    score: int = 0
    owner: str | None = None
    reason: str | None = None


class TicketChanged(Event):
    event_type = "tandem.customer.ticket.changed.v1"
    ticket_id: uuid.UUID
    customer_id: uuid.UUID
    version: int = Field(ge=1)
    status: Literal["new", "open", "pending", "resolved", "closed"]
    priority: Literal["low", "normal", "high", "urgent"]
    subject: str
    escalated: bool = False


class TicketSlaBreached(Event):
    event_type = "tandem.customer.ticket.sla-breached.v1"
    ticket_id: uuid.UUID
    customer_id: uuid.UUID
    sla: Literal["first_response", "resolution"]
    due_at: datetime
    detected_at: datetime


CUSTOMERS = Topic(
    "customer.customers.v1",
    key=uuid.UUID,
    events=(
        CustomerCreated,
        CustomerUpdated,
        CustomerStatusChanged,
        CustomerMerged,
        CustomerTierChanged,
    ),
    description="Customer accounts: every change carries the full customer state.",
)
LEADS = Topic(
    "customer.leads.v1",
    key=uuid.UUID,
    events=(LeadChanged, LeadConverted),
    description="Leads: lifecycle and conversion (sales opens opportunities from conversions).",
)
TICKETS = Topic(
    "customer.tickets.v1",
    key=uuid.UUID,
    events=(TicketChanged, TicketSlaBreached),
    description="Service tickets: lifecycle, escalations and SLA breaches.",
)
TOPICS = (CUSTOMERS, LEADS, TICKETS)
