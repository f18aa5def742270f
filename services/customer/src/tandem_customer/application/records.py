"""Handlers for contacts, activities, tickets: each one transaction, state and events together."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tandem_customer.application.handlers import check_version, load_customer
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.domain.contacts import Activity, ActivityKind, Contact
from tandem_customer.domain.errors import InvalidRecord, RecordNotFound
from tandem_customer.domain.model import CustomerStatus
from tandem_customer.domain.tickets import Priority, Ticket


async def _live_customer(uow: CustomerUnitOfWork, customer_id: uuid.UUID) -> None:
    customer = await load_customer(uow, customer_id)
    if customer.status == CustomerStatus.MERGED:
        raise InvalidRecord(
            f"customer {customer_id} was merged into {customer.merged_into}", field="customer_id"
        )


async def add_contact(
    uow: CustomerUnitOfWork, *, customer_id: uuid.UUID, name: str, **details: Any
) -> Contact:
    await _live_customer(uow, customer_id)
    contact = Contact.add(customer_id=customer_id, name=name, **details)
    uow.contacts.add(contact)
    return contact


async def load(
    uow: CustomerUnitOfWork, kind: str, record_id: uuid.UUID, *, for_update=False
) -> Any:
    repo = {
        "contact": uow.contacts,
        "activity": uow.activities,
        "ticket": uow.tickets,
        "segment": uow.segments,
        "campaign": uow.campaigns,
        "lead": uow.leads,
    }[kind]
    record = await repo.get(record_id, for_update=for_update)
    if record is None:
        raise RecordNotFound(kind, record_id)
    return record


async def update_contact(
    uow: CustomerUnitOfWork, contact_id: uuid.UUID, changes: dict[str, Any], expected: int | None
) -> Contact:
    contact = await load(uow, "contact", contact_id, for_update=True)
    check_version("contact", contact.version, expected)
    contact.update(changes)
    return contact


async def record_activity(
    uow: CustomerUnitOfWork,
    *,
    customer_id: uuid.UUID,
    kind: ActivityKind,
    subject: str,
    author: str,
    contact_id: uuid.UUID | None = None,
    **details: Any,
) -> Activity:
    await _live_customer(uow, customer_id)
    if contact_id is not None:
        contact = await uow.contacts.get(contact_id)
        if contact is None or contact.customer_id != customer_id:
            raise InvalidRecord("contact does not belong to this customer", field="contact_id")
    activity = Activity.record(
        customer_id=customer_id,
        kind=kind,
        subject=subject,
        author=author,
        contact_id=contact_id,
        **details,
    )
    uow.activities.add(activity)
    return activity


async def complete_task(
    uow: CustomerUnitOfWork,
    activity_id: uuid.UUID,
    expected: int | None,
    at: datetime | None = None,
) -> Activity:
    activity = await load(uow, "activity", activity_id, for_update=True)
    check_version("activity", activity.version, expected)
    activity.complete(at)
    return activity


async def raise_ticket(
    uow: CustomerUnitOfWork,
    *,
    customer_id: uuid.UUID,
    subject: str,
    priority: Priority,
    description: str | None = None,
    assignee: str | None = None,
) -> Ticket:
    await _live_customer(uow, customer_id)
    ticket = Ticket.raise_ticket(
        customer_id=customer_id,
        subject=subject,
        priority=priority,
        policy=uow.rules.sla,
        description=description,
    )
    ticket.assignee = assignee
    uow.tickets.add(ticket)
    return ticket


async def act_on_ticket(
    uow: CustomerUnitOfWork, ticket_id: uuid.UUID, action: str, expected: int | None
) -> Ticket:
    ticket = await load(uow, "ticket", ticket_id, for_update=True)
    check_version("ticket", ticket.version, expected)
    ticket.act(action, policy=uow.rules.sla)
    return ticket


async def assign_ticket(
    uow: CustomerUnitOfWork, ticket_id: uuid.UUID, assignee: str, expected: int | None
) -> Ticket:
    ticket = await load(uow, "ticket", ticket_id, for_update=True)
    check_version("ticket", ticket.version, expected)
    ticket.assign(assignee)
    return ticket


async def detect_breaches(uow: CustomerUnitOfWork, ticket_id: uuid.UUID, at: datetime) -> list[str]:
    """Record (once) each SLA the ticket has broken; events go out with the same commit."""
    ticket = await uow.tickets.get(ticket_id, for_update=True)
    if ticket is None:
        return []
    return ticket.record_breaches(at, escalate=uow.rules.escalate_on_breach, policy=uow.rules.sla)
