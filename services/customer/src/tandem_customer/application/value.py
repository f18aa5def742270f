"""Customer value from sales orders: count each order once, recalculate the tier."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.db.values import CountedOrder
from tandem_customer.domain.model import takes_tier
from tandem_customer.domain.value import COUNTED_STATUSES, CustomerValue, in_currency


async def resolve_customer(
    uow: CustomerUnitOfWork, customer_id: uuid.UUID, *, hops: int = 10
) -> uuid.UUID:
    """Follow merge tombstones to the surviving customer (orders may name the old id)."""
    for _ in range(hops):
        survivor = await uow.customers.merged_into(customer_id)
        if survivor is None:
            return customer_id
        customer_id = survivor
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
    """Apply the newest state of one order; older or repeated versions change nothing.

    The customer's value is recalculated only when the order's part in it changes (a draft,
    or a new version counting the same revenue, leaves it as it is) or was never calculated.
    """
    found = await uow.values.look_up(order_id, customer_id)
    known = found.known
    if known is not None and known.version >= version:
        return False
    if found.merged_into is None:
        owner, has_value = customer_id, found.has_value
    else:  # the first tombstone is read already
        owner, has_value = await resolve_customer(uow, found.merged_into, hops=9), None
    rules = uow.rules
    revenue = in_currency(total, currency, rules.currency, rules.exchange_rates)
    await uow.values.save_order(
        {
            "order_id": order_id,
            "customer_id": owner,
            "version": version,
            "status": status,
            "total": total,
            "currency": currency,
            "revenue": revenue,
            "ordered_at": at,
            "updated_at": at,
        },
        exists=known is not None,
    )
    if known is not None and known.customer_id != owner:
        await recompute_value(uow, owner)
        await recompute_value(uow, known.customer_id)
    elif not _counts_the_same(known, status, revenue) or not (
        has_value if has_value is not None else await uow.values.has_value(owner)
    ):
        await recompute_value(uow, owner)
    return True


def _counts_the_same(known: CountedOrder | None, status: str, revenue: Decimal | None) -> bool:
    """Whether an order's new state adds to its customer's value exactly what the old one did
    (the order's time never changes once recorded)."""
    counted = status in COUNTED_STATUSES
    if known is None or known.status not in COUNTED_STATUSES:
        return not counted
    return counted and known.revenue == revenue


async def recompute_value(uow: CustomerUnitOfWork, customer_id: uuid.UUID) -> None:
    """Totals from the counted orders, published (CustomerValueChanged) when they or the tier
    differ from the stored ones; the customer's tier follows (published if it changes)."""
    rules = uow.rules
    # The customer's row is locked first, before the totals are read: two workers applying two
    # orders of one customer at once (PostgreSQL, READ COMMITTED) then take turns, and the
    # second reads the first's order instead of storing (and publishing) totals without it;
    # merges lock customers first too, so the two never wait for each other in a cycle. The
    # customer is loaded only when its tier changes.
    held = await uow.customers.tier_and_status(customer_id, for_update=True)
    facts = await uow.values.facts(customer_id, rules.currency)
    tier = rules.tiers.tier_for(facts.lifetime_revenue, facts.order_count)
    version = await uow.values.store(customer_id, facts, tier)
    if version is not None:
        uow.track(CustomerValue.changed(customer_id, version, facts, tier))
    if held is not None and takes_tier(held[1], held[0], tier):
        customer = await uow.customers.get(customer_id, for_update=True)
        if customer is not None:
            customer.change_tier(tier, facts)
