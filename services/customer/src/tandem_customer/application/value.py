"""Customer value from sales orders: count each order once, recalculate the tier."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.db.values import CountedOrder
from tandem_customer.domain.events import ValueFacts
from tandem_customer.domain.model import CustomerStatus, takes_tier
from tandem_customer.domain.value import (
    COUNTED_STATUSES,
    CustomerValue,
    OrderShare,
    in_currency,
    moved,
)
from tandem_kit.db import plain_money


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

    The customer's value moves by the order's difference (its former share out, its new one
    in) when the order's part in it changes, so an order event costs the same however many
    orders the customer has; it is counted afresh from all of them only when it never was,
    when the order moves to another customer, or when the order leaving may have been the
    customer's latest. A draft, or a new version counting the same revenue, leaves it as it is.
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
    moves = known is not None and known.customer_id != owner
    settles = (
        moves
        or not _counts_the_same(known, status, revenue)
        or not (has_value if has_value is not None else await uow.values.has_value(owner))
    )
    held = None
    if settles:
        # The customer is locked before the order's row is written, as a merge locks its two
        # customers before it moves their orders: the two take turns, never each waiting for
        # the other. A merge that went first has made this customer a tombstone since it was
        # read: the event is handled again, and then counts for the survivor.
        held = await _lock(uow, owner)
        if held is not None and held[1] == CustomerStatus.MERGED:
            raise OrderChangedMeanwhile(order_id)
    ordered_at = await uow.values.save_order(
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
        seen=known,
    )
    if ordered_at is None:
        # The order's row changed since it was read: another member of the group applied a
        # version of it (a rebalance), or a merge moved it. The difference read is stale; the
        # consumer handles the event again.
        raise OrderChangedMeanwhile(order_id)
    if not settles:
        return True
    if moves:
        assert known is not None
        await _settle(uow, owner, held, await uow.values.facts(owner, rules.currency))
        await recompute_value(uow, known.customer_id)
        return True
    before = None if known is None else _share(known.status, known.revenue, ordered_at)
    after = _share(status, revenue, ordered_at)
    stored = await uow.values.totals(owner)
    facts = (
        None
        if stored is None or stored.currency != rules.currency
        else moved(stored, before, after)
    )
    if facts is None:
        facts = await uow.values.facts(owner, rules.currency)
    await _settle(uow, owner, held, facts)
    return True


class OrderChangedMeanwhile(Exception):
    """An order's row changed between reading and writing it (another member of the group
    applied a version of it, or a merge moved it), or its customer was merged meanwhile:
    handle the event again."""


def _share(status: str, revenue: Decimal | None, ordered_at: datetime) -> OrderShare | None:
    return OrderShare(revenue, ordered_at) if status in COUNTED_STATUSES else None


def _counts_the_same(known: CountedOrder | None, status: str, revenue: Decimal | None) -> bool:
    """Whether an order's new state adds to its customer's value exactly what the old one did
    (the order's time never changes once recorded)."""
    counted = status in COUNTED_STATUSES
    if known is None or known.status not in COUNTED_STATUSES:
        return not counted
    return counted and known.revenue == revenue


async def recompute_value(uow: CustomerUnitOfWork, customer_id: uuid.UUID) -> None:
    """Totals counted afresh from the customer's counted orders, then stored and published as
    ``_settle`` does."""
    held = await _lock(uow, customer_id)
    await _settle(uow, customer_id, held, await uow.values.facts(customer_id, uow.rules.currency))


async def _lock(
    uow: CustomerUnitOfWork, customer_id: uuid.UUID
) -> tuple[str, CustomerStatus] | None:
    """Lock the customer's row (its tier and status, None when unknown) before its totals are
    read: two workers applying orders of one customer at once (PostgreSQL, READ COMMITTED) take
    turns, and the second reads totals that hold the first one's order."""
    return await uow.customers.tier_and_status(customer_id, for_update=True)


async def _settle(
    uow: CustomerUnitOfWork,
    customer_id: uuid.UUID,
    held: tuple[str, CustomerStatus] | None,
    facts: ValueFacts,
) -> None:
    """Store the totals, published (CustomerValueChanged) when they or the tier differ from the
    stored ones; the customer's tier follows (published if it changes). The customer is loaded
    only when its tier changes."""
    facts = replace(facts, lifetime_revenue=plain_money(facts.lifetime_revenue))
    tier = uow.rules.tiers.tier_for(facts.lifetime_revenue, facts.order_count)
    version = await uow.values.store(customer_id, facts, tier)
    if version is not None:
        uow.track(CustomerValue.changed(customer_id, version, facts, tier))
    if held is not None and takes_tier(held[1], held[0], tier):
        customer = await uow.customers.get(customer_id, for_update=True)
        if customer is not None:
            customer.change_tier(tier, facts)
