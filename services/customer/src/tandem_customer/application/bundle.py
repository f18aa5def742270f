"""One customer and what hangs off it, read in one transaction (the customer 360's share)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from tandem_customer.application.access import Actor
from tandem_customer.application.handlers import load_customer
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.db.paging import Keyset
from tandem_customer.db.tables import activities, contacts, tickets
from tandem_customer.domain.contacts import Activity, Contact
from tandem_customer.domain.model import Customer
from tandem_customer.domain.tickets import Ticket

# Each part beside the customer, and the resource whose read permission covers it.
PART_RESOURCES = {
    "contacts": "contacts",
    "activities": "activities",
    "open_tickets": "tickets",
    "value": "customers",
}


@dataclass
class Bundle:
    """Rows of each part read (one more than the page, so a next page shows); None: not read."""

    customer: Customer
    contacts: list[Contact] | None = None
    activities: list[Activity] | None = None
    open_tickets: list[Ticket] | None = None
    value: dict[str, Any] | None = None  # the customer's value row, when one exists


async def read_bundle(
    uow: CustomerUnitOfWork,
    customer_id: uuid.UUID,
    actor: Actor,
    *,
    parts: Collection[str],
    page_size: int,
    recent: int,
) -> Bundle:
    """The customer (refused as GET /customers/{id} refuses it) and the parts asked for."""
    async with uow:
        found = Bundle(await load_customer(uow, customer_id, actor))
        if "contacts" in parts:
            found.contacts = await uow.contacts.list(
                limit=page_size + 1, keyset=Keyset(contacts.c.created_at), customer_id=customer_id
            )
        if "activities" in parts:
            found.activities = await uow.activities.list(
                limit=recent + 1,
                keyset=Keyset(activities.c.occurred_at, descending=True),
                customer_id=customer_id,
            )
        if "open_tickets" in parts:
            found.open_tickets = await uow.tickets.list(
                limit=page_size + 1,
                keyset=Keyset(tickets.c.created_at, descending=True),
                customer_id=customer_id,
                open_only=True,
            )
        if "value" in parts:
            found.value = await uow.values.get(customer_id)
        return found
