"""Customer-service tables, mapped imperatively onto the domain classes (the domain stays pure)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.orm import registry

from tandem_customer.domain.contacts import Activity, ActivityKind, Contact
from tandem_customer.domain.leads import Lead, LeadStatus
from tandem_customer.domain.model import Customer, CustomerStatus
from tandem_customer.domain.segments import Campaign, CampaignStatus, Segment
from tandem_customer.domain.tickets import Priority, Ticket, TicketStatus
from tandem_kit.db import NAMING, Money, UTCDateTime

metadata = MetaData(naming_convention=NAMING)
mapper_registry = registry(metadata=metadata)


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


def _stamps() -> list[Column]:
    return [
        Column("version", Integer, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    ]


customers = Table(
    "customers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=True),
    Column("legal_id", String(64), nullable=True),
    Column("credit_limit", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", _enum(CustomerStatus), nullable=False),
    Column("owner", String(200), nullable=True),
    Column("industry", String(100), nullable=True),
    Column("segment", String(100), nullable=True),
    Column("tier", String(20), nullable=True),
    Column("merged_into", Uuid, nullable=True),
    Column("status_reason", String(500), nullable=True),
    Column("name_key", String(200), nullable=True),
    Column("email_key", String(320), nullable=True),
    Column("legal_key", String(64), nullable=True),
    *_stamps(),
    Index("ix_customers_created_at_id", "created_at", "id"),
    Index("ix_customers_status", "status"),
    Index("ix_customers_legal_id", "legal_id"),
    Index("ix_customers_name_key", "name_key"),
    Index("ix_customers_email_key", "email_key"),
    Index("ix_customers_legal_key", "legal_key"),
    Index("ix_customers_owner", "owner"),
    Index("ix_customers_name_id", "name", "id"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, ForeignKey("customers.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=True),
    Column("phone", String(50), nullable=True),
    Column("title", String(200), nullable=True),
    Column("primary", Boolean, nullable=False),
    *_stamps(),
    Index("ix_contacts_customer_id", "customer_id", "created_at", "id"),
)

activities = Table(
    "activities",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, ForeignKey("customers.id"), nullable=False),
    Column("kind", _enum(ActivityKind), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=True),
    Column("contact_id", Uuid, nullable=True),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=True),
    Column("completed_at", UTCDateTime, nullable=True),
    Column("author", String(200), nullable=True),
    *_stamps(),
    Index("ix_activities_customer_occurred", "customer_id", "occurred_at", "id"),
)

leads = Table(
    "leads",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=True),
    Column("company", String(200), nullable=True),
    Column("phone", String(50), nullable=True),
    Column("source", String(50), nullable=True),
    Column("industry", String(100), nullable=True),
    Column("estimated_amount", Money, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("status", _enum(LeadStatus), nullable=False),
    Column("owner", String(200), nullable=True),
    Column("score", Integer, nullable=False),
    Column("score_lines", JSON, nullable=False),
    Column("reason", String(500), nullable=True),
    Column("email_key", String(320), nullable=True),
    Column("customer_id", Uuid, nullable=True),
    Column("contact_id", Uuid, nullable=True),
    Column("converted_at", UTCDateTime, nullable=True),
    *_stamps(),
    Index("ix_leads_created_at_id", "created_at", "id"),
    Index("ix_leads_email_key", "email_key"),
    Index("ix_leads_owner", "owner"),
    Index("ix_leads_status", "status"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, ForeignKey("customers.id"), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("description", Text, nullable=True),
    Column("priority", _enum(Priority), nullable=False),
    Column("status", _enum(TicketStatus), nullable=False),
    Column("assignee", String(200), nullable=True),
    Column("escalated", Boolean, nullable=False),
    Column("escalation_level", Integer, nullable=False),
    Column("first_response_due", UTCDateTime, nullable=False),
    Column("resolution_due", UTCDateTime, nullable=False),
    Column("first_responded_at", UTCDateTime, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("first_response_breached_at", UTCDateTime, nullable=True),
    Column("resolution_breached_at", UTCDateTime, nullable=True),
    *_stamps(),
    Index("ix_tickets_customer_id", "customer_id", "created_at", "id"),
    Index("ix_tickets_status", "status"),
    Index("ix_tickets_created_at_id", "created_at", "id"),
)

segments = Table(
    "segments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", String(1000), nullable=True),
    Column("rules", JSON, nullable=False),
    *_stamps(),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("segment_id", Uuid, ForeignKey("segments.id"), nullable=True),
    Column("channel", String(50), nullable=True),
    Column("starts_on", Date, nullable=True),
    Column("ends_on", Date, nullable=True),
    Column("status", _enum(CampaignStatus), nullable=False),
    Column("member_count", Integer, nullable=False),
    *_stamps(),
    Index("ix_campaigns_created_at_id", "created_at", "id"),
)

campaign_members = Table(
    "campaign_members",
    metadata,
    Column("campaign_id", Uuid, ForeignKey("campaigns.id"), primary_key=True),
    Column("customer_id", Uuid, ForeignKey("customers.id"), primary_key=True),
    Column("added_at", UTCDateTime, nullable=False),
)

# Customer value read model, fed by sales.orders.v1: one row per order (newest version wins),
# so an order counts once however many of its events arrive.
order_values = Table(
    "order_values",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("total", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("revenue", Money, nullable=True),  # in the reporting currency; None: no rate
    Column("ordered_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_order_values_customer_id", "customer_id"),
)

customer_values = Table(
    "customer_values",
    metadata,
    Column("customer_id", Uuid, primary_key=True),
    Column("lifetime_revenue", Money, nullable=False),
    Column("revenue_cents", BigInteger, nullable=False),  # for segment rules on any backend
    Column("currency", String(3), nullable=False),
    Column("order_count", Integer, nullable=False),
    Column("last_order_at", UTCDateTime, nullable=True),
    Column("tier", String(20), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Counts the changes of this value (the version of CustomerValueChanged); 1 once stored.
    Column("version", Integer, nullable=False, server_default="0"),
)

# CSV lead imports: progress and per-row errors survive the request that started them.
lead_imports = Table(
    "lead_imports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("status", String(20), nullable=False),  # running, completed, failed, interrupted
    Column("filename", String(300), nullable=True),
    Column("total_rows", Integer, nullable=False),
    Column("processed", Integer, nullable=False),
    Column("imported", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("errors", JSON, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
)

_mapped = False


def start_mappers() -> None:
    """Map domain classes once per process (idempotent)."""
    global _mapped
    if _mapped:
        return
    for cls, table in (
        (Customer, customers),
        (Contact, contacts),
        (Activity, activities),
        (Lead, leads),
        (Ticket, tickets),
        (Segment, segments),
        (Campaign, campaigns),
    ):
        mapper_registry.map_imperatively(
            cls, table, version_id_col=table.c.version, version_id_generator=False
        )
    _mapped = True
