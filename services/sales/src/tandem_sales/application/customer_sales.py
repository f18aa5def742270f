"""A customer's opportunities and recent orders, read in one transaction (the 360's share)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.access import Actor
from tandem_sales.domain.opportunities import Opportunity
from tandem_sales.domain.orders import SalesOrder


@dataclass
class CustomerSales:
    """Rows of each part read (one more than the page, so a next page shows); None: not read."""

    opportunities: list[Opportunity] | None = None
    orders: list[SalesOrder] | None = None


async def customer_sales(
    uow: SalesUnitOfWork,
    actor: Actor,
    customer_id: uuid.UUID,
    *,
    parts: Collection[str],
    page_size: int,
    recent: int,
) -> CustomerSales:
    """Newest first, as the lists answer them; a sales rep sees only their own."""
    found = CustomerSales()
    async with uow:
        if "opportunities" in parts:
            found.opportunities = await uow.opportunities.list(
                limit=page_size + 1, after=None, customer_id=customer_id, owner=actor.owner_filter
            )
        if "orders" in parts:
            found.orders = await uow.orders.list(
                limit=recent + 1, after=None, customer_id=customer_id, owner=actor.owner_filter
            )
    return found
