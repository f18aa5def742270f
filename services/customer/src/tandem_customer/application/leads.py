"""Lead handlers: capture, qualify / disqualify / reopen / assign, convert."""

from __future__ import annotations

from tandem_customer.application.commands import CaptureLead, ChangeLead, ConvertLead
from tandem_customer.application.handlers import check_version, likely_duplicates, load_customer
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.domain.contacts import Contact
from tandem_customer.domain.errors import Conflict, DuplicateCustomer, InvalidRecord, RecordNotFound
from tandem_customer.domain.leads import Lead
from tandem_customer.domain.model import Customer, CustomerStatus


class DuplicateLead(Conflict):
    def __init__(self, existing: Lead) -> None:
        super().__init__(f"lead {existing.id} already has this email", field="email")
        self.existing = existing

    def body(self) -> dict[str, object]:
        return {**super().body(), "duplicate_of": str(self.existing.id)}


async def load_lead(uow: CustomerUnitOfWork, cmd_lead_id, actor, *, for_update=True) -> Lead:
    lead = await uow.leads.get(cmd_lead_id, for_update=for_update)
    if lead is None:
        raise RecordNotFound("lead", cmd_lead_id)
    actor.check("lead", cmd_lead_id, lead.owner)
    return lead


async def capture_lead(cmd: CaptureLead, uow: CustomerUnitOfWork) -> Lead:
    """Capture a lead (scored on the way in); a lead with the same email is a 409."""
    cmd.actor.check_assignment(cmd.owner)
    lead = Lead.capture(
        name=cmd.name,
        rules=uow.rules.scoring,
        owner=cmd.owner or (cmd.actor.subject if cmd.actor.own_records_only else None),
        **cmd.details,
    )
    if lead.email_key and (existing := await uow.leads.with_email_key(lead.email_key)):
        raise DuplicateLead(existing)
    uow.leads.add(lead)
    return lead


async def change_lead(cmd: ChangeLead, uow: CustomerUnitOfWork) -> Lead:
    lead = await load_lead(uow, cmd.lead_id, cmd.actor)
    check_version("lead", lead.version, cmd.expected_version)
    if cmd.action == "qualify":
        lead.qualify()
    elif cmd.action == "disqualify":
        lead.disqualify(cmd.reason or "")
    elif cmd.action == "reopen":
        lead.reopen()
    elif cmd.action == "assign":
        cmd.actor.check_assignment(cmd.owner)
        lead.assign(cmd.owner or "")
    elif cmd.action == "rescore":
        lead.rescore(uow.rules.scoring)
    else:
        raise InvalidRecord(f"unknown action {cmd.action}", field="action")
    return lead


async def convert_lead(cmd: ConvertLead, uow: CustomerUnitOfWork) -> Lead:
    """Turn a qualified lead into a customer and contact (or link an existing customer)."""
    lead = await load_lead(uow, cmd.lead_id, cmd.actor)
    check_version("lead", lead.version, cmd.expected_version)
    lead.check("convert")
    if cmd.customer_id is not None:
        customer = await load_customer(uow, cmd.customer_id, cmd.actor, for_update=True)
        if customer.status in (CustomerStatus.MERGED, CustomerStatus.ARCHIVED):
            raise InvalidRecord(f"customer is {customer.status}", field="customer_id")
    else:
        name = lead.company or lead.name
        if not cmd.allow_duplicates:
            duplicates = await likely_duplicates(uow, name=name, email=lead.email, legal_id=None)
            if duplicates:
                raise DuplicateCustomer(duplicates)
        customer = Customer.register(
            name=name,
            email=lead.email,
            credit_limit=cmd.credit_limit,
            currency=lead.currency or uow.rules.currency,
            owner=lead.owner or cmd.actor.subject,
            industry=lead.industry,
        )
        uow.customers.add(customer)
        await uow.session.flush()  # no mapped relationship orders the inserts: customer first
    contact = Contact.add(
        customer_id=customer.id,
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        primary=cmd.customer_id is None,
    )
    uow.contacts.add(contact)
    lead.convert(
        customer_id=customer.id, contact_id=contact.id, opportunity_name=cmd.opportunity_name
    )
    if lead.owner is None:
        lead.owner = customer.owner
    return lead
