"""Customer command handlers: load, decide in the domain, commit state and events together."""

from __future__ import annotations

import uuid
from typing import Any

from tandem_customer.application.access import SYSTEM, Actor
from tandem_customer.application.commands import (
    ChangeCustomerStatus,
    MergeCustomers,
    RegisterCustomer,
    UpdateCustomer,
)
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.application.value import recompute_value
from tandem_customer.domain.dedup import normalise_email, normalise_legal_id, normalise_name
from tandem_customer.domain.errors import CustomerNotFound, DuplicateCustomer, Forbidden
from tandem_customer.domain.model import Customer
from tandem_kit.errors import PreconditionFailed


def check_version(entity: str, current: int, expected: int | None) -> None:
    """412 when If-Match names a version that is no longer current."""
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"{entity} is at version {current}, not {expected}", field="If-Match"
        )


async def load_customer(
    uow: CustomerUnitOfWork, customer_id: uuid.UUID, actor: Actor = SYSTEM, *, for_update=False
) -> Customer:
    customer = await uow.customers.get(customer_id, for_update=for_update)
    if customer is None:
        raise CustomerNotFound(customer_id)
    actor.check("customer", customer_id, customer.owner)
    return customer


def describe_duplicate(customer: Customer, probe: dict[str, str | None]) -> dict[str, Any]:
    matched = [
        label
        for label, key in (("legal_id", "legal_key"), ("name", "name_key"), ("email", "email_key"))
        if probe.get(key) and getattr(customer, key) == probe[key]
    ]
    return {
        "id": str(customer.id),
        "name": customer.name,
        "email": customer.email,
        "legal_id": customer.legal_id,
        "status": customer.status.value,
        "owner": customer.owner,
        "matched_on": matched,
    }


async def likely_duplicates(
    uow: CustomerUnitOfWork,
    *,
    name: str | None,
    email: str | None,
    legal_id: str | None,
    exclude: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Live customers that share the legal id, normalised name or normalised email."""
    probe = {
        "name_key": normalise_name(name),
        "email_key": normalise_email(email),
        "legal_key": normalise_legal_id(legal_id),
    }
    found = await uow.customers.likely_duplicates(**probe, exclude=exclude)
    return [describe_duplicate(c, probe) for c in found]


async def register_customer(cmd: RegisterCustomer, uow: CustomerUnitOfWork) -> Customer:
    """Create a prospect and publish tandem.customer.customer.created.v1."""
    cmd.actor.check_assignment(cmd.owner)
    if not cmd.allow_duplicates:
        duplicates = await likely_duplicates(
            uow, name=cmd.name, email=cmd.email, legal_id=cmd.legal_id
        )
        if duplicates:
            raise DuplicateCustomer(duplicates)
    customer = Customer.register(
        name=cmd.name,
        email=cmd.email,
        credit_limit=cmd.credit_limit,
        currency=cmd.currency,
        legal_id=cmd.legal_id,
        owner=cmd.owner or (cmd.actor.subject if cmd.actor is not SYSTEM else None),
        industry=cmd.industry,
        segment=cmd.segment,
    )
    uow.customers.add(customer)
    return customer


async def change_customer_status(cmd: ChangeCustomerStatus, uow: CustomerUnitOfWork) -> Customer:
    """Move a customer through its lifecycle (activate, hold, block, archive)."""
    customer = await load_customer(uow, cmd.customer_id, cmd.actor, for_update=True)
    check_version("customer", customer.version, cmd.expected_version)
    customer.change_status(cmd.action, cmd.reason)
    return customer


async def update_customer(cmd: UpdateCustomer, uow: CustomerUnitOfWork) -> Customer:
    """Change a customer's fields; publishes tandem.customer.customer.updated.v1."""
    customer = await load_customer(uow, cmd.customer_id, cmd.actor, for_update=True)
    check_version("customer", customer.version, cmd.expected_version)
    if "owner" in cmd.changes:
        # A rep may neither hand a customer to someone else nor leave it without an owner.
        if cmd.actor.own_records_only and cmd.changes["owner"] != cmd.actor.subject:
            raise Forbidden("a sales rep can only own records themselves", field="owner")
    customer.update(dict(cmd.changes))
    return customer


async def merge_customers(cmd: MergeCustomers, uow: CustomerUnitOfWork) -> Customer:
    """Fold one customer into another: its records move over; it becomes a tombstone."""
    source = await load_customer(uow, cmd.source_id, cmd.actor, for_update=True)
    check_version("customer", source.version, cmd.expected_version)
    survivor = await uow.customers.get(cmd.survivor_id, for_update=True)
    if survivor is None:
        raise CustomerNotFound(cmd.survivor_id)
    cmd.actor.check("customer", cmd.survivor_id, survivor.owner)
    source.merge_into(survivor)
    for repo in (uow.contacts, uow.activities, uow.tickets):
        for record in await repo.of_customer(source.id):
            record.move_to(survivor.id)
    for lead in await uow.leads.of_customer(source.id):
        lead.customer_id = survivor.id
    await uow.campaigns.repoint_members(source.id, survivor.id)
    await uow.values.repoint_orders(source.id, survivor.id)
    await recompute_value(uow, survivor.id)
    if await uow.values.has_value(source.id):  # its orders left it: its value falls to none
        await recompute_value(uow, source.id)
    return source
