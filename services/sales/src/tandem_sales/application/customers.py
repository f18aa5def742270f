"""The customer read model: kept from customer events, used to confirm orders."""

from __future__ import annotations

import uuid

from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.access import SYSTEM, Actor
from tandem_sales.domain.customers import CustomerAccount, merged_open_total
from tandem_sales.domain.errors import ConfirmationRefused, RecordNotFound

MAX_MERGE_HOPS = 16


async def when_customer_changed(state: CustomerAccount, uow: SalesUnitOfWork) -> bool:
    """Keep the newest customer state (merges included); an older or repeated version changes
    nothing. A merged customer keeps its open total; it counts against the survivor."""
    current = await uow.customers.get(state.id, for_update=True)
    if current is None:
        uow.customers.add(state)
        return True
    return current.apply(state)


async def credit_holder(
    uow: SalesUnitOfWork, customer_id: uuid.UUID
) -> tuple[CustomerAccount, list[CustomerAccount]]:
    """The surviving account for ``customer_id`` (following merges), row-locked, and the
    accounts merged into it. Refuses when sales does not know the customer."""
    current_id = customer_id
    for _ in range(MAX_MERGE_HOPS):
        account = await uow.customers.get(current_id, for_update=True)
        if account is None:
            via = "" if current_id == customer_id else f" (merged into {current_id})"
            raise ConfirmationRefused(
                "customer_unknown",
                f"sales knows no customer {customer_id}{via} yet; customer events may still be "
                "on their way",
                status_code=422,
            )
        if account.merged_into is None:
            return account, await uow.customers.merged_into(account.id)
        current_id = account.merged_into
    raise ConfirmationRefused(
        "customer_merged", f"customer {customer_id} is merged in a chain too long to follow"
    )


async def customer_credit(
    uow: SalesUnitOfWork, customer_id: uuid.UUID, actor: Actor = SYSTEM
) -> tuple[CustomerAccount, CustomerAccount | None, object]:
    """The account, its survivor (when merged) and the survivor's open total incl. merges.

    A sales rep sees only customers they own (404 otherwise, as for any record)."""
    account = await uow.customers.get(customer_id)
    if account is None or not actor.may_see(account.owner):
        raise RecordNotFound("customer", customer_id, field="customer_id")
    survivor = account
    for _ in range(MAX_MERGE_HOPS):
        if survivor.merged_into is None:
            break
        nxt = await uow.customers.get(survivor.merged_into)
        if nxt is None:
            return account, None, None
        survivor = nxt
    merged = await uow.customers.merged_into(survivor.id)
    try:
        open_total = survivor.open_total + merged_open_total(survivor, merged)
    except ConfirmationRefused:
        open_total = None
    return account, (survivor if survivor is not account else None), open_total
