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


class CustomerValueChanged(Event):
    """A customer's value from sales orders, in full, after every change of it.

    Readers keep the newest ``version``; the revenue is in the reporting currency."""

    event_type = "tandem.customer.value.changed.v1"
    customer_id: uuid.UUID
    version: int = Field(ge=1, description="grows with every change of this customer's value")
    lifetime_revenue: Money = Field(description="confirmed, fulfilled and closed orders")
    order_count: int = Field(ge=0)
    last_order_at: datetime | None = None
    tier: str


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
    lead_name: str | None = None
    company: str | None = None
    email: str | None = None
    score: int | None = None


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
    assignee: str | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None


class TicketSlaBreached(Event):
    event_type = "tandem.customer.ticket.sla-breached.v1"
    ticket_id: uuid.UUID
    customer_id: uuid.UUID
    sla: Literal["first_response", "resolution"]
    due_at: datetime
    detected_at: datetime


class ContactChanged(Event):
    """A contact person of a customer was added or changed (full state)."""

    event_type = "tandem.customer.contact.changed.v1"
    contact_id: uuid.UUID
    customer_id: uuid.UUID
    version: int = Field(ge=1)
    name: str
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    primary: bool = False


class ActivityRecorded(Event):
    """A call, email, meeting, note or task on a customer's timeline (full state)."""

    event_type = "tandem.customer.activity.recorded.v1"
    activity_id: uuid.UUID
    customer_id: uuid.UUID
    version: int = Field(ge=1)
    kind: Literal["call", "email", "meeting", "note", "task"]
    subject: str
    occurred_at: datetime
    due_at: datetime | None = None
    completed_at: datetime | None = None
    contact_id: uuid.UUID | None = None
    author: str | None = None


class SegmentChanged(Event):
    """A segment's definition (rules over industry, tier, status, lifetime revenue)."""

    event_type = "tandem.customer.segment.changed.v1"
    segment_id: uuid.UUID
    version: int = Field(ge=1)
    name: str
    rules: dict[str, str | list[str]]


class CampaignChanged(Event):
    event_type = "tandem.customer.campaign.changed.v1"
    campaign_id: uuid.UUID
    version: int = Field(ge=1)
    name: str
    status: Literal["draft", "scheduled", "active", "completed", "cancelled"]
    segment_id: uuid.UUID | None = None
    member_count: int = Field(ge=0)


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
CONTACTS = Topic(
    "customer.contacts.v1",
    key=uuid.UUID,
    events=(ContactChanged,),
    description="Contact people of customers: full contact state on every change.",
)
ACTIVITIES = Topic(
    "customer.activities.v1",
    key=uuid.UUID,
    events=(ActivityRecorded,),
    description="Customer timelines: calls, emails, meetings, notes and tasks.",
)
SEGMENTS = Topic(
    "customer.segments.v1",
    key=uuid.UUID,
    events=(SegmentChanged,),
    description="Customer segment definitions.",
)
CAMPAIGNS = Topic(
    "customer.campaigns.v1",
    key=uuid.UUID,
    events=(CampaignChanged,),
    description="Campaigns: status and member counts.",
)
VALUES = Topic(
    "customer.values.v1",
    key=uuid.UUID,
    events=(CustomerValueChanged,),
    description=(
        "Customer value from sales orders: lifetime revenue, order count, last order and tier,"
        " the full value and its version on every change."
    ),
)
TOPICS = (CUSTOMERS, LEADS, TICKETS, CONTACTS, ACTIVITIES, SEGMENTS, CAMPAIGNS, VALUES)
