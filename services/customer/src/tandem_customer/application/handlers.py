"""Customer command handlers: load, decide in the domain, commit state and events together."""

from __future__ import annotations

from tandem_customer.application.commands import ChangeCustomerStatus, RegisterCustomer
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.domain.errors import CustomerNotFound
from tandem_customer.domain.model import Customer
from tandem_kit.errors import PreconditionFailed


async def register_customer(cmd: RegisterCustomer, uow: CustomerUnitOfWork) -> Customer:
    """Create a prospect and publish tandem.customer.customer.created.v1."""
    customer = Customer.register(
        name=cmd.name,
        email=cmd.email,
        credit_limit=cmd.credit_limit,
        currency=cmd.currency,
        legal_id=cmd.legal_id,
        owner=cmd.owner,
        industry=cmd.industry,
    )
    uow.customers.add(customer)
    return customer


async def change_customer_status(cmd: ChangeCustomerStatus, uow: CustomerUnitOfWork) -> Customer:
    """Move a customer through its lifecycle (activate, hold, block, archive)."""
    customer = await uow.customers.get(cmd.customer_id, for_update=True)
    if customer is None:
        raise CustomerNotFound(cmd.customer_id)
    if cmd.expected_version is not None and cmd.expected_version != customer.version:
        raise PreconditionFailed(
            f"customer is at version {customer.version}, not {cmd.expected_version}",
            field="If-Match",
        )
    customer.change_status(cmd.action, cmd.reason)
    return customer
