"""Customer value from sales orders: count each order once, recalculate the tier."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.domain.value import in_currency


async def resolve_customer(uow: CustomerUnitOfWork, customer_id: uuid.UUID) -> uuid.UUID:
    """Follow merge tombstones to the surviving customer (orders may name the old id)."""
    for _ in range(10):
        customer = await uow.customers.get(customer_id)
        if customer is None or customer.merged_into is None:
            return customer_id
        customer_id = customer.merged_into
    return customer_id


async def when_order_changed(
    uow: CustomerUnitOfWork,
    *,
    order_id: uuid.UUID,
    customer_id: uuid.UUID,
    version: int,
    status: str,
    total: Decimal,
    currency: str,
    at: datetime,
) -> bool:
    """Apply the newest state of one order; older or repeated versions change nothing."""
    known = await uow.values.order_version(order_id)
    if known is not None and known[0] >= version:
        return False
    owner = await resolve_customer(uow, customer_id)
    rules = uow.rules
    await uow.values.save_order(
        {
            "order_id": order_id,
            "customer_id": owner,
            "version": version,
            "status": status,
            "total": total,
            "currency": currency,
            "revenue": in_currency(total, currency, rules.currency, rules.exchange_rates),
            "ordered_at": at,
            "updated_at": at,
        },
        exists=known is not None,
    )
    await recompute_value(uow, owner)
    if known is not None and known[1] != owner:
        await recompute_value(uow, known[1])
    return True


async def recompute_value(uow: CustomerUnitOfWork, customer_id: uuid.UUID) -> None:
    """Totals from the counted orders; the customer's tier follows (published if it changes)."""
    rules = uow.rules
    facts = await uow.values.facts(customer_id, rules.currency)
    tier = rules.tiers.tier_for(facts.lifetime_revenue, facts.order_count)
    await uow.values.store(customer_id, facts, tier)
    customer = await uow.customers.get(customer_id, for_update=True)
    if customer is not None:
        customer.change_tier(tier, facts)
