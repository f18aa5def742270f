"""Customer value read model: order rows from sales events and the per-customer totals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_customer.db import paging
from tandem_customer.db.tables import customer_values, customers, order_values
from tandem_customer.domain.events import ValueFacts
from tandem_customer.domain.model import Customer, CustomerStatus
from tandem_customer.domain.value import COUNTED_STATUSES
from tandem_kit.db import utcnow


@dataclass(frozen=True)
class CountedOrder:
    """One order as the value read model holds it."""

    version: int
    customer_id: uuid.UUID
    status: str
    revenue: Decimal | None


def cents(amount: Decimal) -> int:
    """Whole cents, for comparisons the database can do on any backend."""
    return int((amount * 100).to_integral_value())


class ValueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counted_order(self, order_id: uuid.UUID) -> CountedOrder | None:
        """What the read model holds of one order: its version, customer and what it counts."""
        o = order_values.c
        row = (
            await self.session.execute(
                select(o.version, o.customer_id, o.status, o.revenue).where(o.order_id == order_id)
            )
        ).first()
        if row is None:
            return None
        return CountedOrder(row.version, row.customer_id, row.status, row.revenue)

    async def has_value(self, customer_id: uuid.UUID) -> bool:
        """Whether the customer's value was ever calculated (its row exists)."""
        found = await self.session.scalar(
            select(customer_values.c.customer_id).where(
                customer_values.c.customer_id == customer_id
            )
        )
        return found is not None

    async def save_order(self, values: dict[str, Any], *, exists: bool) -> None:
        """Insert or replace one order's row (the caller checked the version is newer)."""
        if exists:
            keep = {k: v for k, v in values.items() if k not in ("order_id", "ordered_at")}
            await self.session.execute(
                update(order_values)
                .where(order_values.c.order_id == values["order_id"])
                .values(**keep)
            )
        else:
            await self.session.execute(insert(order_values).values(**values))

    async def facts(self, customer_id: uuid.UUID, currency: str) -> ValueFacts:
        """Lifetime revenue, order count and last order of a customer from its counted orders."""
        o = order_values.c
        counted = and_(o.customer_id == customer_id, o.status.in_(sorted(COUNTED_STATUSES)))
        # Summed here, not in SQL: SQLite keeps money as text and would sum floats.
        rows = (await self.session.execute(select(o.revenue, o.ordered_at).where(counted))).all()
        return ValueFacts(
            lifetime_revenue=sum((r.revenue for r in rows if r.revenue is not None), Decimal(0)),
            currency=currency,
            order_count=len(rows),
            last_order_at=max((r.ordered_at for r in rows), default=None),
        )

    async def store(self, customer_id: uuid.UUID, facts: ValueFacts, tier: str) -> None:
        values = {
            "lifetime_revenue": facts.lifetime_revenue,
            "revenue_cents": cents(facts.lifetime_revenue),
            "currency": facts.currency,
            "order_count": facts.order_count,
            "last_order_at": facts.last_order_at,
            "tier": tier,
            "updated_at": utcnow(),
        }
        done = await self.session.execute(
            update(customer_values)
            .where(customer_values.c.customer_id == customer_id)
            .values(**values)
        )
        if done.rowcount == 0:
            await self.session.execute(
                insert(customer_values).values(customer_id=customer_id, **values)
            )

    async def get(self, customer_id: uuid.UUID) -> dict[str, Any] | None:
        row = (
            await self.session.execute(
                select(customer_values).where(customer_values.c.customer_id == customer_id)
            )
        ).first()
        return None if row is None else dict(row._mapping)

    async def repoint_orders(self, source: uuid.UUID, survivor: uuid.UUID) -> None:
        await self.session.execute(
            update(order_values)
            .where(order_values.c.customer_id == source)
            .values(customer_id=survivor)
        )

    async def segment_members(
        self, rules: dict[str, Any], *, limit: int, keyset: paging.Keyset
    ) -> list[tuple[Customer, Decimal]]:
        """Live customers matching segment rules, with their lifetime revenue."""
        c, v = customers.c, customer_values.c
        revenue = func.coalesce(v.revenue_cents, 0)
        stmt = (
            select(Customer, v.lifetime_revenue)
            .select_from(customers.outerjoin(customer_values, v.customer_id == c.id))
            .where(c.status.not_in([CustomerStatus.MERGED, CustomerStatus.ARCHIVED]))
        )
        for key, column in (("industries", c.industry), ("tiers", c.tier), ("statuses", c.status)):
            if key in rules:
                stmt = stmt.where(func.lower(column).in_(rules[key]))
        if "min_lifetime_revenue" in rules:
            stmt = stmt.where(revenue >= cents(Decimal(rules["min_lifetime_revenue"])))
        if "max_lifetime_revenue" in rules:
            stmt = stmt.where(revenue <= cents(Decimal(rules["max_lifetime_revenue"])))
        rows = (await self.session.execute(paging.apply(stmt, keyset, c.id, limit))).all()
        return [(row[0], row[1] if row[1] is not None else Decimal(0)) for row in rows]
