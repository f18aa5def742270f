"""Customer value from sales orders: what counts as revenue, and the tier it earns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from tandem_customer.domain.events import CustomerValueChanged, ValueFacts
from tandem_kit.aggregate import EventSource

# Orders in these states count towards lifetime revenue; a cancelled one does not.
COUNTED_STATUSES = frozenset({"confirmed", "fulfilled", "closed"})
# Revenue is kept to four places (NUMERIC(20, 4) on PostgreSQL), so sums are exact.
REVENUE_SCALE = Decimal("0.0001")


@dataclass(frozen=True)
class TierRule:
    tier: str
    min_revenue: Decimal
    min_orders: int = 0


@dataclass(frozen=True)
class TierRules:
    """Tiers from the best down; the first rule a customer meets names its tier."""

    rules: tuple[TierRule, ...]
    fallback: str = "bronze"

    @classmethod
    def default(cls) -> TierRules:
        return cls(
            rules=(
                TierRule("platinum", Decimal("1000000"), 10),
                TierRule("gold", Decimal("250000"), 3),
                TierRule("silver", Decimal("50000"), 1),
            )
        )

    def tier_for(self, revenue: Decimal, order_count: int) -> str:
        for rule in self.rules:
            if revenue >= rule.min_revenue and order_count >= rule.min_orders:
                return rule.tier
        return self.fallback


def in_currency(
    amount: Decimal, currency: str, target: str, rates: dict[str, Decimal]
) -> Decimal | None:
    """``amount`` converted to ``target`` with configured rates (units of target per unit), to
    four places, half to even as conversions always were (the same on both databases: bound
    at four places, PostgreSQL's NUMERIC(20, 4) has nothing left to round)."""
    if currency == target:
        return amount.quantize(REVENUE_SCALE, ROUND_HALF_EVEN)
    rate = rates.get(currency)
    return None if rate is None else (amount * rate).quantize(REVENUE_SCALE, ROUND_HALF_EVEN)


@dataclass(frozen=True)
class OrderShare:
    """What one counted order adds to its customer's value."""

    revenue: Decimal | None  # None: no exchange rate for its currency; it counts, adds nothing
    ordered_at: datetime


def moved(
    facts: ValueFacts, removed: OrderShare | None, added: OrderShare | None
) -> ValueFacts | None:
    """``facts`` without one order's former share and with its new one (None: it did not or
    no longer counts), so that an order event costs the same however many orders the customer
    has. None when the difference cannot tell: the order leaving may have been the latest one,
    and the last order must then be looked for among the others.
    """
    revenue, count, last = facts.lifetime_revenue, facts.order_count, facts.last_order_at
    if removed is not None:
        if added is None and (last is None or removed.ordered_at >= last):
            return None
        revenue -= removed.revenue or 0
        count -= 1
    if added is not None:
        revenue += added.revenue or 0
        count += 1
        last = added.ordered_at if last is None else max(last, added.ordered_at)
    return ValueFacts(revenue, facts.currency, count, last)


@dataclass(eq=False)
class CustomerValue(EventSource):
    """A customer's value as just stored, ``version`` being the number of its changes so far.

    Whether it changed is decided where it is stored (the row compares itself in the write that
    replaces it), so a value is built here only once it has changed, and raises its event.
    """

    id: uuid.UUID  # the customer's
    version: int
    facts: ValueFacts
    tier: str

    @classmethod
    def changed(
        cls, customer_id: uuid.UUID, version: int, facts: ValueFacts, tier: str
    ) -> CustomerValue:
        """A value just stored with a difference, announcing it (CustomerValueChanged)."""
        value = cls(customer_id, version, facts, tier)
        value._events.append(CustomerValueChanged(customer_id))
        return value
