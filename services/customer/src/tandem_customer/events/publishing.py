"""Translate domain events into contract events on their topics (one place for the mapping)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tandem_contracts import Envelope, Money
from tandem_contracts import customer as contract
from tandem_contracts.topics import Topic
from tandem_customer.domain import events
from tandem_customer.domain.contacts import Activity, Contact
from tandem_customer.domain.leads import Lead
from tandem_customer.domain.model import Customer
from tandem_customer.domain.segments import Campaign, Segment
from tandem_customer.domain.tickets import Ticket
from tandem_customer.domain.value import CustomerValue


def snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "version": customer.version,
        "name": customer.name,
        "email": customer.email,
        "legal_id": customer.legal_id,
        "status": customer.status.value,
        "credit_limit": Money(amount=customer.credit_limit, currency=customer.currency),
        "tier": customer.tier,
        "segment": customer.segment,
        "industry": customer.industry,
        "owner": customer.owner,
        "merged_into": customer.merged_into,
    }


def _customer(c: Customer, event: Any) -> contract.Event:
    state = snapshot(c)
    if isinstance(event, events.CustomerRegistered):
        return contract.CustomerCreated(**state)
    if isinstance(event, events.CustomerStatusChanged):
        return contract.CustomerStatusChanged(
            **state, previous_status=event.previous_status, reason=event.reason
        )
    if isinstance(event, events.CustomerUpdated):
        return contract.CustomerUpdated(**state)
    if isinstance(event, events.CustomerMerged):
        return contract.CustomerMerged(**state)
    if isinstance(event, events.CustomerTierChanged):
        v = event.value
        return contract.CustomerTierChanged(
            **state,
            previous_tier=event.previous_tier,
            lifetime_revenue=Money(amount=v.lifetime_revenue, currency=v.currency),
            order_count=v.order_count,
        )
    raise TypeError(f"no contract for {type(event).__name__}")


def _lead(lead: Lead, event: Any) -> Iterator[tuple[Topic, contract.Event]]:
    if isinstance(event, events.LeadChanged):
        yield (
            contract.LEADS,
            contract.LeadChanged(
                lead_id=lead.id,
                version=lead.version,
                status=lead.status.value,
                name=lead.name,
                email=lead.email,
                company=lead.company,
                score=lead.score,
                owner=lead.owner,
                reason=lead.reason,
            ),
        )
    elif isinstance(event, events.LeadConverted):
        assert lead.customer_id is not None and lead.converted_at is not None
        amount = (
            Money(amount=event.estimated_amount, currency=event.currency)
            if event.estimated_amount is not None and event.currency
            else None
        )
        yield (
            contract.LEADS,
            contract.LeadConverted(
                lead_id=lead.id,
                customer_id=lead.customer_id,
                contact_id=lead.contact_id,
                opportunity_name=event.opportunity_name,
                estimated_amount=amount,
                owner=lead.owner,
                converted_at=lead.converted_at,
                lead_name=lead.name,
                company=lead.company,
                email=lead.email,
                score=lead.score,
            ),
        )
    else:
        raise TypeError(f"no contract for {type(event).__name__}")


def _ticket(t: Ticket, event: Any) -> tuple[Topic, contract.Event]:
    if isinstance(event, events.TicketSlaBreached):
        return contract.TICKETS, contract.TicketSlaBreached(
            ticket_id=t.id,
            customer_id=t.customer_id,
            sla=event.sla,
            due_at=event.due_at,
            detected_at=event.detected_at,
        )
    if isinstance(event, events.TicketChanged):
        return contract.TICKETS, contract.TicketChanged(
            ticket_id=t.id,
            customer_id=t.customer_id,
            version=t.version,
            status=t.status.value,
            priority=t.priority.value,
            subject=t.subject,
            escalated=t.escalated,
            assignee=t.assignee,
            first_response_due=t.first_response_due,
            resolution_due=t.resolution_due,
        )
    raise TypeError(f"no contract for {type(event).__name__}")


def _other(aggregate: Any, event: Any) -> tuple[Topic, contract.Event]:
    a = aggregate
    if isinstance(a, Contact) and isinstance(event, events.ContactChanged):
        return contract.CONTACTS, contract.ContactChanged(
            contact_id=a.id,
            customer_id=a.customer_id,
            version=a.version,
            name=a.name,
            email=a.email,
            phone=a.phone,
            title=a.title,
            primary=a.primary,
        )
    if isinstance(a, Activity) and isinstance(event, events.ActivityRecorded):
        return contract.ACTIVITIES, contract.ActivityRecorded(
            activity_id=a.id,
            customer_id=a.customer_id,
            version=a.version,
            kind=a.kind.value,
            subject=a.subject,
            occurred_at=a.occurred_at,
            due_at=a.due_at,
            completed_at=a.completed_at,
            contact_id=a.contact_id,
            author=a.author,
        )
    if isinstance(a, CustomerValue) and isinstance(event, events.CustomerValueChanged):
        v = a.facts
        return contract.VALUES, contract.CustomerValueChanged(
            customer_id=a.id,
            version=a.version,
            lifetime_revenue=Money(amount=v.lifetime_revenue, currency=v.currency),
            order_count=v.order_count,
            last_order_at=v.last_order_at,
            tier=a.tier,
        )
    if isinstance(a, Segment) and isinstance(event, events.SegmentChanged):
        return contract.SEGMENTS, contract.SegmentChanged(
            segment_id=a.id, version=a.version, name=a.name, rules=a.rules
        )
    if isinstance(a, Campaign) and isinstance(event, events.CampaignChanged):
        return contract.CAMPAIGNS, contract.CampaignChanged(
            campaign_id=a.id,
            version=a.version,
            name=a.name,
            status=a.status.value,
            segment_id=a.segment_id,
            member_count=a.member_count,
        )
    raise TypeError(f"no contract for {type(aggregate).__name__}/{type(event).__name__}")


def translate(aggregate: Any, event: Any) -> Iterator[tuple[Topic, Envelope]]:
    """The contract events one domain event is published as, keyed by the aggregate id."""
    subject = str(aggregate.id)
    if isinstance(aggregate, Customer):
        yield contract.CUSTOMERS, Envelope.wrap(_customer(aggregate, event), subject=subject)
    elif isinstance(aggregate, Lead):
        for topic, data in _lead(aggregate, event):
            yield topic, Envelope.wrap(data, subject=subject)
    elif isinstance(aggregate, Ticket):
        topic, data = _ticket(aggregate, event)
        yield topic, Envelope.wrap(data, subject=subject)
    else:
        topic, data = _other(aggregate, event)
        yield topic, Envelope.wrap(data, subject=subject)
