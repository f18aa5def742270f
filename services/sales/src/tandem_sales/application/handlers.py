"""Sales handlers."""

from __future__ import annotations

from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.customers import CustomerAccount


async def when_customer_changed(state: CustomerAccount, uow: SalesUnitOfWork) -> bool:
    """Keep the newest customer state; an older or repeated version changes nothing."""
    current = await uow.customers.get(state.id, for_update=True)
    if current is None:
        uow.customers.add(state)
        return True
    return current.apply(state)
